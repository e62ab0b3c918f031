/**
 * `npm run bench:ledger`: postings per second through the ledger against a plain-SQL
 * double-entry baseline measured in the same run, then verification speed and balance-read
 * latency. Prints figures and ratios; never asserts them (the machines are shared and noisy).
 *
 * Environment:
 *   DATABASE_URL     admin connection (default postgres://postgres@127.0.0.1:5432/test)
 *   BENCH_DATABASE   scratch database, dropped and recreated each run (default riskpool_bench)
 *   BENCH_SECONDS    measured seconds per cell (default 5)
 *   BENCH_CLIENTS    comma-separated client counts (default 1,8,32)
 *   BENCH_ACCOUNTS   funded bounded accounts (default 1000)
 *
 * One posting here = one journal entry of two postings (debit one account, credit another).
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import pg from 'pg';
import { createUser } from '../src/access/tokens.ts';
import { createPgPool, type DB, openDatabase } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { inTransaction } from '../src/db/transaction.ts';
import { openAccount } from '../src/ledger/accounts.ts';
import { accountBalance } from '../src/ledger/balances.ts';
import { LedgerGroupCommit } from '../src/ledger/group-commit.ts';
import { recordCommand, recordCommandInTransaction } from '../src/ledger/record.ts';
import type { LedgerCommand } from '../src/ledger/types.ts';
import { verifyLedger } from '../src/ledger/verify.ts';
import { admin, benchDatabaseName, databaseUrl, numberFromEnv } from './support.ts';

// ---------------------------------------------------------------- configuration

const BENCH_DATABASE = benchDatabaseName('riskpool_bench');
const SECONDS = numberFromEnv('BENCH_SECONDS', 5, 0.2, 600);
const CLIENTS = (process.env.BENCH_CLIENTS ?? '1,8,32')
  .split(',')
  .map((s) => Number(s.trim()))
  .filter((n) => Number.isInteger(n) && n >= 1 && n <= 64);
const ACCOUNTS = numberFromEnv('BENCH_ACCOUNTS', 1000, 2, 100_000);
const MAX_CLIENTS = Math.max(1, ...CLIENTS);

/** Hard bounds, whatever the timing: operations per cell, errors per cell, samples. */
const MAX_OPS_PER_CELL = 1_000_000;
const MAX_ERRORS_PER_CELL = 1_000;
const WARMUP_SECONDS = Math.min(1, SECONDS / 5);
const READ_SAMPLES = 2_000;
const READ_SECONDS = 3;
const WAIT_SAMPLE_MS = 50;

const ACCOUNT_FUNDING = '10000000.00';
const HOT_FUNDING = '100000000000.00';

if (CLIENTS.length === 0) throw new Error('BENCH_CLIENTS names no client count from 1 to 64');

// ---------------------------------------------------------------- small helpers

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const randomInt = (n: number) => Math.floor(Math.random() * n);
/** 0.01 … 10.00, as a two-decimal string, plus the same in fen. */
function randomAmount(): { text: string; fen: number } {
  const fen = 1 + randomInt(1000);
  return { text: (fen / 100).toFixed(2), fen };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

function sortedCopy(values: readonly number[]): Float64Array {
  return Float64Array.from(values).sort();
}

const fmtRate = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—');
const fmtRatio = (n: number) => (Number.isFinite(n) ? `${n.toFixed(2)}×` : '—');
const fmtMs = (n: number) => (Number.isFinite(n) ? n.toFixed(n < 10 ? 2 : 1) : '—');

/** A Markdown table; `align` has one letter per column, l or r (default: two l, then r). */
function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  align = 'll'.padEnd(header.length, 'r'),
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const left = (i: number) => align[i] !== 'r';
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => (left(i) ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => `${'-'.repeat(w + 1)}${left(i) ? '-' : ':'}`).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

function machineTimes(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const cpu of os.cpus()) {
    const t = cpu.times;
    const all = t.user + t.nice + t.sys + t.idle + t.irq;
    total += all;
    busy += all - t.idle;
  }
  return { busy, total };
}

