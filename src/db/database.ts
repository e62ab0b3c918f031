/**
 * @module One Kysely instance over either PostgreSQL (pg Pool) or embedded PGlite.
 */
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import type { DatabaseConfig } from './config.ts';
import type { Database } from './schema.ts';

export type DB = Kysely<Database>;

export interface DatabaseHandle {
  readonly db: DB;
  readonly kind: DatabaseConfig['kind'];
  close(): Promise<void>;
}

const INT8_OID = 20;
const DATE_OID = 1082;

/** A DATE is a local calendar day: keep it the string "2026-10-01", never a Date at some midnight. */
const keepDateText = (text: string): string => text;

/**
 * int8 carries ids, sequence numbers and counts here, never money (money is NUMERIC and
 * stays a string). PGlite already returns numbers; make pg agree, and refuse silently
 * losing precision.
 */
function parseInt8(text: string): number {
  const value = Number.parseInt(text, 10);
  if (!Number.isSafeInteger(value))
    throw new Error(`int8 value ${text} exceeds the safe integer range`);
  return value;
}

export function createPgPool(url: string, max: number): pg.Pool {
  const types = {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
      oid === INT8_OID
        ? parseInt8
        : oid === DATE_OID
          ? keepDateText
          : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
  };
  const pool = new pg.Pool({ connectionString: url, max, types });
  // An idle client whose server connection drops (a restart, a forced disconnect) emits
  // 'error' on the pool; unheard, that would crash the process. The pool replaces it.
  pool.on('error', () => undefined);
  return pool;
}

export async function openDatabase(config: DatabaseConfig): Promise<DatabaseHandle> {
  if (config.kind === 'postgres') {
    if (!config.url) throw new Error('a postgres database config needs a url');
    const pool = createPgPool(config.url, config.poolSize ?? 10);
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
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
