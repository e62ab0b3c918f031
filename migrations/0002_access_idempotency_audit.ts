/**
 * Users with one role each, bearer tokens stored only as SHA-256 hashes, stored responses
 * for idempotent requests, and the append-only audit trail.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE app_user (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
      role text NOT NULL CHECK (role IN ('reform_office', 'insurer', 'finance', 'admin')),
      active boolean NOT NULL DEFAULT true,
      created_at timestamptz NOT NULL DEFAULT now(),
      created_by uuid REFERENCES app_user (id)
    )
  `.execute(db);
  await sql`
    CREATE TABLE access_token (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      user_id uuid NOT NULL REFERENCES app_user (id),
      token_hash text NOT NULL UNIQUE CHECK (length(token_hash) = 64),
      label text NOT NULL CHECK (length(label) BETWEEN 1 AND 100),
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz,
      revoked_at timestamptz
    )
  `.execute(db);
  await sql`CREATE INDEX access_token_user ON access_token (user_id)`.execute(db);

  // One row per (user, key). The row is inserted first in the request's own transaction,
  // so a concurrent replay waits on the unique index and then reads the stored answer.
  await sql`
    CREATE TABLE idempotency_record (
      user_id uuid NOT NULL REFERENCES app_user (id),
      idempotency_key text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 200),
      request_hash text NOT NULL,
      method text NOT NULL,
      path text NOT NULL,
      response_status smallint,
      response_body jsonb,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (user_id, idempotency_key)
    )
  `.execute(db);

  await sql`
    CREATE TABLE audit_record (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      recorded_at timestamptz NOT NULL DEFAULT now(),
      actor_user_id uuid REFERENCES app_user (id),
      actor_name text NOT NULL,
      actor_role text NOT NULL,
      action text NOT NULL,
      entity text NOT NULL,
      entity_id text,
      request_id text NOT NULL,
      request_hash text NOT NULL
    )
  `.execute(db);
  await sql`CREATE INDEX audit_record_entity ON audit_record (entity, entity_id)`.execute(db);
  await sql`CREATE INDEX audit_record_actor ON audit_record (actor_user_id, recorded_at)`.execute(
    db,
  );
  await sql`CREATE INDEX audit_record_time ON audit_record (recorded_at)`.execute(db);
  await sql`
    CREATE TRIGGER audit_record_append_only BEFORE UPDATE OR DELETE ON audit_record
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()
  `.execute(db);
  await sql`
    CREATE TRIGGER audit_record_no_truncate BEFORE TRUNCATE ON audit_record
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE audit_record, idempotency_record, access_token, app_user`.execute(db);
}
