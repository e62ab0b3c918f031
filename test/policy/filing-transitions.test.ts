/**
 * The filing loop's transition table, every (status, step) pair: first as the pure rule,
 * then through the domain functions on PostgreSQL (a legal step moves the filing and
 * records itself; an illegal one is refused with `illegal_transition` and writes nothing),
 * then a few over HTTP as 409 problems.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FilingStatus } from '../../src/db/schema-registry.ts';
import { inTransaction } from '../../src/db/transaction.ts';
import { DomainError } from '../../src/domain-error.ts';
import {
  DEPARTMENT_STEPS,
  FILING_STATUSES,
  FILING_TRANSITION_STEPS,
  type FilingTransitionStep,
  legalSteps,
  nextFilingStatus,
} from '../../src/policy/filing.ts';
import { call, expectProblem, readJson, type TestApp, tableCounts } from '../http/support.ts';
import {
  allCriteriaPassed,
  allRulesMet,
  createRegistryTestApp,
  filingIn,
  takeStep,
} from './support.ts';

/** The expected table, written out independently of FILING_TRANSITIONS. */
const LEGAL: Readonly<Record<FilingStatus, Partial<Record<FilingTransitionStep, FilingStatus>>>> = {
  draft: { submit: 'submitted' },
  submitted: {
    pass_preliminary_review: 'preliminary_review_passed',
    fail_preliminary_review: 'preliminary_review_failed',
    return: 'returned',
    reject: 'rejected',
  },
  preliminary_review_passed: { record_review: 'reviewed', return: 'returned', reject: 'rejected' },
  preliminary_review_failed: { return: 'returned', reject: 'rejected' },
  reviewed: {
    give_feedback: 'feedback_given',
    give_conditional_feedback: 'awaiting_answers',
    return: 'returned',
    reject: 'rejected',
  },
  feedback_given: { register: 'registered', return: 'returned', reject: 'rejected' },
  awaiting_answers: {
    answer_conditions: 'feedback_given',
    return: 'returned',
    reject: 'rejected',
  },
  registered: {},
  returned: { submit: 'submitted' },
  rejected: {},
};

const PAIRS = FILING_STATUSES.flatMap((status) =>
  FILING_TRANSITION_STEPS.map((step) => ({ status, step, to: LEGAL[status][step] ?? null })),
);

