/**
 * @module Applies every pending migration in migrations/ and reports failure as an error.
 * Kysely's FileMigrationProvider imports the `.ts` files; under tsx (and vitest) Node 20
 * loads them.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileMigrationProvider, Migrator } from 'kysely';
import type { DatabaseHandle, DB } from './database.ts';

export const MIGRATIONS_FOLDER = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../migrations',
);

const migrationProvider = () =>
  new FileMigrationProvider({ fs, path, migrationFolder: MIGRATIONS_FOLDER });

export async function migrateToLatest(db: DB): Promise<string[]> {
  const migrator = new Migrator({ db, provider: migrationProvider() });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((result) => result.status === 'Error');
  if (error || failed) {
    const cause = error instanceof Error ? error.message : String(error ?? '');
    throw new Error(`migration ${failed?.migrationName ?? ''} failed: ${cause}`.trim());
  }
  return (results ?? []).map((result) => result.migrationName);
}

/**
 * Refuses to run against a schema that is behind the code. Only `npm run migrate` (as the
 * schema's owner) and the embedded default change the schema; every other process runs as
 * a role that could not, and says what to do instead of failing on a missing column.
 */
export async function assertSchemaCurrent(db: DB): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider() });
  const pending = (await migrator.getMigrations()).filter((m) => m.executedAt === undefined);
  if (pending.length > 0) {
    throw new SchemaBehindError(
      `the database schema is behind this code: ${pending.length} migration(s) pending (${pending
        .map((m) => m.name)
        .join(', ')}); run npm run migrate with the owner's connection (MIGRATION_DATABASE_URL)`,
    );
  }
}

export class SchemaBehindError extends Error {
  override readonly name = 'SchemaBehindError';
}

/** The embedded default migrates itself; PostgreSQL is migrated by its owner beforehand. */
export async function prepareSchema(handle: DatabaseHandle): Promise<void> {
  if (handle.kind === 'pglite') await migrateToLatest(handle.db);
  else await assertSchemaCurrent(handle.db);
}
