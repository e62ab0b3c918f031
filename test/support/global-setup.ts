/**
 * Builds a migrated template database once per run; every test file then clones it
 * (CREATE DATABASE … TEMPLATE), so files run in parallel on databases of their own.
 * Names carry the run's process id, so runs side by side never drop each other's
 * databases; leftovers of runs that died are dropped here.
 */
import pg from 'pg';
import { register } from 'tsx/esm/api';
import { openDatabase } from '../../src/db/database.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { ADMIN_DATABASE_URL, databaseUrl, TEMPLATE_PREFIX, TEST_DATABASE_PREFIX } from './env.ts';

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}

export default async function setup(): Promise<() => Promise<void>> {
  // The migrator imports migrations/*.ts through Node's loader; this process needs tsx's.
  register();
  const template = `${TEMPLATE_PREFIX}${process.pid}`;
  await withAdmin(async (admin) => {
    const existing = await admin.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE starts_with(datname, $1) OR starts_with(datname, $2)',
      [TEMPLATE_PREFIX, TEST_DATABASE_PREFIX],
    );
    for (const { datname } of existing.rows) {
      const owner = Number.parseInt(
        datname.replace(TEMPLATE_PREFIX, '').replace(TEST_DATABASE_PREFIX, '').split('_')[0] ?? '',
        10,
      );
      if (datname === template || !Number.isInteger(owner) || !processAlive(owner)) {
        await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
      }
    }
    await admin.query(`CREATE DATABASE "${template}"`);
  });
  const handle = await openDatabase({ kind: 'postgres', url: databaseUrl(template), poolSize: 1 });
  try {
    await migrateToLatest(handle.db);
  } finally {
    await handle.close();
  }
  // Test files run in child processes forked after this, so they inherit the name.
  process.env.RISKPOOL_TEST_TEMPLATE = template;
  return async () => {
    await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS "${template}" WITH (FORCE)`));
  };
}
