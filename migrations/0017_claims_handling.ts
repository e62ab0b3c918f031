/**
 * Claims handling a claims director signs off (issue 17): each insurer user's authority
 * limit; incidents flagged as possibly one loss event and the handler's link or reason
 * kept; uploaded documents with the hash the server computed, and waivers of required ones;
 * case reserves and their movements; supplementary decisions that name the decision they
 * revise; recoveries (subrogation, salvage) and the term saying whether they reinstate
 * cumulative coverage.
 */
import { type Kysely, sql } from 'kysely';

const APPEND_ONLY = [
  'incident_link',
  'claim_document',
  'claim_document_waiver',
  'claim_reserve_movement',
  'claim_recovery',
];

export async function up(db: Kysely<unknown>): Promise<void> {
  // Null: the user decides up to the four-eyes threshold of the pool's terms.
  await sql`
    ALTER TABLE app_user ADD COLUMN authority_limit numeric(20,2) CHECK (authority_limit >= 0)
  `.execute(db);
  await sql`
    ALTER TABLE pool_terms ADD COLUMN recoveries_reinstate_coverage boolean NOT NULL DEFAULT false
  `.execute(db);

  // Other incidents on the same risk point that may be the same loss event, until a
  // handler links them or records why they are separate.
  await sql`ALTER TABLE incident ADD COLUMN possible_duplicate_of jsonb NOT NULL DEFAULT '[]'`.execute(
    db,
  );
  // The incident whose per-incident cap this one shares (one loss event, one cap); null
  // when it holds its own.
  await sql`ALTER TABLE incident ADD COLUMN event_incident_id uuid REFERENCES incident (id)`.execute(
    db,
  );
  await sql`
    CREATE TABLE incident_link (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      incident_id uuid NOT NULL REFERENCES incident (id),
      other_incident_id uuid NOT NULL REFERENCES incident (id),
      same_event boolean NOT NULL,
      reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 1000),
      decided_by uuid NOT NULL REFERENCES app_user (id),
      decided_at timestamptz NOT NULL DEFAULT now(),
      CHECK (incident_id <> other_incident_id),
      UNIQUE (incident_id, other_incident_id)
    )
  `.execute(db);

  await sql`
    CREATE TABLE claim_document (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      claim_id uuid NOT NULL REFERENCES claim (id),
      claim_line_id uuid NOT NULL REFERENCES claim_line (id),
      kind text NOT NULL CHECK (kind IN ('appraisal_report', 'invoice', 'ruling', 'arbitral_award',
        'fee_receipt', 'engagement_contract', 'loss_inventory', 'other')),
      title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
      document_number text NOT NULL CHECK (length(document_number) BETWEEN 1 AND 100),
      media_type text NOT NULL CHECK (length(media_type) BETWEEN 1 AND 100),
      size_bytes integer NOT NULL CHECK (size_bytes BETWEEN 1 AND 2097152),
      sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
      content bytea NOT NULL,
      uploaded_by uuid NOT NULL REFERENCES app_user (id),
      uploaded_at timestamptz NOT NULL DEFAULT now()
    )
  `.execute(db);
  await sql`CREATE INDEX claim_document_line ON claim_document (claim_line_id)`.execute(db);
  await sql`
    CREATE TABLE claim_document_waiver (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      claim_line_id uuid NOT NULL REFERENCES claim_line (id),
      requirement text NOT NULL,
      reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 1000),
      waived_by uuid NOT NULL REFERENCES app_user (id),
      waived_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (claim_line_id, requirement)
    )
  `.execute(db);

  await sql`
    CREATE TABLE claim_reserve_movement (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      claim_id uuid NOT NULL REFERENCES claim (id),
      kind text NOT NULL CHECK (kind IN ('initial', 'movement', 'released')),
      amount numeric(20,2) NOT NULL,
      reserve_after numeric(20,2) NOT NULL CHECK (reserve_after >= 0),
      reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 1000),
      recorded_by uuid NOT NULL REFERENCES app_user (id),
      recorded_at timestamptz NOT NULL DEFAULT now()
    )
  `.execute(db);
  await sql`CREATE INDEX claim_reserve_claim ON claim_reserve_movement (claim_id, id)`.execute(db);

  await sql`ALTER TABLE claim_decision ADD COLUMN supersedes_decision_id uuid REFERENCES claim_decision (id)`.execute(
    db,
  );
  // What the line stood at before a supplementary decision; the payout is the difference.
  await sql`
    ALTER TABLE claim_decision_line ADD COLUMN previous_payable numeric(20,2) NOT NULL DEFAULT 0
      CHECK (previous_payable >= 0 AND previous_payable <= payable)
  `.execute(db);

  await sql`
    CREATE TABLE claim_recovery (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      claim_id uuid NOT NULL REFERENCES claim (id),
      kind text NOT NULL CHECK (kind IN ('subrogation', 'salvage')),
      amount numeric(20,2) NOT NULL CHECK (amount > 0),
      received_on date NOT NULL,
      from_party text NOT NULL CHECK (length(from_party) BETWEEN 1 AND 200),
      reference text NOT NULL CHECK (length(reference) BETWEEN 1 AND 100),
      coverage_reinstated numeric(20,2) NOT NULL CHECK (coverage_reinstated >= 0),
      entry_id bigint NOT NULL REFERENCES journal_entry (id),
      recorded_by uuid NOT NULL REFERENCES app_user (id),
      recorded_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (reference)
    )
  `.execute(db);
  await sql`CREATE INDEX claim_recovery_claim ON claim_recovery (claim_id)`.execute(db);

  for (const table of APPEND_ONLY) {
    await sql`
      CREATE TRIGGER ${sql.raw(`${table}_append_only`)} BEFORE UPDATE OR DELETE ON ${sql.raw(table)}
      FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()
    `.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE claim_recovery, claim_reserve_movement, claim_document_waiver, claim_document, incident_link`.execute(
    db,
  );
  await sql`ALTER TABLE claim_decision_line DROP COLUMN previous_payable`.execute(db);
  await sql`ALTER TABLE claim_decision DROP COLUMN supersedes_decision_id`.execute(db);
  await sql`ALTER TABLE incident DROP COLUMN event_incident_id, DROP COLUMN possible_duplicate_of`.execute(
    db,
  );
  await sql`ALTER TABLE pool_terms DROP COLUMN recoveries_reinstate_coverage`.execute(db);
  await sql`ALTER TABLE app_user DROP COLUMN authority_limit`.execute(db);
}