// ---------------------------------------------------------------- wait-event sampling

/**
 * Polls pg_stat_activity for the bench database's busy backends: what they wait on tells
 * where time goes (a row lock queue, WAL flush, the client's next statement, or CPU).
 */
class WaitSampler {
  private readonly tally = new Map<string, number>();
  private samples = 0;
  private backendSamples = 0;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly client: pg.Client) {}

  start(deadlineMs: number): void {
    this.stopped = false;
    this.running = this.loop(deadlineMs);
  }

  private async loop(deadlineMs: number): Promise<void> {
    const maxSamples = Math.ceil((deadlineMs - performance.now()) / WAIT_SAMPLE_MS) + 10;
    while (!this.stopped && performance.now() < deadlineMs && this.samples < maxSamples) {
      const { rows } = await this.client.query<{ w: string; n: number }>(
        `SELECT CASE
                  WHEN state = 'idle in transaction' THEN 'Client:idle-in-transaction'
                  WHEN wait_event IS NULL THEN 'CPU'
                  ELSE wait_event_type || ':' || wait_event END AS w,
                count(*)::int AS n
           FROM pg_stat_activity
          WHERE datname = $1 AND backend_type = 'client backend'
            AND state <> 'idle' AND pid <> pg_backend_pid()
          GROUP BY 1`,
        [BENCH_DATABASE],
      );
      this.samples++;
      for (const row of rows) {
        this.tally.set(row.w, (this.tally.get(row.w) ?? 0) + row.n);
        this.backendSamples += row.n;
      }
      await sleep(WAIT_SAMPLE_MS);
    }
  }

  async stop(): Promise<string> {
    this.stopped = true;
    await this.running;
    const top = [...this.tally]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([w, n]) => `${w} ${Math.round((100 * n) / Math.max(1, this.backendSamples))}%`);
    const busy = this.samples > 0 ? this.backendSamples / this.samples : 0;
    const text = `${busy.toFixed(1)} busy: ${top.join(', ') || '—'}`;
    this.tally.clear();
    this.samples = 0;
    this.backendSamples = 0;
    return text;
  }
}

// ---------------------------------------------------------------- setup

type Scenario = 'random' | 'hot';
type Mode = 'baseline' | 'ours' | 'group' | 'routes';
const MODES = ['baseline', 'ours', 'group', 'routes'] as const;

const accountCode = (i: number) => `bench:acct:${String(i).padStart(5, '0')}`;
const HOT_CODE = 'bench:hot';
const SOURCE_CODE = 'bench:source';
/** Baseline account ids: 1..ACCOUNTS for the random ones, HOT_ID for the hot one. */
const HOT_ID = ACCOUNTS + 1;

async function recreateDatabase(): Promise<void> {
  await admin(async (client) => {
    await client.query(`DROP DATABASE IF EXISTS "${BENCH_DATABASE}" WITH (FORCE)`);
    await client.query(`CREATE DATABASE "${BENCH_DATABASE}"`);
  });
}

async function openChart(db: DB): Promise<void> {
  await openAccount(db, {
    code: SOURCE_CODE,
    name: 'Bench funding source',
    unit: 'CNY',
    normalSide: 'credit',
  });
  await openAccount(db, {
    code: HOT_CODE,
    name: 'Bench hot account',
    unit: 'CNY',
    normalSide: 'debit',
    lowerBound: '0',
  });
  const codes = Array.from({ length: ACCOUNTS }, (_, i) => accountCode(i + 1));
  for (let i = 0; i < codes.length; i += 16) {
    await Promise.all(
      codes.slice(i, i + 16).map((code) =>
        openAccount(db, {
          code,
          name: `Bench account ${code}`,
          unit: 'CNY',
          normalSide: 'debit',
          lowerBound: '0',
        }),
      ),
    );
  }
  // Funding: every bounded account gets a generous posted balance from the unbounded source.
  const funder = new LedgerGroupCommit(db);
  const fund = (code: string, amount: string) =>
    funder.record({
      type: 'transfer',
      description: `bench funding ${code}`,
      postings: [
        { accountCode: code, direction: 'debit', amount },
        { accountCode: SOURCE_CODE, direction: 'credit', amount },
      ],
    });
  await fund(HOT_CODE, HOT_FUNDING);
  await Promise.all(codes.map((code) => fund(code, ACCOUNT_FUNDING)));
}

