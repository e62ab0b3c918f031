/**
 * Builds the migrated template database once per run; every test file then clones it
 * (CREATE DATABASE … TEMPLATE), so files run in parallel on databases of their own.
 */
import pg from 'pg';
import { openDatabase } from '../../src/db/database.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { ADMIN_DATABASE_URL, databaseUrl, TEMPLATE_DATABASE, TEST_DATABASE_PREFIX } from './env.ts';

export default async function setup(): Promise<void> {
  const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  try {
    const leftovers = await admin.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE datname = $1 OR starts_with(datname, $2)',
      [TEMPLATE_DATABASE, TEST_DATABASE_PREFIX],
    );
    for (const { datname } of leftovers.rows)
      await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${TEMPLATE_DATABASE}"`);
  } finally {
    await admin.end();
  }
  const template = await openDatabase({
    kind: 'postgres',
    url: databaseUrl(TEMPLATE_DATABASE),
    poolSize: 1,
  });
  try {
    await migrateToLatest(template.db);
  } finally {
    await template.close();
  }
}
