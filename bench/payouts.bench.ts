/**
 * `npm run bench:payouts`: payouts settled per second end to end — outbox → relay → BullMQ →
 * worker → simulated bank → settlement — with 1 and with 4 workers, approval-to-settlement
 * latency with no backlog and while approvals keep coming, and beside each throughput cell
 * the ledger's own posting rate measured in the same run for the same duration, just before
 * and just after it (the ratio uses their mean, so a change in the shared machine's load
 * during the run shows instead of flattering either side). Prints figures and ratios; never
 * asserts them (the machines are shared).
 *
 * Environment:
 *   DATABASE_URL          admin connection (default postgres://postgres@127.0.0.1:5432/test)
 *   REDIS_URL             default redis://127.0.0.1:6379 (a queue of the run's own; removed after)
 *   BENCH_DATABASE        scratch database, dropped and recreated each run (default riskpool_payouts_bench)
 *   BENCH_PAYOUTS         payouts per throughput cell (default 2000)
 *   BENCH_LATENCY_SECONDS how long approvals come in for each latency cell (default 10)
 *   BENCH_CONCURRENCY     jobs each worker runs at once (default PAYOUT_CONCURRENCY's, 64)
 *   BENCH_BANK_LATENCY_MS the simulated bank's latency per call (default 0)
 *   RELAY_POLL_MS         the relay's poll interval (default 200, as `npm run worker`)
 *
 * The pipeline is `npm run worker`'s: a relay woken by the outbox's notifications (polling
 * besides) and BullMQ Workers. "1 worker" is one Worker of BENCH_CONCURRENCY; "4 workers" are
 * four Worker instances in this process, each of BENCH_CONCURRENCY with its own Redis
 * connection — as four `npm run worker` processes would be, minus the process boundary.
 * One payout = 3 journal entries (cash hold; cash post + coverage post) in 2 transactions;
 * the jobs a worker runs at once are attempted as a batch (one transaction and one ledger
 * write holds their cash, one settles them), and batches that reach a step at the same
 * moment share its transaction. One ledger posting = one 2-posting transfer in its own
 * transaction (recordCommand).
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Worker } from 'bullmq';
import { openDatabase } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { listenForNotifications } from '../src/db/notifications.ts';
import { openAccount } from '../src/ledger/accounts.ts';
import { recordCommand } from '../src/ledger/record.ts';
import { verifyLedger } from '../src/ledger/verify.ts';
import { OUTBOX_CHANNEL } from '../src/payouts/outbox.ts';
import {
  createPayoutQueue,
  createPayoutWorker,
  DEFAULT_PAYOUT_CONCURRENCY,
  PayoutRelay,
  redisConnection,
} from '../src/payouts/queue.ts';
import { SimulatedBank } from '../src/payouts/simulated-bank.ts';
import type { Pool } from '../src/policy/pools.ts';
import { createStaff, fundedPool, type Staff } from '../test/claims/support.ts';
import {
  approveClaims,
  claimLine,
  incidentOn,
  notPaidExactlyOnce,
  payoutTrails,
} from '../test/payouts/support.ts';
import { admin, benchDatabaseName, databaseUrl, numberFromEnv } from './support.ts';

// ---------------------------------------------------------------- configuration

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const BENCH_DATABASE = benchDatabaseName('riskpool_payouts_bench');
const PAYOUTS_PER_CELL = numberFromEnv('BENCH_PAYOUTS', 2000, 10, 20_000);
const LATENCY_SECONDS = numberFromEnv('BENCH_LATENCY_SECONDS', 10, 1, 300);
const BANK_LATENCY_MS = numberFromEnv('BENCH_BANK_LATENCY_MS', 0, 0, 10_000);
const RELAY_POLL_MS = numberFromEnv('RELAY_POLL_MS', 200, 5, 10_000);
const CONCURRENCY = numberFromEnv('BENCH_CONCURRENCY', DEFAULT_PAYOUT_CONCURRENCY, 1, 1000);
const LEDGER_CLIENTS = 4;
/** The ledger's cell before each throughput cell (the one after lasts as long as it did). */
const LEDGER_SECONDS_BEFORE = 5;
const LINES_PER_CLAIM = 10;
const LINE_AMOUNT = '10.00';
/** Hard bounds, whatever the timing. */
const CELL_TIMEOUT_MS = 600_000;
const MAX_LEDGER_OPS = 1_000_000;
const MAX_LEDGER_ERRORS = 1_000;

