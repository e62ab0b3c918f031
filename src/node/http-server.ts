/**
 * @module Serves the app from Node on PORT (default 8787) and shuts down gracefully: stop
 * accepting, let requests in flight finish within a deadline, then close the database.
 * "Listening" is only said once the port is bound; a taken port is one clear line and a
 * non-zero exit, not a crash. Requests Node itself refuses before the app sees them (a URL
 * or headers too large, a malformed request line) still get a problem+json body.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import type { App } from '../http/app.ts';
import type { Logger } from '../http/env.ts';
import { ProblemError, problemBody } from '../http/problem.ts';

export const DEFAULT_PORT = 8787;
const SHUTDOWN_DEADLINE_MS = 10_000;

export function portFromEnv(): number {
  const port = Number.parseInt(process.env.PORT ?? String(DEFAULT_PORT), 10);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`PORT must be 0–65535, got "${process.env.PORT}"`);
  return port;
}

/**
 * The client's address for throttling: the socket's peer, or — behind a proxy that sets it —
 * the last address in the header named by TRUSTED_CLIENT_IP_HEADER (the hop the proxy saw).
 */
export function nodeClientAddress(c: Context): string | undefined {
  const header = process.env.TRUSTED_CLIENT_IP_HEADER;
  if (header) {
    const hops = c.req.header(header)?.split(',');
    const last = hops?.[hops.length - 1]?.trim();
    if (last) return last.slice(0, 100);
  }
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined;
  }
}

const CLIENT_ERRORS: Record<string, { status: number; code: string; detail: string }> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    code: 'headers_too_large',
    detail: 'the request line and headers are too large; shorten the URL or the headers',
  },
};

/** Answers, as problem+json, a request Node refused before it became a Request. */
function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const known = CLIENT_ERRORS[error.code ?? ''] ?? {
    status: 400,
    code: 'bad_request',
    detail: 'the request is not valid HTTP',
  };
  const problem = problemBody(new ProblemError(known.status, known.code, known.detail), '', '');
  const body = JSON.stringify(problem);
  socket.end(
    [
      `HTTP/1.1 ${known.status} ${problem.title}`,
      'Content-Type: application/problem+json',
      `Content-Length: ${Buffer.byteLength(body)}`,
      'Connection: close',
      '',
      body,
    ].join('\r\n'),
  );
}

/** Binds the port, then resolves with the server; a bind failure rejects with a plain message. */
export async function listen(app: App, port: number, hostname: string): Promise<Server> {
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  server.on('clientError', answerClientError);
  await new Promise<void>((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) =>
      reject(
        new Error(
          error.code === 'EADDRINUSE'
            ? `port ${port} on ${hostname} is already in use: stop what holds it or set PORT`
            : `cannot listen on ${hostname}:${port}: ${error.message}`,
        ),
      );
    server.once('error', failed);
    server.listen(port, hostname, () => {
      server.off('error', failed);
      resolve();
    });
  });
  return server;
}

/** `listen`, then a graceful shutdown on SIGINT and SIGTERM. */
export async function serveApp(
  app: App,
  port: number,
  logger: Logger,
  onClose: () => Promise<void>,
): Promise<Server> {
  const server = await listen(app, port, process.env.HOST ?? '127.0.0.1');
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
  return server;
}

/** The port the server is bound to (PORT=0 asks the system for a free one). */
export function boundPort(server: Server): number {
  const address = server.address();
  return typeof address === 'object' && address ? address.port : 0;
}
