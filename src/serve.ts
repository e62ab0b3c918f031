/**
 * @module `npm run serve`: the API alone against PostgreSQL (DATABASE_URL required), for
 * production; payout workers run as separate processes. It never changes the schema: run
 * `npm run migrate` as the owner first; a schema behind the code is refused at start.
 */
import { databaseConfigFromEnv } from './db/config.ts';
import { startApiProcess } from './node/api-process.ts';
import { createLogger } from './node/logger.ts';
import { metricsPortFromEnv, serveMetrics } from './node/metrics.ts';
import { mountQueueDashboard } from './node/queue-dashboard.ts';
import { createPayoutQueue, redisConnection } from './payouts/queue.ts';

const logger = createLogger();
const config = databaseConfigFromEnv();
if (config.kind !== 'postgres') {
  console.error(
    'npm run serve needs DATABASE_URL (PostgreSQL); for the embedded default use npm start',
  );
  process.exit(2);
}
const { port } = await startApiProcess(config, logger, () => {
  // With Redis configured, admins get the payout queue's dashboard at /admin/queues.
  const redisUrl = process.env.REDIS_URL;
  const connection = redisUrl ? redisConnection(redisUrl) : undefined;
  const queue = connection ? createPayoutQueue(connection) : undefined;
  let metricsListener: { close(): void } | undefined;
  return {
    queue,
    mount: (app, handle, metrics) => {
      if (queue) mountQueueDashboard(app, handle.db, queue);
      const metricsPort = metricsPortFromEnv();
      if (metricsPort) metricsListener = serveMetrics(metrics, metricsPort);
    },
    stop: async () => {
      metricsListener?.close();
      await queue?.close();
      connection?.disconnect();
    },
  };
});
logger.info({ port }, 'listening');
