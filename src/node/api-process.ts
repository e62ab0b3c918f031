/**
 * @module What every API process does at start-up, written once for `npm start` and
 * `npm run serve`: open the database (or exit with one line), build the app with its
 * readiness checks and metrics, run the terms schedule, bind the port, and close it all in
 * reverse order on a signal. A process adds its own parts (payout runner, queue dashboard)
 * through `extend`.
 */
import type { Queue } from 'bullmq';
import type { DatabaseConfig } from '../db/config.ts';
import type { DatabaseHandle } from '../db/database.ts';
import { type App, createApp } from '../http/app.ts';
import type { Logger } from '../http/env.ts';
import { docsScriptFromPackage } from './docs-script.ts';
import { boundPort, nodeClientAddress, portFromEnv, serveApp } from './http-server.ts';
import { createMetrics, type Metrics, mountMetrics } from './metrics.ts';
import { openDatabaseOrExit } from './open-database.ts';
import { readinessChecks } from './readiness.ts';
import { startTermsSchedule } from './terms-schedule.ts';

/** A process's own part beside the API: started once the port is bound, stopped first. */
export interface ProcessPart {
  /** The payout queue, when the part has one: its depth goes into the metrics. */
  readonly queue?: Queue;
  /** Called before the app listens: routes of its own (a dashboard), a metrics port. */
  readonly mount?: (app: App, handle: DatabaseHandle, metrics: Metrics) => void;
  readonly start?: () => void;
  readonly stop?: () => Promise<void> | void;
}

export interface ApiProcess {
  readonly handle: DatabaseHandle;
  readonly app: App;
  /** The port actually bound (PORT=0 picks a free one). */
  readonly port: number;
}

export async function startApiProcess(
  config: DatabaseConfig,
  logger: Logger,
  extend: (handle: DatabaseHandle) => ProcessPart = () => ({}),
): Promise<ApiProcess> {
  const port = portFromEnv();
  const handle = await openDatabaseOrExit(config);
  const part = extend(handle);
  const metrics = createMetrics(handle.db, part.queue);
  const app = createApp({
    db: handle.db,
    logger,
    readiness: readinessChecks(handle.db, process.env.REDIS_URL),
    clientAddress: nodeClientAddress,
    observeRequest: metrics.observeRequest,
    docsScript: docsScriptFromPackage(),
  });
  mountMetrics(app, metrics);
  part.mount?.(app, handle, metrics);
  const stopTermsSchedule = startTermsSchedule(handle.db, logger);
  const close = async () => {
    stopTermsSchedule();
    await part.stop?.();
    await handle.close();
  };
  try {
    const server = await serveApp(app, port, logger, close);
    part.start?.();
    return { handle, app, port: boundPort(server) };
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    await close();
    process.exit(1);
  }
}
