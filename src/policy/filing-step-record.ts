/**
 * @module How a filing step is recorded: the filing's row locked (steps on one filing run one
 * after the other), the transition checked, the filing moved and the step appended to
 * `filing_step` with its actor, time and content — never by the applicant for the office's steps,
 * never dated before the filing's last change.
 */
import type { Updateable } from 'kysely';
import type {
  FilingStatus,
  FilingStep,
  FilingTable,
  ReviewOutcome,
} from '../db/schema-registry.ts';
import type { Tx } from '../db/transaction.ts';
import { DomainError } from '../domain-error.ts';
import { DEPARTMENT_STEPS, type FilingTransitionStep, nextFilingStatus } from './filing.ts';

export interface StepContext {
  readonly actorUserId: string;
  readonly at: Date;
}

interface LockedFiling {
  readonly id: string;
  readonly projectId: string;
  readonly status: FilingStatus;
  readonly submissionCount: number;
  readonly reviewOutcome: ReviewOutcome | null;
  readonly createdBy: string;
  readonly updatedAt: Date;
}

export const filingNotFound = (filingId: string) =>
  new DomainError('not_found', `filing ${filingId} does not exist`, { filingId });

/** Locks the filing's row: concurrent steps on one filing run one after the other. */
export async function lockFiling(trx: Tx, filingId: string): Promise<LockedFiling> {
  const filing = await trx
    .selectFrom('filing')
    .select([
      'id',
      'project_id as projectId',
      'status',
      'submission_count as submissionCount',
      'review_outcome as reviewOutcome',
      'created_by as createdBy',
      'updated_at as updatedAt',
    ])
    .where('id', '=', filingId)
    .forNoKeyUpdate()
    .executeTakeFirst();
  if (!filing) throw filingNotFound(filingId);
  return filing;
}

/**
 * Locks the filing's row for `step` and asks the transition table first whether the step is
 * legal from its status, so a filing in the wrong status gets `illegal_transition` before any
 * complaint about the step's content.
 */
export async function lockForStep(
  trx: Tx,
  filingId: string,
  step: FilingTransitionStep,
): Promise<LockedFiling> {
  const filing = await lockFiling(trx, filingId);
  nextFilingStatus(filing.status, step);
  return filing;
}

/** What a step changes on the filing besides its status. */
type FilingChanges = Omit<Updateable<FilingTable>, 'status' | 'updated_at'>;

export async function recordStep(
  trx: Tx,
  filingId: string,
  step: FilingStep,
  move: { readonly from: FilingStatus | null; readonly to: FilingStatus },
  content: Readonly<Record<string, unknown>>,
  context: StepContext,
): Promise<void> {
  await trx
    .insertInto('filing_step')
    .values({
      filing_id: filingId,
      step,
      from_status: move.from,
      to_status: move.to,
      actor_user_id: context.actorUserId,
      content: JSON.stringify(content),
      recorded_at: context.at,
    })
    .execute();
}

/** Moves a locked filing to `to` with the step's other changes, and records the step. */
export async function moveFiling(
  trx: Tx,
  filing: LockedFiling,
  step: FilingTransitionStep,
  content: Readonly<Record<string, unknown>>,
  context: StepContext,
  changes: FilingChanges = {},
): Promise<void> {
  const to = nextFilingStatus(filing.status, step);
  if (!DEPARTMENT_STEPS.includes(step)) await assertNotTheApplicant(trx, filing, context);
  // The deadline is judged from these moments, so a step never predates the one before.
  if (context.at < filing.updatedAt) {
    throw new DomainError(
      'conflict',
      `a step cannot be recorded before the filing's last change (${filing.updatedAt.toISOString()})`,
      { filingId: filing.id },
    );
  }
  await trx
    .updateTable('filing')
    .set({ ...changes, status: to, updated_at: context.at })
    .where('id', '=', filing.id)
    .execute();
  await recordStep(trx, filing.id, step, { from: filing.status, to }, content, context);
}

/**
 * The reform office reviews what a department files, never its own: whoever created,
 * submitted or answered a filing takes none of the office's steps on it.
 */
async function assertNotTheApplicant(
  trx: Tx,
  filing: LockedFiling,
  context: StepContext,
): Promise<void> {
  const applied = await trx
    .selectFrom('filing_step')
    .select('id')
    .where('filing_id', '=', filing.id)
    .where('step', 'in', ['create', ...DEPARTMENT_STEPS])
    .where('actor_user_id', '=', context.actorUserId)
    .executeTakeFirst();
  if (applied || filing.createdBy === context.actorUserId) {
    throw new DomainError(
      'separation_of_duties',
      `you applied for filing ${filing.id}; its review and registration are for someone else`,
      { filingId: filing.id },
    );
  }
}
