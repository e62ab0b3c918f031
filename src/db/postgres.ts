/**
 * @module Kysely over PostgreSQL through pg, with no embedded-database import, so the Workers
 * entry (Postgres through Hyperdrive) bundles it without PGlite.
 */
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.ts';

export type DB = Kysely<Database>;

export const INT8_OID = 20;
export const DATE_OID = 1082;

/** A DATE is a local calendar day: keep it the string "2026-10-01", never a Date at some midnight. */
export const keepDateText = (text: string): string => text;

/**
 * int8 carries ids, sequence numbers and counts here, never money (money is NUMERIC and
 * stays a string). PGlite already returns numbers; make pg agree, and refuse silently
 * losing precision.
 */
export function parseInt8(text: string): number {
  const value = Number.parseInt(text, 10);
  if (!Number.isSafeInteger(value))
    throw new Error(`int8 value ${text} exceeds the safe integer range`);
  return value;
}

/**
 * Every connection says how long it will wait, so a held lock or a runaway query becomes an
 * error the caller can retry (lock_timeout, 55P03) or report, never an endless queue.
 * `DATABASE_LOCK_TIMEOUT_MS` (default 10000): the longest one statement waits for a row lock —
 * long enough for a queue of writers on one row (a pool's decisions from many processes),
 * short enough that a transaction left open somewhere turns into 503 busy, not a hung request.
 * `DATABASE_STATEMENT_TIMEOUT_MS` (default 30000): the longest one statement runs.
 */
export interface SessionTimeouts {
  readonly lockTimeoutMs: number;
  readonly statementTimeoutMs: number;
}

export const DEFAULT_LOCK_TIMEOUT_MS = 10_000;
export const DEFAULT_STATEMENT_TIMEOUT_MS = 30_000;

function millisecondsFromEnv(name: string, fallback: number): number {
  const raw = typeof process === 'undefined' ? undefined : process.env?.[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 3_600_000) {
    throw new Error(
      `${name} must be an integer number of milliseconds from 1 to 3600000, got "${raw}"`,
    );
  }
  return value;
}

export function sessionTimeoutsFromEnv(): SessionTimeouts {
  return {
    lockTimeoutMs: millisecondsFromEnv('DATABASE_LOCK_TIMEOUT_MS', DEFAULT_LOCK_TIMEOUT_MS),
    statementTimeoutMs: millisecondsFromEnv(
      'DATABASE_STATEMENT_TIMEOUT_MS',
      DEFAULT_STATEMENT_TIMEOUT_MS,
    ),
  };
}

export function createPgPool(
  url: string,
  max: number,
  timeouts: SessionTimeouts = sessionTimeoutsFromEnv(),
): pg.Pool {
  const types = {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
      oid === INT8_OID
        ? parseInt8
        : oid === DATE_OID
          ? keepDateText
          : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
  };
  const pool = new pg.Pool({
    connectionString: url,
    max,
    types,
    // Sent as startup parameters: in force from the connection's first statement.
    lock_timeout: timeouts.lockTimeoutMs,
    statement_timeout: timeouts.statementTimeoutMs,
  });
  // An idle client whose server connection drops (a restart, a forced disconnect) emits
  // 'error' on the pool; unheard, that would crash the process. The pool replaces it.
  pool.on('error', () => undefined);
  return pool;
}

export function openPostgres(url: string, poolSize: number): DB {
  return new Kysely<Database>({
    dialect: new PostgresDialect({ pool: createPgPool(url, poolSize) }),
  });
}
