/**
 * `npm run bench:http`: the service over HTTP — contributions and claim decisions at 8 and
 * 32 connections, and a coverage GET — beside the ledger's own posting rate measured in the
 * same run against the same database. Prints requests/s, p50, p99 and ratios; never asserts
 * them (the machines are shared and noisy).
 *
 * The API runs as `npm run serve` in a child process of its own process group (so the load
 * generator here does not share its thread), killed with its group at the end.
 *
 * Environment:
 *   DATABASE_URL        admin connection (default postgres://postgres@127.0.0.1:5432/test)
 *   BENCH_DATABASE      scratch database, dropped and recreated each run (default riskpool_http_bench)
 *   BENCH_SECONDS       measured seconds per cell (default 5)
 *   BENCH_CLIENTS       comma-separated connection counts (default 8,32)
 *   BENCH_PORT          the API's port (default 18787)
 *   BENCH_CLAIMS        claims prepared under review for the decision cells (default 3000)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import os from 'node:os';
import { issueToken } from '../src/access/tokens.ts';
import { changeClaimStatus, submitClaim } from '../src/claims/claims.ts';
import { ATTESTED_FINDINGS } from '../src/claims/eligibility.ts';
import { type DB, openDatabase } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { inTransaction } from '../src/db/transaction.ts';
import { openAccount } from '../src/ledger/accounts.ts';
import { recordCommand } from '../src/ledger/record.ts';
import { localDateOf } from '../src/policy/local-date.ts';
import { createStaff, fundedPool } from '../test/claims/support.ts';
import { claimLine, incidentOn } from '../test/payouts/support.ts';
import { admin, benchDatabaseName, databaseUrl, numberFromEnv } from './support.ts';

const BENCH_DATABASE = benchDatabaseName('riskpool_http_bench');
const SECONDS = numberFromEnv('BENCH_SECONDS', 5, 0.5, 600);
const PORT = numberFromEnv('BENCH_PORT', 18787, 1024, 65535);
const CLAIMS = numberFromEnv('BENCH_CLAIMS', 3000, 10, 100_000);
const CLIENTS = (process.env.BENCH_CLIENTS ?? '8,32')
  .split(',')
  .map((s) => Number(s.trim()))
  .filter((n) => Number.isInteger(n) && n >= 1 && n <= 256);
if (CLIENTS.length === 0) throw new Error('BENCH_CLIENTS names no connection count from 1 to 256');
const MAX_CLIENTS = Math.max(...CLIENTS);
/** Hard bounds, whatever the timing. */
const MAX_OPS_PER_CELL = 1_000_000;
const MAX_ERRORS_PER_CELL = 1_000;
const SERVER_START_MS = 60_000;
const BASE = `http://127.0.0.1:${PORT}`;
const ACCOUNTS = 200;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const fmtRate = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—');
const fmtRatio = (n: number) => (Number.isFinite(n) ? `${n.toFixed(2)}×` : '—');
const fmtMs = (n: number) => (Number.isFinite(n) ? n.toFixed(n < 10 ? 2 : 1) : '—');

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return (
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? Number.NaN
  );
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => `${'-'.repeat(w + 1)}${i < 2 ? '-' : ':'}`).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

interface Cell {
  readonly rate: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: Map<string, number>;
}

