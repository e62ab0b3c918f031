/**
 * The double-entry ledger: accounts with bounds, journal entries chained by hash, postings.
 *
 * The database carries the invariants itself, as the last line of defence behind the
 * ledger code: bounds are CHECK constraints on the cached balances, every entry balances
 * per unit and phase (a statement trigger over the inserted postings), an entry's postings
 * all arrive in one statement, and entries and postings can never be updated or deleted.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE ledger_account (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      code text NOT NULL UNIQUE CHECK (length(code) BETWEEN 1 AND 200),
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      unit text NOT NULL CHECK (unit IN ('CNY', 'COVERAGE')),
      normal_side text NOT NULL CHECK (normal_side IN ('debit', 'credit')),
      lower_bound numeric(20,2),
      upper_bound numeric(20,2),
      posted_debits numeric(20,2) NOT NULL DEFAULT 0 CHECK (posted_debits >= 0),
      posted_credits numeric(20,2) NOT NULL DEFAULT 0 CHECK (posted_credits >= 0),
      pending_debits numeric(20,2) NOT NULL DEFAULT 0 CHECK (pending_debits >= 0),
      pending_credits numeric(20,2) NOT NULL DEFAULT 0 CHECK (pending_credits >= 0),
      created_at timestamptz NOT NULL DEFAULT now(),
      CHECK (lower_bound IS NULL OR upper_bound IS NULL OR lower_bound <= upper_bound),
      -- Bounds hold with pending holds counted against them: the worst case of every hold.
      CONSTRAINT ledger_account_lower_bound CHECK (lower_bound IS NULL OR CASE normal_side
        WHEN 'debit' THEN posted_debits - posted_credits - pending_credits >= lower_bound
        ELSE posted_credits - posted_debits - pending_debits >= lower_bound END),
      CONSTRAINT ledger_account_upper_bound CHECK (upper_bound IS NULL OR CASE normal_side
        WHEN 'debit' THEN posted_debits + pending_debits - posted_credits <= upper_bound
        ELSE posted_credits + pending_credits - posted_debits <= upper_bound END)
    )
  `.execute(db);

  // The chain head: one row naming the last entry and its hash. Entry ids are handed out
  // here, under its lock, so they are gapless and in commit order.
  await sql`
    CREATE TABLE ledger_chain (
      singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
      last_entry_id bigint NOT NULL DEFAULT 0,
      last_hash text NOT NULL DEFAULT repeat('0', 64)
    )
  `.execute(db);
  await sql`INSERT INTO ledger_chain DEFAULT VALUES`.execute(db);

  await sql`
    CREATE TABLE journal_entry (
      id bigint PRIMARY KEY CHECK (id > 0),
      kind text NOT NULL CHECK (kind IN ('posted', 'pending', 'post_pending', 'void_pending', 'reversal')),
      pending_entry_id bigint REFERENCES journal_entry (id),
      reverses_entry_id bigint REFERENCES journal_entry (id),
      idempotency_key text UNIQUE CHECK (length(idempotency_key) BETWEEN 1 AND 200),
      command_hash text NOT NULL,
      description text NOT NULL CHECK (length(description) <= 500),
      effective_at timestamptz NOT NULL,
      recorded_at timestamptz NOT NULL,
      pool_id uuid,
      incident_id uuid,
      claim_id uuid,
      payout_id uuid,
      category text,
      posting_count smallint NOT NULL CHECK (posting_count >= 2),
      prev_hash text NOT NULL,
      hash text NOT NULL UNIQUE,
      CHECK ((kind IN ('post_pending', 'void_pending')) = (pending_entry_id IS NOT NULL)),
      CHECK ((kind = 'reversal') = (reverses_entry_id IS NOT NULL))
    )
  `.execute(db);
  // A hold is posted or voided exactly once; an entry is reversed at most once.
  await sql`CREATE UNIQUE INDEX journal_entry_pending_resolved ON journal_entry (pending_entry_id)`.execute(
    db,
  );
  await sql`CREATE UNIQUE INDEX journal_entry_reversed ON journal_entry (reverses_entry_id)`.execute(
    db,
  );
  await sql`CREATE INDEX journal_entry_pool ON journal_entry (pool_id, effective_at) WHERE pool_id IS NOT NULL`.execute(
    db,
  );
  await sql`CREATE INDEX journal_entry_incident ON journal_entry (incident_id) WHERE incident_id IS NOT NULL`.execute(
    db,
  );
  await sql`CREATE INDEX journal_entry_claim ON journal_entry (claim_id) WHERE claim_id IS NOT NULL`.execute(
    db,
  );
  await sql`CREATE INDEX journal_entry_payout ON journal_entry (payout_id) WHERE payout_id IS NOT NULL`.execute(
    db,
  );

  await sql`
    CREATE TABLE posting (
      entry_id bigint NOT NULL REFERENCES journal_entry (id),
      seq smallint NOT NULL CHECK (seq >= 1),
      account_id bigint NOT NULL REFERENCES ledger_account (id),
      direction text NOT NULL CHECK (direction IN ('debit', 'credit')),
      phase text NOT NULL CHECK (phase IN ('posted', 'pending', 'release')),
      amount numeric(20,2) NOT NULL CHECK (amount > 0),
      effective_at timestamptz NOT NULL,
      PRIMARY KEY (entry_id, seq)
    )
  `.execute(db);
  // Covering index: an account's balance as of a moment is read from the index alone.
  await sql`
    CREATE INDEX posting_account_effective ON posting (account_id, effective_at, entry_id)
    INCLUDE (direction, phase, amount)
  `.execute(db);

  await sql`
    CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION '% is append-only: % refused; correct it with a reversing entry', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'P0001';
    END $$
  `.execute(db);
  for (const table of ['journal_entry', 'posting']) {
    await sql`
      CREATE TRIGGER ${sql.raw(`${table}_append_only`)} BEFORE UPDATE OR DELETE ON ${sql.raw(table)}
      FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()
    `.execute(db);
    await sql`
      CREATE TRIGGER ${sql.raw(`${table}_no_truncate`)} BEFORE TRUNCATE ON ${sql.raw(table)}
      FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()
    `.execute(db);
  }

  // Per statement, over the postings it inserted: each entry gets exactly its posting_count
  // postings numbered 1..n (so none can be added later: the primary key or this check
  // refuses), carries the entry's effective time, and balances per unit and phase.
  await sql`
    CREATE FUNCTION ledger_check_postings() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      bad_entry bigint;
    BEGIN
      SELECT p.entry_id INTO bad_entry
      FROM new_postings p JOIN journal_entry e ON e.id = p.entry_id
      GROUP BY p.entry_id, e.posting_count
      HAVING count(*) <> e.posting_count OR max(p.seq) <> e.posting_count
          OR bool_or(p.effective_at <> e.effective_at)
      LIMIT 1;
      IF FOUND THEN
        RAISE EXCEPTION 'journal entry % must get all its postings in one statement', bad_entry
          USING ERRCODE = '23514';
      END IF;
      SELECT p.entry_id INTO bad_entry
      FROM new_postings p JOIN ledger_account a ON a.id = p.account_id
      GROUP BY p.entry_id, a.unit, p.phase
      HAVING sum(CASE p.direction WHEN 'debit' THEN p.amount ELSE -p.amount END) <> 0
      LIMIT 1;
      IF FOUND THEN
        RAISE EXCEPTION 'journal entry % does not balance', bad_entry USING ERRCODE = '23514';
      END IF;
      RETURN NULL;
    END $$
  `.execute(db);
  await sql`
    CREATE TRIGGER posting_balanced AFTER INSERT ON posting
    REFERENCING NEW TABLE AS new_postings
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_check_postings()
  `.execute(db);

  // At commit, no entry may be left without its postings.
  await sql`
    CREATE FUNCTION ledger_check_entry_has_postings() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NOT EXISTS (SELECT 1 FROM posting WHERE entry_id = NEW.id) THEN
        RAISE EXCEPTION 'journal entry % has no postings', NEW.id USING ERRCODE = '23514';
      END IF;
      RETURN NULL;
    END $$
  `.execute(db);
  await sql`
    CREATE CONSTRAINT TRIGGER journal_entry_has_postings AFTER INSERT ON journal_entry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_check_entry_has_postings()
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE posting, journal_entry, ledger_chain, ledger_account`.execute(db);
  await sql`DROP FUNCTION ledger_refuse_change, ledger_check_postings, ledger_check_entry_has_postings`.execute(
    db,
  );
}
