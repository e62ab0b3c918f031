/**
 * Failed token checks counted per client address in fixed windows, so every API process
 * (and the edge) sees the same count: a client that keeps sending bad tokens is refused
 * with 429 until its window ends, whichever process it reaches.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE auth_throttle (
      client text PRIMARY KEY CHECK (length(client) BETWEEN 1 AND 100),
      window_started_at timestamptz NOT NULL,
      failures integer NOT NULL CHECK (failures >= 1)
    )
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE auth_throttle`.execute(db);
}
