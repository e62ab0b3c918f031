/**
 * @module Risk points of a reform project, versioned.
 *
 * A risk point's content (description, likelihood, impact, control plan) lives in
 * `risk_point_version`; an amendment adds the next version and never changes an old one.
 * A version is in force from the moment it is recorded until the next one is. The risk
 * point's registration date is the date its filing was registered, and it never moves,
 * whatever is amended later.
 */
import type { DB } from '../db/database.ts';
import type { RiskLevel } from '../db/schema-registry.ts';
import { databaseErrorCode, type Tx } from '../db/transaction.ts';
import { DomainError } from '../domain-error.ts';
import { type LocalDate, localDateText } from './local-date.ts';
import { lockProject, projectNotFound } from './projects.ts';

export interface RiskPointContent {
  readonly description: string;
  readonly likelihood: RiskLevel;
  readonly impact: RiskLevel;
  readonly controlPlan: string;
}

export interface RiskPointVersion extends RiskPointContent {
  readonly version: number;
  /** Why the risk point was amended; null for the original version. */
  readonly amendmentNote: string | null;
  readonly recordedAt: Date;
  readonly recordedBy: string;
}

export interface RiskPoint {
  readonly id: string;
  readonly projectId: string;
  /** 1, 2, 3… within the project, in the order the risk points were added. */
  readonly number: number;
  readonly createdAt: Date;
  readonly registeredAt: Date | null;
  readonly registeredOn: LocalDate | null;
  readonly registeredByFilingId: string | null;
  /** The newest version, whatever moment was asked about. */
  readonly latestVersion: number;
  /** The version in force at the moment asked about. */
  readonly inForce: RiskPointVersion;
}

export interface RiskPointAmendment extends RiskPointContent {
  /** The version the amendment was made from; a newer one means someone else amended first. */
  readonly basedOnVersion: number;
  readonly amendmentNote: string;
}

interface StepContext {
  readonly actorUserId: string;
  readonly at: Date;
}

/** A project has at most this many risk points (one project filed 8; this is a guard rail). */
export const MAX_RISK_POINTS_PER_PROJECT = 500;

export const riskPointNotFound = (riskPointId: string) =>
  new DomainError('not_found', `risk point ${riskPointId} does not exist`, { riskPointId });

