/**
 * @module Slows a client that keeps sending bad tokens. Failures are counted per client
 * address in the database, in fixed windows on the database's clock, so several API
 * processes (and the edge) share one count and one notion of when a window ends.
 */
import { sql } from 'kysely';
import type { DB } from '../db/database.ts';

export interface AuthThrottlePolicy {
  /** Failed token checks a client may make in one window before it is refused. */
  readonly failureLimit: number;
  readonly windowSeconds: number;
}

export const DEFAULT_AUTH_THROTTLE: AuthThrottlePolicy = { failureLimit: 10, windowSeconds: 60 };

/** Rows of clients whose window ended this long ago are pruned, a bounded batch at a time. */
const PRUNE_AFTER_SECONDS = 24 * 60 * 60;
const PRUNE_BATCH = 100;

/** The end of the client's window if it has used up its failures in it; otherwise undefined. */
export async function throttledUntil(
  db: DB,
  client: string,
  policy: AuthThrottlePolicy,
): Promise<Date | undefined> {
  const { rows } = await sql<{ until: Date }>`
    SELECT window_started_at + make_interval(secs => ${policy.windowSeconds}) AS until
    FROM auth_throttle
    WHERE client = ${client}
      AND failures >= ${policy.failureLimit}
      AND window_started_at > now() - make_interval(secs => ${policy.windowSeconds})
  `.execute(db);
  return rows[0]?.until;
}

export interface RecordedFailure {
  readonly failures: number;
  readonly windowEndsAt: Date;
}

/** Counts one failed token check: a new window starts when the client's last one has ended. */
export async function recordAuthFailure(
  db: DB,
  client: string,
  policy: AuthThrottlePolicy,
): Promise<RecordedFailure> {
  const window = sql`make_interval(secs => ${policy.windowSeconds})`;
  const { rows } = await sql<{ failures: number; window_ends_at: Date }>`
    WITH pruned AS (
      DELETE FROM auth_throttle
      WHERE client IN (
        SELECT client FROM auth_throttle
        WHERE window_started_at < now() - make_interval(secs => ${PRUNE_AFTER_SECONDS})
          AND client <> ${client}
        LIMIT ${PRUNE_BATCH}
      )
    )
    INSERT INTO auth_throttle AS t (client, window_started_at, failures)
    VALUES (${client}, now(), 1)
    ON CONFLICT (client) DO UPDATE SET
      failures = CASE WHEN t.window_started_at > now() - ${window} THEN t.failures + 1 ELSE 1 END,
      window_started_at =
        CASE WHEN t.window_started_at > now() - ${window} THEN t.window_started_at ELSE now() END
    RETURNING failures, window_started_at + ${window} AS window_ends_at
  `.execute(db);
  const row = rows[0];
  if (!row) throw new Error('recording an authentication failure returned no row');
  return { failures: row.failures, windowEndsAt: row.window_ends_at };
}
