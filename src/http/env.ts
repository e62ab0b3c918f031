/**
 * @module What the HTTP layer is given (dependencies) and what it carries per request.
 */
import type { Actor } from '../access/tokens.ts';
import type { DB } from '../db/database.ts';

/** The subset of pino the app uses; anything with these methods will do (Workers: console). */
export interface Logger {
  info(fields: Record<string, unknown>, message?: string): void;
  warn(fields: Record<string, unknown>, message?: string): void;
  error(fields: Record<string, unknown>, message?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

export type ReadinessCheck = () => Promise<boolean>;

export interface AppDependencies {
  readonly db: DB;
  readonly logger: Logger;
  /** Named checks for /readyz: the database always, Redis when configured. */
  readonly readiness: Readonly<Record<string, ReadinessCheck>>;
  /** Largest request body accepted, in bytes. */
  readonly maxBodyBytes?: number;
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
