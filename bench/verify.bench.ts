/**
 * `npm run bench:verify`: `ledger:verify`'s rate on a ledger of BENCH_VERIFY_ENTRIES entries
 * (default 1,000,000, 2.5 postings each) in a scratch database of its own, made and dropped
 * here. Measured in one run: the check in one thread (the baseline), on worker threads, and
 * incremental against a seal with BENCH_VERIFY_AFTER_SEAL entries written after it. Ratios
 * against the one-thread baseline and the 500,000 postings/s goal; the load average beside.
 */
import { execFileSync } from 'node:child_process';
import { openDatabase } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { openAccount } from '../src/ledger/accounts.ts';
import { generateSealKey, signCheckpoint, takeCheckpointNow } from '../src/ledger/seal.ts';
import { type VerificationOptions, verifyLedger } from '../src/ledger/verify.ts';
import { appendEntries, seededRandom } from './bulk-ledger.ts';
import { admin, benchDatabaseName, databaseUrl, numberFromEnv } from './support.ts';

// A million entries load, and a long history verifies, in statements far longer than the
// 30 s a request's statement may run (DATABASE_STATEMENT_TIMEOUT_MS): allow an hour.
process.env.DATABASE_STATEMENT_TIMEOUT_MS ??= '3600000';

const ENTRIES = numberFromEnv('BENCH_VERIFY_ENTRIES', 1_000_000, 1000, 20_000_000);
const AFTER_SEAL = numberFromEnv('BENCH_VERIFY_AFTER_SEAL', 10_000, 100, 1_000_000);
const ROUNDS = numberFromEnv('BENCH_VERIFY_ROUNDS', 2, 1, 10);
const GOAL = 500_000;
const name = benchDatabaseName(`bench_13r_verify_${process.pid}`);
const url = databaseUrl(name);
const load = () => execFileSync('uptime', { encoding: 'utf8' }).trim();

await admin((client) => client.query(`CREATE DATABASE "${name}"`));
const handle = await openDatabase({ kind: 'postgres', url, poolSize: 4 });
try {
  await migrateToLatest(handle.db);
  const db = handle.db;
  const debitIds: number[] = [];
  const creditIds: number[] = [];
  for (let i = 0; i < 100; i++) {
    const d = await openAccount(db, {
      code: `bench:asset:${i}`,
      name: `asset ${i}`,
      unit: i % 2 === 0 ? 'CNY' : 'COVERAGE',
      normalSide: 'debit',
    });
    const c = await openAccount(db, {
      code: `bench:source:${i}`,
      name: `source ${i}`,
      unit: i % 2 === 0 ? 'CNY' : 'COVERAGE',
      normalSide: 'credit',
    });
    debitIds.push(d.id);
    creditIds.push(c.id);
  }
  const random = seededRandom(13);
  const start = Date.parse('2026-01-01T00:00:00Z');
  const span = 330 * 86_400_000;
  const make = (count: number) => (i: number) => {
    // Same-unit pairs: even indexes are CNY, odd ones COVERAGE.
    const pair = Math.floor(random() * 50) * 2 + (i % 2);
    const fen = 1 + Math.floor(random() * 5_000_000);
    const amount = (fen / 100).toFixed(2);
    const three = i % 2 === 0;
    const half = (Math.floor(fen / 2) / 100).toFixed(2);
    const rest = ((fen - Math.floor(fen / 2)) / 100).toFixed(2);
    return {
      description: `bench entry ${i}`,
      effectiveAt: new Date(start + Math.floor((i / count) * span)),
      postings:
        three && fen > 1
          ? [
              { accountId: debitIds[pair] ?? 0, direction: 'debit' as const, amount: half },
              {
                accountId: debitIds[(pair + 2) % 100] ?? 0,
                direction: 'debit' as const,
                amount: rest,
              },
              { accountId: creditIds[pair] ?? 0, direction: 'credit' as const, amount },
            ]
          : [
              { accountId: debitIds[pair] ?? 0, direction: 'debit' as const, amount },
              { accountId: creditIds[pair] ?? 0, direction: 'credit' as const, amount },
            ],
    };
  };
  const built = performance.now();
  await appendEntries(db, ENTRIES, make(ENTRIES), (done) => {
    if (done % 100_000 === 0) process.stdout.write(`  built ${done} entries\r`);
  });
  console.log(
    `built ${ENTRIES} entries in ${((performance.now() - built) / 1000).toFixed(1)} s (${name})`,
  );

  const measure = async (options: VerificationOptions) => {
    let best = 0;
    let checked = 0;
    let ok = true;
    for (let round = 0; round < ROUNDS; round++) {
      const began = performance.now();
      const report = await verifyLedger(db, options);
      const seconds = (performance.now() - began) / 1000;
      ok &&= report.ok;
      checked = report.postingsChecked;
      best = Math.max(best, report.postingsChecked / seconds);
      if (!report.ok) console.error(report.problems.slice(0, 5));
    }
    return { rate: best, checked, ok };
  };
  console.log(`load before: ${load()}`);
  const single = await measure({ workers: 0 });
  const two = await measure({ connectionString: url, workers: 2 });
  const four = await measure({ connectionString: url, workers: 4 });

  const key = await generateSealKey();
  const seal = await signCheckpoint(db, await takeCheckpointNow(db, 'bench', null), key.privateJwk);
  await appendEntries(db, AFTER_SEAL, make(AFTER_SEAL));
  const fullAfterSeal = await measure({ connectionString: url, workers: 2 });
  const sealedMs = async () => {
    let best = Number.POSITIVE_INFINITY;
    let ok = true;
    for (let round = 0; round < ROUNDS; round++) {
      const began = performance.now();
      const report = await verifyLedger(db, {
        seals: [seal],
        publicKey: key.publicKey,
        connectionString: url,
        workers: 2,
      });
      ok &&= report.ok && report.startedAfterEntryId === seal.checkpoint.lastEntryId;
      best = Math.min(best, performance.now() - began);
    }
    return { ms: best, ok };
  };
  const incremental = await sealedMs();
  console.log(`load after: ${load()}`);

  const row = (label: string, r: { rate: number; checked: number; ok: boolean }) =>
    `| ${label} | ${r.checked.toLocaleString('en')} | ${Math.round(r.rate).toLocaleString('en')} | ${(r.rate / single.rate).toFixed(2)}× | ${(r.rate / GOAL).toFixed(2)}× | ${r.ok ? 'ok' : 'FAILED'} |`;
  console.log(`\nledger:verify on ${ENTRIES.toLocaleString('en')} entries (best of ${ROUNDS})\n`);
  console.log('| run | postings | postings/s | vs one thread | vs 500k goal | result |');
  console.log('|---|---:|---:|---:|---:|---|');
  console.log(row('one thread (baseline)', single));
  console.log(row('2 worker threads', two));
  console.log(row('4 worker threads', four));
  console.log(row(`2 workers, full, +${AFTER_SEAL} after a seal`, fullAfterSeal));
  const fullMs = (fullAfterSeal.checked / fullAfterSeal.rate) * 1000;
  console.log(
    `\nagainst the seal (incremental: ${AFTER_SEAL} entries hashed after it): ${incremental.ms.toFixed(0)} ms vs ${fullMs.toFixed(0)} ms full = ${(fullMs / incremental.ms).toFixed(1)}× faster (${incremental.ok ? 'ok' : 'FAILED'})`,
  );
} finally {
  await handle.close();
  if (process.env.BENCH_KEEP !== '1')
    await admin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}
