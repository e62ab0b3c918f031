/**
 * @module Prometheus metrics for Node processes (prom-client): requests and latency by route
 * and status, idempotency replays, and — read from PostgreSQL at each scrape, so every
 * process reports the same truth — ledger entries written, payouts by state, outbox lag and,
 * with BullMQ, the payout queue's depth. API processes serve them to admins at `/metrics`;
 * `METRICS_PORT` serves them on a listener of their own (the way to scrape `npm run worker`).
 */
import { serve } from '@hono/node-server';
import type { Queue } from 'bullmq';
import { Hono } from 'hono';
import { sql } from 'kysely';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DB } from '../db/database.ts';
import type { PayoutStatus } from '../db/schema.ts';
import type { App } from '../http/app.ts';
import { allowRoles } from '../http/auth.ts';
import type { RequestObservation } from '../http/env.ts';

export const METRICS_PATH = '/metrics';

const PAYOUT_STATUSES: readonly PayoutStatus[] = [
  'pending',
  'awaiting_funds',
  'sending',
  'paid',
  'failed',
  'void',
];
const QUEUE_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'failed'] as const;

export interface Metrics {
  readonly registry: Registry;
  observeRequest(observation: RequestObservation): void;
}

export function createMetrics(db: DB, queue?: Queue): Metrics {
  const registry = new Registry();
  const labels = ['method', 'route', 'status'] as const;
  const requests = new Counter({
    name: 'riskpool_http_requests_total',
    help: 'HTTP requests answered, by method, route (as registered) and status',
    labelNames: labels,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'riskpool_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method, route and status',
    labelNames: labels,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const replays = new Counter({
    name: 'riskpool_idempotency_replays_total',
    help: 'Mutations answered from the stored first response of their Idempotency-Key',
    labelNames: ['route'],
    registers: [registry],
  });
  new Gauge({
    name: 'riskpool_ledger_entries',
    help: 'Journal entries written to the ledger (append-only, so it only grows)',
    registers: [registry],
    async collect() {
      const chain = await db.selectFrom('ledger_chain').select('last_entry_id').executeTakeFirst();
      this.set(chain?.last_entry_id ?? 0);
    },
  });
  new Gauge({
    name: 'riskpool_payouts',
    help: 'Payouts by state',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const rows = await db
        .selectFrom('payout')
        .select(['status', (eb) => eb.fn.countAll<string>().as('count')])
        .groupBy('status')
        .execute();
      const counts = new Map(rows.map((row) => [row.status, Number(row.count)]));
      for (const state of PAYOUT_STATUSES) this.set({ state }, counts.get(state) ?? 0);
    },
  });
  new Gauge({
    name: 'riskpool_outbox_lag_seconds',
    help: 'Age of the oldest payout outbox row not yet relayed to the queue (0 when none)',
    registers: [registry],
    async collect() {
      const row = await db
        .selectFrom('payout_outbox')
        .select(sql<string | null>`extract(epoch FROM now() - min(created_at))`.as('lag'))
        .where('relayed_at', 'is', null)
        .executeTakeFirst();
      this.set(row?.lag ? Number(row.lag) : 0);
    },
  });
  new Gauge({
    name: 'riskpool_outbox_unrelayed',
    help: 'Payout outbox rows not yet relayed to the queue',
    registers: [registry],
    async collect() {
      const row = await db
        .selectFrom('payout_outbox')
        .select((eb) => eb.fn.countAll<string>().as('count'))
        .where('relayed_at', 'is', null)
        .executeTakeFirst();
      this.set(Number(row?.count ?? 0));
    },
  });
  if (queue) {
    new Gauge({
      name: 'riskpool_payout_queue_jobs',
      help: 'Jobs in the BullMQ payout queue, by state',
      labelNames: ['state'],
      registers: [registry],
      async collect() {
        const counts = await queue.getJobCounts(...QUEUE_STATES);
        for (const state of QUEUE_STATES) this.set({ state }, counts[state] ?? 0);
      },
    });
  }
  return {
    registry,
    observeRequest(observation) {
      const values = {
        method: observation.method,
        route: observation.route,
        status: String(observation.status),
      };
      requests.inc(values);
      latency.observe(values, observation.seconds);
      if (observation.replayed) replays.inc({ route: observation.route });
    },
  };
}

async function exposition(registry: Registry): Promise<Response> {
  return new Response(await registry.metrics(), {
    headers: { 'Content-Type': registry.contentType },
  });
}

/** `/metrics` on the API, for admins (Prometheus sends the admin token as a bearer). */
export function mountMetrics(app: App, metrics: Metrics): void {
  app.get(METRICS_PATH, allowRoles(['admin']), () => exposition(metrics.registry));
}

/** `METRICS_PORT`, when set: the port of a listener serving only `/metrics`, without a token. */
export function metricsPortFromEnv(): number | undefined {
  const text = process.env.METRICS_PORT?.trim();
  if (!text) return undefined;
  const port = Number.parseInt(text, 10);
  if (!Number.isInteger(port) || port < 1 || port > 65535 || String(port) !== text)
    throw new Error(`METRICS_PORT must be 1–65535, got "${text}"`);
  return port;
}

/** `/metrics` alone on its own port, for processes without an API or a private scrape network. */
export function serveMetrics(metrics: Metrics, port: number): { close(): void } {
  const listener = new Hono().get(METRICS_PATH, () => exposition(metrics.registry));
  const server = serve({ fetch: listener.fetch, port, hostname: process.env.HOST ?? '127.0.0.1' });
  return { close: () => server.close() };
}
