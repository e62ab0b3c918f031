/**
 * @module The reform office's reviews in the filing loop: the preliminary review against the
 * admission criteria in force, the review's rating of every assessment rule (scored per indicator
 * against the thresholds in force), the department's answers to a conditional pass, and the
 * feedback that tells it the result. Every item in force is answered exactly once.
 */
import type { Tx } from '../db/transaction.ts';
import { DomainError } from '../domain-error.ts';
import { scoreReview, thresholdsInForce } from './assessment.ts';
import { isAdmitted } from './filing.ts';
import { lockFiling, lockForStep, moveFiling, type StepContext } from './filing-step-record.ts';
import { type ReferenceItem, referenceItemsInForce } from './reference-lists.ts';

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
  const filing = await lockForStep(trx, filingId, step);
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
  const filing = await lockForStep(trx, filingId, 'record_review');
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
  const filing = await lockForStep(trx, filingId, 'answer_conditions');
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
