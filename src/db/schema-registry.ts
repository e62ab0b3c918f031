/**
 * @module Kysely's view of the registry tables (migration 0004): the working-day calendar,
 * reform projects, versioned risk points, filings with their steps, reference lists.
 *
 * `date` columns read as `unknown` on purpose: read them through `localDateText`
 * (src/policy/local-date.ts), which has PostgreSQL format the text, so a local date never
 * depends on how a driver is set to parse `date` (pg's default is a Date at local midnight).
 */
import type { ColumnType, Generated } from 'kysely';

/** A PostgreSQL `date`: written as 'YYYY-MM-DD', read only through `localDateText`. */
export type LocalDateColumn = ColumnType<unknown, string, string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
/** jsonb written as JSON text, read as the parsed value. */
type JsonColumn = ColumnType<unknown, string, never>;

export type CalendarDayKind = 'holiday' | 'workday';
export type CalendarDaySource = 'official_schedule' | 'admin';

export interface WorkingCalendarDayTable {
  day: LocalDateColumn;
  kind: CalendarDayKind;
  name: string;
  source: CalendarDaySource;
  recorded_at: CreatedAt;
  recorded_by: string | null;
}

export interface WorkingCalendarYearTable {
  year: number;
  source: string;
  seeded_at: CreatedAt;
}

export interface ReformProjectTable {
  id: Generated<string>;
  name: string;
  owner_department: string;
  description: string;
  /** The pool whose coverage the project's risk points draw on; null before projects had one. */
  pool_id: ColumnType<string | null, string | null | undefined, never>;
  created_at: CreatedAt;
  created_by: string;
}

export interface RiskPointTable {
  id: Generated<string>;
  project_id: string;
  number: number;
  created_at: CreatedAt;
  created_by: string;
  registered_at: ColumnType<Date | null, never, Date>;
  registered_on: ColumnType<unknown, never, string>;
  registered_by_filing_id: ColumnType<string | null, never, string>;
}

export type RiskLevel = 'low' | 'medium' | 'high';

export interface RiskPointVersionTable {
  risk_point_id: string;
  version: number;
  description: string;
  likelihood: RiskLevel;
  impact: RiskLevel;
  control_plan: string;
  amendment_note: string | null;
  recorded_at: ColumnType<Date, Date, never>;
  recorded_by: string;
}

export type FilingStatus =
  | 'draft'
  | 'submitted'
  | 'preliminary_review_passed'
  | 'preliminary_review_failed'
  | 'reviewed'
  | 'feedback_given'
  | 'awaiting_answers'
  | 'registered'
  | 'returned'
  | 'rejected';

export type FilingStep =
  | 'create'
  | 'submit'
  | 'pass_preliminary_review'
  | 'fail_preliminary_review'
  | 'record_review'
  | 'give_feedback'
  | 'give_conditional_feedback'
  | 'answer_conditions'
  | 'register'
  | 'return'
  | 'reject';

export type ReviewOutcome = 'pass' | 'conditional_pass' | 'fail';

export interface FilingTable {
  id: Generated<string>;
  project_id: string;
  status: ColumnType<FilingStatus, FilingStatus | undefined, FilingStatus>;
  submission_count: ColumnType<number, number | undefined, number>;
  submitted_at: ColumnType<Date | null, never, Date>;
  submitted_on: ColumnType<unknown, never, string>;
  answered_at: ColumnType<Date | null, never, Date | null>;
  filed_at: ColumnType<Date | null, never, Date>;
  filed_on: ColumnType<unknown, never, string>;
  review_outcome: ColumnType<ReviewOutcome | null, never, ReviewOutcome | null>;
  created_at: CreatedAt;
  created_by: string;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface FilingRiskPointTable {
  filing_id: string;
  submission_number: number;
  risk_point_id: string;
  risk_point_version: number;
}

export interface FilingStepTable {
  id: Generated<number>;
  filing_id: string;
  step: FilingStep;
  from_status: FilingStatus | null;
  to_status: FilingStatus;
  actor_user_id: string;
  content: JsonColumn;
  recorded_at: ColumnType<Date, Date, never>;
}

export type ReferenceListName = 'positive' | 'negative' | 'admission_criterion' | 'assessment_rule';
export type ReformArea =
  | 'pilot_reform'
  | 'social_stability'
  | 'key_work'
  | 'streamlining_administration';
export type AssessmentIndicator = 'rationality' | 'feasibility' | 'controllability';

export interface ReferenceListItemTable {
  list: ReferenceListName;
  code: string;
  version: number;
  title: string;
  wording: string;
  area: ReformArea | null;
  indicator: AssessmentIndicator | null;
  is_sample: boolean;
  note: string | null;
  recorded_at: ColumnType<Date, Date | undefined, never>;
  recorded_by: string | null;
}

export interface AssessmentThresholdTable {
  indicator: AssessmentIndicator;
  version: number;
  pass_min: number;
  conditional_min: number;
  note: string;
  recorded_at: ColumnType<Date, Date | undefined, never>;
  recorded_by: string | null;
}

export interface RegistryTables {
  assessment_threshold: AssessmentThresholdTable;
  working_calendar_day: WorkingCalendarDayTable;
  working_calendar_year: WorkingCalendarYearTable;
  reform_project: ReformProjectTable;
  risk_point: RiskPointTable;
  risk_point_version: RiskPointVersionTable;
  filing: FilingTable;
  filing_risk_point: FilingRiskPointTable;
  filing_step: FilingStepTable;
  reference_list_item: ReferenceListItemTable;
}
