/**
 * @module One Kysely instance over either PostgreSQL (pg Pool) or embedded PGlite.
 */
import { PGlite } from '@electric-sql/pglite';
import { Kysely } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import type { DatabaseConfig } from './config.ts';
import { DATE_OID, type DB, INT8_OID, keepDateText, openPostgres, parseInt8 } from './postgres.ts';
import type { Database } from './schema.ts';

export type { DB } from './postgres.ts';
export { createPgPool } from './postgres.ts';

export interface DatabaseHandle {
  readonly db: DB;
  readonly kind: DatabaseConfig['kind'];
  close(): Promise<void>;
}

export async function openDatabase(config: DatabaseConfig): Promise<DatabaseHandle> {
  if (config.kind === 'postgres') {
    if (!config.url) throw new Error('a postgres database config needs a url');
    const db = openPostgres(config.url, config.poolSize ?? 10);
    return { db, kind: 'postgres', close: () => db.destroy() };
  }
  const pglite = await PGlite.create(config.dataDir ?? 'memory://', {
    parsers: { [INT8_OID]: parseInt8, [DATE_OID]: keepDateText },
  });
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
  return {
    db,
    kind: 'pglite',
    close: async () => {
      await db.destroy();
      if (!pglite.closed) await pglite.close();
    },
  };
}
