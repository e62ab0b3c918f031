/**
 * @module Error-tolerance investigations (容错免责调查): one opens by itself with every incident, in the
 * incident's own transaction, holding the filing version in force on the incident date (its
 * control plan as filed) and the automatic finding "filed before the incident"; a case as read
 * back, with its deadline in working days. What the group then records in a case (parties,
 * evidence, attested findings) is in investigation-records.ts.
 */
import type { DB } from '../db/database.ts';
import type { PartyKind } from '../db/schema-exemption.ts';
import type { Tx } from '../db/transaction.ts';
import { DomainError } from '../domain-error.ts';
import { addWorkingDays, type WorkingCalendar } from '../policy/calendar.ts';
import { type LocalDate, localDateOf, localDateText } from '../policy/local-date.ts';
import { exemptionTermsInForce } from './exemption-terms.ts';
import type { CaseFinding } from './findings.ts';

export interface OpenedIncident {
  readonly id: string;
  readonly poolId: string;
  readonly riskPointId: string;
  readonly occurredOn: LocalDate;
}

export interface FiledVersion {
  readonly filingId: string;
  readonly filedOn: LocalDate;
  readonly version: number;
  readonly controlPlan: string;
}

/** Bounds on what one case holds. */
const MAX_PARTIES = 200;
const MAX_EVIDENCE = 200;
const MAX_FINDINGS = 1000;

export const FINDING_COLUMNS = [
  'code',
  'kind',
  'met',
  'note',
  'list_item_code as listItemCode',
  'list_item_version as listItemVersion',
  'evidence_ids as evidenceIds',
  'recorded_at as recordedAt',
  'recorded_by as recordedBy',
] as const;

export const EVIDENCE_COLUMNS = [
  'id',
  'title',
  'media_type as mediaType',
  'sha256',
  'size_bytes as sizeBytes',
  'recorded_at as recordedAt',
  'recorded_by as recordedBy',
] as const;

export const investigationNotFound = (id: string) =>
  new DomainError('not_found', `investigation ${id} does not exist`, { investigationId: id });

/**
 * The version of the risk point as filed and in force on `onDay`: the one the latest
 * registered filing before that day covered. A later amendment is a new filing and counts
 * only from its own registration.
 */
export async function filedVersionInForce(
  db: DB | Tx,
  riskPointId: string,
  onDay: LocalDate,
): Promise<FiledVersion | null> {
  const row = await db
    .selectFrom('filing as f')
    .innerJoin('filing_risk_point as c', (join) =>
      join
        .onRef('c.filing_id', '=', 'f.id')
        .onRef('c.submission_number', '=', 'f.submission_count'),
    )
    .innerJoin('risk_point_version as v', (join) =>
      join
        .onRef('v.risk_point_id', '=', 'c.risk_point_id')
        .onRef('v.version', '=', 'c.risk_point_version'),
    )
    .select([
      'f.id as filingId',
      localDateText('f.filed_on').as('filedOn'),
      'v.version',
      'v.control_plan as controlPlan',
    ])
    .where('c.risk_point_id', '=', riskPointId)
    .where('f.status', '=', 'registered')
    .where('f.filed_on', '<', onDay)
    .orderBy('f.filed_at', 'desc')
    .executeTakeFirst();
  return row ?? null;
}

