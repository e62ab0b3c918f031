/**
 * Month-end close. A closed month (a local month in Asia/Shanghai, stored as the instants
 * it spans) refuses every journal entry whose effective time falls inside it; corrections
 * go to the open period as reversing entries that name the original. Every close and
 * reopen is kept in an append-only history.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE ledger_closed_period (
      month text PRIMARY KEY CHECK (month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
      starts_at timestamptz NOT NULL,
      ends_at timestamptz NOT NULL CHECK (ends_at > starts_at),
      closed_at timestamptz NOT NULL DEFAULT now(),
      closed_by uuid NOT NULL REFERENCES app_user (id)
    )
  `.execute(db);
  await sql`
    CREATE TABLE period_event (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      month text NOT NULL,
      action text NOT NULL CHECK (action IN ('close', 'reopen')),
      forced boolean NOT NULL DEFAULT false,
      reason text NOT NULL DEFAULT '',
      actor_user_id uuid NOT NULL REFERENCES app_user (id),
      recorded_at timestamptz NOT NULL DEFAULT now()
    )
  `.execute(db);
  await sql`
    CREATE TRIGGER period_event_append_only BEFORE UPDATE OR DELETE ON period_event
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()
  `.execute(db);

  // The ledger checks closed periods itself under the chain-head lock; this trigger is the
  // last line of defence for anything that writes entries some other way.
  await sql`
    CREATE FUNCTION ledger_refuse_closed_period() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      closed text;
    BEGIN
      SELECT month INTO closed FROM ledger_closed_period
      WHERE NEW.effective_at >= starts_at AND NEW.effective_at < ends_at LIMIT 1;
      IF FOUND THEN
        RAISE EXCEPTION 'journal entry % falls in closed period %', NEW.id, closed USING ERRCODE = '23514';
      END IF;
      RETURN NEW;
    END $$
  `.execute(db);
  await sql`
    CREATE TRIGGER journal_entry_open_period BEFORE INSERT ON journal_entry
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_closed_period()
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TRIGGER journal_entry_open_period ON journal_entry`.execute(db);
  await sql`DROP FUNCTION ledger_refuse_closed_period`.execute(db);
  await sql`DROP TABLE period_event, ledger_closed_period`.execute(db);
}
