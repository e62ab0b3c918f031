/**
 * @module Kysely's view of the claim tables: incidents and their links, claims with their lines,
 * evidence, documents and waivers, case reserves, recoveries, decisions with their lines, and the
 * claim's events.
 */
import type { ColumnType, Generated } from 'kysely';
import type { Json, Numeric } from './schema-columns.ts';

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

export interface ClaimTables {
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
}
