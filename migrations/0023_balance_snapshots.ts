/**
 * Balance snapshots: every account's posting sums over all postings effective before a
 * boundary (the start of a local day; a month's close is the start of its next month's first
 * day). An as-of read starts from the nearest snapshot at or before its moment and sums at
 * most one period of postings past it, whatever the history's length.
 *
 * A snapshot row exists for an account only where it moved in the period before the
 * boundary. Snapshots stay exactly the sums from the start: a posting effective before a
 * boundary that is already snapshotted (a reopened month, a backdated entry in an open one)
 * is added to those snapshots by the statement trigger below, in its own transaction. Taking
 * snapshots holds an advisory lock that every posting statement shares, so no posting commits
 * unseen by both (src/ledger/snapshots.ts).
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE ledger_snapshot_run (
      boundary timestamptz PRIMARY KEY,
      -- The local day the boundary begins, for people reading the table.
      day date NOT NULL,
      taken_at timestamptz NOT NULL DEFAULT now()
    )
  `.execute(db);
  await sql`
    CREATE TABLE ledger_balance_snapshot (
      account_id bigint NOT NULL REFERENCES ledger_account (id),
      boundary timestamptz NOT NULL REFERENCES ledger_snapshot_run (boundary),
      posted_debits numeric(20,2) NOT NULL,
      posted_credits numeric(20,2) NOT NULL,
      pending_debits numeric(20,2) NOT NULL,
      pending_credits numeric(20,2) NOT NULL,
      PRIMARY KEY (account_id, boundary)
    )
  `.execute(db);
  await sql`
    CREATE FUNCTION ledger_snapshot_late_postings() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      -- Shared with every other writer, exclusive to a snapshot being taken: a posting either
      -- commits before the snapshot reads, or waits and then finds the snapshot to adjust.
      PERFORM pg_advisory_xact_lock_shared(hashtext('ledger_balance_snapshot'));
      -- The common case, a posting effective after the last boundary, touches nothing.
      IF NOT EXISTS (
        SELECT 1 FROM new_postings p
        WHERE p.effective_at < (SELECT max(boundary) FROM ledger_snapshot_run)
      ) THEN
        RETURN NULL;
      END IF;
      UPDATE ledger_balance_snapshot s SET
        posted_debits = s.posted_debits + d.posted_debits,
        posted_credits = s.posted_credits + d.posted_credits,
        pending_debits = s.pending_debits + d.pending_debits,
        pending_credits = s.pending_credits + d.pending_credits
      FROM (
        SELECT s2.account_id, s2.boundary,
          coalesce(sum(p.amount) FILTER (WHERE p.phase = 'posted' AND p.direction = 'debit'), 0) AS posted_debits,
          coalesce(sum(p.amount) FILTER (WHERE p.phase = 'posted' AND p.direction = 'credit'), 0) AS posted_credits,
          coalesce(sum(CASE p.phase WHEN 'pending' THEN p.amount WHEN 'release' THEN -p.amount END)
            FILTER (WHERE p.direction = 'debit'), 0) AS pending_debits,
          coalesce(sum(CASE p.phase WHEN 'pending' THEN p.amount WHEN 'release' THEN -p.amount END)
            FILTER (WHERE p.direction = 'credit'), 0) AS pending_credits
        FROM new_postings p
        JOIN ledger_balance_snapshot s2 ON s2.account_id = p.account_id AND s2.boundary > p.effective_at
        GROUP BY s2.account_id, s2.boundary
      ) d
      WHERE s.account_id = d.account_id AND s.boundary = d.boundary;
      RETURN NULL;
    END $$
  `.execute(db);
  await sql`
    CREATE TRIGGER posting_keeps_snapshots AFTER INSERT ON posting
    REFERENCING NEW TABLE AS new_postings
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_snapshot_late_postings()
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TRIGGER posting_keeps_snapshots ON posting`.execute(db);
  await sql`DROP FUNCTION ledger_snapshot_late_postings`.execute(db);
  await sql`DROP TABLE ledger_balance_snapshot`.execute(db);
  await sql`DROP TABLE ledger_snapshot_run`.execute(db);
}
