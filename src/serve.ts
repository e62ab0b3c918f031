/**
 * @module `npm run serve`: the API alone against PostgreSQL (DATABASE_URL required), for
 * production; payout workers run as separate processes. It never changes the schema: run
 * `npm run migrate` as the owner first; a schema behind the code is refused at start.
 */
import { databaseConfigFromEnv } from './db/config.ts';
import { createApp } from './http/app.ts';
import { docsScriptFromPackage } from './node/docs-script.ts';
import { boundPort, nodeClientAddress, portFromEnv, serveApp } from './node/http-server.ts';
import { createLogger } from './node/logger.ts';
import { createMetrics, metricsPortFromEnv, mountMetrics, serveMetrics } from './node/metrics.ts';
import { openDatabaseOrExit } from './node/open-database.ts';
import { mountQueueDashboard } from './node/queue-dashboard.ts';
import { readinessChecks } from './node/readiness.ts';
import { startTermsSchedule } from './node/terms-schedule.ts';
import { createPayoutQueue, redisConnection } from './payouts/queue.ts';

const logger = createLogger();
const config = databaseConfigFromEnv();
if (config.kind !== 'postgres') {
  console.error(
    'npm run serve needs DATABASE_URL (PostgreSQL); for the embedded default use npm start',
  );
  process.exit(2);
}
const port = portFromEnv();
const handle = await openDatabaseOrExit(config);
// With Redis configured, admins get the payout queue's dashboard at /admin/queues.
const redisUrl = process.env.REDIS_URL;
const queueConnection = redisUrl ? redisConnection(redisUrl) : undefined;
const payoutQueue = queueConnection ? createPayoutQueue(queueConnection) : undefined;
const metrics = createMetrics(handle.db, payoutQueue);
const app = createApp({
  db: handle.db,
  logger,
  readiness: readinessChecks(handle.db, process.env.REDIS_URL),
  clientAddress: nodeClientAddress,
  observeRequest: metrics.observeRequest,
  docsScript: docsScriptFromPackage(),
});
mountMetrics(app, metrics);
const metricsPort = metricsPortFromEnv();
const metricsListener = metricsPort ? serveMetrics(metrics, metricsPort) : undefined;
if (payoutQueue) mountQueueDashboard(app, handle.db, payoutQueue);
const stopTermsSchedule = startTermsSchedule(handle.db, logger);
const close = async () => {
  stopTermsSchedule();
  metricsListener?.close();
  await payoutQueue?.close();
  queueConnection?.disconnect();
  await handle.close();
};
try {
  const server = await serveApp(app, port, logger, close);
  logger.info({ port: boundPort(server) }, 'listening');
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  await close();
  process.exit(1);
}
