/**
 * Coverage that is true on every date: which dated terms have been brought into force (and
 * the ledger entry that did it), money booked as a named late item when its month was
 * closed, alerts per policy period, projects in a pool with an optional per-project limit,
 * and filings registered before the service went live, imported with their documents.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // One row per terms version once its date has come and the ledger holds its cap.
  await sql`
    CREATE TABLE pool_terms_in_force (
      pool_id uuid NOT NULL,
      version integer NOT NULL,
      in_force_on date NOT NULL,
      entry_id bigint REFERENCES journal_entry (id),
      over_committed numeric(20,2) NOT NULL DEFAULT 0 CHECK (over_committed >= 0),
      -- Coverage committed in earlier policy periods when this version's period opened: the
      -- ledger's cap is this version's cap on top of it, so a renewal brings its own cap.
      carried_committed numeric(20,2) NOT NULL DEFAULT 0 CHECK (carried_committed >= 0),
      brought_by text NOT NULL CHECK (brought_by IN ('write', 'read', 'schedule')),
      brought_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (pool_id, version),
      FOREIGN KEY (pool_id, version) REFERENCES pool_terms (pool_id, version)
    )
  `.execute(db);
  // Versions recorded before this change were posted the moment they were recorded.
  await sql`
    INSERT INTO pool_terms_in_force (pool_id, version, in_force_on, brought_by, brought_at)
    SELECT pool_id, version, effective_from, 'write', recorded_at FROM pool_terms
  `.execute(db);
  await sql`ALTER TABLE pool_terms ADD COLUMN per_project_limit numeric(20,2) CHECK (per_project_limit > 0)`.execute(
    db,
  );
  for (const table of ['contribution', 'contribution_refund', 'remittance']) {
    await sql`ALTER TABLE ${sql.raw(table)} ADD COLUMN booked_as_late_item boolean NOT NULL DEFAULT false`.execute(
      db,
    );
  }
  // Alerts fire once per threshold and policy period: a renewed year warns again.
  await sql`ALTER TABLE coverage_alert ADD COLUMN period_start date`.execute(db);
  await sql`ALTER TABLE coverage_alert DROP CONSTRAINT coverage_alert_pool_id_incident_id_threshold_percent_key`.execute(
    db,
  );
  await sql`
    ALTER TABLE coverage_alert ADD CONSTRAINT coverage_alert_once_per_period
      UNIQUE NULLS NOT DISTINCT (pool_id, period_start, incident_id, threshold_percent)
  `.execute(db);
  await sql`ALTER TABLE reform_project ADD COLUMN pool_id uuid REFERENCES pool (id)`.execute(db);
  // A decision may now also be cut by the optional per-project limit.
  await sql`ALTER TABLE claim_decision ADD COLUMN project_limit_cut numeric(20,2) NOT NULL DEFAULT 0 CHECK (project_limit_cut >= 0)`.execute(
    db,
  );
  await sql`ALTER TABLE claim_decision_line DROP CONSTRAINT claim_decision_line_cut_by_check`.execute(
    db,
  );
  await sql`
    ALTER TABLE claim_decision_line ADD CONSTRAINT claim_decision_line_cut_by_check
      CHECK (cut_by IN ('per_incident_cap', 'per_project_limit', 'cumulative_cap'))
  `.execute(db);
  await sql`
    CREATE TABLE filing_import (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      filing_id uuid NOT NULL UNIQUE REFERENCES filing (id),
      registered_on date NOT NULL,
      source text NOT NULL CHECK (source IN ('paper', 'government_platform')),
      source_reference text NOT NULL CHECK (length(source_reference) BETWEEN 1 AND 200),
      documents jsonb NOT NULL,
      reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 1000),
      imported_by uuid NOT NULL REFERENCES app_user (id),
      imported_at timestamptz NOT NULL DEFAULT now()
    )
  `.execute(db);
  for (const table of ['pool_terms_in_force', 'filing_import']) {
    await sql`
      CREATE TRIGGER ${sql.raw(`${table}_append_only`)} BEFORE UPDATE OR DELETE ON ${sql.raw(table)}
      FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()
    `.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE filing_import, pool_terms_in_force`.execute(db);
  await sql`ALTER TABLE claim_decision_line DROP CONSTRAINT claim_decision_line_cut_by_check`.execute(
    db,
  );
  await sql`
    ALTER TABLE claim_decision_line ADD CONSTRAINT claim_decision_line_cut_by_check
      CHECK (cut_by IN ('per_incident_cap', 'cumulative_cap'))
  `.execute(db);
  await sql`ALTER TABLE claim_decision DROP COLUMN project_limit_cut`.execute(db);
  await sql`ALTER TABLE reform_project DROP COLUMN pool_id`.execute(db);
  await sql`ALTER TABLE coverage_alert DROP CONSTRAINT coverage_alert_once_per_period`.execute(db);
  await sql`ALTER TABLE coverage_alert DROP COLUMN period_start`.execute(db);
  await sql`
    ALTER TABLE coverage_alert ADD CONSTRAINT coverage_alert_pool_id_incident_id_threshold_percent_key
      UNIQUE NULLS NOT DISTINCT (pool_id, incident_id, threshold_percent)
  `.execute(db);
  for (const table of ['contribution', 'contribution_refund', 'remittance']) {
    await sql`ALTER TABLE ${sql.raw(table)} DROP COLUMN booked_as_late_item`.execute(db);
  }
  await sql`ALTER TABLE pool_terms DROP COLUMN per_project_limit`.execute(db);
}
