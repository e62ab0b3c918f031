/**
 * @module `npm run worker`: payout processes for production (DATABASE_URL and REDIS_URL).
 * Each runs the outbox relay with the stale-payout sweep (woken by the outbox's notifications,
 * polling besides) and a BullMQ worker whose concurrent jobs are attempted in batches; start
 * as many as needed, on as many machines — the database and the queue keep them in agreement.
 * SIGTERM/SIGINT: stop taking jobs, let the ones in flight finish within a deadline.
 */
import { databaseConfigFromEnv } from './db/config.ts';
import { listenForNotifications } from './db/notifications.ts';
import { createLogger } from './node/logger.ts';
import { createMetrics, metricsPortFromEnv, serveMetrics } from './node/metrics.ts';
import { openDatabaseOrExit } from './node/open-database.ts';
import { gatewayFromEnv } from './payouts/gateway-from-env.ts';
import { OUTBOX_CHANNEL } from './payouts/outbox.ts';
import {
  createPayoutQueue,
  createPayoutWorker,
  DEFAULT_PAYOUT_CONCURRENCY,
  PAYOUT_QUEUE,
  PayoutRelay,
  redisConnection,
} from './payouts/queue.ts';

const SHUTDOWN_DEADLINE_MS = 15_000;
const logger = createLogger();
const config = databaseConfigFromEnv();
const redisUrl = process.env.REDIS_URL;
if (config.kind !== 'postgres' || !redisUrl) {
  console.error(
    'npm run worker needs DATABASE_URL and REDIS_URL; the embedded default (npm start) pays in-process',
  );
  process.exit(2);
}
const concurrency = Number.parseInt(
  process.env.PAYOUT_CONCURRENCY ?? String(DEFAULT_PAYOUT_CONCURRENCY),
  10,
);
// Workers and relays that should share jobs must name the same queue.
const queueName = process.env.PAYOUT_QUEUE_NAME?.trim() || PAYOUT_QUEUE;
const handle = await openDatabaseOrExit(config);
const gateway = gatewayFromEnv(handle.db);
const queueConnection = redisConnection(redisUrl);
const workerConnection = redisConnection(redisUrl);
const queue = createPayoutQueue(queueConnection, undefined, queueName);
// One setting for both: an attempt unfinished this long has lost its lease, and only then
// does the sweep hand its payout to the queue again.
const staleMs = Number.parseInt(process.env.PAYOUT_STALE_MS ?? '60000', 10);
const relay = new PayoutRelay(handle.db, queue, {
  pollMs: Number.parseInt(process.env.RELAY_POLL_MS ?? '200', 10),
  staleMs,
  onError: (error) => logger.warn({ err: String(error) }, 'relay pass failed; will retry'),
});
const worker = createPayoutWorker(handle.db, gateway, workerConnection, {
  concurrency,
  queueName,
  leaseMs: staleMs,
});
worker.on('error', (error) => logger.warn({ err: String(error) }, 'worker connection error'));
worker.on('failed', (job, error) =>
  logger.warn({ payoutId: job?.data.payoutId, err: error.message }, 'payout attempt failed'),
);
relay.start();
// Approvals notify the outbox's channel as they commit: the relay moves their payouts at once
// instead of at its next poll.
const listener = listenForNotifications(
  config.url ?? '',
  OUTBOX_CHANNEL,
  () => relay.wake(),
  (error) => logger.warn({ err: String(error) }, 'listening for the outbox failed; reconnecting'),
);
// Workers have no API: with METRICS_PORT set they serve /metrics on a listener of their own.
const metricsPort = metricsPortFromEnv();
const metricsListener = metricsPort
  ? serveMetrics(createMetrics(handle.db, queue), metricsPort)
  : undefined;
logger.info({ concurrency, queue: queueName, gateway: gateway.name }, 'payout worker started');

let closing = false;
async function shutdown(signal: string): Promise<void> {
  if (closing) return;
  closing = true;
  logger.info({ signal }, 'payout worker stopping');
  const deadline = setTimeout(() => process.exit(1), SHUTDOWN_DEADLINE_MS);
  deadline.unref();
  metricsListener?.close();
  await listener.close();
  await relay.stop();
  await worker.close();
  await queue.close();
  queueConnection.disconnect();
  workerConnection.disconnect();
  await handle.close();
  process.exit(0);
}
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));
