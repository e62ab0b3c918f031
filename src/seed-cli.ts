/**
 * @module `npm run seed`: migrates, then seeds the county's pool, the working-day calendar
 * and the sample reference lists into the configured database. Safe to run again.
 */
import { databaseConfigFromEnv } from './db/config.ts';
import { openDatabase } from './db/database.ts';
import { migrateToLatest } from './db/migrate.ts';
import { seedDefaults } from './seed.ts';

const handle = await openDatabase(databaseConfigFromEnv());
try {
  await migrateToLatest(handle.db);
  const pool = await seedDefaults(handle.db);
  console.log(`seeded: pool "${pool.code}" (${pool.id}), working-day calendar, reference lists`);
} finally {
  await handle.close();
}
