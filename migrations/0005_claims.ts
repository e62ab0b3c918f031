/**
 * Incidents against filed risk points, claims with lines and evidence, decisions with the
 * cap cuts they record, and each claim's history. Amounts reserved and paid live in the
 * ledger; these rows say what was decided and point at the entries.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // A decision above this payable amount needs a second insurer user to confirm it.
  await sql`
    ALTER TABLE pool_terms ADD COLUMN four_eyes_threshold numeric(20,2) NOT NULL DEFAULT 100000.00
      CHECK (four_eyes_threshold >= 0)
  `.execute(db);

  await sql`
    CREATE TABLE incident (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      pool_id uuid NOT NULL REFERENCES pool (id),
      risk_point_id uuid NOT NULL REFERENCES risk_point (id),
      occurred_on date NOT NULL,
      description text NOT NULL CHECK (length(description) BETWEEN 1 AND 5000),
      place text NOT NULL CHECK (length(place) BETWEEN 1 AND 500),
      reporter text NOT NULL CHECK (length(reporter) BETWEEN 1 AND 200),
      covered boolean NOT NULL,
      not_covered_reasons jsonb NOT NULL DEFAULT '[]',
      per_incident_cap numeric(20,2) NOT NULL CHECK (per_incident_cap > 0),
      reported_at timestamptz NOT NULL DEFAULT now(),
      reported_by uuid NOT NULL REFERENCES app_user (id)
    )
  `.execute(db);
  await sql`CREATE INDEX incident_risk_point ON incident (risk_point_id)`.execute(db);
  await sql`CREATE INDEX incident_pool ON incident (pool_id, occurred_on)`.execute(db);

  await sql`
    CREATE TABLE claim (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      incident_id uuid NOT NULL REFERENCES incident (id),
      status text NOT NULL CHECK (status IN ('submitted', 'under_review', 'awaiting_confirmation', 'approved',
        'partly_approved', 'denied', 'payout_pending', 'paid', 'payout_failed', 'withdrawn', 'reopened')),
      claimant text NOT NULL CHECK (length(claimant) BETWEEN 1 AND 200),
      submitted_at timestamptz NOT NULL DEFAULT now(),
      submitted_by uuid NOT NULL REFERENCES app_user (id),
      status_changed_at timestamptz NOT NULL DEFAULT now()
    )
  `.execute(db);
  await sql`CREATE INDEX claim_incident ON claim (incident_id)`.execute(db);
  await sql`CREATE INDEX claim_queue ON claim (status, status_changed_at)`.execute(db);

  await sql`
    CREATE TABLE claim_line (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      claim_id uuid NOT NULL REFERENCES claim (id),
      line_no integer NOT NULL CHECK (line_no >= 1),
      category text NOT NULL CHECK (category IN ('property_loss', 'litigation_arbitration', 'appraisal', 'lawyer_fees')),
      amount_claimed numeric(20,2) NOT NULL CHECK (amount_claimed > 0),
      payee text NOT NULL CHECK (length(payee) BETWEEN 1 AND 200),
      description text NOT NULL DEFAULT '' CHECK (length(description) <= 1000),
      evidence jsonb NOT NULL,
      possible_duplicate_of jsonb NOT NULL DEFAULT '[]',
      added_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (claim_id, line_no)
    )
  `.execute(db);
  // Every document named as evidence, for finding the same invoice or file claimed twice.
  await sql`
    CREATE TABLE claim_evidence (
      claim_line_id uuid NOT NULL REFERENCES claim_line (id),
      document_number text NOT NULL,
      sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$')
    )
  `.execute(db);
  await sql`CREATE INDEX claim_evidence_number ON claim_evidence (document_number)`.execute(db);
  await sql`CREATE INDEX claim_evidence_hash ON claim_evidence (sha256)`.execute(db);

  await sql`
    CREATE TABLE claim_decision (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      claim_id uuid NOT NULL REFERENCES claim (id),
      outcome text NOT NULL CHECK (outcome IN ('approved', 'partly_approved', 'denied')),
      state text NOT NULL CHECK (state IN ('awaiting_confirmation', 'effective', 'rejected_by_checker')),
      findings jsonb NOT NULL,
      denial_reasons jsonb NOT NULL DEFAULT '[]',
      note text NOT NULL DEFAULT '',
      approved_total numeric(20,2) NOT NULL CHECK (approved_total >= 0),
      incident_cap_cut numeric(20,2) NOT NULL CHECK (incident_cap_cut >= 0),
      pool_cap_cut numeric(20,2) NOT NULL CHECK (pool_cap_cut >= 0),
      payable numeric(20,2) NOT NULL CHECK (payable >= 0),
      decided_at timestamptz NOT NULL DEFAULT now(),
      decided_by uuid NOT NULL REFERENCES app_user (id),
      confirmed_at timestamptz,
      confirmed_by uuid REFERENCES app_user (id),
      CHECK (confirmed_by IS NULL OR confirmed_by <> decided_by)
    )
  `.execute(db);
  await sql`CREATE INDEX claim_decision_claim ON claim_decision (claim_id, decided_at)`.execute(db);
  // At most one decision awaiting a checker per claim.
  await sql`
    CREATE UNIQUE INDEX claim_decision_one_awaiting ON claim_decision (claim_id) WHERE state = 'awaiting_confirmation'
  `.execute(db);

  await sql`
    CREATE TABLE claim_decision_line (
      decision_id uuid NOT NULL REFERENCES claim_decision (id),
      claim_line_id uuid NOT NULL REFERENCES claim_line (id),
      approved numeric(20,2) NOT NULL CHECK (approved >= 0),
      payable numeric(20,2) NOT NULL CHECK (payable >= 0 AND payable <= approved),
      cut_by text CHECK (cut_by IN ('per_incident_cap', 'cumulative_cap')),
      -- The line's own coverage hold, so that each payout settles (or a void releases)
      -- exactly its part; null when nothing is held (nothing payable, or an uncapped category).
      hold_entry_id bigint REFERENCES journal_entry (id),
      PRIMARY KEY (decision_id, claim_line_id)
    )
  `.execute(db);

  await sql`
    CREATE TABLE claim_event (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      claim_id uuid NOT NULL REFERENCES claim (id),
      from_status text,
      to_status text NOT NULL,
      action text NOT NULL,
      note text NOT NULL DEFAULT '',
      actor_user_id uuid NOT NULL REFERENCES app_user (id),
      recorded_at timestamptz NOT NULL DEFAULT now()
    )
  `.execute(db);
  await sql`CREATE INDEX claim_event_claim ON claim_event (claim_id, id)`.execute(db);

  for (const table of ['claim_evidence', 'claim_decision_line', 'claim_event']) {
    await sql`
      CREATE TRIGGER ${sql.raw(`${table}_append_only`)} BEFORE UPDATE OR DELETE ON ${sql.raw(table)}
      FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()
    `.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE claim_event, claim_decision_line, claim_decision, claim_evidence, claim_line, claim, incident`.execute(
    db,
  );
  await sql`ALTER TABLE pool_terms DROP COLUMN four_eyes_threshold`.execute(db);
}
