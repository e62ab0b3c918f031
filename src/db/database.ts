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
  const dataDir = config.dataDir ?? 'memory://';
  // Loaded only here, so the database module stays free of Node's file system elsewhere.
  const release = dataDir.startsWith('memory://')
    ? () => undefined
    : (await import('./data-dir-lock.ts')).lockDataDir(dataDir);
  let pglite: PGlite;
  try {
    pglite = await PGlite.create(dataDir, {
      parsers: { [INT8_OID]: parseInt8, [DATE_OID]: keepDateText },
    });
  } catch (error) {
    release();
    throw error;
  }
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
  return {
    db,
    kind: 'pglite',
    close: async () => {
      await db.destroy();
      if (!pglite.closed) await pglite.close();
      release();
    },
  };
}
