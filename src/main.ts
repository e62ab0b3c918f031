/**
 * @module `npm start`: the embedded default. PGlite in DATA_DIR (default .data/), migrated
 * on boot, the county's pool seeded, demo tokens printed, API on PORT (default 8787), and
 * payouts paid in-process (through the simulated bank unless PAYOUT_GATEWAY says otherwise).
 * With DATABASE_URL set it runs the same way against PostgreSQL, but never makes tokens.
 */
import { rotateDemoTokens } from './access/demo-tokens.ts';
import { databaseConfigFromEnv } from './db/config.ts';
import { openDatabase } from './db/database.ts';
import { migrateToLatest } from './db/migrate.ts';
import { createApp } from './http/app.ts';
import { portFromEnv, serveApp } from './node/http-server.ts';
import { createLogger } from './node/logger.ts';
import { readinessChecks } from './node/readiness.ts';
import { gatewayFromEnv } from './payouts/gateway-from-env.ts';
import { DEFAULT_RETRY, InProcessPayoutRunner } from './payouts/in-process.ts';
import { seedDefaults } from './seed.ts';

const logger = createLogger();
const config = databaseConfigFromEnv();
const port = portFromEnv();
const handle = await openDatabase(config);
await migrateToLatest(handle.db);
const app = createApp({
  db: handle.db,
  logger,
  readiness: readinessChecks(handle.db, process.env.REDIS_URL),
});
// Without Redis the payouts run in this process, through the same settlement code the
// BullMQ workers use; with REDIS_URL set, start them apart with `npm run worker`.
const payoutRunner = process.env.REDIS_URL
  ? undefined
  : new InProcessPayoutRunner(handle.db, gatewayFromEnv(handle.db), DEFAULT_RETRY, 500, (error) =>
      logger.warn({ err: String(error) }, 'payout pass failed; will retry'),
    );
payoutRunner?.start();
serveApp(app, port, logger, async () => {
  await payoutRunner?.stop();
  await handle.close();
});

const base = `http://127.0.0.1:${port}`;
if (config.kind === 'pglite') {
  const pool = await seedDefaults(handle.db);
  const tokens = await rotateDemoTokens(handle.db);
  console.log(
    [
      '',
      `Risk pool service (embedded: PGlite in ${config.dataDir}) listening on ${base}`,
      `API docs: ${base}/docs   OpenAPI: ${base}/openapi.json`,
      `Console (改革办 / 财政局 / 理赔): ${base}/console — sign in with a token below`,
      `Seeded: pool "${pool.code}" (1:50, 500,000.00 per incident, 5,000,000.00 cumulative), 2025–2026 working days, sample lists`,
      '',
      'Demo tokens, one per role — FOR LOCAL USE ONLY; they are replaced at every start:',
      ...Object.entries(tokens).map(([role, token]) => `  ${role.padEnd(14)} ${token}`),
      '',
      `Try: curl -H "Authorization: Bearer ${tokens.admin}" ${base}/me`,
      '',
    ].join('\n'),
  );
} else {
  logger.info({ port }, 'listening (PostgreSQL; issue tokens with npm run token)');
}
