/**
 * Shared helpers for the registry tests: the app with the registry and calendar routes on
 * a fresh PostgreSQL database, the calendar and reference lists seeded, and a way to drive
 * a filing to any status through the domain functions at chosen moments.
 */

import { createUser } from '../../src/access/tokens.ts';
import type { DB } from '../../src/db/database.ts';
import type { FilingStatus } from '../../src/db/schema-registry.ts';
import { inTransaction, type Tx } from '../../src/db/transaction.ts';
import { seedWorkingCalendar } from '../../src/policy/calendar.ts';
import { DEPARTMENT_STEPS, type FilingTransitionStep } from '../../src/policy/filing.ts';
import {
  answerConditions,
  giveFeedback,
  recordPreliminaryReview,
  recordReview,
} from '../../src/policy/filing-reviews.ts';
import {
  createFiling,
  registerFiling,
  rejectFiling,
  returnFiling,
  submitFiling,
} from '../../src/policy/filing-steps.ts';
import { createProject } from '../../src/policy/projects.ts';
import { SAMPLE_REFERENCE_ITEMS } from '../../src/policy/reference-list-samples.ts';
import { seedReferenceLists } from '../../src/policy/reference-lists.ts';
import { addRiskPoint } from '../../src/policy/risk-points.ts';
import { createTestApp, type TestApp } from '../http/support.ts';

/** The app with the working calendar and the reference lists seeded. */
export async function createRegistryTestApp(): Promise<TestApp> {
  const t = await createTestApp();
  await seedWorkingCalendar(t.database.db, TEST_CALENDAR_YEARS);
  await seedReferenceLists(t.database.db);
  return t;
}

/** The years the registry tests load (the property tests load every published year). */
export const TEST_CALENDAR_YEARS = [2025, 2026];

export const codesOf = (list: string) =>
  SAMPLE_REFERENCE_ITEMS.filter((item) => item.list === list).map((item) => item.code);

export const allCriteriaPassed = () =>
  codesOf('admission_criterion').map((code) => ({ code, passed: true, note: 'Meets it.' }));

export const allRulesMet = () =>
  codesOf('assessment_rule').map((code) => ({
    code,
    rating: 'meets' as const,
    opinion: 'Adequate.',
  }));

/** Controllability scores 6 of 10 (two rules partly met, one not): a conditional pass. */
export const rulesPassingOnConditions = () => {
  const controllability = SAMPLE_REFERENCE_ITEMS.filter(
    (item) => item.indicator === 'controllability',
  ).map((item) => item.code);
  const weaker = new Map(
    controllability
      .slice(0, 3)
      .map((code, i) => [code, i === 0 ? 'does_not_meet' : 'partly_meets'] as const),
  );
  return allRulesMet().map((rule) => ({ ...rule, rating: weaker.get(rule.code) ?? rule.rating }));
};

export const RISK_POINT = {
  description: 'Valuation disputes delay land transfers.',
  likelihood: 'medium',
  impact: 'high',
  controlPlan: 'Independent appraisal before every transfer.',
} as const;

let projectCounter = 0;

/** A project with `riskPoints` risk points, recorded at `at`. */
export async function projectWithRiskPoints(
  db: DB,
  actorUserId: string,
  riskPoints = 2,
  at = new Date('2026-09-01T09:00:00+08:00'),
): Promise<{ projectId: string; riskPointIds: string[] }> {
  return inTransaction(db, async (trx) => {
    projectCounter += 1;
    const project = await createProject(
      trx,
      {
        name: `Reform project ${process.pid}-${projectCounter}-${crypto.randomUUID().slice(0, 8)}`,
        ownerDepartment: 'County Reform Office',
        description: 'A reform project for tests.',
      },
      { actorUserId, at },
    );
    const riskPointIds: string[] = [];
    for (let n = 0; n < riskPoints; n++) {
      riskPointIds.push((await addRiskPoint(trx, project.id, RISK_POINT, { actorUserId, at })).id);
    }
    return { projectId: project.id, riskPointIds };
  });
}

/**
 * Takes one step of the filing loop with valid content. The department's steps are taken
 * by the filing's applicant when it has one, so the office's actor never reviews its own.
 */
