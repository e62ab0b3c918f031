/**
 * @module `npm run seed`: the county's pool, the working-day calendar and the sample
 * reference lists, into the configured database (PostgreSQL must be migrated already; the
 * embedded one migrates itself). Safe to run again.
 */
import { databaseConfigFromEnv } from './db/config.ts';
import { openDatabaseOrExit } from './node/open-database.ts';
import { seedDefaults } from './seed.ts';

const handle = await openDatabaseOrExit(databaseConfigFromEnv());
try {
  const pool = await seedDefaults(handle.db);
  console.log(`seeded: pool "${pool.code}" (${pool.id}), working-day calendar, reference lists`);
} finally {
  await handle.close();
}
