/**
 * @module What the HTTP layer is given (dependencies) and what it carries per request.
 */
import type { Context } from 'hono';
import type { AuthThrottlePolicy } from '../access/throttle.ts';
import type { Actor } from '../access/tokens.ts';
import type { DB } from '../db/database.ts';
import type { DocsScript } from './docs.ts';

/** The subset of pino the app uses; anything with these methods will do (Workers: console). */
export interface Logger {
  info(fields: Record<string, unknown>, message?: string): void;
  warn(fields: Record<string, unknown>, message?: string): void;
  error(fields: Record<string, unknown>, message?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

export type ReadinessCheck = () => Promise<boolean>;

/** One answered request, for metrics: the route as registered, never the raw path. */
export interface RequestObservation {
  readonly method: string;
  readonly route: string;
  readonly status: number;
  readonly seconds: number;
  /** The answer was an Idempotency-Key replay of the first response. */
  readonly replayed: boolean;
}

export interface AppDependencies {
  readonly db: DB;
  readonly logger: Logger;
  /** Named checks for /readyz: the database always, Redis when configured. */
  readonly readiness: Readonly<Record<string, ReadinessCheck>>;
  /** Told of every answered request (Node: Prometheus metrics; absent on Workers). */
  readonly observeRequest?: (observation: RequestObservation) => void;
  /** Scalar's standalone script for /docs, from the installed package (Node or Workers bundle). */
  readonly docsScript?: DocsScript;
  /** Largest request body accepted, in bytes. */
  readonly maxBodyBytes?: number;
  /**
   * The address a request came from, as the runtime knows it (the Node socket, or the
   * edge's connecting-IP header). Without it bad tokens are not throttled.
   */
  readonly clientAddress?: (c: Context) => string | undefined;
  /** How many bad tokens a client may send per window (default 10 a minute). */
  readonly authThrottle?: AuthThrottlePolicy;
  /** The moment "today" is judged from (Asia/Shanghai); tests inject one, else the real clock. */
  readonly clock?: () => Date;
}

export interface AppEnv {
  Variables: {
    deps: AppDependencies;
    requestId: string;
    logger: Logger;
    actor: Actor;
  };
}
