/**
 * @module Reading filings: each with where it stands against its deadline on a given day,
 * the steps it may take next, the risk points its latest submission covers and its step
 * history; and the list of filings near or past their deadline.
 *
 * Deadlines are computed from the calendar when read, never stored, so an admin's edit to
 * a future day of the calendar moves the deadlines it touches.
 */
import type { DB } from '../db/database.ts';
import type { FilingStatus, FilingStep } from '../db/schema-registry.ts';
import type { Tx } from '../db/transaction.ts';
import type { WorkingCalendar } from './calendar.ts';
import {
  CLOCK_RUNS,
  type ClockEvent,
  type FilingDeadline,
  type FilingTransitionStep,
  filingDeadline,
  legalSteps,
} from './filing.ts';
import { filingNotFound } from './filing-step-record.ts';
import { type LocalDate, localDateText } from './local-date.ts';

export interface FilingSummary {
  readonly id: string;
  readonly projectId: string;
  readonly projectName: string;
  readonly status: FilingStatus;
  readonly submissionCount: number;
  /** The latest submission: the moment and the local date the deadline counts from. */
  readonly submittedAt: Date | null;
  readonly submittedOn: LocalDate | null;
  readonly answeredAt: Date | null;
  /** Registration: the moment and the local date. */
  readonly filedAt: Date | null;
  readonly filedOn: LocalDate | null;
  readonly createdAt: Date;
  readonly deadline: FilingDeadline | null;
  readonly nextSteps: FilingTransitionStep[];
}

export interface CoveredRiskPoint {
  readonly riskPointId: string;
  readonly number: number;
  /** The version the latest submission covered. */
  readonly version: number;
}

export interface FilingStepRecord {
  readonly step: FilingStep;
  readonly fromStatus: FilingStatus | null;
  readonly toStatus: FilingStatus;
  readonly actorUserId: string;
  readonly content: unknown;
  readonly recordedAt: Date;
}

export interface FilingDetail extends FilingSummary {
  readonly riskPoints: CoveredRiskPoint[];
  readonly steps: FilingStepRecord[];
}

export interface FilingFilter {
  readonly status?: FilingStatus;
  readonly projectId?: string;
  readonly limit?: number;
}

/** A page of filings is bounded; so is the history of one filing. */
export const MAX_FILINGS_PER_PAGE = 200;
const MAX_STEPS_PER_FILING = 1000;
/** Filings awaiting an answer at any one time: a handful, bounded far above that. */
const MAX_OPEN_FILINGS = 10_000;

function filingQuery(db: DB | Tx) {
  return db
    .selectFrom('filing as f')
    .innerJoin('reform_project as p', 'p.id', 'f.project_id')
    .select([
      'f.id',
      'f.project_id as projectId',
      'p.name as projectName',
      'f.status',
      'f.submission_count as submissionCount',
      'f.submitted_at as submittedAt',
      localDateText<string | null>('f.submitted_on').as('submittedOn'),
      'f.answered_at as answeredAt',
      'f.filed_at as filedAt',
      localDateText<string | null>('f.filed_on').as('filedOn'),
      'f.created_at as createdAt',
    ]);
}

type FilingRow = Awaited<ReturnType<ReturnType<typeof filingQuery>['executeTakeFirstOrThrow']>>;

/** Each filing's moves, oldest first: the clock is replayed from them. */
async function clockEvents(
  db: DB | Tx,
  filingIds: readonly string[],
): Promise<Map<string, ClockEvent[]>> {
  const events = new Map<string, ClockEvent[]>(filingIds.map((id) => [id, []]));
  if (filingIds.length === 0) return events;
  const rows = await db
    .selectFrom('filing_step')
    .select(['filing_id as filingId', 'to_status as toStatus', 'recorded_at as at'])
    .where('filing_id', 'in', [...filingIds])
    .orderBy('id')
    .limit(MAX_STEPS_PER_FILING * filingIds.length)
    .execute();
  for (const row of rows) events.get(row.filingId)?.push(row);
  return events;
}

async function toSummaries(
  db: DB | Tx,
  rows: readonly FilingRow[],
  calendar: WorkingCalendar,
  today: LocalDate,
): Promise<FilingSummary[]> {
  const events = await clockEvents(
    db,
    rows.map((row) => row.id),
  );
  return rows.map((row) => ({
    ...row,
    deadline: filingDeadline(calendar, events.get(row.id) ?? [], today),
    nextSteps: legalSteps(row.status),
  }));
}

export async function listFilings(
  db: DB | Tx,
  filter: FilingFilter,
  calendar: WorkingCalendar,
  today: LocalDate,
): Promise<FilingSummary[]> {
  let query = filingQuery(db)
    .orderBy('f.created_at', 'desc')
    .orderBy('f.id')
    .limit(Math.min(filter.limit ?? MAX_FILINGS_PER_PAGE, MAX_FILINGS_PER_PAGE));
  if (filter.status) query = query.where('f.status', '=', filter.status);
  if (filter.projectId) query = query.where('f.project_id', '=', filter.projectId);
  const rows = await query.execute();
  return toSummaries(db, rows, calendar, today);
}

export async function getFiling(
  db: DB | Tx,
  filingId: string,
  calendar: WorkingCalendar,
  today: LocalDate,
): Promise<FilingDetail> {
  const row = await filingQuery(db).where('f.id', '=', filingId).executeTakeFirst();
  if (!row) throw filingNotFound(filingId);
  const riskPoints = await db
    .selectFrom('filing_risk_point as c')
    .innerJoin('risk_point as r', 'r.id', 'c.risk_point_id')
    .select(['c.risk_point_id as riskPointId', 'r.number', 'c.risk_point_version as version'])
    .where('c.filing_id', '=', filingId)
    .where('c.submission_number', '=', row.submissionCount)
    .orderBy('r.number')
    .execute();
  const steps = await db
    .selectFrom('filing_step')
    .select([
      'step',
      'from_status as fromStatus',
      'to_status as toStatus',
      'actor_user_id as actorUserId',
      'content',
      'recorded_at as recordedAt',
    ])
    .where('filing_id', '=', filingId)
    .orderBy('id')
    .limit(MAX_STEPS_PER_FILING)
    .execute();
  const [summary] = await toSummaries(db, [row], calendar, today);
  if (!summary) throw filingNotFound(filingId);
  return { ...summary, riskPoints, steps };
}

/**
 * Filings the reform office holds (clock running) that are past their deadline or within
 * NEAR_DEADLINE_WORKING_DAYS working days of it on `today`, the most urgent first.
 */
export async function filingsNearDeadline(
  db: DB | Tx,
  calendar: WorkingCalendar,
  today: LocalDate,
): Promise<FilingSummary[]> {
  const rows = await filingQuery(db)
    .where('f.status', 'in', [...CLOCK_RUNS])
    .orderBy('f.submitted_at')
    .limit(MAX_OPEN_FILINGS)
    .execute();
  return (await toSummaries(db, rows, calendar, today))
    .filter((filing) => filing.deadline?.state === 'near' || filing.deadline?.state === 'overdue')
    .sort((a, b) => (a.deadline?.dueOn ?? '').localeCompare(b.deadline?.dueOn ?? ''));
}
