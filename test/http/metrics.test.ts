/**
 * Prometheus metrics on real PostgreSQL and Redis: what an operator's dashboard would show
 * after a few requests — counts and latency by registered route and status, a replayed
 * Idempotency-Key, ledger entries, payouts by state, the outbox waiting to be relayed and
 * the queue's depth — and that only admins may read them.
 */
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/http/app.ts';
import { createMetrics, type Metrics, mountMetrics } from '../../src/node/metrics.ts';
import { createPayoutQueue, PayoutRelay, redisConnection } from '../../src/payouts/queue.ts';
import type { Pool } from '../../src/policy/pools.ts';
import { fundedPool, type Staff } from '../claims/support.ts';
import { approveClaims, claimLine, incidentOn } from '../payouts/support.ts';
import { REDIS_URL } from '../support/env.ts';
import { call, createTestApp, type TestApp } from './support.ts';

let t: TestApp;
let app: App;
let metrics: Metrics;
let connection: Redis;
let queue: Queue;
let staff: Staff;
let pool: Pool;

beforeAll(async () => {
  t = await createTestApp();
  connection = redisConnection(REDIS_URL);
  queue = createPayoutQueue(connection, undefined, `payouts-metrics-${crypto.randomUUID()}`);
  metrics = createMetrics(t.database.db, queue);
  app = t.variant({ observeRequest: metrics.observeRequest });
  mountMetrics(app, metrics);
  staff = {
    intake: t.intake.id,
    handler: t.users.insurer.id,
    checker: t.users.insurer.id,
    finance: t.users.finance.id,
    office: t.users.reform_office.id,
  };
  pool = await fundedPool(t.database.db, 'metrics', staff);
});
afterAll(async () => {
  await queue.obliterate({ force: true });
  await queue.close();
  connection.disconnect();
  await t.close();
});

/** One sample's value from the exposition text, or undefined when the series is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function scrape(): Promise<string> {
  const response = await call(app, 'GET', '/metrics', { token: t.users.admin.token });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
  return response.text();
}

describe('/metrics', () => {
  it('counts requests by registered route and status, with latency, and a replay once', async () => {
    const body = {
      amount: '2000.00',
      receivedOn: '2026-02-03',
      payer: 'County finance bureau',
      bankReference: 'MET-0001',
    };
    const send = () =>
      call(app, 'POST', `/finance/pools/${pool.code}/contributions`, {
        token: t.users.finance.token,
        json: body,
        idempotencyKey: 'metrics-contribution-1',
      });
    expect((await send()).status).toBe(201);
    expect((await send()).status).toBe(201);
    expect((await call(app, 'GET', '/no/such/route')).status).toBe(404);

    const text = await scrape();
    const route = '/finance/pools/:pool/contributions';
    expect(
      sample(text, `riskpool_http_requests_total{method="POST",route="${route}",status="201"}`),
    ).toBe(2);
    expect(
      sample(
        text,
        `riskpool_http_request_duration_seconds_count{method="POST",route="${route}",status="201"}`,
      ),
    ).toBe(2);
    expect(
      sample(text, 'riskpool_http_requests_total{method="GET",route="unmatched",status="404"}'),
    ).toBe(1);
    expect(sample(text, `riskpool_idempotency_replays_total{route="${route}"}`)).toBe(1);
    // No series names a raw path: ids never become label values.
    expect(text).not.toContain(`/finance/pools/${pool.code}/`);
  });

  it('reports the ledger, payouts by state, the unrelayed outbox and the queue from the database', async () => {
    const incidentId = await incidentOn(t.database.db, pool.code, staff);
    await approveClaims(t.database.db, staff, incidentId, [
      [claimLine('property_loss', '1200.00', 'Payee A')],
      [claimLine('lawyer_fees', '300.00', 'Payee B')],
    ]);
    const entries = async () =>
      Number(
        (
          await t.database.db
            .selectFrom('journal_entry')
            .select((eb) => eb.fn.countAll<string>().as('count'))
            .executeTakeFirstOrThrow()
        ).count,
      );

    const approved = await scrape();
    expect(sample(approved, 'riskpool_ledger_entries')).toBe(await entries());
    expect(sample(approved, 'riskpool_payouts{state="pending"}')).toBe(2);
    expect(sample(approved, 'riskpool_payouts{state="paid"}')).toBe(0);
    expect(sample(approved, 'riskpool_outbox_unrelayed')).toBe(2);
    expect(sample(approved, 'riskpool_outbox_lag_seconds')).toBeGreaterThan(0);
    expect(sample(approved, 'riskpool_payout_queue_jobs{state="waiting"}')).toBe(0);

    const relay = new PayoutRelay(t.database.db, queue, {
      pollMs: 1000,
      staleMs: 60_000,
      onError: (error) => {
        throw error;
      },
    });
    expect(await relay.runOnce()).toBe(2);
    const relayed = await scrape();
    expect(sample(relayed, 'riskpool_outbox_unrelayed')).toBe(0);
    expect(sample(relayed, 'riskpool_outbox_lag_seconds')).toBe(0);
    expect(sample(relayed, 'riskpool_payout_queue_jobs{state="waiting"}')).toBe(2);
  });

  it('is for admins only', async () => {
    const none = await call(app, 'GET', '/metrics');
    expect(none.status).toBe(401);
    const finance = await call(app, 'GET', '/metrics', { token: t.users.finance.token });
    expect(finance.status).toBe(403);
  });
});
