/**
 * @module Kysely's view of the tables, written by hand beside the migrations.
 *
 * NUMERIC columns are strings (never numbers); int8 columns are numbers because the
 * drivers are set to parse them so (they carry ids and counts, never money). A test
 * compares these names with the migrated database.
 */
import type { ColumnType, Generated } from 'kysely';

/** NUMERIC(20,2) as read from and written to the database. */
export type Numeric = ColumnType<string, string, string>;
export type Timestamp = ColumnType<Date, Date | string, Date | string>;

export interface LedgerAccountTable {
  id: Generated<number>;
  code: string;
  name: string;
  unit: 'CNY' | 'COVERAGE';
  normal_side: 'debit' | 'credit';
  lower_bound: Numeric | null;
  upper_bound: Numeric | null;
  posted_debits: ColumnType<string, string | undefined, string>;
  posted_credits: ColumnType<string, string | undefined, string>;
  pending_debits: ColumnType<string, string | undefined, string>;
  pending_credits: ColumnType<string, string | undefined, string>;
  created_at: ColumnType<Date, Date | string | undefined, never>;
}

export interface LedgerChainTable {
  singleton: Generated<boolean>;
  last_entry_id: number;
  last_hash: string;
}

export type EntryKind = 'posted' | 'pending' | 'post_pending' | 'void_pending' | 'reversal';

export interface JournalEntryTable {
  id: number;
  kind: EntryKind;
  pending_entry_id: number | null;
  reverses_entry_id: number | null;
  idempotency_key: string | null;
  command_hash: string;
  description: string;
  effective_at: Timestamp;
  recorded_at: Timestamp;
  pool_id: string | null;
  incident_id: string | null;
  claim_id: string | null;
  payout_id: string | null;
  category: string | null;
  posting_count: number;
  prev_hash: string;
  hash: string;
}

export interface PostingTable {
  entry_id: number;
  seq: number;
  account_id: number;
  direction: 'debit' | 'credit';
  phase: 'posted' | 'pending' | 'release';
  amount: Numeric;
  effective_at: Timestamp;
}

export type Role = 'reform_office' | 'insurer' | 'finance' | 'admin';

export interface AppUserTable {
  id: Generated<string>;
  name: string;
  role: Role;
  active: Generated<boolean>;
  created_at: Generated<Date>;
  created_by: string | null;
}

export interface AccessTokenTable {
  id: Generated<string>;
  user_id: string;
  token_hash: string;
  label: string;
  created_at: Generated<Date>;
  expires_at: Date | null;
  revoked_at: Date | null;
}

export interface IdempotencyRecordTable {
  user_id: string;
  idempotency_key: string;
  request_hash: string;
  method: string;
  path: string;
  response_status: number | null;
  response_body: ColumnType<unknown, string | null, string | null> | null;
  created_at: Generated<Date>;
}

export interface AuditRecordTable {
  id: Generated<number>;
  recorded_at: Generated<Date>;
  actor_user_id: string | null;
  actor_name: string;
  actor_role: string;
  action: string;
  entity: string;
  entity_id: string | null;
  request_id: string;
  request_hash: string;
}

export interface Database {
  ledger_account: LedgerAccountTable;
  ledger_chain: LedgerChainTable;
  journal_entry: JournalEntryTable;
  posting: PostingTable;
  app_user: AppUserTable;
  access_token: AccessTokenTable;
  idempotency_record: IdempotencyRecordTable;
  audit_record: AuditRecordTable;
}
