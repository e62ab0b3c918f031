/**
 * @module The department's side of the filing loop and its ends: creating a filing (one open per
 * project), submitting it with the risk points it covers (each at its latest version), registering
 * it (each risk point covered takes its registration date), returning it for revision or rejecting
 * it. Each step locks its filing, asks the transition table whether the step is legal (first, so a
 * filing in the wrong status gets `illegal_transition` rather than a complaint about content),
 * checks its content, then moves the filing and appends the step (filing-step-record.ts), all in
 * the caller's transaction. A refused step writes nothing. The office's reviews are in
 * filing-reviews.ts.
 */
import type { Tx } from '../db/transaction.ts';
import { DomainError } from '../domain-error.ts';
import {
  lockFiling,
  lockForStep,
  moveFiling,
  recordStep,
  type StepContext,
} from './filing-step-record.ts';
import { localDateOf } from './local-date.ts';
import { lockProject } from './projects.ts';

export interface Submission {
  readonly riskPointIds: readonly string[];
  readonly note?: string;
}

/** A filing covers at most this many risk points per submission. */
export const MAX_RISK_POINTS_PER_FILING = 100;

export async function createFiling(
  trx: Tx,
  projectId: string,
  context: StepContext,
): Promise<string> {
  await lockProject(trx, projectId);
  // Under the project's lock, so two creations cannot both see "none open".
  const open = await trx
    .selectFrom('filing')
    .select(['id', 'status'])
    .where('project_id', '=', projectId)
    .where('status', 'not in', ['registered', 'rejected'])
    .executeTakeFirst();
  if (open) {
    throw new DomainError(
      'conflict',
      `project ${projectId} already has filing ${open.id} in progress (${open.status})`,
      { projectId, filingId: open.id },
    );
  }
  const filing = await trx
    .insertInto('filing')
    .values({
      project_id: projectId,
      created_at: context.at,
      created_by: context.actorUserId,
      updated_at: context.at,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await recordStep(trx, filing.id, 'create', { from: null, to: 'draft' }, {}, context);
  return filing.id;
}

/** The risk points named, each with its latest version, all of them of the project. */
async function coveredRiskPoints(
  trx: Tx,
  projectId: string,
  riskPointIds: readonly string[],
): Promise<{ riskPointId: string; version: number }[]> {
  if (riskPointIds.length === 0 || riskPointIds.length > MAX_RISK_POINTS_PER_FILING) {
    throw new DomainError(
      'validation_failed',
      `a submission covers 1 to ${MAX_RISK_POINTS_PER_FILING} risk points`,
    );
  }
  if (new Set(riskPointIds).size !== riskPointIds.length) {
    throw new DomainError('validation_failed', 'a risk point is listed more than once');
  }
  const found = await trx
    .selectFrom('risk_point as r')
    .innerJoin('risk_point_version as v', 'v.risk_point_id', 'r.id')
    .select((eb) => ['r.id as riskPointId', eb.fn.max('v.version').as('version')])
    .where('r.project_id', '=', projectId)
    .where('r.id', 'in', [...riskPointIds])
    .groupBy('r.id')
    .execute();
  const foundIds = new Set(found.map((row) => row.riskPointId));
  const strangers = riskPointIds.filter((id) => !foundIds.has(id));
  if (strangers.length > 0) {
    throw new DomainError(
      'validation_failed',
      `not risk points of project ${projectId}: ${strangers.join(', ')}`,
      { riskPointIds: strangers.join(',') },
    );
  }
  return found;
}

/** Submits (or, after a return, resubmits) the filing covering the risk points given. */
export async function submitFiling(
  trx: Tx,
  filingId: string,
  submission: Submission,
  context: StepContext,
): Promise<void> {
  const filing = await lockForStep(trx, filingId, 'submit');
  const covered = await coveredRiskPoints(trx, filing.projectId, submission.riskPointIds);
  const submissionNumber = filing.submissionCount + 1;
  await moveFiling(
    trx,
    filing,
    'submit',
    { submissionNumber, riskPoints: covered, note: submission.note ?? null },
    context,
    {
      submission_count: submissionNumber,
      submitted_at: context.at,
      submitted_on: localDateOf(context.at),
      answered_at: null,
    },
  );
  await trx
    .insertInto('filing_risk_point')
    .values(
      covered.map((point) => ({
        filing_id: filingId,
        submission_number: submissionNumber,
        risk_point_id: point.riskPointId,
        risk_point_version: point.version,
      })),
    )
    .execute();
}

/**
 * Registers the filing; each risk point it covers that was not registered before takes
 * this moment and date as its registration (a risk point re-filed after an amendment keeps
 * its first registration date).
 */
export async function registerFiling(
  trx: Tx,
  filingId: string,
  note: string | null,
  context: StepContext,
): Promise<void> {
  const filing = await lockForStep(trx, filingId, 'register');
  const filedOn = localDateOf(context.at);
  const covered = trx
    .selectFrom('filing_risk_point')
    .select('risk_point_id')
    .where('filing_id', '=', filingId)
    .where('submission_number', '=', filing.submissionCount);
  const registered = await trx
    .updateTable('risk_point')
    .set({ registered_at: context.at, registered_on: filedOn, registered_by_filing_id: filingId })
    .where('id', 'in', covered)
    .where('registered_at', 'is', null)
    .returning('id')
    .execute();
  const content = { note, newlyRegisteredRiskPointIds: registered.map((row) => row.id) };
  await moveFiling(trx, filing, 'register', content, context, {
    filed_at: context.at,
    filed_on: filedOn,
  });
}

/** Returns the filing for revision; it can be resubmitted. */
export async function returnFiling(
  trx: Tx,
  filingId: string,
  reason: string,
  context: StepContext,
): Promise<void> {
  const filing = await lockFiling(trx, filingId);
  await moveFiling(trx, filing, 'return', { reason }, context, {
    answered_at: context.at,
    review_outcome: null,
  });
}

/** Rejects the filing for good. */
export async function rejectFiling(
  trx: Tx,
  filingId: string,
  reason: string,
  context: StepContext,
): Promise<void> {
  const filing = await lockFiling(trx, filingId);
  await moveFiling(trx, filing, 'reject', { reason }, context, { answered_at: context.at });
}
