/**
 * @module `npm run serve`: the API alone against PostgreSQL (DATABASE_URL required), for
 * production; payout workers run as separate processes. Migrations are applied on boot
 * (Kysely's migrator takes a lock, so several API processes may start together).
 */
import { databaseConfigFromEnv } from './db/config.ts';
import { openDatabase } from './db/database.ts';
import { migrateToLatest } from './db/migrate.ts';
import { createApp } from './http/app.ts';
import { portFromEnv, serveApp } from './node/http-server.ts';
import { createLogger } from './node/logger.ts';
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
const handle = await openDatabase(config);
await migrateToLatest(handle.db);
const app = createApp({
  db: handle.db,
  logger,
  readiness: readinessChecks(handle.db, process.env.REDIS_URL),
});
// With Redis configured, admins get the payout queue's dashboard at /admin/queues.
const redisUrl = process.env.REDIS_URL;
const queueConnection = redisUrl ? redisConnection(redisUrl) : undefined;
const payoutQueue = queueConnection ? createPayoutQueue(queueConnection) : undefined;
if (payoutQueue) mountQueueDashboard(app, handle.db, payoutQueue);
const stopTermsSchedule = startTermsSchedule(handle.db, logger);
serveApp(app, port, logger, async () => {
  stopTermsSchedule();
  await payoutQueue?.close();
  queueConnection?.disconnect();
  await handle.close();
});
logger.info({ port }, 'listening');
