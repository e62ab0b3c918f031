/**
 * @module Kysely's view of the payout tables: payouts and their outbox, bank transfers, payment
 * files with their instructions, and the payout evidence (migration 0010): what settled or failed
 * a payout that was in doubt, and the reason finance gave for a refund that took cash waiting
 * payouts needed. The evidence tables are append-only.
 */
import type { ColumnType, Generated } from 'kysely';
import type { Numeric } from './schema-columns.ts';

export type PayoutResolutionOutcome = 'paid' | 'not_paid';
export type PayoutEvidenceKind = 'statement_line' | 'bank_confirmation' | 'gateway_lookup';

export interface PayoutResolutionTable {
  id: Generated<string>;
  payout_id: string;
  outcome: PayoutResolutionOutcome;
  evidence_kind: PayoutEvidenceKind;
  evidence_reference: string;
  statement_line_id: string | null;
  note: string;
  /** Null when the gateway's own lookup answered. */
  decided_by: string | null;
  decided_at: Generated<Date>;
}

export interface RefundCashOverrideTable {
  refund_id: string;
  reason: string;
  cash_needed_by_waiting: Numeric;
  decided_by: string;
  decided_at: Generated<Date>;
}

export type PayoutStatus =
  | 'pending'
  | 'awaiting_funds'
  | 'sending'
  | 'in_doubt'
  | 'paid'
  | 'failed'
  | 'void';

export interface PayoutTable {
  id: Generated<string>;
  claim_id: string;
  decision_id: string;
  claim_line_id: string;
  pool_id: string;
  incident_id: string;
  category: string;
  payee: string;
  amount: Numeric;
  coverage_hold_entry_id: number | null;
  cash_hold_entry_id: number | null;
  status: PayoutStatus;
  attempts: Generated<number>;
  /** The attempt count when finance last retried: the retry budget counts from here. */
  attempts_before_retry: Generated<number>;
  /** The live attempt's lease: only its holder may act on the payout until it expires. */
  lease_token: string | null;
  lease_expires_at: Date | null;
  in_doubt_since: Date | null;
  next_attempt_at: ColumnType<Date, Date | undefined, Date>;
  last_error: string | null;
  gateway: string | null;
  gateway_reference: string | null;
  settled_at: Date | null;
  voided_at: Date | null;
  void_reason: string | null;
  created_at: Generated<Date>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface PayoutOutboxTable {
  id: Generated<number>;
  payout_id: string;
  created_at: Generated<Date>;
  relayed_at: Date | null;
}

export interface BankTransferTable {
  id: Generated<string>;
  idempotency_key: string;
  payee: string;
  amount: Numeric;
  created_at: Generated<Date>;
}

export interface PaymentFileTable {
  id: Generated<string>;
  line_count: number;
  control_total: Numeric;
  checksum: string;
  content: string;
  created_at: Generated<Date>;
  created_by: string;
  confirmed_at: Date | null;
  confirmed_by: string | null;
}

export interface PaymentInstructionTable {
  payout_id: string;
  payee: string;
  amount: Numeric;
  payment_file_id: string | null;
  created_at: Generated<Date>;
  /** The treasury handed the line back unpaid. */
  returned_at: Date | null;
  return_reason: string | null;
}

export interface PayoutTables {
  payout: PayoutTable;
  payout_outbox: PayoutOutboxTable;
  bank_transfer: BankTransferTable;
  payment_file: PaymentFileTable;
  payment_instruction: PaymentInstructionTable;
  payout_resolution: PayoutResolutionTable;
  refund_cash_override: RefundCashOverrideTable;
}
