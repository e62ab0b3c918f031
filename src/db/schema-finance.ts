/**
 * @module Kysely's view of the settlement-matching tables (migration 0008): imported
 * statements, their lines, matches and explanations. All four are append-only.
 *
 * `date` columns read as 'YYYY-MM-DD' text: both drivers are set to keep a DATE as text
 * (src/db/database.ts). text[] reads as string[].
 */
import type { ColumnType, Generated } from 'kysely';

type Numeric = ColumnType<string, string, string>;
type LocalDateText = ColumnType<string, string, string>;
/** A column PostgreSQL computes (GENERATED ALWAYS … STORED): read, never written. */
type Computed<T> = ColumnType<T, never, never>;

export type StatementSource = 'bank' | 'insurer';
export type StatementLayoutColumn = 'signed_amount' | 'debit_credit' | 'amount_and_direction';
export type LedgerItemKindColumn = 'payout' | 'contribution' | 'remittance' | 'refund';

export interface BankStatementTable {
  id: Generated<string>;
  pool_id: string;
  source: StatementSource;
  file_sha256: string;
  filename: string;
  layout: StatementLayoutColumn;
  period_from: LocalDateText;
  period_to: LocalDateText;
  line_count: number;
  total_in: Numeric;
  total_out: Numeric;
  tolerance: Numeric;
  imported_at: Generated<Date>;
  imported_by: string;
}

export interface StatementLineTable {
  id: Generated<string>;
  statement_id: string;
  row_number: number;
  value_date: LocalDateText;
  amount: Numeric;
  reference: string;
  other_references: ColumnType<string[], string[] | undefined, never>;
  counterparty: string;
}

export interface StatementMatchTable {
  id: Generated<string>;
  statement_line_id: string;
  target_kind: LedgerItemKindColumn;
  payout_id: string | null;
  contribution_id: string | null;
  remittance_id: string | null;
  refund_id: string | null;
  target_id: Computed<string>;
  ledger_amount: Numeric;
  difference: Numeric;
  matched_by: 'auto' | 'hand';
  note: ColumnType<string, string | undefined, never>;
  confirmed_by: string;
  confirmed_at: Generated<Date>;
}

export interface StatementExplanationTable {
  id: Generated<string>;
  statement_line_id: string | null;
  target_kind: LedgerItemKindColumn | null;
  payout_id: string | null;
  contribution_id: string | null;
  remittance_id: string | null;
  refund_id: string | null;
  target_id: Computed<string | null>;
  note: string;
  explained_by: string;
  explained_at: Generated<Date>;
}

export interface FinanceTables {
  bank_statement: BankStatementTable;
  statement_line: StatementLineTable;
  statement_match: StatementMatchTable;
  statement_explanation: StatementExplanationTable;
}
