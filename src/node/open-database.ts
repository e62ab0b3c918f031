/**
 * @module Opens the configured database for a command or server process; an embedded data
 * folder another process holds is one clear line and exit code 1, not a stack trace.
 */
import type { DatabaseConfig } from '../db/config.ts';
import { DataDirInUseError } from '../db/data-dir-lock.ts';
import { type DatabaseHandle, openDatabase } from '../db/database.ts';

export async function openDatabaseOrExit(config: DatabaseConfig): Promise<DatabaseHandle> {
  try {
    return await openDatabase(config);
  } catch (error) {
    if (!(error instanceof DataDirInUseError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}
