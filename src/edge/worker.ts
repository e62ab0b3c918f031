/**
 * @module The API on Cloudflare Workers: the same Hono app, with Kysely over pg through a
 * Hyperdrive binding. The edge only answers requests — approvals write their payouts' outbox
 * rows in the same transaction as everywhere else, and the Node workers (`npm run worker`)
 * relay and pay them; no relay, queue or worker runs here.
 *
 * Workers forbid using one request's connection from another, so each request gets its own
 * small pool (Hyperdrive pools the real connections) and closes it once the response is sent.
 * The app itself is built once per isolate and reads the request's database from async
 * context, because building it (every route and its OpenAPI schema) takes tens of ms.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { sql } from 'kysely';
import { type DB, openPostgres } from '../db/postgres.ts';
import { type App, createApp } from '../http/app.ts';
import type { AppDependencies, Logger } from '../http/env.ts';
import { docsScriptFromBundle } from './docs-script.ts';

interface HyperdriveBinding {
  readonly connectionString: string;
}

export interface EdgeEnv {
  readonly HYPERDRIVE: HyperdriveBinding;
}

interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
}

/** Connections one request may hold; a request runs its queries one after another. */
const REQUEST_POOL_SIZE = 2;

const requestDatabase = new AsyncLocalStorage<DB>();

function currentDatabase(): DB {
  const db = requestDatabase.getStore();
  if (!db) throw new Error('no database bound to this request');
  return db;
}

/** Workers' logs are console lines; keep the fields as one JSON object per line. */
function consoleLogger(bindings: Record<string, unknown> = {}): Logger {
  const line = (level: string, fields: Record<string, unknown>, message?: string) =>
    JSON.stringify({ level, ...bindings, ...fields, msg: message });
  return {
    info: (fields, message) => console.log(line('info', fields, message)),
    warn: (fields, message) => console.warn(line('warn', fields, message)),
    error: (fields, message) => console.error(line('error', fields, message)),
    child: (more) => consoleLogger({ ...bindings, ...more }),
  };
}

const dependencies: AppDependencies = {
  get db() {
    return currentDatabase();
  },
  logger: consoleLogger({ service: 'risk-pool', runtime: 'workers' }),
  docsScript: docsScriptFromBundle,
  readiness: {
    database: async () => {
      await sql`SELECT 1`.execute(currentDatabase());
      return true;
    },
  },
};

let app: App | undefined;

export default {
  async fetch(request: Request, env: EdgeEnv, context: ExecutionContext): Promise<Response> {
    app ??= createApp(dependencies);
    const served = app;
    const db = openPostgres(env.HYPERDRIVE.connectionString, REQUEST_POOL_SIZE);
    try {
      return await requestDatabase.run(db, () => served.fetch(request));
    } finally {
      context.waitUntil(db.destroy());
    }
  },
};
