/**
 * @module Kysely's view of the pool tables: pools, their dated terms, contributions, refunds and
 * insurer remittances, and the coverage alerts raised on them.
 */
import type { ColumnType, Generated } from 'kysely';
import type { DocumentKind } from './schema-claims.ts';
import type { Json, Numeric } from './schema-columns.ts';

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

export interface PoolTables {
  pool: PoolTable;
  pool_terms: PoolTermsTable;
  contribution: ContributionTable;
  contribution_refund: ContributionRefundTable;
  remittance: RemittanceTable;
  coverage_alert: CoverageAlertTable;
}
