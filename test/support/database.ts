/**
 * A fresh database per test file: a clone of the migrated template on PostgreSQL, or an
 * in-memory PGlite migrated from scratch.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type DatabaseHandle, openDatabase } from '../../src/db/database.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { ADMIN_DATABASE_URL, databaseUrl, TEST_DATABASE_PREFIX, templateDatabase } from './env.ts';

export interface TestDatabase extends DatabaseHandle {
  /** The connection string, for tests that open connections of their own. */
  readonly url: string | null;
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function freshPostgres(poolSize = 10): Promise<TestDatabase> {
  const name = `${TEST_DATABASE_PREFIX}${process.pid}_${randomBytes(4).toString('hex')}`;
  await admin(async (client) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query(`CREATE DATABASE "${name}" TEMPLATE "${templateDatabase()}"`);
        return;
      } catch (error) {
        // Two files cloning at the same instant can see each other as users of the template.
        if (attempt >= 20 || !String(error).includes('being accessed by other users')) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
      }
    }
  });
  const url = databaseUrl(name);
  const handle = await openDatabase({ kind: 'postgres', url, poolSize });
  return {
    ...handle,
    url,
    close: async () => {
      await handle.close();
      await admin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}

export async function freshPglite(): Promise<TestDatabase> {
  const handle = await openDatabase({ kind: 'pglite', dataDir: 'memory://' });
  await migrateToLatest(handle.db);
  return { ...handle, url: null };
}

export type DatabaseKind = 'postgres' | 'pglite';

export function freshDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  return kind === 'postgres' ? freshPostgres() : freshPglite();
}
