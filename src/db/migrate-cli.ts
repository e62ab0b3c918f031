/**
 * @module `npm run migrate`: applies pending migrations as the schema's owner
 * (MIGRATION_DATABASE_URL, else DATABASE_URL), then, with RUNTIME_DATABASE_ROLE set, grants
 * that role what the API and workers need and nothing that could rewrite the ledger.
 */
import { databaseConfigFromEnv } from './config.ts';
import { openDatabase } from './database.ts';
import { migrateToLatest } from './migrate.ts';
import { grantRuntimeRole } from './runtime-role.ts';

const ownerUrl = process.env.MIGRATION_DATABASE_URL?.trim();
const config = ownerUrl
  ? { ...databaseConfigFromEnv(), kind: 'postgres' as const, url: ownerUrl, poolSize: 1 }
  : databaseConfigFromEnv();
const runtimeRole = process.env.RUNTIME_DATABASE_ROLE?.trim();
const handle = await openDatabase(config);
try {
  const applied = await migrateToLatest(handle.db);
  console.log(
    applied.length > 0
      ? `applied ${applied.length} migration(s): ${applied.join(', ')}`
      : 'database is up to date',
  );
  if (runtimeRole) {
    if (handle.kind !== 'postgres') throw new Error('RUNTIME_DATABASE_ROLE needs PostgreSQL');
    await grantRuntimeRole(handle.db, runtimeRole);
    console.log(`granted runtime role ${runtimeRole}: rows only, no schema, no truncate`);
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
} finally {
  await handle.close();
}
