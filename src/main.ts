/**
 * @module `npm start`: the embedded default. PGlite in DATA_DIR (default .data/), migrated
 * on boot, the county's pool seeded, demo tokens printed, API on PORT (default 8787), and
 * payouts paid in-process (through the simulated bank unless PAYOUT_GATEWAY says otherwise).
 * With DATABASE_URL set it runs the same way against PostgreSQL (migrated beforehand with
 * `npm run migrate`), but never makes tokens or demo data.
 */
import { rotateDemoTokens } from './access/demo-tokens.ts';
import { databaseConfigFromEnv } from './db/config.ts';
import { seedDemoRiskPoint } from './demo-seed.ts';
import { startApiProcess } from './node/api-process.ts';
import { createLogger } from './node/logger.ts';
import { gatewayFromEnv } from './payouts/gateway-from-env.ts';
import { DEFAULT_RETRY, InProcessPayoutRunner } from './payouts/in-process.ts';
import { seedDefaults } from './seed.ts';

const logger = createLogger();
const config = databaseConfigFromEnv();
const { handle, port } = await startApiProcess(config, logger, (handle) => {
  // Without Redis the payouts run in this process, through the same settlement code the
  // BullMQ workers use; with REDIS_URL set, start them apart with `npm run worker`.
  if (process.env.REDIS_URL) return {};
  const runner = new InProcessPayoutRunner(
    handle.db,
    gatewayFromEnv(handle.db),
    DEFAULT_RETRY,
    500,
    (error) => logger.warn({ err: String(error) }, 'payout pass failed; will retry'),
  );
  return { start: () => runner.start(), stop: () => runner.stop() };
});

const base = `http://127.0.0.1:${port}`;
if (config.kind === 'pglite') {
  const pool = await seedDefaults(handle.db);
  const demoUsers = await rotateDemoTokens(handle.db);
  const riskPoint = await seedDemoRiskPoint(handle.db, pool);
  const adminToken = demoUsers.find((user) => user.role === 'admin')?.token ?? '';
  console.log(
    [
      '',
      `Risk pool service (embedded: PGlite in ${config.dataDir}) listening on ${base}`,
      `API docs: ${base}/docs   OpenAPI: ${base}/openapi.json`,
      `Console (改革办 / 财政局 / 理赔): ${base}/console — sign in with a token below`,
      `Seeded: pool "${pool.code}" (1:50, 500,000.00 per incident, 5,000,000.00 cumulative), the published working-day years, sample lists`,
      `Demo risk point ${riskPoint.riskPointId}: "${riskPoint.projectName}", registered ${riskPoint.registeredOn} (an incident after that day is covered)`,
      '',
      'Demo tokens — FOR LOCAL USE ONLY; they are replaced at every start (three insurers: one takes a claim in, one decides, one confirms):',
      ...demoUsers.map((user) => `  ${user.role.padEnd(14)} ${user.name.padEnd(22)} ${user.token}`),
      '',
      `Try: curl -H "Authorization: Bearer ${adminToken}" ${base}/me`,
      '',
    ].join('\n'),
  );
} else {
  logger.info({ port }, 'listening (PostgreSQL; issue tokens with npm run token)');
}