describe('the transition table (pure)', () => {
  it.each(PAIRS)('$status --$step--> $to', ({ status, step, to }) => {
    if (to) {
      expect(nextFilingStatus(status, step)).toBe(to);
      return;
    }
    const error = (() => {
      try {
        nextFilingStatus(status, step);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('illegal_transition');
    expect((error as DomainError).details).toEqual({ status, step });
  });

  it('lists the next steps of every status, and none once closed', () => {
    for (const status of FILING_STATUSES) {
      expect(legalSteps(status).sort()).toEqual(Object.keys(LEGAL[status]).sort());
    }
    expect(legalSteps('registered')).toEqual([]);
    expect(legalSteps('rejected')).toEqual([]);
  });
});

let t: TestApp;
beforeAll(async () => {
  t = await createRegistryTestApp();
});
afterAll(() => t.close());

const office = () => t.users.reform_office.id;
const STEP_AT = new Date('2026-10-20T10:00:00+08:00');

async function filingRow(filingId: string) {
  return t.database.db
    .selectFrom('filing')
    .selectAll()
    .where('id', '=', filingId)
    .executeTakeFirstOrThrow();
}

async function stepCount(filingId: string): Promise<number> {
  const rows = await t.database.db
    .selectFrom('filing_step')
    .select('id')
    .where('filing_id', '=', filingId)
    .execute();
  return rows.length;
}

describe('every transition through the domain, on PostgreSQL', () => {
  it.each(PAIRS)('$status --$step--> $to', async ({ status, step, to }) => {
    // Which feedback a reviewed filing gets follows from its scores.
    const conditional =
      status === 'awaiting_answers' ||
      (status === 'reviewed' && step === 'give_conditional_feedback');
    const filing = await filingIn(t.database.db, office(), status, undefined, { conditional });
    expect((await filingRow(filing.filingId)).status).toBe(status);
    const stepsBefore = await stepCount(filing.filingId);
    const attempt = inTransaction(t.database.db, (trx) =>
      takeStep(trx, step, filing, { actorUserId: office(), at: STEP_AT }),
    );
    if (!to) {
      await expect(attempt).rejects.toMatchObject({ code: 'illegal_transition' });
      expect((await filingRow(filing.filingId)).status).toBe(status);
      expect(await stepCount(filing.filingId)).toBe(stepsBefore);
      return;
    }
    await attempt;
    expect((await filingRow(filing.filingId)).status).toBe(to);
    const last = await t.database.db
      .selectFrom('filing_step')
      .selectAll()
      .where('filing_id', '=', filing.filingId)
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    expect(last).toMatchObject({
      step,
      from_status: status,
      to_status: to,
      actor_user_id: DEPARTMENT_STEPS.includes(step) ? filing.applicantUserId : office(),
      recorded_at: STEP_AT,
    });
  });

  it('records who, when and what at every step of a full loop', async () => {
    const filing = await filingIn(t.database.db, office(), 'registered');
    const steps = await t.database.db
      .selectFrom('filing_step')
      .select(['step', 'from_status', 'to_status', 'content', 'recorded_at'])
      .where('filing_id', '=', filing.filingId)
      .orderBy('id')
      .execute();
    expect(steps.map((s) => [s.step, s.from_status, s.to_status])).toEqual([
      ['create', null, 'draft'],
      ['submit', 'draft', 'submitted'],
      ['pass_preliminary_review', 'submitted', 'preliminary_review_passed'],
      ['record_review', 'preliminary_review_passed', 'reviewed'],
      ['give_feedback', 'reviewed', 'feedback_given'],
      ['register', 'feedback_given', 'registered'],
    ]);
    const review = steps[3]?.content as { assessments: { code: string; version: number }[] };
    expect(review.assessments).toHaveLength(15);
    expect(review.assessments[0]).toMatchObject({ version: 1 });
    const preliminary = steps[2]?.content as { admitted: boolean; criteria: unknown[] };
    expect(preliminary.admitted).toBe(true);
    expect(preliminary.criteria).toHaveLength(4);
  });

  it('resubmits a returned filing as a new submission with a new clock', async () => {
    const filing = await filingIn(t.database.db, office(), 'returned');
    const later = new Date('2026-10-12T09:00:00+08:00');
    await inTransaction(t.database.db, (trx) =>
      takeStep(
        trx,
        'submit',
        { ...filing, riskPointIds: filing.riskPointIds.slice(0, 1) },
        {
          actorUserId: office(),
          at: later,
        },
      ),
    );
    const row = await filingRow(filing.filingId);
    expect(row).toMatchObject({
      status: 'submitted',
      submission_count: 2,
      submitted_at: later,
      answered_at: null,
    });
    const covered = await t.database.db
      .selectFrom('filing_risk_point')
      .select(['submission_number', 'risk_point_id'])
      .where('filing_id', '=', filing.filingId)
      .orderBy('submission_number')
      .execute();
    expect(covered.map((c) => c.submission_number)).toEqual([1, 1, 2]);
  });

  it('refuses an incomplete review and a foreign risk point, writing nothing', async () => {
    const submitted = await filingIn(t.database.db, office(), 'submitted');
    const before = await stepCount(submitted.filingId);
    await expect(
      inTransaction(t.database.db, (trx) =>
        takeStep(trx, 'submit', submitted, { actorUserId: office(), at: STEP_AT }),
      ),
    ).rejects.toMatchObject({ code: 'illegal_transition' });
    const draft = await filingIn(t.database.db, office(), 'draft');
    await expect(
      inTransaction(t.database.db, (trx) =>
        takeStep(
          trx,
          'submit',
          { ...draft, riskPointIds: submitted.riskPointIds },
          {
            actorUserId: office(),
            at: STEP_AT,
          },
        ),
      ),
    ).rejects.toMatchObject({ code: 'validation_failed' });
    expect((await filingRow(draft.filingId)).status).toBe('draft');
    expect(await stepCount(submitted.filingId)).toBe(before);
  });

  it('allows one filing in progress per project', async () => {
    const filing = await filingIn(t.database.db, office(), 'reviewed', undefined, {
      applicantUserId: t.users.department.id,
    });
    const response = await call(t.app, 'POST', `/projects/${filing.projectId}/filings`, {
      token: t.users.department.token,
    });
    const problem = await expectProblem(response, 409, 'conflict');
    expect(problem.detail).toContain(filing.filingId);
  });
});

describe('the filing loop over HTTP', () => {
  const token = () => t.users.reform_office.token;
  const department = () => t.users.department.token;

  it('runs the whole loop and registers the risk points it covers', async () => {
    const project = await readJson(
      await call(t.app, 'POST', '/projects', {
        token: department(),
        json: {
          name: 'Loop over HTTP',
          ownerDepartment: 'Agriculture Bureau',
          description: 'Pilot.',
        },
      }),
    );
    const point = await readJson(
      await call(t.app, 'POST', `/projects/${project.id}/risk-points`, {
        token: department(),
        json: {
          description: 'Yield loss',
          likelihood: 'low',
          impact: 'medium',
          controlPlan: 'Insure.',
        },
      }),
    );
    const created = await call(t.app, 'POST', `/projects/${project.id}/filings`, {
      token: department(),
    });
    expect(created.status).toBe(201);
    const filing = await readJson(created);
    expect(filing).toMatchObject({ status: 'draft', deadline: null, nextSteps: ['submit'] });
    const base = `/filings/${filing.id}`;

    const submitted = await readJson(
      await call(t.app, 'POST', `${base}/submit`, {
        token: department(),
        json: { riskPointIds: [point.id] },
      }),
    );
    expect(submitted).toMatchObject({ status: 'submitted', submissionCount: 1 });
    expect(submitted.deadline).toMatchObject({
      state: expect.stringMatching(/on_track|near|overdue/),
    });

    const steps: [string, unknown, string][] = [
      ['preliminary-review', { criteria: allCriteriaPassed() }, 'preliminary_review_passed'],
      [
        'review',
        {
          assessments: allRulesMet(),
          specialProject: true,
          expertOpinions: [{ expert: 'Prof. Wang', opinion: 'Sound.', verdict: 'supports' }],
        },
        'reviewed',
      ],
      ['feedback', { message: 'Admissible.' }, 'feedback_given'],
      ['register', {}, 'registered'],
    ];
    for (const [path, json, status] of steps) {
      const response = await call(t.app, 'POST', `${base}/${path}`, { token: token(), json });
      expect(response.status, await response.clone().text()).toBe(200);
      expect(await readJson(response)).toMatchObject({ status });
    }
    const registered = await readJson(
      await call(t.app, 'GET', `/risk-points/${point.id}`, { token: t.users.insurer.token }),
    );
    expect(registered.registeredAt).toEqual(expect.any(String));
    expect(registered.registeredOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(registered.registeredByFilingId).toBe(filing.id);
    const detail = await readJson(await call(t.app, 'GET', base, { token: token() }));
    expect(detail.filedOn).toBe(registered.registeredOn);
    expect(detail.deadline).toMatchObject({ state: 'met' });
    expect((detail.steps as unknown[]).length).toBe(6);
    expect(detail.riskPoints).toEqual([{ riskPointId: point.id, number: 1, version: 1 }]);
  });

  it.each<[FilingStatus, string, unknown]>([
    ['draft', 'register', {}],
    ['draft', 'preliminary-review', { criteria: allCriteriaPassed() }],
    ['submitted', 'review', { assessments: allRulesMet() }],
    ['preliminary_review_failed', 'review', { assessments: allRulesMet() }],
    ['reviewed', 'register', { note: 'too early' }],
    ['feedback_given', 'feedback', { message: 'again' }],
    ['registered', 'reject', { reason: 'closed' }],
  ])(
    'refuses a %s filing the step %s with 409 illegal_transition, writing nothing',
    async (status, path, json) => {
      const filing = await filingIn(t.database.db, office(), status);
      const before = await tableCounts(t.database);
      const response = await call(t.app, 'POST', `/filings/${filing.filingId}/${path}`, {
        token: token(),
        json,
      });
      const problem = await expectProblem(response, 409, 'illegal_transition');
      expect(problem.detail).toContain(status);
      expect(await tableCounts(t.database)).toEqual(before);
    },
  );

  it('answers a replayed step with the first answer and records it once', async () => {
    const filing = await filingIn(t.database.db, office(), 'reviewed');
    const request = {
      token: token(),
      json: { message: 'Admissible.' },
      idempotencyKey: `feedback-${filing.filingId}`,
    };
    const first = await call(t.app, 'POST', `/filings/${filing.filingId}/feedback`, request);
    const again = await call(t.app, 'POST', `/filings/${filing.filingId}/feedback`, request);
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await readJson(again)).toEqual(await readJson(first));
    const feedbackSteps = await t.database.db
      .selectFrom('filing_step')
      .select('id')
      .where('filing_id', '=', filing.filingId)
      .where('step', '=', 'give_feedback')
      .execute();
    expect(feedbackSteps).toHaveLength(1);
  });

  it('refuses an incomplete preliminary review with 422 and an unknown filing with 404', async () => {
    const filing = await filingIn(t.database.db, office(), 'submitted');
    const problem = await expectProblem(
      await call(t.app, 'POST', `/filings/${filing.filingId}/preliminary-review`, {
        token: token(),
        json: { criteria: allCriteriaPassed().slice(1) },
      }),
      422,
      'validation_failed',
    );
    expect(problem.detail).toContain('is_reform');
    await expectProblem(
      await call(t.app, 'POST', `/filings/${crypto.randomUUID()}/return`, {
        token: token(),
        json: { reason: 'x' },
      }),
      404,
      'not_found',
    );
  });

  it('keeps filings to the reform office', async () => {
    const filing = await filingIn(t.database.db, office(), 'submitted');
    for (const role of ['insurer', 'finance', 'admin'] as const) {
      await expectProblem(
        await call(t.app, 'GET', `/filings/${filing.filingId}`, { token: t.users[role].token }),
        403,
        'forbidden',
      );
      await expectProblem(
        await call(t.app, 'POST', `/filings/${filing.filingId}/return`, {
          token: t.users[role].token,
          json: { reason: 'Not mine to return.' },
        }),
        403,
        'forbidden',
      );
    }
  });
});
