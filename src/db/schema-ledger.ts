/**
 * @module Kysely's view of the ledger's tables: accounts, the chain head, journal entries and
 * their postings, checkpoints, account records, balance snapshots, and the months finance closed
 * with their close and reopen events.
 */
import type { ColumnType, Generated } from 'kysely';
import type { Numeric, Timestamp } from './schema-columns.ts';

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

export interface LedgerCheckpointTable {
  id: Generated<number>;
  reason: string;
  last_entry_id: number;
  chain_hash: string;
  accounts: unknown;
  taken_at: Generated<Date>;
  taken_by: string | null;
  account_record_id: number | null;
  account_record_hash: string | null;
}

export interface LedgerAccountRecordTable {
  id: number;
  account_id: number;
  action: 'open' | 'bounds';
  code: string;
  unit: string;
  normal_side: string;
  lower_bound: Numeric | null;
  upper_bound: Numeric | null;
  recorded_at: Timestamp;
  prev_hash: string;
  hash: string;
}

export interface LedgerSnapshotRunTable {
  boundary: Timestamp;
  day: ColumnType<string, string, string>;
  taken_at: Generated<Date>;
}

export interface LedgerBalanceSnapshotTable {
  account_id: number;
  boundary: Timestamp;
  posted_debits: Numeric;
  posted_credits: Numeric;
  pending_debits: Numeric;
  pending_credits: Numeric;
}

export interface LedgerClosedPeriodTable {
  month: string;
  starts_at: Timestamp;
  ends_at: Timestamp;
  closed_at: Generated<Date>;
  closed_by: string;
}

export interface PeriodEventTable {
  id: Generated<number>;
  month: string;
  action: 'close' | 'reopen';
  forced: Generated<boolean>;
  reason: Generated<string>;
  actor_user_id: string;
  recorded_at: Generated<Date>;
}

export interface LedgerTables {
  ledger_account: LedgerAccountTable;
  ledger_chain: LedgerChainTable;
  ledger_checkpoint: LedgerCheckpointTable;
  ledger_account_record: LedgerAccountRecordTable;
  ledger_snapshot_run: LedgerSnapshotRunTable;
  ledger_balance_snapshot: LedgerBalanceSnapshotTable;
  journal_entry: JournalEntryTable;
  posting: PostingTable;
  ledger_closed_period: LedgerClosedPeriodTable;
  period_event: PeriodEventTable;
}
