/**
 * @module `npm start`: the embedded default. PGlite in DATA_DIR (default .data/), migrated
 * on boot, the county's pool seeded, demo tokens printed, API on PORT (default 8787), and
 * payouts paid in-process (through the simulated bank unless PAYOUT_GATEWAY says otherwise).
 * With DATABASE_URL set it runs the same way against PostgreSQL (migrated beforehand with
 * `npm run migrate`), but never makes tokens.
 */
import { rotateDemoTokens } from './access/demo-tokens.ts';
import { databaseConfigFromEnv } from './db/config.ts';
import { createApp } from './http/app.ts';
import { docsScriptFromPackage } from './node/docs-script.ts';
import { boundPort, nodeClientAddress, portFromEnv, serveApp } from './node/http-server.ts';
import { createLogger } from './node/logger.ts';
import { createMetrics, mountMetrics } from './node/metrics.ts';
import { openDatabaseOrExit } from './node/open-database.ts';
import { readinessChecks } from './node/readiness.ts';
import { startTermsSchedule } from './node/terms-schedule.ts';
import { gatewayFromEnv } from './payouts/gateway-from-env.ts';
import { DEFAULT_RETRY, InProcessPayoutRunner } from './payouts/in-process.ts';
import { seedDefaults } from './seed.ts';

const logger = createLogger();
const config = databaseConfigFromEnv();
const port = portFromEnv();
const handle = await openDatabaseOrExit(config);
const metrics = createMetrics(handle.db);
const app = createApp({
  db: handle.db,
  logger,
  readiness: readinessChecks(handle.db, process.env.REDIS_URL),
  clientAddress: nodeClientAddress,
  observeRequest: metrics.observeRequest,
  docsScript: docsScriptFromPackage(),
});
mountMetrics(app, metrics);
// Without Redis the payouts run in this process, through the same settlement code the
// BullMQ workers use; with REDIS_URL set, start them apart with `npm run worker`.
const payoutRunner = process.env.REDIS_URL
  ? undefined
  : new InProcessPayoutRunner(handle.db, gatewayFromEnv(handle.db), DEFAULT_RETRY, 500, (error) =>
      logger.warn({ err: String(error) }, 'payout pass failed; will retry'),
    );
const stopTermsSchedule = startTermsSchedule(handle.db, logger);
const close = async () => {
  stopTermsSchedule();
  await payoutRunner?.stop();
  await handle.close();
};
let server: Awaited<ReturnType<typeof serveApp>>;
try {
  server = await serveApp(app, port, logger, close);
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  await close();
  process.exit(1);
}
payoutRunner?.start();

const base = `http://127.0.0.1:${boundPort(server)}`;
if (config.kind === 'pglite') {
  const pool = await seedDefaults(handle.db);
  const demoUsers = await rotateDemoTokens(handle.db);
  const adminToken = demoUsers.find((user) => user.role === 'admin')?.token ?? '';
  console.log(
    [
      '',
      `Risk pool service (embedded: PGlite in ${config.dataDir}) listening on ${base}`,
      `API docs: ${base}/docs   OpenAPI: ${base}/openapi.json`,
      `Console (改革办 / 财政局 / 理赔): ${base}/console — sign in with a token below`,
      `Seeded: pool "${pool.code}" (1:50, 500,000.00 per incident, 5,000,000.00 cumulative), the published working-day years, sample lists`,
      '',
      'Demo tokens — FOR LOCAL USE ONLY; they are replaced at every start (two insurers, so one can confirm what the other decides):',
      ...demoUsers.map((user) => `  ${user.role.padEnd(14)} ${user.name.padEnd(22)} ${user.token}`),
      '',
      `Try: curl -H "Authorization: Bearer ${adminToken}" ${base}/me`,
      '',
    ].join('\n'),
  );
} else {
  logger.info(
    { port: boundPort(server) },
    'listening (PostgreSQL; issue tokens with npm run token)',
  );
}