/** The classic double-entry shape, without our hash chain, in tables of its own. */
async function createBaselineTables(pool: pg.Pool): Promise<void> {
  await pool.query(`
    CREATE TABLE bench_account (
      id bigint PRIMARY KEY,
      balance numeric(20,2) NOT NULL CHECK (balance >= 0)
    );
    CREATE TABLE bench_entry (
      id bigserial PRIMARY KEY,
      description text NOT NULL,
      recorded_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE bench_posting (
      entry_id bigint NOT NULL REFERENCES bench_entry (id),
      seq smallint NOT NULL,
      account_id bigint NOT NULL REFERENCES bench_account (id),
      direction text NOT NULL CHECK (direction IN ('debit', 'credit')),
      amount numeric(20,2) NOT NULL CHECK (amount > 0),
      PRIMARY KEY (entry_id, seq)
    );
    CREATE INDEX bench_posting_account ON bench_posting (account_id, entry_id);
  `);
  await pool.query(
    `INSERT INTO bench_account (id, balance)
     SELECT g, $1::numeric FROM generate_series(1, $2::int) g
     UNION ALL SELECT $3::bigint, $4::numeric`,
    [ACCOUNT_FUNDING, ACCOUNTS, HOT_ID, HOT_FUNDING],
  );
  await pool.query('VACUUM ANALYZE bench_account');
}

// ---------------------------------------------------------------- the three ways to post

interface Pair {
  /** Account indexes 1..ACCOUNTS, or HOT_ID for the hot account. */
  readonly debit: number;
  readonly credit: number;
  readonly amount: { text: string; fen: number };
}

function pickPair(scenario: Scenario): Pair {
  const amount = randomAmount();
  const a = 1 + randomInt(ACCOUNTS);
  if (scenario === 'hot') {
    return Math.random() < 0.5
      ? { debit: a, credit: HOT_ID, amount }
      : { debit: HOT_ID, credit: a, amount };
  }
  let b = 1 + randomInt(ACCOUNTS - 1);
  if (b >= a) b++;
  return { debit: a, credit: b, amount };
}

const codeOf = (index: number) => (index === HOT_ID ? HOT_CODE : accountCode(index));

function commandFor(pair: Pair): LedgerCommand {
  return {
    type: 'transfer',
    description: 'bench posting',
    postings: [
      { accountCode: codeOf(pair.debit), direction: 'debit', amount: pair.amount.text },
      { accountCode: codeOf(pair.credit), direction: 'credit', amount: pair.amount.text },
    ],
  };
}

class BoundError extends Error {
  readonly code = 'limit_exceeded';
}

/** Plain pg, unnamed parameterised statements (what node-postgres and Kysely send by default). */
/** One posting the way a mutating route records it: see the "routes" legend printed below. */
async function routeShapedPosting(db: DB, userId: string, command: LedgerCommand): Promise<void> {
  const key = `bench-${randomUUID()}`;
  await inTransaction(
    db,
    async (trx) => {
      await trx
        .insertInto('idempotency_record')
        .values({
          user_id: userId,
          idempotency_key: key,
          request_hash: key,
          method: 'POST',
          path: '/bench',
          response_status: null,
          response_body: null,
        })
        .execute();
      const entry = await recordCommandInTransaction(trx, command);
      await trx
        .insertInto('audit_record')
        .values({
          actor_user_id: userId,
          actor_name: 'bench',
          actor_role: 'finance',
          action: 'bench.post',
          entity: 'journal_entry',
          entity_id: String(entry.id),
          request_id: key,
          request_hash: key,
        })
        .execute();
      await trx
        .updateTable('idempotency_record')
        .set({ response_status: 201, response_body: JSON.stringify({ entryId: entry.id }) })
        .where('user_id', '=', userId)
        .where('idempotency_key', '=', key)
        .execute();
    },
    { grouped: true },
  );
}

