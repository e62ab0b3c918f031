/**
 * @module `npm run migrate`: applies pending migrations to the configured database.
 */
import { databaseConfigFromEnv } from './config.ts';
import { openDatabase } from './database.ts';
import { migrateToLatest } from './migrate.ts';

const config = databaseConfigFromEnv();
const handle = await openDatabase(config);
try {
  const applied = await migrateToLatest(handle.db);
  console.log(
    applied.length > 0
      ? `applied ${applied.length} migration(s): ${applied.join(', ')}`
      : 'database is up to date',
  );
} finally {
  await handle.close();
}
