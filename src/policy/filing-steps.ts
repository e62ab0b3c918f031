/**
 * @module The filing loop's steps as they are recorded: each locks its filing, asks the
 * transition table whether the step is legal (first, so a filing in the wrong status gets
 * `illegal_transition` rather than a complaint about content), checks its content, then
 * moves the filing
 * and appends the step (actor, time, content) to `filing_step`, all in the caller's
 * transaction. A refused step writes nothing.
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
import { scoreReview, thresholdsInForce } from './assessment.ts';
import {
  DEPARTMENT_STEPS,
  type FilingTransitionStep,
  isAdmitted,
  nextFilingStatus,
} from './filing.ts';
import { localDateOf } from './local-date.ts';
import { lockProject } from './projects.ts';
import { type ReferenceItem, referenceItemsInForce } from './reference-lists.ts';

export interface StepContext {
  readonly actorUserId: string;
  readonly at: Date;
}

export interface Submission {
  readonly riskPointIds: readonly string[];
  readonly note?: string;
}

export interface CriterionFinding {
  /** An admission criterion's code, e.g. "is_reform". */
  readonly code: string;
  readonly passed: boolean;
  readonly note: string;
}

export type RuleRating = 'meets' | 'partly_meets' | 'does_not_meet';

export interface RuleAssessment {
  /** An assessment rule's code, e.g. "feasibility.2". */
  readonly code: string;
  readonly rating: RuleRating;
  readonly opinion: string;
}

export interface ExpertOpinion {
  readonly expert: string;
  readonly opinion: string;
  readonly verdict: 'supports' | 'supports_with_conditions' | 'opposes';
}

export interface Review {
  readonly assessments: readonly RuleAssessment[];
  /** A special project (重大专项) needs expert opinions (论证意见). */
  readonly specialProject?: boolean;
  readonly expertOpinions?: readonly ExpertOpinion[];
  /** What the department must answer when the review passes on conditions. */
  readonly conditions?: readonly string[];
  readonly summary?: string;
}

export interface ConditionAnswer {
  readonly condition: number;
  readonly answer: string;
}

