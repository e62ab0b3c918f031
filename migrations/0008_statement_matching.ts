/**
 * Settlement matching (对账): imported bank and insurer statements, their lines, the matches
 * of lines to ledger items (paid payouts, contributions, contribution refunds, insurer
 * remittances) and explanations of what stays unmatched. Everything here is append-only:
 * a match or an explanation, once confirmed, is a record of who decided what, and the
 * database refuses to change it.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // The same file for the same pool is one statement, whoever sends it again: the hash of
  // its normalised text is unique per pool.
  await sql`
    CREATE TABLE bank_statement (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      pool_id uuid NOT NULL REFERENCES pool (id),
      source text NOT NULL CHECK (source IN ('bank', 'insurer')),
      file_sha256 text NOT NULL CHECK (file_sha256 ~ '^[0-9a-f]{64}$'),
      filename text NOT NULL CHECK (length(filename) BETWEEN 1 AND 200),
      layout text NOT NULL CHECK (layout IN ('signed_amount', 'debit_credit', 'amount_and_direction')),
      period_from date NOT NULL,
      period_to date NOT NULL,
      line_count integer NOT NULL CHECK (line_count >= 1),
      total_in numeric(20,2) NOT NULL CHECK (total_in >= 0),
      total_out numeric(20,2) NOT NULL CHECK (total_out >= 0),
      tolerance numeric(20,2) NOT NULL CHECK (tolerance >= 0),
      imported_at timestamptz NOT NULL DEFAULT now(),
      imported_by uuid NOT NULL REFERENCES app_user (id),
      UNIQUE (pool_id, file_sha256),
      CHECK (period_from <= period_to)
    )
  `.execute(db);

  // Amounts are signed as the pool's account sees them: + money in, − money out.
  await sql`
    CREATE TABLE statement_line (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      statement_id uuid NOT NULL REFERENCES bank_statement (id),
      row_number integer NOT NULL CHECK (row_number >= 1),
      value_date date NOT NULL,
      amount numeric(20,2) NOT NULL CHECK (amount <> 0),
      reference text NOT NULL CHECK (length(reference) <= 200),
      other_references text[] NOT NULL DEFAULT '{}',
      counterparty text NOT NULL CHECK (length(counterparty) <= 200),
      UNIQUE (statement_id, row_number)
    )
  `.execute(db);

  // One column per kind of ledger item, so every target is a real foreign key; target_id
  // is derived from them, and (target_kind, target_id) is unique: an item is matched once,
  // whichever statement it appears on, and a line matches one item.
  const targets = sql.raw(`
      target_kind text NOT NULL CHECK (target_kind IN ('payout', 'contribution', 'remittance', 'refund')),
      payout_id uuid REFERENCES payout (id),
      contribution_id uuid REFERENCES contribution (id),
      remittance_id uuid REFERENCES remittance (id),
      refund_id uuid REFERENCES contribution_refund (id),
      target_id uuid NOT NULL GENERATED ALWAYS AS (coalesce(payout_id, contribution_id, remittance_id, refund_id)) STORED,
      CHECK (num_nonnulls(payout_id, contribution_id, remittance_id, refund_id) = 1),
      CHECK ((payout_id IS NOT NULL) = (target_kind = 'payout')),
      CHECK ((contribution_id IS NOT NULL) = (target_kind = 'contribution')),
      CHECK ((remittance_id IS NOT NULL) = (target_kind = 'remittance')),
      CHECK ((refund_id IS NOT NULL) = (target_kind = 'refund'))`);
  await sql`
    CREATE TABLE statement_match (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      statement_line_id uuid NOT NULL UNIQUE REFERENCES statement_line (id),
      ${targets},
      ledger_amount numeric(20,2) NOT NULL CHECK (ledger_amount <> 0),
      difference numeric(20,2) NOT NULL,
      matched_by text NOT NULL CHECK (matched_by IN ('auto', 'hand')),
      note text NOT NULL DEFAULT '' CHECK (length(note) <= 1000),
      confirmed_by uuid NOT NULL REFERENCES app_user (id),
      confirmed_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (target_kind, target_id),
      CHECK (matched_by = 'auto' OR length(note) >= 1)
    )
  `.execute(db);

  // An explanation is of a statement line or of a ledger item, never both.
  await sql`
    CREATE TABLE statement_explanation (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      statement_line_id uuid UNIQUE REFERENCES statement_line (id),
      target_kind text CHECK (target_kind IN ('payout', 'contribution', 'remittance', 'refund')),
      payout_id uuid UNIQUE REFERENCES payout (id),
      contribution_id uuid UNIQUE REFERENCES contribution (id),
      remittance_id uuid UNIQUE REFERENCES remittance (id),
      refund_id uuid UNIQUE REFERENCES contribution_refund (id),
      target_id uuid GENERATED ALWAYS AS (coalesce(payout_id, contribution_id, remittance_id, refund_id)) STORED,
      note text NOT NULL CHECK (length(note) BETWEEN 1 AND 1000),
      explained_by uuid NOT NULL REFERENCES app_user (id),
      explained_at timestamptz NOT NULL DEFAULT now(),
      CHECK (num_nonnulls(statement_line_id, payout_id, contribution_id, remittance_id, refund_id) = 1),
      CHECK ((payout_id IS NOT NULL) = (target_kind IS NOT DISTINCT FROM 'payout')),
      CHECK ((contribution_id IS NOT NULL) = (target_kind IS NOT DISTINCT FROM 'contribution')),
      CHECK ((remittance_id IS NOT NULL) = (target_kind IS NOT DISTINCT FROM 'remittance')),
      CHECK ((refund_id IS NOT NULL) = (target_kind IS NOT DISTINCT FROM 'refund'))
    )
  `.execute(db);

  for (const table of [
    'bank_statement',
    'statement_line',
    'statement_match',
    'statement_explanation',
  ]) {
    await sql`
      CREATE TRIGGER ${sql.raw(`${table}_append_only`)} BEFORE UPDATE OR DELETE ON ${sql.raw(table)}
      FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()
    `.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE statement_explanation, statement_match, statement_line, bank_statement`.execute(
    db,
  );
}
