/**
 * @module `npm run ledger:verify [-- --against SEAL… [--public-key KEY] [--full] [--workers N]]`:
 * exits non-zero, naming the first bad entry or account, unless the ledger's hash chain, the
 * account chain and every balance check out — and, given seal files, unless the ledger still
 * extends every one of them. Against seals only the entries after the latest are hashed
 * (`--full` hashes every one). Pin finance's public key with --public-key (or
 * LEDGER_SEAL_PUBLIC_KEY), or each file's own key is used. On PostgreSQL, id ranges are
 * hashed by worker threads (`--workers 0` keeps to one thread).
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { databaseConfigFromEnv } from '../db/config.ts';
import { openDatabaseOrExit } from '../node/open-database.ts';
import { parseSealFile, type SealFile } from './seal.ts';
import { verifyLedger } from './verify.ts';

// A long history verifies in statements far longer than the 30 s a request's statement may
// run (DATABASE_STATEMENT_TIMEOUT_MS): unless told otherwise, allow an hour.
process.env.DATABASE_STATEMENT_TIMEOUT_MS ??= '3600000';

const { values } = parseArgs({
  options: {
    against: { type: 'string', multiple: true, default: [] },
    'public-key': { type: 'string' },
    full: { type: 'boolean', default: false },
    workers: { type: 'string' },
  },
});
const seals: SealFile[] = [];
for (const file of values.against ?? []) {
  try {
    seals.push(parseSealFile(await readFile(file, 'utf8')));
  } catch (error) {
    console.error(`${file}: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  }
}
const publicKey = values['public-key'] ?? process.env.LEDGER_SEAL_PUBLIC_KEY?.trim() ?? undefined;
if (seals.length > 0 && !publicKey)
  console.warn('no --public-key: each seal is checked against the key written in its own file');

const workers = values.workers === undefined ? undefined : Number.parseInt(values.workers, 10);
if (workers !== undefined && !(Number.isInteger(workers) && workers >= 0 && workers <= 64)) {
  console.error(`--workers must be a whole number from 0 to 64, got "${values.workers}"`);
  process.exit(2);
}
const config = databaseConfigFromEnv();
const handle = await openDatabaseOrExit(config);
try {
  const started = performance.now();
  const report = await verifyLedger(handle.db, {
    seals,
    full: values.full ?? false,
    ...(publicKey ? { publicKey } : {}),
    ...(config.url ? { connectionString: config.url } : {}),
    ...(workers !== undefined ? { workers } : {}),
  });
  const seconds = (performance.now() - started) / 1000;
  const rate = seconds > 0 ? Math.round(report.postingsChecked / seconds) : report.postingsChecked;
  console.log(
    `checked ${report.entriesChecked} entries and ${report.postingsChecked} postings${report.startedAfterEntryId > 0 ? ` after sealed entry ${report.startedAfterEntryId}` : ''} in ${seconds.toFixed(2)} s (${rate} postings/s)${seals.length > 0 ? ` against ${seals.length} seal(s)` : ''}`,
  );
  if (!report.ok) {
    if (report.firstBadEntryId !== null)
      console.error(`first bad entry: ${report.firstBadEntryId}`);
    for (const problem of report.problems) console.error(`- ${problem}`);
    process.exitCode = 1;
  } else {
    console.log(
      `ledger verified: hash chain intact, every entry balanced, every balance equals its postings, every account as its records say${seals.length > 0 ? ', every seal still extended' : ''}`,
    );
  }
} finally {
  await handle.close();
}
