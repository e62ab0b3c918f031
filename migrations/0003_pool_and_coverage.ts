/**
 * Pools and their dated terms, contributions (and refunds), insurer remittances, and
 * coverage alerts. Every amount lives in the ledger; these rows say what happened and
 * point at the journal entry that recorded it.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE pool (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      code text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9-]{1,40}$'),
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      insurer text NOT NULL CHECK (length(insurer) BETWEEN 1 AND 200),
      policy_number text NOT NULL UNIQUE CHECK (length(policy_number) BETWEEN 1 AND 100),
      currency text NOT NULL DEFAULT 'CNY' CHECK (currency = 'CNY'),
      created_at timestamptz NOT NULL DEFAULT now(),
      created_by uuid REFERENCES app_user (id)
    )
  `.execute(db);

  // Terms are never edited: a change is a new version, effective from a local date.
  await sql`
    CREATE TABLE pool_terms (
      pool_id uuid NOT NULL REFERENCES pool (id),
      version integer NOT NULL CHECK (version >= 1),
      effective_from date NOT NULL,
      period_start date NOT NULL,
      period_end date NOT NULL,
      funding_ratio numeric(10,2) NOT NULL CHECK (funding_ratio > 0),
      per_incident_cap numeric(20,2) NOT NULL CHECK (per_incident_cap > 0),
      cumulative_cap numeric(20,2) NOT NULL CHECK (cumulative_cap > 0),
      categories jsonb NOT NULL,
      pool_warning_percents jsonb NOT NULL,
      incident_warning_percent numeric(5,2) NOT NULL CHECK (incident_warning_percent > 0 AND incident_warning_percent <= 100),
      reason text NOT NULL,
      recorded_at timestamptz NOT NULL DEFAULT now(),
      recorded_by uuid REFERENCES app_user (id),
      PRIMARY KEY (pool_id, version),
      UNIQUE (pool_id, effective_from),
      CHECK (period_start <= period_end)
    )
  `.execute(db);

  await sql`
    CREATE TABLE contribution (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      pool_id uuid NOT NULL REFERENCES pool (id),
      amount numeric(20,2) NOT NULL CHECK (amount > 0),
      received_on date NOT NULL,
      payer text NOT NULL CHECK (length(payer) BETWEEN 1 AND 200),
      bank_reference text NOT NULL CHECK (length(bank_reference) BETWEEN 1 AND 100),
      coverage_granted numeric(20,2) NOT NULL CHECK (coverage_granted >= 0),
      surplus numeric(20,2) NOT NULL CHECK (surplus >= 0),
      entry_id bigint NOT NULL REFERENCES journal_entry (id),
      recorded_at timestamptz NOT NULL DEFAULT now(),
      recorded_by uuid REFERENCES app_user (id),
      UNIQUE (pool_id, bank_reference)
    )
  `.execute(db);

  await sql`
    CREATE TABLE contribution_refund (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      contribution_id uuid NOT NULL REFERENCES contribution (id),
      amount numeric(20,2) NOT NULL CHECK (amount > 0),
      refunded_on date NOT NULL,
      bank_reference text NOT NULL CHECK (length(bank_reference) BETWEEN 1 AND 100),
      reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
      surplus_returned numeric(20,2) NOT NULL CHECK (surplus_returned >= 0),
      coverage_released numeric(20,2) NOT NULL CHECK (coverage_released >= 0),
      entry_id bigint NOT NULL REFERENCES journal_entry (id),
      recorded_at timestamptz NOT NULL DEFAULT now(),
      recorded_by uuid REFERENCES app_user (id)
    )
  `.execute(db);

  await sql`
    CREATE TABLE remittance (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      pool_id uuid NOT NULL REFERENCES pool (id),
      amount numeric(20,2) NOT NULL CHECK (amount > 0),
      received_on date NOT NULL,
      reference text NOT NULL CHECK (length(reference) BETWEEN 1 AND 100),
      note text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
      entry_id bigint NOT NULL REFERENCES journal_entry (id),
      recorded_at timestamptz NOT NULL DEFAULT now(),
      recorded_by uuid REFERENCES app_user (id),
      UNIQUE (pool_id, reference)
    )
  `.execute(db);

  // One alert per pool (incident_id NULL) or incident and threshold, ever: crossing again
  // after a release does not raise it twice.
  await sql`
    CREATE TABLE coverage_alert (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      pool_id uuid NOT NULL REFERENCES pool (id),
      incident_id uuid,
      threshold_percent numeric(5,2) NOT NULL,
      committed numeric(20,2) NOT NULL,
      cap numeric(20,2) NOT NULL,
      raised_at timestamptz NOT NULL DEFAULT now(),
      acknowledged_at timestamptz,
      acknowledged_by uuid REFERENCES app_user (id),
      UNIQUE NULLS NOT DISTINCT (pool_id, incident_id, threshold_percent)
    )
  `.execute(db);

  for (const table of ['pool_terms', 'contribution', 'contribution_refund', 'remittance']) {
    await sql`
      CREATE TRIGGER ${sql.raw(`${table}_append_only`)} BEFORE UPDATE OR DELETE ON ${sql.raw(table)}
      FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()
    `.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE coverage_alert, remittance, contribution_refund, contribution, pool_terms, pool`.execute(
    db,
  );
}