// ---------------------------------------------------------------- small helpers

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const fmtRate = (n: number) => (Number.isFinite(n) ? n.toFixed(n < 100 ? 1 : 0) : '—');
const fmtRatio = (n: number) => (Number.isFinite(n) ? `${n.toFixed(2)}×` : '—');
const fmtMs = (n: number) => (Number.isFinite(n) ? n.toFixed(n < 10 ? 1 : 0) : '—');

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => `${'-'.repeat(w + 1)}${i === 0 ? '-' : ':'}`).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

// ---------------------------------------------------------------- the payout pipeline

type DB = Awaited<ReturnType<typeof openDatabase>>['db'];

interface Pipeline {
  readonly relay: PayoutRelay;
  stop(): Promise<void>;
}

/** A relay and `workers` BullMQ workers of CONCURRENCY on a queue of the run's own. */
function startPipeline(db: DB, queueName: string, workers: number): Pipeline {
  const queueConnection = redisConnection(REDIS_URL);
  const queue = createPayoutQueue(queueConnection, undefined, queueName);
  const bank = new SimulatedBank(db, { latencyMs: BANK_LATENCY_MS });
  const workerConnections = Array.from({ length: workers }, () => redisConnection(REDIS_URL));
  const running: Worker[] = workerConnections.map((connection) => {
    const worker = createPayoutWorker(db, bank, connection, {
      concurrency: CONCURRENCY,
      queueName,
    });
    worker.on('error', (error) => console.error('worker error:', String(error)));
    return worker as unknown as Worker;
  });
  const relay = new PayoutRelay(db, queue, {
    pollMs: RELAY_POLL_MS,
    staleMs: 60_000,
    onError: (error) => console.error('relay pass failed:', String(error)),
  });
  relay.start();
  const listener = listenForNotifications(
    databaseUrl(BENCH_DATABASE),
    OUTBOX_CHANNEL,
    () => relay.wake(),
    (error) => console.error('outbox listener:', String(error)),
  );
  return {
    relay,
    stop: async () => {
      await listener.close();
      await relay.stop();
      await Promise.all(running.map((w) => w.close()));
      await queue.obliterate({ force: true });
      await queue.close();
      for (const c of [queueConnection, ...workerConnections]) c.disconnect();
    },
  };
}

/** Approves claims until `payouts` payouts (one per line) wait in the outbox. */
async function approvePayouts(
  db: DB,
  staff: Staff,
  pool: Pool,
  payouts: number,
  tag: string,
): Promise<string[]> {
  const incident = await incidentOn(db, pool.code, staff);
  const claims = Array.from({ length: Math.ceil(payouts / LINES_PER_CLAIM) }, (_, c) =>
    Array.from({ length: Math.min(LINES_PER_CLAIM, payouts - c * LINES_PER_CLAIM) }, (_, l) =>
      claimLine('property_loss', LINE_AMOUNT, `${tag} payee ${c}-${l}`),
    ),
  );
  const approved = await approveClaims(db, staff, incident, claims, 10);
  return approved.flatMap((c) => c.payoutIds);
}