async function baselinePosting(pool: pg.Pool, pair: Pair): Promise<void> {
  const client = await pool.connect();
  let failed = false;
  try {
    await client.query('BEGIN');
    const ids = [pair.debit, pair.credit].sort((x, y) => x - y);
    const { rows } = await client.query<{ id: string; balance: string }>(
      'SELECT id, balance FROM bench_account WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE',
      [ids],
    );
    // Debit-normal accounts: a credit lowers the balance, which must stay >= 0.
    const credited = rows.find((r) => Number(r.id) === pair.credit);
    if (!credited || Number(credited.balance.replace('.', '')) - pair.amount.fen < 0) {
      throw new BoundError(`account ${pair.credit} would fall below 0`);
    }
    const entry = await client.query<{ id: string }>(
      'INSERT INTO bench_entry (description) VALUES ($1) RETURNING id',
      ['bench posting'],
    );
    const entryId = entry.rows[0]?.id;
    await client.query(
      `INSERT INTO bench_posting (entry_id, seq, account_id, direction, amount)
       VALUES ($1, 1, $2, 'debit', $4), ($1, 2, $3, 'credit', $4)`,
      [entryId, pair.debit, pair.credit, pair.amount.text],
    );
    await client.query('UPDATE bench_account SET balance = balance + $2 WHERE id = $1', [
      pair.debit,
      pair.amount.text,
    ]);
    await client.query('UPDATE bench_account SET balance = balance - $2 WHERE id = $1', [
      pair.credit,
      pair.amount.text,
    ]);
    await client.query('COMMIT');
  } catch (error) {
    failed = true;
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release(failed);
  }
}

// ---------------------------------------------------------------- running a cell

interface CellResult {
  readonly ok: number;
  readonly seconds: number;
  readonly rate: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: Map<string, number>;
  readonly nodeCpu: number;
  readonly machineCpu: number;
}

function errorKey(error: unknown): string {
  if (error && typeof error === 'object') {
    const e = error as { code?: unknown; name?: unknown };
    if (typeof e.code === 'string') return e.code;
    if (typeof e.name === 'string') return e.name;
  }
  return String(error).slice(0, 60);
}

