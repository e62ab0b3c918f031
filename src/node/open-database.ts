/**
 * @module Opens the configured database for a command or server process and makes sure its
 * schema fits the code (the embedded default migrates itself; PostgreSQL must already be
 * migrated by its owner). A data folder another process holds, or a schema behind the code,
 * is one clear line and exit code 1, not a stack trace.
 */
import type { DatabaseConfig } from '../db/config.ts';
import { DataDirInUseError } from '../db/data-dir-lock.ts';
import { type DatabaseHandle, openDatabase } from '../db/database.ts';
import { prepareSchema, SchemaBehindError } from '../db/migrate.ts';

export async function openDatabaseOrExit(config: DatabaseConfig): Promise<DatabaseHandle> {
  let handle: DatabaseHandle | undefined;
  try {
    handle = await openDatabase(config);
    await prepareSchema(handle);
    return handle;
  } catch (error) {
    if (!(error instanceof DataDirInUseError || error instanceof SchemaBehindError)) throw error;
    console.error(error.message);
    await handle?.close();
    process.exit(1);
  }
}