async function paidAmong(db: DB, ids: readonly string[]): Promise<number> {
  const row = await db
    .selectFrom('payout')
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .where('id', 'in', ids)
    .where('status', '=', 'paid')
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

interface ThroughputCell {
  readonly workers: number;
  readonly payouts: number;
  readonly seconds: number;
  readonly rate: number;
  readonly backlogP50: number;
  readonly backlogP99: number;
}

/** A backlog of payouts, approved beforehand, drained by the pipeline: payouts per second. */
async function throughputCell(
  db: DB,
  workers: number,
  ids: readonly string[],
): Promise<ThroughputCell> {
  const started = new Date();
  const pipeline = startPipeline(db, `payouts-bench-${randomUUID()}`, workers);
  const deadline = Date.now() + CELL_TIMEOUT_MS;
  try {
    while ((await paidAmong(db, ids)) < ids.length) {
      if (Date.now() > deadline) throw new Error(`cell with ${workers} worker(s) did not finish`);
      await sleep(50);
    }
  } finally {
    await pipeline.stop();
  }
  const settled = await db
    .selectFrom('payout')
    .select(['created_at', 'settled_at'])
    .where('id', 'in', ids)
    .execute();
  const last = Math.max(...settled.map((s) => s.settled_at?.getTime() ?? Number.NaN));
  const seconds = (last - started.getTime()) / 1000;
  const waits = settled
    .map((s) => (s.settled_at?.getTime() ?? Number.NaN) - started.getTime())
    .sort((a, b) => a - b);
  return {
    workers,
    payouts: ids.length,
    seconds,
    rate: ids.length / seconds,
    backlogP50: percentile(waits, 0.5),
    backlogP99: percentile(waits, 0.99),
  };
}

interface LatencyCell {
  readonly payouts: number;
  /** Payouts approved per second while the cell approved. */
  readonly approvedRate: number;
  /** From the approval's transaction starting (payout.created_at) to settled_at. */
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** From the approval's COMMIT (as its caller saw it return) to settled_at. */
  readonly committedP50: number;
  readonly committedP99: number;
}

/**
 * Approval-to-settlement latency: claims of `linesPerClaim` lines approved one after the
 * other, `pauseMs` apart, for LATENCY_SECONDS while 4 workers pay; created_at (the approval's
 * transaction) to settled_at of each payout. With single lines and a pause the queue stays
 * short (no backlog); with full claims back to back, approvals keep coming as fast as one
 * approving client makes them, and the latency shows whether payouts keep up.
 */
async function latencyCell(
  db: DB,
  staff: Staff,
  pool: Pool,
  linesPerClaim: number,
  pauseMs: number,
): Promise<LatencyCell> {
  const incident = await incidentOn(db, pool.code, staff);
  const pipeline = startPipeline(db, `payouts-bench-${randomUUID()}`, 4);
  const ids: string[] = [];
  const committedAt = new Map<string, number>();
  let approvedRate = Number.NaN;
  try {
    const started = Date.now();
    const until = started + LATENCY_SECONDS * 1000;
    for (let n = 0; Date.now() < until; n++) {
      const [approved] = await approveClaims(db, staff, incident, [
        Array.from({ length: linesPerClaim }, (_, l) =>
          claimLine('appraisal', LINE_AMOUNT, `latency payee ${n}-${l}`),
        ),
      ]);
      const now = Date.now();
      for (const id of approved?.payoutIds ?? []) {
        ids.push(id);
        committedAt.set(id, now);
      }
      if (pauseMs > 0) await sleep(pauseMs);
    }
    approvedRate = ids.length / ((Date.now() - started) / 1000);
    const deadline = Date.now() + CELL_TIMEOUT_MS;
    while ((await paidAmong(db, ids)) < ids.length) {
      if (Date.now() > deadline) throw new Error('latency cell did not finish');
      await sleep(50);
    }
  } finally {
    await pipeline.stop();
  }
  const rows = await db
    .selectFrom('payout')
    .select(['id', 'created_at', 'settled_at'])
    .where('id', 'in', ids)
    .execute();
  const latencies = rows
    .map((r) => (r.settled_at?.getTime() ?? Number.NaN) - r.created_at.getTime())
    .sort((a, b) => a - b);
  const sinceCommit = rows
    .map((r) => (r.settled_at?.getTime() ?? Number.NaN) - (committedAt.get(r.id) ?? Number.NaN))
    .sort((a, b) => a - b);
  return {
    payouts: ids.length,
    approvedRate,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    max: latencies[latencies.length - 1] ?? Number.NaN,
    committedP50: percentile(sinceCommit, 0.5),
    committedP99: percentile(sinceCommit, 0.99),
  };
}

// ---------------------------------------------------------------- the ledger alone

const LEDGER_ACCOUNTS = 200;
const ledgerCode = (i: number) => `bench:payouts:acct:${String(i).padStart(4, '0')}`;

async function openLedgerAccounts(db: DB): Promise<void> {
  await openAccount(db, {
    code: 'bench:payouts:source',
    name: 'Bench funding source',
    unit: 'CNY',
    normalSide: 'credit',
  });
  for (let i = 1; i <= LEDGER_ACCOUNTS; i++) {
    await openAccount(db, {
      code: ledgerCode(i),
      name: `Bench account ${i}`,
      unit: 'CNY',
      normalSide: 'debit',
      lowerBound: '0',
    });
    await recordCommand(db, {
      type: 'transfer',
      description: 'bench funding',
      postings: [
        { accountCode: ledgerCode(i), direction: 'debit', amount: '10000000.00' },
        { accountCode: 'bench:payouts:source', direction: 'credit', amount: '10000000.00' },
      ],
    });
  }
}

/** 2-posting transfers between random bounded accounts, `clients` at a time, for `seconds`. */
async function ledgerCell(db: DB, clients: number, seconds: number): Promise<number> {
  let done = 0;
  let started = 0;
  let errors = 0;
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  const client = async () => {
    while (performance.now() < deadline && started < MAX_LEDGER_OPS && errors < MAX_LEDGER_ERRORS) {
      started++;
      const a = 1 + Math.floor(Math.random() * LEDGER_ACCOUNTS);
      const b = 1 + ((a + Math.floor(Math.random() * (LEDGER_ACCOUNTS - 1))) % LEDGER_ACCOUNTS);
      const amount = (1 + Math.floor(Math.random() * 1000)) / 100;
      try {
        await recordCommand(db, {
          type: 'transfer',
          description: 'bench posting',
          postings: [
            { accountCode: ledgerCode(a), direction: 'debit', amount: amount.toFixed(2) },
            { accountCode: ledgerCode(b), direction: 'credit', amount: amount.toFixed(2) },
          ],
        });
        done++;
      } catch {
        errors++;
        await sleep(1);
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  if (errors > 0) console.error(`ledger cell: ${errors} postings refused or failed`);
  return done / ((performance.now() - t0) / 1000);
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const runStarted = performance.now();
  console.log(
    `payout benchmark — database ${BENCH_DATABASE}, ${PAYOUTS_PER_CELL} payouts per cell ` +
      `(${LINES_PER_CLAIM}-line claims), ${CONCURRENCY} jobs at once per worker, bank latency ${BANK_LATENCY_MS} ms, ` +
      `relay poll ${RELAY_POLL_MS} ms and woken by the outbox's notifications, ` +
      `${os.cpus().length} cores, node ${process.version}, load average ${os.loadavg()[0]?.toFixed(2)}`,
  );
  await admin(async (client) => {
    await client.query(`DROP DATABASE IF EXISTS "${BENCH_DATABASE}" WITH (FORCE)`);
    await client.query(`CREATE DATABASE "${BENCH_DATABASE}"`);
  });
  const handle = await openDatabase({
    kind: 'postgres',
    url: databaseUrl(BENCH_DATABASE),
    poolSize: 16,
  });
  const db = handle.db;
  try {
    let t = performance.now();
    await migrateToLatest(db);
    const staff = await createStaff(db, 'bench');
    const pool = await fundedPool(db, 'bench', staff, { fourEyesThreshold: '1000000.00' });
    await openLedgerAccounts(db);
    console.log(`setup: ${((performance.now() - t) / 1000).toFixed(1)} s`);

    t = performance.now();
    await throughputCell(
      db,
      4,
      await approvePayouts(db, staff, pool, Math.min(100, PAYOUTS_PER_CELL), 'warm-up'),
    );
    await ledgerCell(db, LEDGER_CLIENTS, 1);
    console.log(`warm-up: ${((performance.now() - t) / 1000).toFixed(1)} s (not counted)`);

    const rows: string[][] = [];
    const ratios: string[] = [];
    for (const workers of [1, 4]) {
      // Approved before the ledger's first cell, so that cell sits right next to the payouts'.
      const ids = await approvePayouts(db, staff, pool, PAYOUTS_PER_CELL, `w${workers}`);
      const ledgerBefore = await ledgerCell(db, LEDGER_CLIENTS, LEDGER_SECONDS_BEFORE);
      const cell = await throughputCell(db, workers, ids);
      const ledgerAfter = await ledgerCell(db, LEDGER_CLIENTS, cell.seconds);
      const ledgerRate = (ledgerBefore + ledgerAfter) / 2;
      const ratio = cell.rate / ledgerRate;
      console.log(
        `  ${workers} worker(s): ${cell.payouts} payouts in ${cell.seconds.toFixed(1)} s = ${fmtRate(cell.rate)}/s; ` +
          `ledger alone, ${LEDGER_CLIENTS} clients: ${fmtRate(ledgerBefore)} postings/s over ` +
          `${LEDGER_SECONDS_BEFORE} s before, ${fmtRate(ledgerAfter)} over ${cell.seconds.toFixed(1)} s after`,
      );
      rows.push([
        `${workers} worker${workers > 1 ? 's' : ''}`,
        String(cell.payouts),
        cell.seconds.toFixed(1),
        fmtRate(cell.rate),
        fmtMs(cell.backlogP50),
        fmtMs(cell.backlogP99),
        fmtRate(ledgerRate),
        fmtRatio(ratio),
        fmtRatio((cell.rate * 3) / ledgerRate),
      ]);
      ratios.push(
        `  ${workers} worker(s): payout rate ÷ ledger posting rate = ${fmtRatio(ratio)} (goal ≥ 0.80×)`,
      );
    }

    const latency = await latencyCell(db, staff, pool, 1, 50);
    const loaded = await latencyCell(db, staff, pool, LINES_PER_CLAIM, 0);

    console.log('\nPayouts settled per second, backlog approved beforehand (outbox → paid)');
    console.log(
      table(
        [
          'workers',
          'payouts',
          'seconds',
          'payouts/s',
          'drained p50 ms',
          'drained p99 ms',
          'ledger postings/s',
          'payouts÷postings',
          'entries÷postings',
        ],
        rows,
      ),
    );
    console.log(
      '  drained = from the relay starting to each payout settling (a backlog: queueing dominates).\n' +
        '  entries÷postings = the payout pipeline’s journal entries per second (3 per payout) ÷ the\n' +
        '  ledger’s own 2-posting transfers per second: how much of the ledger’s capacity payouts use.',
    );
    console.log(
      `\nApproval-to-settlement latency, no backlog (${latency.payouts} single-line approvals over ` +
        `${LATENCY_SECONDS} s, 4 workers): p50 ${fmtMs(latency.p50)} ms, ` +
        `p99 ${fmtMs(latency.p99)} ms, max ${fmtMs(latency.max)} ms (payout.created_at → settled_at); ` +
        `from the approval's commit: p50 ${fmtMs(latency.committedP50)} ms, p99 ${fmtMs(latency.committedP99)} ms`,
    );
    console.log(
      `Approval-to-settlement latency, approvals back to back (${loaded.payouts} payouts in ` +
        `${LINES_PER_CLAIM}-line claims over ${LATENCY_SECONDS} s = ${fmtRate(loaded.approvedRate)} ` +
        `approved/s, 4 workers): p50 ${fmtMs(loaded.p50)} ms, p99 ${fmtMs(loaded.p99)} ms, ` +
        `max ${fmtMs(loaded.max)} ms; from the approval's commit: p50 ${fmtMs(loaded.committedP50)} ms, ` +
        `p99 ${fmtMs(loaded.committedP99)} ms`,
    );
    console.log('\nGoal ratios:');
    for (const line of ratios) console.log(line);

    t = performance.now();
    const trails = await payoutTrails(db, pool);
    const wrong = notPaidExactlyOnce(trails);
    const report = await verifyLedger(db);
    console.log(
      `\nCheck: ${trails.length} payouts, ${trails.length - wrong.length} paid exactly once ` +
        `(one bank transfer, one cash post of the amount), ${wrong.length} not; ` +
        `verifyLedger ok=${report.ok} over ${report.entriesChecked} entries ` +
        `(${((performance.now() - t) / 1000).toFixed(1)} s)`,
    );
    console.log(
      `Whole run: ${((performance.now() - runStarted) / 1000).toFixed(0)} s, load average now ` +
        `${os.loadavg()[0]?.toFixed(2)}. Scratch database ${BENCH_DATABASE} is left for inspection; ` +
        'the next run drops it.',
    );
  } finally {
    await handle.close().catch(() => undefined);
  }
}

try {
  await main();
} catch (error) {
  console.error('benchmark could not run:', error);
  process.exitCode = 1;
}
// Sockets the pools may still hold must not keep the process alive.
setTimeout(() => process.exit(), 100).unref();