/** `clients` loops calling `op` until the time is up; each op is timed alone. */
async function runCell(clients: number, seconds: number, op: () => Promise<void>): Promise<Cell> {
  const latencies: number[] = [];
  const errors = new Map<string, number>();
  let errorCount = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const loop = async () => {
    while (performance.now() < deadline && latencies.length < MAX_OPS_PER_CELL) {
      const t = performance.now();
      try {
        await op();
        latencies.push(performance.now() - t);
      } catch (error) {
        const key = error instanceof Error ? error.message.slice(0, 80) : String(error);
        errors.set(key, (errors.get(key) ?? 0) + 1);
        if (++errorCount >= MAX_ERRORS_PER_CELL) return;
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, loop));
  const elapsed = (performance.now() - started) / 1000;
  const sorted = latencies.sort((a, b) => a - b);
  return {
    rate: sorted.length / elapsed,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    errors,
  };
}

async function request(path: string, token: string, body?: unknown): Promise<void> {
  const response = await fetch(`${BASE}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined
        ? {}
        : { 'content-type': 'application/json', 'idempotency-key': crypto.randomUUID() }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${response.status} ${text.slice(0, 60)}`);
}

function startServer(url: string): ChildProcess {
  const child = spawn('npx', ['tsx', 'src/serve.ts'], {
    env: {
      ...process.env,
      DATABASE_URL: url,
      PORT: String(PORT),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      REDIS_URL: '',
    },
    // Its own process group: killed as a group, never left behind.
    detached: true,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return child;
}

function stopServer(child: ChildProcess): void {
  if (child.pid !== undefined && child.exitCode === null) {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
  }
}

async function waitForServer(): Promise<void> {
  const deadline = Date.now() + SERVER_START_MS;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${BASE}/healthz`)).ok) return;
    } catch {
      // Not listening yet.
    }
    await sleep(200);
  }
  throw new Error(`the API did not answer on ${BASE} within ${SERVER_START_MS} ms`);
}

/**
 * Claims taken in by the intake user and under review, ready for a handler's decision over
 * HTTP (the submitter of a claim may not decide it).
 */
async function claimsUnderReview(
  db: DB,
  incidentId: string,
  staff: { intake: string; handler: string },
  count: number,
) {
  const ready: { id: string; lineId: string }[] = [];
  for (let start = 0; start < count; start += 50) {
    const batch = await inTransaction(db, async (trx) => {
      const made: { id: string; lineId: string }[] = [];
      for (let i = start; i < Math.min(count, start + 50); i++) {
        const claim = await submitClaim(
          trx,
          {
            incidentId,
            claimant: 'Claimant Co.',
            lines: [claimLine('appraisal', '10.00', `Payee ${i}`)],
          },
          staff.intake,
        );
        await changeClaimStatus(trx, claim.id, 'start_review', '', staff.handler);
        made.push({ id: claim.id, lineId: claim.lines[0]?.id ?? '' });
      }
      return made;
    });
    ready.push(...batch);
  }
  return ready;
}

async function main(): Promise<void> {
  console.log(
    `http benchmark — database ${BENCH_DATABASE}, connections ${CLIENTS.join('/')}, ${SECONDS}s per cell, ` +
      `${os.cpus().length} cores, node ${process.version}, load average ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );
  await admin(async (client) => {
    await client.query(`DROP DATABASE IF EXISTS "${BENCH_DATABASE}" WITH (FORCE)`);
    await client.query(`CREATE DATABASE "${BENCH_DATABASE}"`);
  });
  const url = databaseUrl(BENCH_DATABASE);
  const handle = await openDatabase({ kind: 'postgres', url, poolSize: MAX_CLIENTS });
  const db = handle.db;
  let server: ChildProcess | undefined;
  try {
    let t = performance.now();
    await migrateToLatest(db);
    const staff = await createStaff(db, 'bench');
    await fundedPool(db, 'bench', staff);
    const incident = await incidentOn(db, 'bench', staff);
    const claims = await claimsUnderReview(db, incident, staff, CLAIMS);
    const financeToken = (await issueToken(db, staff.finance, 'bench')).token;
    const handlerToken = (await issueToken(db, staff.handler, 'bench')).token;
    await openAccount(db, {
      code: 'bench:source',
      name: 'Bench source',
      unit: 'CNY',
      normalSide: 'credit',
    });
    for (let i = 0; i < ACCOUNTS; i++) {
      await openAccount(db, {
        code: `bench:acct:${i}`,
        name: `Bench ${i}`,
        unit: 'CNY',
        normalSide: 'debit',
      });
    }
    console.log(
      `setup: ${CLAIMS} claims under review, ${ACCOUNTS} accounts, in ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );

    server = startServer(url);
    await waitForServer();
    const today = localDateOf(new Date());
    let contributionNo = 0;
    let claimNo = 0;
    const contribute = () =>
      request('/finance/pools/bench/contributions', financeToken, {
        amount: '10.00',
        receivedOn: today,
        payer: 'County finance bureau',
        bankReference: `BENCH-${++contributionNo}`,
      });
    const decide = () => {
      const claim = claims[claimNo++];
      if (!claim) return Promise.reject(new Error('out of prepared claims (raise BENCH_CLAIMS)'));
      return request(`/insurer/claims/${claim.id}/decision`, handlerToken, {
        decision: 'approve',
        lines: [{ lineId: claim.lineId, approved: '10.00' }],
        attestations: ATTESTED_FINDINGS.map((code) => ({ code, result: 'pass', note: 'checked' })),
        note: 'bench',
      });
    };
    const coverage = () => request('/pools/bench/coverage', financeToken);
    const raw = () => {
      const a = Math.floor(Math.random() * ACCOUNTS);
      return recordCommand(db, {
        type: 'transfer',
        description: 'bench posting',
        postings: [
          { accountCode: `bench:acct:${a}`, direction: 'debit', amount: '1.00' },
          { accountCode: 'bench:source', direction: 'credit', amount: '1.00' },
        ],
      }).then(() => undefined);
    };
    // Warm-up, not counted: JIT on both sides, pools, caches.
    t = performance.now();
    for (const op of [contribute, decide, coverage, raw]) await runCell(4, 0.5, op);
    console.log(`warm-up: ${((performance.now() - t) / 1000).toFixed(1)} s (not counted)`);

    const rows: string[][] = [];
    const ratios: string[] = [];
    for (const clients of CLIENTS) {
      const cells = new Map<string, Cell>();
      for (const [name, op] of [
        ['ledger raw (recordCommand)', raw],
        ['POST contribution', contribute],
        ['POST claim decision', decide],
        ['GET pool coverage', coverage],
      ] as const) {
        const cell = await runCell(clients, SECONDS, op);
        cells.set(name, cell);
        const errs = [...cell.errors].map(([k, n]) => `${k}×${n}`).join('; ');
        rows.push([
          name,
          String(clients),
          fmtRate(cell.rate),
          fmtMs(cell.p50),
          fmtMs(cell.p99),
          errs || '0',
        ]);
      }
      const rawRate = cells.get('ledger raw (recordCommand)')?.rate ?? Number.NaN;
      ratios.push(
        `  ${String(clients).padStart(2)} connections: contributions ÷ ledger raw ${fmtRatio((cells.get('POST contribution')?.rate ?? Number.NaN) / rawRate)}, ` +
          `decisions ÷ ledger raw ${fmtRatio((cells.get('POST claim decision')?.rate ?? Number.NaN) / rawRate)} (goal ≥ 0.5×)`,
      );
    }
    console.log(
      `\nRequests per second over HTTP, beside the ledger's raw rate (load average now ${os.loadavg()[0]?.toFixed(2)})`,
    );
    console.log(table(['operation', 'clients', 'per s', 'p50 ms', 'p99 ms', 'errors'], rows));
    console.log('\nGoal ratios:');
    for (const line of ratios) console.log(line);
    console.log(
      '  ledger raw = one 2-posting entry per recordCommand in its own transaction, in this process, against\n' +
        '    the same database while the API idles; a contribution is one entry (fund + true-up), a decision\n' +
        '    one hold and one expense entry in one ledger write, each request with its idempotency and audit records.',
    );
  } finally {
    if (server) stopServer(server);
    await handle.close();
    await admin((client) =>
      client.query(`DROP DATABASE IF EXISTS "${BENCH_DATABASE}" WITH (FORCE)`),
    ).catch(() => undefined);
  }
}

await main();
