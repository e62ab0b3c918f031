/**
 * @module Kysely's view of the payout evidence tables (migration 0010): what settled or
 * failed a payout that was in doubt, and the reason finance gave for a refund that took
 * cash waiting payouts needed. Both are append-only.
 */
import type { ColumnType, Generated } from 'kysely';

type Numeric = ColumnType<string, string, string>;

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

export interface PayoutTables {
  payout_resolution: PayoutResolutionTable;
  refund_cash_override: RefundCashOverrideTable;
}
