/**
 * @module One process at a time in an embedded data folder. PGlite is a single-process
 * database: a second process opening the same folder would write beside the first and lose
 * (or corrupt) what it wrote, so a token printed by `npm run token` while `npm start` runs
 * would never work. The folder's lock file names the process that holds it; a lock left by
 * a process that is gone is taken over.
 */
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const LOCK_FILE = 'riskpool.lock';
const held = new Set<string>();

export class DataDirInUseError extends Error {
  override readonly name = 'DataDirInUseError';
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function holderOf(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Takes the folder's lock for this process, or throws naming the process that holds it. */
export function lockDataDir(dataDir: string): () => void {
  const folder = path.resolve(dataDir);
  const file = path.join(folder, LOCK_FILE);
  mkdirSync(folder, { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      held.add(folder);
      const release = () => {
        if (!held.delete(folder)) return;
        if (holderOf(file) === process.pid) unlinkSync(file);
        process.off('exit', release);
      };
      process.on('exit', release);
      return release;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = holderOf(file);
    const ours = holder === process.pid && held.has(folder);
    if (holder !== undefined && (ours || (holder !== process.pid && processAlive(holder)))) {
      throw new DataDirInUseError(
        `the data folder ${folder} is in use by process ${holder} (the embedded service?): ` +
          'stop it first (while it runs, its API can still issue tokens: POST /admin/users/{id}/tokens)',
      );
    }
    // Left by a process that is gone (or unreadable): take it over.
    unlinkSync(file);
  }
  throw new DataDirInUseError(`could not take the lock on the data folder ${folder}`);
}
