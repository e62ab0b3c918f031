/**
 * @module `npm run worker`: payout processes for production (DATABASE_URL and REDIS_URL).
 * Each runs the outbox relay with the stale-payout sweep and a BullMQ worker; start as many
 * as needed, on as many machines — the database and the queue keep them in agreement.
 * SIGTERM/SIGINT: stop taking jobs, let the ones in flight finish within a deadline.
 */
import { databaseConfigFromEnv } from './db/config.ts';
import { openDatabase } from './db/database.ts';
import { migrateToLatest } from './db/migrate.ts';
import { createLogger } from './node/logger.ts';
import {
  createPayoutQueue,
  createPayoutWorker,
  PayoutRelay,
  redisConnection,
} from './payouts/queue.ts';
import { SimulatedBank } from './payouts/simulated-bank.ts';

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
const concurrency = Number.parseInt(process.env.PAYOUT_CONCURRENCY ?? '4', 10);
const handle = await openDatabase(config);
await migrateToLatest(handle.db);
const gateway = new SimulatedBank(handle.db, {
  latencyMs: Number.parseInt(process.env.SIMULATED_BANK_LATENCY_MS ?? '0', 10),
  failureRate: Number.parseFloat(process.env.SIMULATED_BANK_FAILURE_RATE ?? '0'),
  timeoutAfterPayRate: Number.parseFloat(process.env.SIMULATED_BANK_TIMEOUT_AFTER_PAY_RATE ?? '0'),
});
const queueConnection = redisConnection(redisUrl);
const workerConnection = redisConnection(redisUrl);
const queue = createPayoutQueue(queueConnection);
const relay = new PayoutRelay(handle.db, queue, {
  pollMs: Number.parseInt(process.env.RELAY_POLL_MS ?? '200', 10),
  staleMs: Number.parseInt(process.env.PAYOUT_STALE_MS ?? '60000', 10),
  onError: (error) => logger.warn({ err: String(error) }, 'relay pass failed; will retry'),
});
const worker = createPayoutWorker(handle.db, gateway, workerConnection, { concurrency });
worker.on('error', (error) => logger.warn({ err: String(error) }, 'worker connection error'));
worker.on('failed', (job, error) =>
  logger.warn({ payoutId: job?.data.payoutId, err: error.message }, 'payout attempt failed'),
);
relay.start();
logger.info({ concurrency, gateway: gateway.name }, 'payout worker started');

let closing = false;
async function shutdown(signal: string): Promise<void> {
  if (closing) return;
  closing = true;
  logger.info({ signal }, 'payout worker stopping');
  const deadline = setTimeout(() => process.exit(1), SHUTDOWN_DEADLINE_MS);
  deadline.unref();
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
