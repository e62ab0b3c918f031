/**
 * Payouts that never lie: an `in_doubt` state for a gateway outcome nobody knows, one live
 * attempt per payout (attempt number + lease), the evidence behind every finance decision on
 * a payout in doubt, a `closed` claim whose payouts ended without paying, and the reason
 * finance gave when a refund took cash that waiting payouts needed.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE payout DROP CONSTRAINT payout_status_check`.execute(db);
  await sql`
    ALTER TABLE payout
      ADD CONSTRAINT payout_status_check CHECK (status IN
        ('pending', 'awaiting_funds', 'sending', 'in_doubt', 'paid', 'failed', 'void')),
      ADD COLUMN lease_token uuid,
      ADD COLUMN lease_expires_at timestamptz,
      ADD COLUMN attempts_before_retry integer NOT NULL DEFAULT 0 CHECK (attempts_before_retry >= 0),
      ADD COLUMN in_doubt_since timestamptz,
      ADD CONSTRAINT payout_lease_whole CHECK ((lease_token IS NULL) = (lease_expires_at IS NULL)),
      ADD CONSTRAINT payout_in_doubt_since CHECK ((status = 'in_doubt') = (in_doubt_since IS NOT NULL))
  `.execute(db);
  // The treasury can hand a line of a payment file back unpaid; only then may it be voided.
  await sql`ALTER TABLE payment_instruction ADD COLUMN returned_at timestamptz, ADD COLUMN return_reason text`.execute(
    db,
  );
  await sql`CREATE INDEX payout_in_doubt ON payout (in_doubt_since) WHERE status = 'in_doubt'`.execute(
    db,
  );

  // What finance (or a statement line) said about a payout in doubt: kept, never changed.
  await sql`
    CREATE TABLE payout_resolution (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      payout_id uuid NOT NULL REFERENCES payout (id),
      outcome text NOT NULL CHECK (outcome IN ('paid', 'not_paid')),
      evidence_kind text NOT NULL CHECK (evidence_kind IN ('statement_line', 'bank_confirmation', 'gateway_lookup')),
      evidence_reference text NOT NULL CHECK (length(evidence_reference) BETWEEN 1 AND 200),
      statement_line_id uuid REFERENCES statement_line (id),
      note text NOT NULL CHECK (length(note) <= 2000),
      decided_by uuid REFERENCES app_user (id),
      decided_at timestamptz NOT NULL DEFAULT now()
    )
  `.execute(db);
  await sql`CREATE INDEX payout_resolution_payout ON payout_resolution (payout_id)`.execute(db);
  await sql`
    CREATE TRIGGER payout_resolution_append_only BEFORE UPDATE OR DELETE ON payout_resolution
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()
  `.execute(db);

  await sql`
    CREATE TABLE refund_cash_override (
      refund_id uuid PRIMARY KEY REFERENCES contribution_refund (id),
      reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
      cash_needed_by_waiting numeric(20,2) NOT NULL CHECK (cash_needed_by_waiting >= 0),
      decided_by uuid NOT NULL REFERENCES app_user (id),
      decided_at timestamptz NOT NULL DEFAULT now()
    )
  `.execute(db);
  await sql`
    CREATE TRIGGER refund_cash_override_append_only BEFORE UPDATE OR DELETE ON refund_cash_override
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()
  `.execute(db);

  await sql`ALTER TABLE claim DROP CONSTRAINT claim_status_check`.execute(db);
  await sql`
    ALTER TABLE claim ADD CONSTRAINT claim_status_check CHECK (status IN ('submitted', 'under_review',
      'awaiting_confirmation', 'approved', 'partly_approved', 'denied', 'payout_pending', 'paid',
      'payout_failed', 'closed', 'withdrawn', 'reopened'))
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE refund_cash_override, payout_resolution`.execute(db);
  await sql`ALTER TABLE payment_instruction DROP COLUMN returned_at, DROP COLUMN return_reason`.execute(
    db,
  );
  await sql`ALTER TABLE claim DROP CONSTRAINT claim_status_check`.execute(db);
  await sql`
    ALTER TABLE claim ADD CONSTRAINT claim_status_check CHECK (status IN ('submitted', 'under_review',
      'awaiting_confirmation', 'approved', 'partly_approved', 'denied', 'payout_pending', 'paid',
      'payout_failed', 'withdrawn', 'reopened'))
  `.execute(db);
  await sql`
    ALTER TABLE payout DROP CONSTRAINT payout_status_check, DROP COLUMN lease_token, DROP COLUMN lease_expires_at, DROP COLUMN attempts_before_retry,
      DROP COLUMN in_doubt_since
  `.execute(db);
  await sql`
    ALTER TABLE payout ADD CONSTRAINT payout_status_check CHECK (status IN
      ('pending', 'awaiting_funds', 'sending', 'paid', 'failed', 'void'))
  `.execute(db);
}
