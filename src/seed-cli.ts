/**
 * @module `npm run seed`: migrates, then seeds the county's pool, the working-day calendar
 * and the sample reference lists into the configured database. Safe to run again.
 */
import { databaseConfigFromEnv } from './db/config.ts';
import { migrateToLatest } from './db/migrate.ts';
import { openDatabaseOrExit } from './node/open-database.ts';
import { seedDefaults } from './seed.ts';

const handle = await openDatabaseOrExit(databaseConfigFromEnv());
try {
  await migrateToLatest(handle.db);
  const pool = await seedDefaults(handle.db);
  console.log(`seeded: pool "${pool.code}" (${pool.id}), working-day calendar, reference lists`);
} finally {
  await handle.close();
}