export function takeStep(
  trx: Tx,
  step: FilingTransitionStep,
  filing: {
    readonly filingId: string;
    readonly riskPointIds: readonly string[];
    readonly applicantUserId?: string;
    /** Review so that the scores pass on conditions (one condition to answer). */
    readonly conditional?: boolean;
  },
  officeContext: { readonly actorUserId: string; readonly at: Date },
): Promise<void> {
  const { filingId } = filing;
  const context =
    DEPARTMENT_STEPS.includes(step) && filing.applicantUserId
      ? { ...officeContext, actorUserId: filing.applicantUserId }
      : officeContext;
  switch (step) {
    case 'submit':
      return submitFiling(trx, filingId, { riskPointIds: filing.riskPointIds }, context);
    case 'pass_preliminary_review':
      return recordPreliminaryReview(trx, filingId, allCriteriaPassed(), context);
    case 'fail_preliminary_review': {
      const [first, ...rest] = allCriteriaPassed();
      const failed = first ? [{ ...first, passed: false, note: 'Routine work.' }, ...rest] : rest;
      return recordPreliminaryReview(trx, filingId, failed, context);
    }
    case 'record_review':
      return recordReview(
        trx,
        filingId,
        filing.conditional
          ? { assessments: rulesPassingOnConditions(), conditions: ['Name the responsible unit.'] }
          : { assessments: allRulesMet() },
        context,
      );
    case 'give_feedback':
    case 'give_conditional_feedback':
      return giveFeedback(trx, filingId, 'Admissible; it will be registered.', context);
    case 'answer_conditions':
      return answerConditions(trx, filingId, [{ condition: 1, answer: 'Done.' }], context);
    case 'register':
      return registerFiling(trx, filingId, null, context);
    case 'return':
      return returnFiling(trx, filingId, 'Control plan incomplete.', context);
    case 'reject':
      return rejectFiling(trx, filingId, 'Not a reform.', context);
  }
}

/** The legal steps that lead from a new draft to each status. */
export const PATH_TO: Readonly<Record<FilingStatus, readonly FilingTransitionStep[]>> = {
  draft: [],
  submitted: ['submit'],
  preliminary_review_passed: ['submit', 'pass_preliminary_review'],
  preliminary_review_failed: ['submit', 'fail_preliminary_review'],
  reviewed: ['submit', 'pass_preliminary_review', 'record_review'],
  feedback_given: ['submit', 'pass_preliminary_review', 'record_review', 'give_feedback'],
  awaiting_answers: [
    'submit',
    'pass_preliminary_review',
    'record_review',
    'give_conditional_feedback',
  ],
  registered: ['submit', 'pass_preliminary_review', 'record_review', 'give_feedback', 'register'],
  returned: ['submit', 'return'],
  rejected: ['submit', 'reject'],
};

export interface DrivenFiling {
  readonly projectId: string;
  readonly filingId: string;
  readonly riskPointIds: string[];
  /** The department user who registered the project and filed it. */
  readonly applicantUserId: string;
}

/**
 * A new project with a filing driven to `status`: created at `start`, each later step an
 * hour after the one before.
 */
export async function filingIn(
  db: DB,
  actorUserId: string,
  status: FilingStatus,
  start = new Date('2026-09-30T10:00:00+08:00'),
  options: { readonly conditional?: boolean; readonly applicantUserId?: string } = {},
): Promise<DrivenFiling> {
  const applicantUserId =
    options.applicantUserId ??
    (await createUser(db, `department-${crypto.randomUUID()}`, 'department', null)).id;
  const conditional = options.conditional ?? status === 'awaiting_answers';
  const { projectId, riskPointIds } = await projectWithRiskPoints(db, applicantUserId, 2, start);
  return inTransaction(db, async (trx) => {
    const filingId = await createFiling(trx, projectId, {
      actorUserId: applicantUserId,
      at: start,
    });
    const filing = { filingId, riskPointIds, applicantUserId, conditional };
    let at = start.getTime();
    for (const step of PATH_TO[status]) {
      at += 60 * 60 * 1000;
      await takeStep(trx, step, filing, { actorUserId, at: new Date(at) });
    }
    return { projectId, ...filing };
  });
}