export async function addRiskPoint(
  trx: Tx,
  projectId: string,
  content: RiskPointContent,
  context: StepContext,
): Promise<RiskPoint> {
  // The project's row lock numbers its risk points one after another without gaps or races.
  await lockProject(trx, projectId);
  const { highest } = await trx
    .selectFrom('risk_point')
    .select((eb) => eb.fn.coalesce(eb.fn.max('number'), eb.lit(0)).as('highest'))
    .where('project_id', '=', projectId)
    .executeTakeFirstOrThrow();
  if (highest >= MAX_RISK_POINTS_PER_PROJECT) {
    throw new DomainError(
      'conflict',
      `a project can have at most ${MAX_RISK_POINTS_PER_PROJECT} risk points`,
      { projectId },
    );
  }
  const riskPoint = await trx
    .insertInto('risk_point')
    .values({
      project_id: projectId,
      number: highest + 1,
      created_at: context.at,
      created_by: context.actorUserId,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await insertVersion(trx, riskPoint.id, 1, content, null, context);
  return getRiskPoint(trx, riskPoint.id);
}

export async function amendRiskPoint(
  trx: Tx,
  riskPointId: string,
  amendment: RiskPointAmendment,
  context: StepContext,
): Promise<RiskPoint> {
  const current = await getRiskPoint(trx, riskPointId);
  if (current.latestVersion !== amendment.basedOnVersion) throw staleAmendment(current, amendment);
  if (context.at < current.inForce.recordedAt) {
    throw new DomainError(
      'conflict',
      `an amendment cannot be recorded before the version it replaces (${current.inForce.recordedAt.toISOString()})`,
      { riskPointId },
    );
  }
  const { basedOnVersion, amendmentNote, ...content } = amendment;
  await insertVersion(trx, riskPointId, basedOnVersion + 1, content, amendmentNote, context).catch(
    (error: unknown) => {
      // Two amendments from the same version race for the same next version: one wins.
      if (databaseErrorCode(error) === '23505') throw staleAmendment(current, amendment);
      throw error;
    },
  );
  return getRiskPoint(trx, riskPointId);
}

function staleAmendment(current: RiskPoint, amendment: RiskPointAmendment): DomainError {
  return new DomainError(
    'conflict',
    `risk point ${current.id} is at version ${current.latestVersion}, not ${amendment.basedOnVersion}: reload it and amend again`,
    {
      currentVersion: String(current.latestVersion),
      basedOnVersion: String(amendment.basedOnVersion),
    },
  );
}

async function insertVersion(
  trx: Tx,
  riskPointId: string,
  version: number,
  content: RiskPointContent,
  amendmentNote: string | null,
  context: StepContext,
): Promise<void> {
  await trx
    .insertInto('risk_point_version')
    .values({
      risk_point_id: riskPointId,
      version,
      description: content.description,
      likelihood: content.likelihood,
      impact: content.impact,
      control_plan: content.controlPlan,
      amendment_note: amendmentNote,
      recorded_at: context.at,
      recorded_by: context.actorUserId,
    })
    .execute();
}

/** Risk points with the version of each in force before `before` (absent: the latest). */
function riskPointQuery(db: DB | Tx, before?: Date) {
  let inForce = db
    .selectFrom('risk_point_version')
    .selectAll()
    .distinctOn('risk_point_id')
    .orderBy('risk_point_id')
    .orderBy('version', 'desc');
  if (before) inForce = inForce.where('recorded_at', '<', before);
  return db
    .selectFrom('risk_point as r')
    .innerJoin(inForce.as('v'), 'v.risk_point_id', 'r.id')
    .select((eb) => [
      'r.id',
      'r.project_id as projectId',
      'r.number',
      'r.created_at as createdAt',
      'r.registered_at as registeredAt',
      localDateText<string | null>('r.registered_on').as('registeredOn'),
      'r.registered_by_filing_id as registeredByFilingId',
      eb
        .selectFrom('risk_point_version as latest')
        .select((inner) => inner.fn.max('latest.version').as('n'))
        .whereRef('latest.risk_point_id', '=', 'r.id')
        .as('latestVersion'),
      'v.version',
      'v.description',
      'v.likelihood',
      'v.impact',
      'v.control_plan as controlPlan',
      'v.amendment_note as amendmentNote',
      'v.recorded_at as recordedAt',
      'v.recorded_by as recordedBy',
    ]);
}

type RiskPointRow = Awaited<
  ReturnType<ReturnType<typeof riskPointQuery>['executeTakeFirstOrThrow']>
>;

const toRiskPoint = (row: RiskPointRow): RiskPoint => ({
  id: row.id,
  projectId: row.projectId,
  number: row.number,
  createdAt: row.createdAt,
  registeredAt: row.registeredAt,
  registeredOn: row.registeredOn,
  registeredByFilingId: row.registeredByFilingId,
  latestVersion: Number(row.latestVersion ?? row.version),
  inForce: {
    version: row.version,
    description: row.description,
    likelihood: row.likelihood,
    impact: row.impact,
    controlPlan: row.controlPlan,
    amendmentNote: row.amendmentNote,
    recordedAt: row.recordedAt,
    recordedBy: row.recordedBy,
  },
});

/**
 * One risk point with the version in force before `before`; not found when it does not
 * exist or had no version yet at that moment.
 */
export async function getRiskPoint(
  db: DB | Tx,
  riskPointId: string,
  before?: Date,
): Promise<RiskPoint> {
  const row = await riskPointQuery(db, before).where('r.id', '=', riskPointId).executeTakeFirst();
  if (row) return toRiskPoint(row);
  if (before) {
    const exists = await db
      .selectFrom('risk_point')
      .select('id')
      .where('id', '=', riskPointId)
      .executeTakeFirst();
    if (exists) {
      throw new DomainError(
        'not_found',
        `risk point ${riskPointId} had not been recorded by ${before.toISOString()}`,
        { riskPointId },
      );
    }
  }
  throw riskPointNotFound(riskPointId);
}

/** A project's risk points that had a version before `before`, by number. */
export async function listRiskPoints(
  db: DB | Tx,
  projectId: string,
  before?: Date,
): Promise<RiskPoint[]> {
  const project = await db
    .selectFrom('reform_project')
    .select('id')
    .where('id', '=', projectId)
    .executeTakeFirst();
  if (!project) throw projectNotFound(projectId);
  const rows = await riskPointQuery(db, before)
    .where('r.project_id', '=', projectId)
    .orderBy('r.number')
    .limit(MAX_RISK_POINTS_PER_PROJECT)
    .execute();
  return rows.map(toRiskPoint);
}

export async function riskPointVersions(
  db: DB | Tx,
  riskPointId: string,
): Promise<RiskPointVersion[]> {
  const versions = await db
    .selectFrom('risk_point_version')
    .select([
      'version',
      'description',
      'likelihood',
      'impact',
      'control_plan as controlPlan',
      'amendment_note as amendmentNote',
      'recorded_at as recordedAt',
      'recorded_by as recordedBy',
    ])
    .where('risk_point_id', '=', riskPointId)
    .orderBy('version')
    .limit(10_000)
    .execute();
  if (versions.length === 0) throw riskPointNotFound(riskPointId);
  return versions;
}
