/**
 * `npm run bench:coverage`: what a pool's coverage costs to read — now, and as of a past day —
 * and a one-day fund statement, at 1,000 entries and at BENCH_COVERAGE_ENTRIES (default
 * 1,000,000), in a scratch database of its own, made and dropped here. The ledger is grown in
 * place between the two sizes (a third of the entries move the pool's fund, the rest other
 * accounts, spread over ten months); daily snapshots are taken as the service takes them.
 * Also measured at the large size: the same as-of reads without snapshots (summing from the
 * start, as before them). Ratios against the 1k run; the load average beside.
 */
import { execFileSync } from 'node:child_process';
import { openDatabase } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { poolStatement } from '../src/finance/reports.ts';
import { findAccount, openAccount } from '../src/ledger/accounts.ts';
import { takeSnapshotsThrough } from '../src/ledger/snapshots.ts';
import { poolCoverage } from '../src/policy/coverage.ts';
import { addCalendarDays, startOfLocalDay } from '../src/policy/local-date.ts';
import { poolAccountCodes } from '../src/policy/pool-accounts.ts';
import { seedCountyPool } from '../src/policy/pools.ts';
import { appendEntries, seededRandom } from './bulk-ledger.ts';
import { admin, benchDatabaseName, databaseUrl, numberFromEnv } from './support.ts';

// A million entries load, and a long history verifies, in statements far longer than the
// 30 s a request's statement may run (DATABASE_STATEMENT_TIMEOUT_MS): allow an hour.
process.env.DATABASE_STATEMENT_TIMEOUT_MS ??= '3600000';

const LARGE = numberFromEnv('BENCH_COVERAGE_ENTRIES', 1_000_000, 10_000, 20_000_000);
const SMALL = 1000;
const READS = numberFromEnv('BENCH_COVERAGE_READS', 300, 20, 100_000);
const FIRST_DAY = '2026-01-01';
const DAYS = 300;
const name = benchDatabaseName(`bench_13r_coverage_${process.pid}`);
const load = () => execFileSync('uptime', { encoding: 'utf8' }).trim();

await admin((client) => client.query(`CREATE DATABASE "${name}"`));
const handle = await openDatabase({ kind: 'postgres', url: databaseUrl(name), poolSize: 4 });
try {
  await migrateToLatest(handle.db);
  const db = handle.db;
  const pool = await seedCountyPool(db);
  const codes = poolAccountCodes(pool.code);
  const fund = await findAccount(db, codes.fund);
  const remittances = await findAccount(db, codes.remittances);
  if (!fund || !remittances) throw new Error('the county pool has no fund or remittance account');
  const others: { debit: number; credit: number }[] = [];
  for (let i = 0; i < 50; i++) {
    const debit = await openAccount(db, {
      code: `bench:other:${i}:asset`,
      name: `other ${i}`,
      unit: 'CNY',
      normalSide: 'debit',
    });
    const credit = await openAccount(db, {
      code: `bench:other:${i}:source`,
      name: `other ${i} source`,
      unit: 'CNY',
      normalSide: 'credit',
    });
    others.push({ debit: debit.id, credit: credit.id });
  }
  const random = seededRandom(7);
  const start = startOfLocalDay(FIRST_DAY).getTime();
  const span = DAYS * 86_400_000;
  // Entries i of n fall in time order across the span, so growing the ledger adds history.
  const grow = async (from: number, to: number) => {
    await appendEntries(db, to - from, (k) => {
      const i = from + k;
      const amount = ((1 + Math.floor(random() * 1_000_000)) / 100).toFixed(2);
      const other = others[i % others.length] ?? { debit: 0, credit: 0 };
      const pair =
        i % 3 === 0
          ? { debit: fund.id, credit: remittances.id }
          : { debit: other.debit, credit: other.credit };
      return {
        description: `bench movement ${i}`,
        effectiveAt: new Date(start + Math.floor(random() * span)),
        postings: [
          { accountId: pair.debit, direction: 'debit', amount },
          { accountId: pair.credit, direction: 'credit', amount },
        ],
      };
    });
    await takeSnapshotsThrough(db, new Date());
  };

  const percentile = (sorted: number[], p: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
  const time = async (work: (i: number) => Promise<unknown>) => {
    for (let i = 0; i < 10; i++) await work(i);
    const samples: number[] = [];
    for (let i = 0; i < READS; i++) {
      const began = performance.now();
      await work(i);
      samples.push(performance.now() - began);
    }
    samples.sort((a, b) => a - b);
    return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
  };
  const day = (i: number) => addCalendarDays(FIRST_DAY, 5 + ((i * 37) % (DAYS - 10)));
  const measure = async () => ({
    now: await time(() => poolCoverage(db, pool)),
    asOf: await time((i) => poolCoverage(db, pool, day(i))),
    statement: await time((i) => poolStatement(db, pool, { from: day(i), to: day(i) })),
  });

  await grow(0, SMALL);
  console.log(`load at ${SMALL}: ${load()}`);
  const small = await measure();
  const built = performance.now();
  await grow(SMALL, LARGE);
  console.log(
    `grown to ${LARGE} entries in ${((performance.now() - built) / 1000).toFixed(0)} s; load: ${load()}`,
  );
  const large = await measure();
  await db.deleteFrom('ledger_balance_snapshot').execute();
  const unsnapshotted = {
    asOf: await time((i) => poolCoverage(db, pool, day(i))),
    statement: await time((i) => poolStatement(db, pool, { from: day(i), to: day(i) })),
  };
  console.log(`load after: ${load()}`);

  const ms = (value: number) => value.toFixed(2);
  const line = (label: string, a: { p50: number; p99: number }, b: { p50: number; p99: number }) =>
    `| ${label} | ${ms(a.p50)} | ${ms(a.p99)} | ${ms(b.p50)} | ${ms(b.p99)} | ${(b.p99 / a.p99).toFixed(2)}× |`;
  console.log(
    `\ncoverage reads, ms (${READS} reads each; ${LARGE.toLocaleString('en')} entries, a third on the pool's fund)\n`,
  );
  console.log(
    `| read | p50 at 1k | p99 at 1k | p50 at ${LARGE / 1000}k | p99 at ${LARGE / 1000}k | p99 ratio (goal ≤ 1.20×) |`,
  );
  console.log('|---|---:|---:|---:|---:|---:|');
  console.log(line('coverage now', small.now, large.now));
  console.log(line('coverage as of a past day', small.asOf, large.asOf));
  console.log(line('one-day fund statement', small.statement, large.statement));
  console.log(line('as of a past day, no snapshots', small.asOf, unsnapshotted.asOf));
  console.log(line('one-day statement, no snapshots', small.statement, unsnapshotted.statement));
} finally {
  await handle.close();
  if (process.env.BENCH_KEEP !== '1')
    await admin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}