/** A filing covers at most this many risk points per submission. */
export const MAX_RISK_POINTS_PER_FILING = 100;

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
async function lockFiling(trx: Tx, filingId: string): Promise<LockedFiling> {
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

/** What a step changes on the filing besides its status. */
type FilingChanges = Omit<Updateable<FilingTable>, 'status' | 'updated_at'>;

async function recordStep(
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
async function moveFiling(
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
  const filing = await lockFiling(trx, filingId);
  nextFilingStatus(filing.status, 'submit');
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
 * Pairs each finding with the reference item in force it answers. Every item must be
 * answered exactly once, and nothing else.
 */
function answerEveryItem<T extends { readonly code: string }>(
  items: readonly ReferenceItem[],
  findings: readonly T[],
  what: string,
): { finding: T; item: ReferenceItem }[] {
  const byCode = new Map(items.map((item) => [item.code, item]));
  const answered = findings.map((finding) => finding.code);
  const duplicated = answered.filter((code, index) => answered.indexOf(code) !== index);
  const unknown = answered.filter((code) => !byCode.has(code));
  const missing = items.map((item) => item.code).filter((code) => !answered.includes(code));
  if (items.length === 0 || duplicated.length + unknown.length + missing.length > 0) {
    const problems = [
      missing.length > 0 ? `missing: ${missing.join(', ')}` : '',
      unknown.length > 0 ? `unknown: ${unknown.join(', ')}` : '',
      duplicated.length > 0 ? `given twice: ${duplicated.join(', ')}` : '',
    ].filter((problem) => problem !== '');
    throw new DomainError(
      'validation_failed',
      `answer each of the ${items.length} ${what} in force exactly once (${problems.join('; ') || 'none are in force'})`,
      { missing: missing.join(','), unknown: unknown.join(','), duplicated: duplicated.join(',') },
    );
  }
  return findings.map((finding) => {
    const item = byCode.get(finding.code);
    if (!item) throw new Error(`no ${what} "${finding.code}" after checking every code`);
    return { finding, item };
  });
}

/** Records the four admission criteria; the outcome decides pass or fail. */
export async function recordPreliminaryReview(
  trx: Tx,
  filingId: string,
  criteria: readonly CriterionFinding[],
  context: StepContext,
): Promise<void> {
  const step = isAdmitted(criteria) ? 'pass_preliminary_review' : 'fail_preliminary_review';
  const filing = await lockFiling(trx, filingId);
  nextFilingStatus(filing.status, step);
  const inForce = await referenceItemsInForce(trx, { list: 'admission_criterion' });
  const answered = answerEveryItem(inForce, criteria, 'admission criteria');
  const content = {
    admitted: step === 'pass_preliminary_review',
    criteria: answered.map(({ finding, item }) => ({
      code: item.code,
      version: item.version,
      title: item.title,
      passed: finding.passed,
      note: finding.note,
    })),
  };
  await moveFiling(trx, filing, step, content, context);
}

/**
 * Records the review: a rating and opinion for each assessment rule in force, scored per
 * indicator against the thresholds in force, which decide pass, conditional pass or fail.
 */
export async function recordReview(
  trx: Tx,
  filingId: string,
  review: Review,
  context: StepContext,
): Promise<void> {
  const filing = await lockFiling(trx, filingId);
  nextFilingStatus(filing.status, 'record_review');
  const inForce = await referenceItemsInForce(trx, { list: 'assessment_rule' });
  const answered = answerEveryItem(inForce, review.assessments, 'assessment rules');
  const expertOpinions = review.expertOpinions ?? [];
  if (review.specialProject === true && expertOpinions.length === 0) {
    throw new DomainError(
      'validation_failed',
      'a special project is reviewed with at least one expert opinion (论证意见)',
    );
  }
  const scored = scoreReview(
    answered.map(({ finding, item }) => {
      if (!item.indicator) throw new Error(`assessment rule ${item.code} has no indicator`);
      return { indicator: item.indicator, rating: finding.rating };
    }),
    await thresholdsInForce(trx),
  );
  const conditions = review.conditions ?? [];
  if ((scored.outcome === 'conditional_pass') !== conditions.length > 0) {
    throw new DomainError(
      'validation_failed',
      scored.outcome === 'conditional_pass'
        ? 'the scores pass on conditions: state the conditions the department must answer'
        : `the scores give ${scored.outcome}: conditions belong only to a conditional pass`,
      { outcome: scored.outcome },
    );
  }
  const content = {
    assessments: answered.map(({ finding, item }) => ({
      code: item.code,
      version: item.version,
      indicator: item.indicator,
      title: item.title,
      rating: finding.rating,
      opinion: finding.opinion,
    })),
    indicators: scored.indicators,
    outcome: scored.outcome,
    conditions,
    specialProject: review.specialProject ?? false,
    expertOpinions,
    summary: review.summary ?? null,
  };
  await moveFiling(trx, filing, 'record_review', content, context, {
    review_outcome: scored.outcome,
  });
}

/** The conditions the latest review set, in order. */
async function conditionsSet(trx: Tx, filingId: string): Promise<string[]> {
  const step = await trx
    .selectFrom('filing_step')
    .select('content')
    .where('filing_id', '=', filingId)
    .where('step', '=', 'record_review')
    .orderBy('id', 'desc')
    .executeTakeFirst();
  const content = (step?.content ?? {}) as { conditions?: string[] };
  return content.conditions ?? [];
}

/**
 * Answers every condition of a conditional pass, one answer each; the clock, paused while
 * the department answered, runs again.
 */
export async function answerConditions(
  trx: Tx,
  filingId: string,
  answers: readonly ConditionAnswer[],
  context: StepContext,
): Promise<void> {
  const filing = await lockFiling(trx, filingId);
  nextFilingStatus(filing.status, 'answer_conditions');
  const conditions = await conditionsSet(trx, filingId);
  const numbers = answers.map((a) => a.condition).sort((a, b) => a - b);
  if (numbers.length !== conditions.length || numbers.some((n, i) => n !== i + 1)) {
    throw new DomainError(
      'validation_failed',
      `answer each of the ${conditions.length} conditions (numbered from 1) exactly once`,
    );
  }
  const content = {
    answers: answers.map((a) => ({ ...a, conditionText: conditions[a.condition - 1] })),
  };
  await moveFiling(trx, filing, 'answer_conditions', content, context);
}

/**
 * Tells the department the review's result. A pass goes on to registration; a conditional
 * pass waits (the clock paused) for the department's answers; a fail is not fed back but
 * returned or rejected.
 */
export async function giveFeedback(
  trx: Tx,
  filingId: string,
  message: string,
  context: StepContext,
): Promise<void> {
  const filing = await lockFiling(trx, filingId);
  if (filing.status === 'reviewed' && filing.reviewOutcome === 'fail') {
    throw new DomainError(
      'illegal_transition',
      'the review failed: return the filing for amendment or reject it',
      { filingId },
    );
  }
  const step =
    filing.reviewOutcome === 'conditional_pass' ? 'give_conditional_feedback' : 'give_feedback';
  const conditions = step === 'give_conditional_feedback' ? await conditionsSet(trx, filingId) : [];
  await moveFiling(trx, filing, step, { message, conditions }, context, {
    answered_at: context.at,
  });
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
  const filing = await lockFiling(trx, filingId);
  nextFilingStatus(filing.status, 'register');
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