/** Opens the incident's investigation; called in the incident's own transaction. */
export async function openInvestigation(
  trx: Tx,
  incident: OpenedIncident,
  openedAt: Date,
): Promise<string> {
  const filed = await filedVersionInForce(trx, incident.riskPointId, incident.occurredOn);
  const terms = await exemptionTermsInForce(trx, incident.poolId, incident.occurredOn);
  const investigation = await trx
    .insertInto('investigation')
    .values({
      incident_id: incident.id,
      pool_id: incident.poolId,
      risk_point_id: incident.riskPointId,
      occurred_on: incident.occurredOn,
      filing_id: filed?.filingId ?? null,
      risk_point_version: filed?.version ?? null,
      control_plan_as_filed: filed?.controlPlan ?? null,
      investigation_working_days: terms.investigationWorkingDays,
      opened_at: openedAt,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await trx
    .insertInto('investigation_finding')
    .values({
      investigation_id: investigation.id,
      code: 'FILED_BEFORE_INCIDENT',
      kind: 'automatic',
      met: filed !== null,
      note: filed
        ? `version ${filed.version} registered on ${filed.filedOn} by filing ${filed.filingId}, before the incident on ${incident.occurredOn}`
        : `no registered filing covered the risk point before the incident on ${incident.occurredOn}`,
      recorded_at: openedAt,
      recorded_by: null,
    })
    .execute();
  return investigation.id;
}

export interface Party {
  readonly id: string;
  readonly kind: PartyKind;
  readonly name: string;
  readonly unit: string | null;
  readonly post: string | null;
  readonly recordedAt: Date;
}

export interface Evidence {
  readonly id: string;
  readonly title: string;
  readonly mediaType: string;
  readonly sha256: string;
  readonly sizeBytes: number;
  readonly recordedAt: Date;
  readonly recordedBy: string;
}

export type InvestigationDeadlineState =
  | 'on_track'
  | 'overdue'
  | 'met'
  | 'missed'
  | 'calendar_unknown';

export interface Investigation {
  readonly id: string;
  readonly incidentId: string;
  readonly poolId: string;
  readonly riskPointId: string;
  readonly occurredOn: LocalDate;
  readonly filedVersion: {
    readonly filingId: string;
    readonly version: number;
    readonly controlPlan: string;
  } | null;
  readonly status: 'open' | 'decided';
  readonly openedAt: Date;
  readonly decidedAt: Date | null;
  readonly deadline: {
    readonly workingDays: number;
    readonly dueOn: LocalDate | null;
    readonly state: InvestigationDeadlineState;
  };
  readonly parties: Party[];
  readonly evidence: Evidence[];
  readonly findings: CaseFinding[];
}

function investigationQuery(db: DB | Tx) {
  return db
    .selectFrom('investigation')
    .select([
      'id',
      'incident_id as incidentId',
      'pool_id as poolId',
      'risk_point_id as riskPointId',
      localDateText('occurred_on').as('occurredOn'),
      'filing_id as filingId',
      'risk_point_version as riskPointVersion',
      'control_plan_as_filed as controlPlan',
      'investigation_working_days as workingDays',
      'status',
      'opened_at as openedAt',
      'decided_at as decidedAt',
    ]);
}

type InvestigationRow = Awaited<
  ReturnType<ReturnType<typeof investigationQuery>['executeTakeFirstOrThrow']>
>;

/** Due `workingDays` working days after the incident; overdue while open after that. */
export function investigationDeadline(
  calendar: WorkingCalendar,
  row: Pick<InvestigationRow, 'occurredOn' | 'workingDays' | 'status' | 'decidedAt'>,
  today: LocalDate,
  decidedOn: LocalDate | null,
): Investigation['deadline'] {
  try {
    const dueOn = addWorkingDays(calendar, row.occurredOn, row.workingDays);
    const state =
      decidedOn !== null
        ? decidedOn <= dueOn
          ? 'met'
          : 'missed'
        : today > dueOn
          ? 'overdue'
          : 'on_track';
    return { workingDays: row.workingDays, dueOn, state };
  } catch (error) {
    if (!(error instanceof DomainError) || error.code !== 'calendar_year_unknown') throw error;
    return { workingDays: row.workingDays, dueOn: null, state: 'calendar_unknown' };
  }
}

export async function caseFindings(db: DB | Tx, investigationId: string): Promise<CaseFinding[]> {
  const rows = await db
    .selectFrom('investigation_finding')
    .select(FINDING_COLUMNS)
    .where('investigation_id', '=', investigationId)
    .orderBy('id')
    .limit(MAX_FINDINGS)
    .execute();
  return rows.map((row) => ({ ...row, evidenceIds: row.evidenceIds as string[] }));
}

async function toInvestigation(
  db: DB | Tx,
  row: InvestigationRow,
  calendar: WorkingCalendar,
  today: LocalDate,
): Promise<Investigation> {
  const parties = await db
    .selectFrom('investigation_party')
    .select(['id', 'kind', 'name', 'unit', 'post', 'recorded_at as recordedAt'])
    .where('investigation_id', '=', row.id)
    .orderBy('recorded_at')
    .orderBy('id')
    .limit(MAX_PARTIES)
    .execute();
  const evidence = await db
    .selectFrom('investigation_evidence')
    .select(EVIDENCE_COLUMNS)
    .where('investigation_id', '=', row.id)
    .orderBy('recorded_at')
    .orderBy('id')
    .limit(MAX_EVIDENCE)
    .execute();
  const decidedOn = row.decidedAt ? localDateOf(row.decidedAt) : null;
  return {
    id: row.id,
    incidentId: row.incidentId,
    poolId: row.poolId,
    riskPointId: row.riskPointId,
    occurredOn: row.occurredOn,
    filedVersion:
      row.filingId !== null && row.riskPointVersion !== null && row.controlPlan !== null
        ? { filingId: row.filingId, version: row.riskPointVersion, controlPlan: row.controlPlan }
        : null,
    status: row.status,
    openedAt: row.openedAt,
    decidedAt: row.decidedAt,
    deadline: investigationDeadline(calendar, row, today, decidedOn),
    parties,
    evidence,
    findings: await caseFindings(db, row.id),
  };
}

export async function getInvestigation(
  db: DB | Tx,
  investigationId: string,
  calendar: WorkingCalendar,
  today: LocalDate,
): Promise<Investigation> {
  const row = await investigationQuery(db).where('id', '=', investigationId).executeTakeFirst();
  if (!row) throw investigationNotFound(investigationId);
  return toInvestigation(db, row, calendar, today);
}

export async function investigationIdOfIncident(
  db: DB | Tx,
  incidentId: string,
): Promise<string | null> {
  const row = await db
    .selectFrom('investigation')
    .select('id')
    .where('incident_id', '=', incidentId)
    .executeTakeFirst();
  return row?.id ?? null;
}

/** Investigations, oldest incident first; `overdue` keeps only those past their deadline. */
export async function listInvestigations(
  db: DB | Tx,
  filter: {
    readonly status?: 'open' | 'decided';
    readonly overdue?: boolean;
    readonly limit: number;
  },
  calendar: WorkingCalendar,
  today: LocalDate,
): Promise<Investigation[]> {
  let query = investigationQuery(db).orderBy('occurred_on').orderBy('id').limit(filter.limit);
  if (filter.status) query = query.where('status', '=', filter.status);
  if (filter.overdue) query = query.where('status', '=', 'open');
  const rows = await query.execute();
  const cases = await Promise.all(rows.map((row) => toInvestigation(db, row, calendar, today)));
  return filter.overdue ? cases.filter((c) => c.deadline.state === 'overdue') : cases;
}

/** Locks an investigation: what is found or decided on it happens one after another. */
export async function lockInvestigation(trx: Tx, investigationId: string) {
  const row = await trx
    .selectFrom('investigation')
    .select(['id', 'status', localDateText('occurred_on').as('occurredOn')])
    .where('id', '=', investigationId)
    .forNoKeyUpdate()
    .executeTakeFirst();
  if (!row) throw investigationNotFound(investigationId);
  return row;
}
