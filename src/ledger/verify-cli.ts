/**
 * @module `npm run ledger:verify`: exits non-zero, naming the first bad entry, unless the
 * ledger's hash chain and every balance check out.
 */
import { databaseConfigFromEnv } from '../db/config.ts';
import { openDatabaseOrExit } from '../node/open-database.ts';
import { verifyLedger } from './verify.ts';

const handle = await openDatabaseOrExit(databaseConfigFromEnv());
try {
  const started = performance.now();
  const report = await verifyLedger(handle.db);
  const seconds = (performance.now() - started) / 1000;
  const rate = seconds > 0 ? Math.round(report.postingsChecked / seconds) : report.postingsChecked;
  console.log(
    `checked ${report.entriesChecked} entries and ${report.postingsChecked} postings in ${seconds.toFixed(2)} s (${rate} postings/s)`,
  );
  if (!report.ok) {
    if (report.firstBadEntryId !== null)
      console.error(`first bad entry: ${report.firstBadEntryId}`);
    for (const problem of report.problems) console.error(`- ${problem}`);
    process.exitCode = 1;
  } else {
    console.log(
      'ledger verified: hash chain intact, every entry balanced, every balance equals its postings',
    );
  }
} finally {
  await handle.close();
}
