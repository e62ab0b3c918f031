/**
 * Payouts and their transactional outbox, and the simulated bank's own record of
 * transfers. A payout row is written in the approval's transaction together with an outbox
 * row; a relay hands outbox rows to the queue; workers pay and settle each payout once.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE payout (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      claim_id uuid NOT NULL REFERENCES claim (id),
      decision_id uuid NOT NULL REFERENCES claim_decision (id),
      claim_line_id uuid NOT NULL REFERENCES claim_line (id),
      pool_id uuid NOT NULL REFERENCES pool (id),
      incident_id uuid NOT NULL REFERENCES incident (id),
      category text NOT NULL,
      payee text NOT NULL,
      amount numeric(20,2) NOT NULL CHECK (amount > 0),
      coverage_hold_entry_id bigint REFERENCES journal_entry (id),
      cash_hold_entry_id bigint REFERENCES journal_entry (id),
      status text NOT NULL CHECK (status IN ('pending', 'awaiting_funds', 'sending', 'paid', 'failed', 'void')),
      attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
      next_attempt_at timestamptz NOT NULL DEFAULT now(),
      last_error text,
      gateway text,
      gateway_reference text,
      settled_at timestamptz,
      voided_at timestamptz,
      void_reason text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (decision_id, claim_line_id),
      CHECK ((status = 'paid') = (settled_at IS NOT NULL)),
      CHECK ((status = 'void') = (voided_at IS NOT NULL))
    )
  `.execute(db);
  await sql`CREATE INDEX payout_claim ON payout (claim_id)`.execute(db);
  await sql`CREATE INDEX payout_status ON payout (status, created_at)`.execute(db);
  await sql`CREATE INDEX payout_waiting ON payout (pool_id, created_at) WHERE status = 'awaiting_funds'`.execute(
    db,
  );

  await sql`
    CREATE TABLE payout_outbox (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      payout_id uuid NOT NULL REFERENCES payout (id),
      created_at timestamptz NOT NULL DEFAULT now(),
      relayed_at timestamptz
    )
  `.execute(db);
  await sql`CREATE INDEX payout_outbox_unrelayed ON payout_outbox (id) WHERE relayed_at IS NULL`.execute(
    db,
  );

  // The simulated bank's own ledger: one transfer per idempotency key, whatever is retried.
  await sql`
    CREATE TABLE bank_transfer (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      idempotency_key text NOT NULL UNIQUE,
      payee text NOT NULL,
      amount numeric(20,2) NOT NULL CHECK (amount > 0),
      created_at timestamptz NOT NULL DEFAULT now()
    )
  `.execute(db);
  await sql`
    CREATE TRIGGER bank_transfer_append_only BEFORE UPDATE OR DELETE ON bank_transfer
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE bank_transfer, payout_outbox, payout`.execute(db);
}
