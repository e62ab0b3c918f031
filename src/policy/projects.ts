/**
 * @module Reform projects: what the reform office registers before filing risk points.
 *
 * A project's place in the filing loop is not stored on it: it is read from its latest
 * filing, so the two can never disagree.
 */
import type { DB } from '../db/database.ts';
import type { FilingStatus } from '../db/schema-registry.ts';
import { databaseErrorCode, type Tx } from '../db/transaction.ts';
import { DomainError } from '../domain-error.ts';

export interface NewProject {
  readonly name: string;
  readonly ownerDepartment: string;
  readonly description: string;
  /** The pool whose coverage the project's risk points draw on (per-project figures). */
  readonly poolId?: string | null;
}

export interface Project extends NewProject {
  readonly id: string;
  readonly createdAt: Date;
  readonly createdBy: string;
  readonly riskPointCount: number;
  readonly registeredRiskPointCount: number;
  /** The status of the project's latest filing; null before its first filing. */
  readonly filingStatus: FilingStatus | null;
}

/** Pages of projects are bounded; the county has a handful. */
export const MAX_PROJECTS_PER_PAGE = 200;

function projectQuery(db: DB | Tx) {
  return db
    .selectFrom('reform_project as p')
    .select((eb) => [
      'p.id',
      'p.name',
      'p.owner_department as ownerDepartment',
      'p.description',
      'p.pool_id as poolId',
      'p.created_at as createdAt',
      'p.created_by as createdBy',
      eb
        .selectFrom('risk_point as r')
        .select(eb.fn.countAll<number>().as('n'))
        .whereRef('r.project_id', '=', 'p.id')
        .as('riskPointCount'),
      eb
        .selectFrom('risk_point as r')
        .select(eb.fn.countAll<number>().as('n'))
        .whereRef('r.project_id', '=', 'p.id')
        .where('r.registered_at', 'is not', null)
        .as('registeredRiskPointCount'),
      eb
        .selectFrom('filing as f')
        .select('f.status')
        .whereRef('f.project_id', '=', 'p.id')
        .orderBy('f.created_at', 'desc')
        .orderBy('f.id', 'desc')
        .limit(1)
        .as('filingStatus'),
    ]);
}

type ProjectRow = Awaited<ReturnType<ReturnType<typeof projectQuery>['executeTakeFirstOrThrow']>>;

const toProject = (row: ProjectRow): Project => ({
  ...row,
  riskPointCount: Number(row.riskPointCount ?? 0),
  registeredRiskPointCount: Number(row.registeredRiskPointCount ?? 0),
  filingStatus: row.filingStatus ?? null,
});

const nameTaken = (name: string) =>
  new DomainError('conflict', `a reform project named "${name}" already exists`, { name });

export async function createProject(
  trx: Tx,
  input: NewProject,
  context: { readonly actorUserId: string; readonly at: Date },
): Promise<Project> {
  const taken = await trx
    .selectFrom('reform_project')
    .select('id')
    .where('name', '=', input.name)
    .executeTakeFirst();
  if (taken) throw nameTaken(input.name);
  const created = await trx
    .insertInto('reform_project')
    .values({
      name: input.name,
      owner_department: input.ownerDepartment,
      description: input.description,
      pool_id: input.poolId ?? null,
      created_at: context.at,
      created_by: context.actorUserId,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
    .catch((error: unknown) => {
      if (databaseErrorCode(error) === '23505') throw nameTaken(input.name);
      throw error;
    });
  return getProject(trx, created.id);
}

export async function getProject(db: DB | Tx, projectId: string): Promise<Project> {
  const row = await projectQuery(db).where('p.id', '=', projectId).executeTakeFirst();
  if (!row) throw projectNotFound(projectId);
  return toProject(row);
}

export const projectNotFound = (projectId: string) =>
  new DomainError('not_found', `reform project ${projectId} does not exist`, { projectId });

/**
 * Takes the project's row lock: what is numbered or counted per project (risk points, the
 * one open filing) is decided under it, so two requests cannot both see the same gap.
 */
export async function lockProject(trx: Tx, projectId: string): Promise<void> {
  const project = await trx
    .selectFrom('reform_project')
    .select('id')
    .where('id', '=', projectId)
    .forNoKeyUpdate()
    .executeTakeFirst();
  if (!project) throw projectNotFound(projectId);
}

export async function listProjects(db: DB | Tx, limit = MAX_PROJECTS_PER_PAGE): Promise<Project[]> {
  const rows = await projectQuery(db)
    .orderBy('p.created_at')
    .orderBy('p.id')
    .limit(Math.min(limit, MAX_PROJECTS_PER_PAGE))
    .execute();
  return rows.map(toProject);
}

/**
 * A department files only for the projects it registered: the project, the filing or the
 * risk point named must belong to a project `userId` created.
 */
export async function assertApplicantOf(
  db: DB | Tx,
  userId: string,
  target:
    | { readonly projectId: string }
    | { readonly filingId: string }
    | { readonly riskPointId: string },
): Promise<void> {
  let query = db.selectFrom('reform_project as p').select(['p.id', 'p.created_by as createdBy']);
  if ('projectId' in target) query = query.where('p.id', '=', target.projectId);
  else if ('filingId' in target) {
    query = query
      .innerJoin('filing as f', 'f.project_id', 'p.id')
      .where('f.id', '=', target.filingId);
  } else {
    query = query
      .innerJoin('risk_point as r', 'r.project_id', 'p.id')
      .where('r.id', '=', target.riskPointId);
  }
  const project = await query.executeTakeFirst();
  if (!project) {
    const [kind, id] = Object.entries(target)[0] ?? ['target', ''];
    throw new DomainError('not_found', `${kind.replace('Id', '')} ${id} does not exist`);
  }
  if (project.createdBy !== userId) {
    throw new DomainError(
      'separation_of_duties',
      `project ${project.id} was registered by another unit: a department files its own projects`,
      { projectId: project.id },
    );
  }
}