async function runCell(
  clients: number,
  seconds: number,
  op: () => Promise<void>,
): Promise<CellResult> {
  const latencies: number[] = [];
  const errors = new Map<string, number>();
  let started = 0;
  let errorCount = 0;
  const cpu0 = process.cpuUsage();
  const m0 = machineTimes();
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  const worker = async () => {
    while (
      performance.now() < deadline &&
      started < MAX_OPS_PER_CELL &&
      errorCount < MAX_ERRORS_PER_CELL
    ) {
      started++;
      const begin = performance.now();
      try {
        await op();
        latencies.push(performance.now() - begin);
      } catch (error) {
        errorCount++;
        const key = errorKey(error);
        errors.set(key, (errors.get(key) ?? 0) + 1);
        await sleep(1);
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, worker));
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const m1 = machineTimes();
  const sorted = sortedCopy(latencies);
  return {
    ok: latencies.length,
    seconds: elapsed,
    rate: latencies.length / elapsed,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    errors,
    nodeCpu: (cpu.user + cpu.system) / 1000 / (elapsed * 1000),
    machineCpu: (m1.busy - m0.busy) / Math.max(1, m1.total - m0.total),
  };
}

interface Counters {
  readonly walLsn: string;
  readonly mxidAge: number;
  readonly lastEntryId: number;
  readonly lastBaselineId: number;
}

async function counters(monitor: pg.Client, db: DB): Promise<Counters> {
  const { rows } = await monitor.query<{ lsn: string; mx: number; base: string | null }>(
    `SELECT pg_current_wal_lsn()::text AS lsn,
            (SELECT mxid_age(datminmxid) FROM pg_database WHERE datname = current_database()) AS mx,
            (SELECT max(id) FROM bench_entry)::text AS base`,
  );
  const head = await db
    .selectFrom('ledger_chain')
    .select('last_entry_id')
    .executeTakeFirstOrThrow();
  const row = rows[0];
  return {
    walLsn: row?.lsn ?? '0/0',
    mxidAge: Number(row?.mx ?? 0),
    lastEntryId: head.last_entry_id,
    lastBaselineId: Number(row?.base ?? 0),
  };
}

interface Measured extends CellResult {
  readonly walBytesPerPosting: number;
  readonly multixacts: number;
  /** Commits per posting the database saw: distinct xmin over the cell's entries. */
  readonly entriesPerTransaction: number;
  readonly waits: string;
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const runStarted = performance.now();
  console.log(
    `ledger benchmark — database ${BENCH_DATABASE}, ${ACCOUNTS} bounded CNY accounts + 1 hot, ` +
      `clients ${CLIENTS.join('/')}, ${SECONDS}s per cell, ${os.cpus().length} cores, node ${process.version}, ` +
      `load average ${os.loadavg()[0]?.toFixed(2)}`,
  );

  await recreateDatabase();
  const url = databaseUrl(BENCH_DATABASE);
  const handle = await openDatabase({ kind: 'postgres', url, poolSize: MAX_CLIENTS });
  const db = handle.db;
  const baselinePool = createPgPool(url, MAX_CLIENTS);
  const monitor = new pg.Client({ connectionString: url });
  await monitor.connect();
  const serverVersion = (
    await monitor.query<{ v: string }>(`SELECT current_setting('server_version') AS v`)
  ).rows[0]?.v;
  const syncCommit = (
    await monitor.query<{ s: string }>(`SELECT current_setting('synchronous_commit') AS s`)
  ).rows[0]?.s;
  console.log(`PostgreSQL ${serverVersion}, synchronous_commit=${syncCommit}`);
  const sampler = new WaitSampler(monitor);
  const group = new LedgerGroupCommit(db);
  let benchUserId = '';

  try {
    // ---- setup
    let t = performance.now();
    await migrateToLatest(db);
    await openChart(db);
    benchUserId = (await createUser(db, 'bench finance', 'finance', null)).id;
    await createBaselineTables(baselinePool);
    await monitor.query('VACUUM ANALYZE');
    const setupEntries = (await counters(monitor, db)).lastEntryId;
    console.log(
      `setup: migrated, opened ${ACCOUNTS + 2} accounts, funded with ${setupEntries} entries ` +
        `in ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );

    // ---- balance reads right after setup
    const earlyReads = await measureReads(db);

    // ---- warm-up (not counted): JIT, connection pools, caches
    t = performance.now();
    for (const op of [
      () => baselinePosting(baselinePool, pickPair('random')),
      () => recordCommand(db, commandFor(pickPair('random'))).then(() => undefined),
      () => group.record(commandFor(pickPair('random'))).then(() => undefined),
      () => routeShapedPosting(db, benchUserId, commandFor(pickPair('random'))),
    ]) {
      await runCell(Math.min(8, MAX_CLIENTS), WARMUP_SECONDS, op);
    }
    console.log(`warm-up: ${((performance.now() - t) / 1000).toFixed(1)} s (not counted)`);

    // ---- the grid
    const results = new Map<string, Measured>();
    const key = (s: Scenario, c: number, m: Mode) => `${s}/${c}/${m}`;
    const ops: Record<Mode, (s: Scenario) => () => Promise<void>> = {
      baseline: (s) => () => baselinePosting(baselinePool, pickPair(s)),
      ours: (s) => async () => {
        await recordCommand(db, commandFor(pickPair(s)));
      },
      group: (s) => async () => {
        await group.record(commandFor(pickPair(s)));
      },
      routes: (s) => () => routeShapedPosting(db, benchUserId, commandFor(pickPair(s))),
    };
    for (const scenario of ['random', 'hot'] as const) {
      for (const clients of CLIENTS) {
        for (const mode of MODES) {
          const before = await counters(monitor, db);
          sampler.start(performance.now() + SECONDS * 1000);
          const cell = await runCell(clients, SECONDS, ops[mode](scenario));
          const waits = await sampler.stop();
          const after = await counters(monitor, db);
          const wal = await monitor.query<{ d: string }>(
            'SELECT pg_wal_lsn_diff($1::pg_lsn, $2::pg_lsn)::text AS d',
            [after.walLsn, before.walLsn],
          );
          const entriesPerTransaction = await transactionsShape(
            monitor,
            mode,
            mode === 'baseline' ? before.lastBaselineId : before.lastEntryId,
            mode === 'baseline' ? after.lastBaselineId : after.lastEntryId,
          );
          const measured: Measured = {
            ...cell,
            walBytesPerPosting: Number(wal.rows[0]?.d ?? 0) / Math.max(1, cell.ok),
            multixacts: after.mxidAge - before.mxidAge,
            entriesPerTransaction,
            waits,
          };
          results.set(key(scenario, clients, mode), measured);
          const errs = [...cell.errors].map(([k, n]) => `${k}×${n}`).join(' ');
          console.log(
            `  ${scenario.padEnd(6)} ${String(clients).padStart(2)} clients ${mode.padEnd(8)} ` +
              `${fmtRate(cell.rate).padStart(6)}/s  p50 ${fmtMs(cell.p50)} ms  p99 ${fmtMs(cell.p99)} ms` +
              (errs ? `  errors: ${errs}` : ''),
          );
        }
      }
    }

    // ---- the tables
    const rate = (s: Scenario, c: number, m: Mode) => results.get(key(s, c, m))?.rate ?? Number.NaN;
    const rows: string[][] = [];
    const latencyRows: string[][] = [];
    const diagRows: string[][] = [];
    for (const scenario of ['random', 'hot'] as const) {
      for (const clients of CLIENTS) {
        const base = rate(scenario, clients, 'baseline');
        const ours = rate(scenario, clients, 'ours');
        const grp = rate(scenario, clients, 'group');
        const routed = rate(scenario, clients, 'routes');
        rows.push([
          scenario,
          String(clients),
          fmtRate(base),
          fmtRate(ours),
          fmtRatio(ours / base),
          fmtRate(grp),
          fmtRatio(grp / base),
          fmtRate(routed),
          fmtRatio(routed / base),
        ]);
        const r = (m: Mode) => results.get(key(scenario, clients, m));
        latencyRows.push([
          scenario,
          String(clients),
          ...MODES.flatMap((m) => [fmtMs(r(m)?.p50 ?? Number.NaN), fmtMs(r(m)?.p99 ?? Number.NaN)]),
          String(
            MODES.reduce(
              (sum, m) => sum + [...(r(m)?.errors.values() ?? [])].reduce((a, b) => a + b, 0),
              0,
            ),
          ),
        ]);
        for (const m of MODES) {
          const x = r(m);
          if (!x) continue;
          diagRows.push([
            scenario,
            String(clients),
            m,
            x.entriesPerTransaction.toFixed(1),
            Math.round(x.walBytesPerPosting).toLocaleString('en-US'),
            String(x.multixacts),
            `${Math.round(x.nodeCpu * 100)}%`,
            `${Math.round(x.machineCpu * 100)}%`,
            x.waits,
          ]);
        }
      }
    }
    console.log('\nPostings per second (one posting = one 2-posting journal entry)');
    console.log(
      table(
        [
          'scenario',
          'clients',
          'baseline/s',
          'ours/s',
          'ours÷baseline',
          'group-commit/s',
          'group÷baseline',
          'routes/s',
          'routes÷baseline',
        ],
        rows,
      ),
    );
    console.log('\nLatency per posting, ms (p50 / p99), and errors in the cell');
    console.log(
      table(
        [
          'scenario',
          'clients',
          'base p50',
          'base p99',
          'ours p50',
          'ours p99',
          'group p50',
          'group p99',
          'routes p50',
          'routes p99',
          'errors',
        ],
        latencyRows,
      ),
    );
    console.log('\nWhere the time goes');
    console.log(
      table(
        [
          'scenario',
          'clients',
          'mode',
          'entries/commit',
          'WAL B/posting',
          'multixacts',
          'node CPU',
          'machine CPU',
          'server backends (avg busy): top waits',
        ],
        diagRows,
        'lllrrrrrl',
      ),
    );
    console.log(
      '  entries/commit = entries ÷ distinct xmin of the rows the cell wrote. WAL bytes and multixacts\n' +
        '  are cluster-wide counters: other databases busy during a cell (tests, checkpoints) inflate them.\n' +
        '  Waits: pg_stat_activity sampled every 50 ms; Lock:tuple / Lock:transactionid = queued on a row lock.',
    );
    const hi = CLIENTS[CLIENTS.length - 1] ?? MAX_CLIENTS;
    console.log(`\nGoal ratios (${hi} clients where a client count is named):`);
    for (const c of CLIENTS) {
      console.log(
        `  random, ${String(c).padStart(2)} clients: ours÷baseline ${fmtRatio(rate('random', c, 'ours') / rate('random', c, 'baseline'))}` +
          `, group÷baseline ${fmtRatio(rate('random', c, 'group') / rate('random', c, 'baseline'))}` +
          `, routes÷baseline ${fmtRatio(rate('random', c, 'routes') / rate('random', c, 'baseline'))} (goal ≥ 1.0×)`,
      );
    }
    for (const m of MODES) {
      console.log(
        `  hot÷random at ${hi} clients, ${m.padEnd(8)}: ${fmtRatio(rate('hot', hi, m) / rate('random', hi, m))}` +
          (m === 'baseline' ? ' (plain SQL reference)' : ' (goal ≈ 1.0×)'),
      );
    }
    console.log(
      '  routes = the path every mutating route takes (src/http/mutation.ts): a grouped unit of work\n' +
        '    (claim the idempotency record, record the entry with recordCommandInTransaction, write the\n' +
        '    audit record, store the response) sharing one transaction and COMMIT with the other clients\n' +
        '    waiting at that moment, each in its own savepoint. Its entries/commit reads 1.0: each\n' +
        '    savepoint writes under a subtransaction id of its own.',
    );
    console.log(
      '  baseline = plain pg, its own tables bench_account / bench_entry (bigserial id) / bench_posting,\n' +
        '    BEGIN; SELECT … FOR UPDATE both accounts in id order; bound checked in JS; INSERT entry;\n' +
        '    INSERT 2 postings; UPDATE × 2 balances; COMMIT — the classic shape, with no hash chain and\n' +
        '    no chain head (so random-account baseline transactions do not queue on a shared row).',
    );

    // ---- verification
    t = performance.now();
    const report = await verifyLedger(db);
    const verifySeconds = (performance.now() - t) / 1000;
    const verifyRate = report.postingsChecked / verifySeconds;
    console.log(
      `\nVerification: verifyLedger checked ${report.entriesChecked.toLocaleString('en-US')} entries / ` +
        `${report.postingsChecked.toLocaleString('en-US')} postings in ${verifySeconds.toFixed(2)} s = ` +
        `${fmtRate(verifyRate)} postings/s = ${fmtRatio(verifyRate / 500_000)} of the 500,000/s goal; ` +
        `ok=${report.ok}${report.ok ? '' : ` (${report.problems.length} problems, first: ${report.problems[0]})`}`,
    );

    // ---- balance reads at the current size
    const lateReads = await measureReads(db);
    console.log(
      `\nRemaining-balance reads (accountBalance, 1 client, ${READ_SAMPLES} reads max / ${READ_SECONDS} s max):`,
    );
    console.log(
      `  after setup (${earlyReads.entries.toLocaleString('en-US')} entries): p50 ${fmtMs(earlyReads.p50)} ms, ` +
        `p99 ${fmtMs(earlyReads.p99)} ms over ${earlyReads.count} reads`,
    );
    console.log(
      `  after runs  (${lateReads.entries.toLocaleString('en-US')} entries): p50 ${fmtMs(lateReads.p50)} ms, ` +
        `p99 ${fmtMs(lateReads.p99)} ms over ${lateReads.count} reads`,
    );
    console.log(
      `  p99 now ÷ p99 after setup = ${fmtRatio(lateReads.p99 / earlyReads.p99)} (goal ≤ 1.20×)`,
    );

    // ---- what the run created
    const counts = await monitor.query<{
      entries: number;
      postings: number;
      base_entries: number;
      base_postings: number;
      base_total: string;
    }>(
      `SELECT (SELECT count(*) FROM journal_entry)::int AS entries,
              (SELECT count(*) FROM posting)::int AS postings,
              (SELECT count(*) FROM bench_entry)::int AS base_entries,
              (SELECT count(*) FROM bench_posting)::int AS base_postings,
              (SELECT sum(balance) FROM bench_account)::text AS base_total`,
    );
    const c = counts.rows[0];
    const expectedTotal = (
      BigInt(ACCOUNT_FUNDING.replace('.', '')) * BigInt(ACCOUNTS) +
      BigInt(HOT_FUNDING.replace('.', ''))
    ).toString();
    console.log(
      `\nCreated: ledger ${c?.entries.toLocaleString('en-US')} journal entries / ${c?.postings.toLocaleString('en-US')} postings ` +
        `(${setupEntries} of the entries are setup funding); baseline ${c?.base_entries.toLocaleString('en-US')} entries / ` +
        `${c?.base_postings.toLocaleString('en-US')} postings; baseline balances still sum to the funding: ` +
        `${c?.base_total?.replace('.', '') === expectedTotal}`,
    );
    console.log(
      `Whole run: ${((performance.now() - runStarted) / 1000).toFixed(0)} s, load average now ${os.loadavg()[0]?.toFixed(2)}. ` +
        `Scratch database ${BENCH_DATABASE} is left for inspection; the next run drops it.`,
    );
  } finally {
    await sampler.stop().catch(() => undefined);
    await monitor.end().catch(() => undefined);
    await baselinePool.end().catch(() => undefined);
    await handle.close().catch(() => undefined);
  }
}

/** Entries per committing transaction over (from, to]: distinct xmin of the rows written. */
async function transactionsShape(
  monitor: pg.Client,
  mode: Mode,
  from: number,
  to: number,
): Promise<number> {
  if (to <= from) return Number.NaN;
  const table = mode === 'baseline' ? 'bench_entry' : 'journal_entry';
  const { rows } = await monitor.query<{ n: number }>(
    `SELECT count(DISTINCT xmin::text)::int AS n FROM ${table} WHERE id > $1 AND id <= $2`,
    [from, to],
  );
  return (to - from) / Math.max(1, rows[0]?.n ?? 1);
}

async function measureReads(
  db: DB,
): Promise<{ p50: number; p99: number; count: number; entries: number }> {
  const head = await db
    .selectFrom('ledger_chain')
    .select('last_entry_id')
    .executeTakeFirstOrThrow();
  const latencies: number[] = [];
  const deadline = performance.now() + READ_SECONDS * 1000;
  for (let i = 0; i < READ_SAMPLES && performance.now() < deadline; i++) {
    const code = i % 10 === 0 ? HOT_CODE : accountCode(1 + randomInt(ACCOUNTS));
    const begin = performance.now();
    await accountBalance(db, code);
    latencies.push(performance.now() - begin);
  }
  const sorted = sortedCopy(latencies);
  return {
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    count: latencies.length,
    entries: head.last_entry_id,
  };
}

try {
  await main();
} catch (error) {
  console.error('benchmark could not run:', error);
  process.exitCode = 1;
}
// Sockets the pools may still hold must not keep the process alive.
setTimeout(() => process.exit(), 100).unref();
