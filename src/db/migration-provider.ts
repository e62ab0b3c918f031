/**
 * @module Loads migrations from a folder with a plain dynamic `import()`.
 *
 * Kysely's FileMigrationProvider cannot import `.ts` files on Node 20; importing through
 * our own provider lets tsx (and vitest) load them.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Migration, MigrationProvider } from 'kysely';

const MIGRATION_FILE = /^\d{4}_[a-z0-9_]+\.ts$/;

export class FolderMigrationProvider implements MigrationProvider {
  constructor(private readonly folder: string) {}

  async getMigrations(): Promise<Record<string, Migration>> {
    const files = (await readdir(this.folder)).filter((file) => MIGRATION_FILE.test(file)).sort();
    const migrations: Record<string, Migration> = {};
    for (const file of files) {
      const module: Partial<Migration> = await import(
        pathToFileURL(path.join(this.folder, file)).href
      );
      if (typeof module.up !== 'function') {
        throw new Error(`migration "${file}" does not export an up() function`);
      }
      migrations[file.replace(/\.ts$/, '')] = module as Migration;
    }
    return migrations;
  }
}
