/**
 * @module Kysely's view of the exemption tables (migration 0012): the special group, a
 * pool's exemption terms, investigations with parties, evidence, findings, decisions,
 * drafts awaiting the leader, and clarifications. `date` columns read through
 * `localDateText`, as in schema-registry.ts.
 */
import type { ColumnType, Generated } from 'kysely';
import type { LocalDateColumn } from './schema-registry.ts';

type Written<T> = ColumnType<T, T, never>;
type JsonColumn = ColumnType<unknown, string, never>;

export type GroupPart = 'lead_unit' | 'member_unit';
export type InvestigationStatus = 'open' | 'decided';
export type PartyKind = 'unit' | 'official';
export type ExemptionFindingCode =
  | 'FILED_BEFORE_INCIDENT'
  | 'CONTROLLED_AS_FILED'
  | 'NON_SUBJECTIVE_OR_FORCE_MAJEURE'
  | 'POSITIVE_LIST_APPLIES'
  | 'NO_NEGATIVE_LIST_SITUATION';
export type ExemptionOutcome = 'exempt' | 'partly_exempt' | 'not_exempt';
export type DraftState = 'awaiting_leader' | 'decided' | 'sent_back';
export type ClarificationScope = 'unit' | 'county' | 'public';

export interface SpecialGroupUnitTable {
  code: string;
  name: string;
  part: GroupPart;
  position: number;
}

export interface SpecialGroupMemberTable {
  id: Generated<number>;
  user_id: string;
  unit_code: string;
  is_leader: boolean;
  appointed_at: Written<Date>;
  appointed_by: string;
}

export interface ExemptionTermsTable {
  pool_id: string;
  version: number;
  effective_from: LocalDateColumn;
  investigation_working_days: number;
  payouts_wait_for_decision: boolean;
  claims_require_exemption: boolean;
  reason: string;
  recorded_at: Written<Date>;
  recorded_by: string;
}

export interface InvestigationTable {
  id: Generated<string>;
  incident_id: string;
  pool_id: string;
  risk_point_id: string;
  occurred_on: LocalDateColumn;
  filing_id: string | null;
  risk_point_version: number | null;
  control_plan_as_filed: string | null;
  investigation_working_days: number;
  status: ColumnType<InvestigationStatus, InvestigationStatus | undefined, InvestigationStatus>;
  opened_at: Written<Date>;
  decided_at: ColumnType<Date | null, never, Date>;
}

export interface InvestigationPartyTable {
  id: Generated<string>;
  investigation_id: string;
  kind: PartyKind;
  name: string;
  unit: string | null;
  post: string | null;
  recorded_at: Written<Date>;
  recorded_by: string;
}

export interface InvestigationEvidenceTable {
  id: Generated<string>;
  investigation_id: string;
  title: string;
  media_type: string;
  sha256: string;
  size_bytes: number;
  content: ColumnType<Buffer, Buffer, never>;
  recorded_at: Written<Date>;
  recorded_by: string;
}

export interface InvestigationFindingTable {
  id: Generated<number>;
  investigation_id: string;
  code: ExemptionFindingCode;
  kind: 'automatic' | 'attested';
  met: boolean;
  note: string;
  list_item_code: string | null;
  list_item_version: number | null;
  evidence_ids: ColumnType<unknown, string | undefined, never>;
  recorded_at: Written<Date>;
  recorded_by: string | null;
}

export interface ExemptionDecisionTable {
  id: Generated<string>;
  investigation_id: string;
  version: number;
  supersedes_id: string | null;
  outcome: ExemptionOutcome;
  proposed_outcome: 'exempt' | 'not_proposed';
  reasons: string;
  findings: JsonColumn;
  prepared_by: string;
  prepared_at: Written<Date>;
  decided_by: string;
  decided_at: Written<Date>;
}

export interface ExemptionDraftTable {
  id: Generated<string>;
  investigation_id: string;
  supersedes_id: string | null;
  outcome: ExemptionOutcome;
  reasons: string;
  prepared_by: string;
  prepared_at: Written<Date>;
  state: ColumnType<DraftState, DraftState | undefined, DraftState>;
  closed_at: ColumnType<Date | null, never, Date>;
}

export interface ClarificationTable {
  id: Generated<string>;
  investigation_id: string;
  decision_id: string;
  scope: ClarificationScope;
  title: string;
  text: string;
  published_on: LocalDateColumn;
  recorded_at: Written<Date>;
  recorded_by: string;
}

export interface ExemptionTables {
  special_group_unit: SpecialGroupUnitTable;
  special_group_member: SpecialGroupMemberTable;
  exemption_terms: ExemptionTermsTable;
  investigation: InvestigationTable;
  investigation_party: InvestigationPartyTable;
  investigation_evidence: InvestigationEvidenceTable;
  investigation_finding: InvestigationFindingTable;
  exemption_decision: ExemptionDecisionTable;
  exemption_draft: ExemptionDraftTable;
  clarification: ClarificationTable;
}
