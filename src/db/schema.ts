/**
 * @module Kysely's view of the tables, written by hand beside the migrations.
 *
 * NUMERIC columns are strings (never numbers); int8 columns are numbers because the
 * drivers are set to parse them so (they carry ids and counts, never money). A test
 * compares these names with the migrated database.
 */
import type { ColumnType, Generated } from 'kysely';
import type { CoverageTables } from './schema-coverage.ts';
import type { ExemptionTables } from './schema-exemption.ts';
import type { FinanceTables } from './schema-finance.ts';
import type { PayoutTables } from './schema-payouts.ts';
import type { RegistryTables } from './schema-registry.ts';

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

export type Role =
  | 'reform_office'
  | 'insurer'
  | 'finance'
  | 'admin'
  | 'department'
  | 'special_group';

export interface AppUserTable {
  id: Generated<string>;
  name: string;
  role: Role;
  active: Generated<boolean>;
  created_at: Generated<Date>;
  created_by: string | null;
  /** What the user may decide alone, cumulative per claim and per incident; null: the terms' four-eyes threshold (migration 0017). */
  authority_limit: ColumnType<string | null, string | null | undefined, string | null>;
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

export interface AuthThrottleTable {
  client: string;
  window_started_at: Date;
  failures: number;
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

export interface PoolTable {
  id: Generated<string>;
  code: string;
  name: string;
  insurer: string;
  policy_number: string;
  currency: Generated<'CNY'>;
  created_at: Generated<Date>;
  created_by: string | null;
}

/** jsonb: what the driver returns on read, what we send (JSON text) on write. */
export type Json<T> = ColumnType<T, string, string>;

export interface CategoryTermRow {
  category: string;
  covered: boolean;
  countsAgainstCaps: boolean;
  /** Absent in rows written before terms listed documents (migration 0017). */
  requiredDocuments?: { requirement: string; anyOf: DocumentKind[] }[];
}

export interface PoolTermsTable {
  pool_id: string;
  version: number;
  effective_from: ColumnType<string, string, string>;
  period_start: ColumnType<string, string, string>;
  period_end: ColumnType<string, string, string>;
  funding_ratio: Numeric;
  per_incident_cap: Numeric;
  cumulative_cap: Numeric;
  categories: Json<CategoryTermRow[]>;
  pool_warning_percents: Json<string[]>;
  incident_warning_percent: Numeric;
  four_eyes_threshold: ColumnType<string, string | undefined, string>;
  /** Optional cap on what one reform project's incidents may draw; null: no such limit. */
  per_project_limit: ColumnType<string | null, string | null | undefined, never>;
  /** Whether money recovered from a third party gives cumulative coverage back (migration 0017). */
  recoveries_reinstate_coverage: ColumnType<boolean, boolean | undefined, never>;
  reason: string;
  recorded_at: Generated<Date>;
  recorded_by: string | null;
}

export interface ContributionTable {
  id: Generated<string>;
  pool_id: string;
  amount: Numeric;
  received_on: ColumnType<string, string, string>;
  payer: string;
  bank_reference: string;
  coverage_granted: Numeric;
  surplus: Numeric;
  /** Received in a month already closed, so booked in the open month under its own name. */
  booked_as_late_item: ColumnType<boolean, boolean | undefined, never>;
  entry_id: number;
  recorded_at: Generated<Date>;
  recorded_by: string | null;
}

export interface ContributionRefundTable {
  id: Generated<string>;
  contribution_id: string;
  amount: Numeric;
  refunded_on: ColumnType<string, string, string>;
  bank_reference: string;
  reason: string;
  surplus_returned: Numeric;
  coverage_released: Numeric;
  /** Received in a month already closed, so booked in the open month under its own name. */
  booked_as_late_item: ColumnType<boolean, boolean | undefined, never>;
  entry_id: number;
  recorded_at: Generated<Date>;
  recorded_by: string | null;
}

export interface RemittanceTable {
  id: Generated<string>;
  pool_id: string;
  amount: Numeric;
  received_on: ColumnType<string, string, string>;
  reference: string;
  note: Generated<string>;
  /** Received in a month already closed, so booked in the open month under its own name. */
  booked_as_late_item: ColumnType<boolean, boolean | undefined, never>;
  entry_id: number;
  recorded_at: Generated<Date>;
  recorded_by: string | null;
}

export interface CoverageAlertTable {
  id: Generated<string>;
  pool_id: string;
  incident_id: string | null;
  threshold_percent: Numeric;
  committed: Numeric;
  cap: Numeric;
  /** The policy period the alert belongs to; null for alerts raised before periods counted. */
  period_start: ColumnType<string | null, string | null | undefined, never>;
  raised_at: Generated<Date>;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
}

export type ClaimStatus =
  | 'submitted'
  | 'under_review'
  | 'awaiting_confirmation'
  | 'approved'
  | 'partly_approved'
  | 'denied'
  | 'payout_pending'
  | 'paid'
  | 'payout_failed'
  | 'closed'
  | 'withdrawn'
  | 'reopened';

export interface IncidentTable {
  id: Generated<string>;
  pool_id: string;
  risk_point_id: string;
  occurred_on: ColumnType<string, string, string>;
  description: string;
  place: string;
  reporter: string;
  covered: boolean;
  not_covered_reasons: Json<({ code: string; text: string } | string)[]>;
  per_incident_cap: Numeric;
  reported_at: Generated<Date>;
  reported_by: string;
  /** Incidents that may be the same loss event, until a handler links or separates them (0017). */
  possible_duplicate_of: ColumnType<PossibleDuplicateIncident[], string | undefined, string>;
  /** The incident whose per-incident cap this one shares; null: its own (0017). */
  event_incident_id: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface PossibleDuplicateIncident {
  incidentId: string;
  occurredOn: string;
  place: string;
  daysApart: number;
}

export interface IncidentLinkTable {
  id: Generated<string>;
  incident_id: string;
  other_incident_id: string;
  same_event: boolean;
  reason: string;
  decided_by: string;
  decided_at: Generated<Date>;
}

export type DocumentKind =
  | 'appraisal_report'
  | 'invoice'
  | 'ruling'
  | 'arbitral_award'
  | 'fee_receipt'
  | 'engagement_contract'
  | 'loss_inventory'
  | 'other';

export interface ClaimDocumentTable {
  id: Generated<string>;
  claim_id: string;
  claim_line_id: string;
  kind: DocumentKind;
  title: string;
  document_number: string;
  media_type: string;
  size_bytes: number;
  sha256: string;
  content: Buffer;
  uploaded_by: string;
  uploaded_at: Generated<Date>;
}

export interface ClaimDocumentWaiverTable {
  id: Generated<string>;
  claim_line_id: string;
  requirement: string;
  reason: string;
  waived_by: string;
  waived_at: Generated<Date>;
}

export interface ClaimReserveMovementTable {
  id: Generated<number>;
  claim_id: string;
  kind: 'initial' | 'movement' | 'released';
  amount: Numeric;
  reserve_after: Numeric;
  reason: string;
  recorded_by: string;
  recorded_at: Generated<Date>;
}

export interface ClaimRecoveryTable {
  id: Generated<string>;
  claim_id: string;
  kind: 'subrogation' | 'salvage';
  amount: Numeric;
  received_on: ColumnType<string, string, never>;
  from_party: string;
  reference: string;
  coverage_reinstated: Numeric;
  entry_id: number;
  recorded_by: string;
  recorded_at: Generated<Date>;
}

export interface ClaimTable {
  id: Generated<string>;
  incident_id: string;
  status: ClaimStatus;
  claimant: string;
  submitted_at: Generated<Date>;
  submitted_by: string;
  status_changed_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface EvidenceRow {
  title: string;
  documentNumber: string;
  sha256: string;
}

export interface DuplicateRow {
  claimLineId: string;
  claimId: string;
  matchedOn: 'document_number' | 'sha256';
  value: string;
}

export interface ClaimLineTable {
  id: Generated<string>;
  claim_id: string;
  line_no: number;
  category: string;
  amount_claimed: Numeric;
  payee: string;
  description: Generated<string>;
  evidence: Json<EvidenceRow[]>;
  possible_duplicate_of: Json<DuplicateRow[]>;
  added_at: Generated<Date>;
}

export interface ClaimEvidenceTable {
  claim_line_id: string;
  document_number: string;
  sha256: string;
}

export interface FindingRow {
  code: string;
  kind: 'automatic' | 'attested';
  result: 'pass' | 'fail';
  note: string;
}

export interface ClaimDecisionTable {
  id: Generated<string>;
  claim_id: string;
  outcome: 'approved' | 'partly_approved' | 'denied';
  state: 'awaiting_confirmation' | 'effective' | 'rejected_by_checker';
  findings: Json<FindingRow[]>;
  denial_reasons: Json<string[]>;
  note: Generated<string>;
  approved_total: Numeric;
  incident_cap_cut: Numeric;
  /** Cut by the optional per-project limit (migration 0011). */
  project_limit_cut: ColumnType<string, string | undefined, never>;
  pool_cap_cut: Numeric;
  payable: Numeric;
  decided_at: Generated<Date>;
  decided_by: string;
  confirmed_at: Date | null;
  confirmed_by: string | null;
  /** A supplementary decision names the decision it revises (0017). */
  supersedes_decision_id: ColumnType<string | null, string | null | undefined, never>;
}

export interface ClaimDecisionLineTable {
  decision_id: string;
  claim_line_id: string;
  approved: Numeric;
  payable: Numeric;
  cut_by: 'per_incident_cap' | 'per_project_limit' | 'cumulative_cap' | null;
  hold_entry_id: number | null;
  /** What the line stood at before a supplementary decision; its payout is the difference (0017). */
  previous_payable: ColumnType<string, string | undefined, never>;
}

export interface ClaimEventTable {
  id: Generated<number>;
  claim_id: string;
  from_status: string | null;
  to_status: string;
  action: string;
  note: Generated<string>;
  actor_user_id: string;
  recorded_at: Generated<Date>;
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

export interface Database
  extends RegistryTables,
    FinanceTables,
    CoverageTables,
    ExemptionTables,
    PayoutTables {
  ledger_account: LedgerAccountTable;
  ledger_chain: LedgerChainTable;
  ledger_checkpoint: LedgerCheckpointTable;
  ledger_account_record: LedgerAccountRecordTable;
  ledger_snapshot_run: LedgerSnapshotRunTable;
  ledger_balance_snapshot: LedgerBalanceSnapshotTable;
  journal_entry: JournalEntryTable;
  posting: PostingTable;
  app_user: AppUserTable;
  access_token: AccessTokenTable;
  auth_throttle: AuthThrottleTable;
  idempotency_record: IdempotencyRecordTable;
  audit_record: AuditRecordTable;
  pool: PoolTable;
  pool_terms: PoolTermsTable;
  contribution: ContributionTable;
  contribution_refund: ContributionRefundTable;
  remittance: RemittanceTable;
  coverage_alert: CoverageAlertTable;
  incident: IncidentTable;
  claim: ClaimTable;
  claim_line: ClaimLineTable;
  claim_evidence: ClaimEvidenceTable;
  claim_decision: ClaimDecisionTable;
  claim_decision_line: ClaimDecisionLineTable;
  claim_event: ClaimEventTable;
  incident_link: IncidentLinkTable;
  claim_document: ClaimDocumentTable;
  claim_document_waiver: ClaimDocumentWaiverTable;
  claim_reserve_movement: ClaimReserveMovementTable;
  claim_recovery: ClaimRecoveryTable;
  payout: PayoutTable;
  payout_outbox: PayoutOutboxTable;
  bank_transfer: BankTransferTable;
  ledger_closed_period: LedgerClosedPeriodTable;
  period_event: PeriodEventTable;
  payment_file: PaymentFileTable;
  payment_instruction: PaymentInstructionTable;
}
