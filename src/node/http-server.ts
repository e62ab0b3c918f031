/**
 * @module Serves the app from Node on PORT (default 8787) and shuts down gracefully: stop
 * accepting, let requests in flight finish within a deadline, then close the database.
 */
import { serve } from '@hono/node-server';
import type { App } from '../http/app.ts';
import type { Logger } from '../http/env.ts';

export const DEFAULT_PORT = 8787;
const SHUTDOWN_DEADLINE_MS = 10_000;

export function portFromEnv(): number {
  const port = Number.parseInt(process.env.PORT ?? String(DEFAULT_PORT), 10);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`PORT must be 1–65535, got "${process.env.PORT}"`);
  return port;
}

export function serveApp(
  app: App,
  port: number,
  logger: Logger,
  onClose: () => Promise<void>,
): void {
  const server = serve({ fetch: app.fetch, port, hostname: process.env.HOST ?? '127.0.0.1' });
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      logger.warn({}, 'shutdown deadline passed; exiting with requests still open');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    server.close(() => {
      onClose()
        .catch((error: unknown) => logger.error({ err: String(error) }, 'error while closing'))
        .finally(() => process.exit(0));
    });
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}
