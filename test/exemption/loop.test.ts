/**
 * The whole scheme over HTTP with its four working roles: a department files; the reform
 * office reviews with criteria and scores (a conditional pass the department answers) and
 * registers; an incident opens an investigation by itself; the special group records the
 * parties, evidence and findings, a member prepares and the leader decides; a clarification
 * is published and readable without a token; the claim shows the decision.
 *
 * The service takes the moment of every step from the clock, so the clock is set (Date
 * only; PostgreSQL, Redis and the timers stay real) to walk the loop through 2026.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createUser, issueToken } from '../../src/access/tokens.ts';
import { seedWorkingCalendar } from '../../src/policy/calendar.ts';
import { seedCountyPool } from '../../src/policy/pools.ts';
import { SAMPLE_REFERENCE_ITEMS } from '../../src/policy/reference-list-samples.ts';
import { seedReferenceLists } from '../../src/policy/reference-lists.ts';
import {
  call,
  createTestApp,
  expectProblem,
  readJson,
  type TestApp,
  tableCounts,
} from '../http/support.ts';
import {
  allCriteriaPassed,
  RISK_POINT,
  rulesPassingOnConditions,
  TEST_CALENDAR_YEARS,
} from '../policy/support.ts';

let t: TestApp;
let leaderToken: string;
let leaderId: string;

const setClock = (moment: string) => vi.setSystemTime(new Date(moment));

beforeAll(async () => {
  t = await createTestApp();
  await seedCountyPool(t.database.db);
  await seedWorkingCalendar(t.database.db, TEST_CALENDAR_YEARS);
  // The lists as adopted at the start of the year, so they are in force on the incident date
  // (the seed would date them today, by the database's own clock).
  await t.database.db
    .insertInto('reference_list_item')
    .values(
      SAMPLE_REFERENCE_ITEMS.map((item) => ({
        ...item,
        version: 1,
        is_sample: true,
        note: null,
        recorded_by: null,
        recorded_at: new Date('2026-01-01T00:00:00+08:00'),
      })),
    )
    .execute();
  expect((await seedReferenceLists(t.database.db)).inserted).toBe(0);
  const leader = await createUser(t.database.db, 'Deputy secretary Li', 'special_group', null);
  leaderId = leader.id;
  leaderToken = (await issueToken(t.database.db, leader.id, 'test')).token;
  vi.useFakeTimers({ toFake: ['Date'] });
  setClock('2026-03-02T09:00:00+08:00');
});
afterAll(async () => {
  vi.useRealTimers();
  await t.close();
});

type Body = Record<string, unknown>;
const post = async (path: string, token: string, json: unknown = {}) => {
  const response = await call(t.app, 'POST', path, { token, json });
  const body = (await response.clone().json()) as Body;
  expect(response.status, `${path}: ${JSON.stringify(body)}`).toBeLessThan(300);
  return body;
};
const get = async (path: string, token: string) =>
  readJson(await call(t.app, 'GET', path, { token }));

describe('filing, investigation, decision and clarification over HTTP', () => {
  const department = () => t.users.department.token;
  const office = () => t.users.reform_office.token;
  const insurer = () => t.users.insurer.token;
  const member = () => t.users.special_group.token;
  let riskPointId = '';
  let filingId = '';
  let investigationId = '';
  let incidentId = '';

  it('appoints the special group: a member for the audit bureau, the leader', async () => {
    const admin = t.users.admin.token;
    await post('/admin/special-group/members', admin, {
      userId: t.users.special_group.id,
      unitCode: 'audit_bureau',
      isLeader: false,
    });
    await post('/admin/special-group/members', admin, {
      userId: leaderId,
      unitCode: 'reform_office',
      isLeader: true,
    });
    const group = await get('/special-group', office());
    expect((group.units as { code: string }[]).map((u) => u.code)).toEqual([
      'reform_office',
      'discipline_inspection',
      'organisation_department',
      'audit_bureau',
      'finance_bureau',
      'staffing_office',
      'justice_bureau',
      'government_services',
    ]);
    expect(group.members).toHaveLength(2);
  });

  it('runs the filing loop: the department applies and answers, the office assesses and registers', async () => {
    const project = await post('/projects', department(), {
      name: 'Homestead land reform',
      ownerDepartment: 'County natural resources bureau',
      description: 'Pilot of paid withdrawal from homestead land.',
    });
    const point = await post(`/projects/${project.id}/risk-points`, department(), RISK_POINT);
    riskPointId = point.id as string;
    const filing = await post(`/projects/${project.id}/filings`, department());
    filingId = filing.id as string;
    await post(`/filings/${filingId}/submit`, department(), { riskPointIds: [riskPointId] });

    // The applicant never reviews: by role, and the office cannot apply.
    await expectProblem(
      await call(t.app, 'POST', `/filings/${filingId}/preliminary-review`, {
        token: department(),
        json: { criteria: allCriteriaPassed() },
      }),
      403,
      'forbidden',
    );
    await expectProblem(
      await call(t.app, 'POST', `/projects/${project.id}/risk-points`, {
        token: office(),
        json: RISK_POINT,
      }),
      403,
      'forbidden',
    );

    setClock('2026-03-03T10:00:00+08:00');
    const admitted = await post(`/filings/${filingId}/preliminary-review`, office(), {
      criteria: allCriteriaPassed(),
    });
    expect(admitted.status).toBe('preliminary_review_passed');

    // Scores that pass on conditions must state them.
    const before = await tableCounts(t.database);
    await expectProblem(
      await call(t.app, 'POST', `/filings/${filingId}/review`, {
        token: office(),
        json: { assessments: rulesPassingOnConditions() },
      }),
      422,
      'validation_failed',
    );
    expect(await tableCounts(t.database)).toEqual(before);
    const reviewed = await post(`/filings/${filingId}/review`, office(), {
      assessments: rulesPassingOnConditions(),
      conditions: ['Name the unit responsible for each appraisal.'],
      specialProject: true,
      expertOpinions: [
        {
          expert: 'Prof. Chen',
          opinion: 'Sound if appraisals are independent.',
          verdict: 'supports_with_conditions',
        },
      ],
    });
    const review = (reviewed.steps as { step: string; content: Body }[]).at(-1)?.content;
    expect(review).toMatchObject({
      outcome: 'conditional_pass',
      indicators: [
        { indicator: 'rationality', score: 10, outcome: 'pass' },
        { indicator: 'feasibility', score: 10, outcome: 'pass' },
        { indicator: 'controllability', score: 6, maximum: 10, outcome: 'conditional_pass' },
      ],
    });

    setClock('2026-03-04T10:00:00+08:00');
    const fedBack = await post(`/filings/${filingId}/feedback`, office(), {
      message: 'Passed on one condition.',
    });
    expect(fedBack).toMatchObject({ status: 'awaiting_answers', deadline: { state: 'paused' } });
    // Mar 3 and 4 ran; the clock waits while the department answers.
    expect(fedBack.deadline).toMatchObject({ workingDaysUsed: 2, workingDaysLeft: 5 });

    setClock('2026-03-09T10:00:00+08:00');
    const answered = await post(`/filings/${filingId}/answers`, department(), {
      answers: [{ condition: 1, answer: 'The audit bureau appraises every transfer.' }],
    });
    // Five left from Monday Mar 9: Mar 10, 11, 12, 13, 16.
    expect(answered).toMatchObject({ status: 'feedback_given', deadline: { dueOn: '2026-03-16' } });

    setClock('2026-03-10T10:00:00+08:00');
    const registered = await post(`/filings/${filingId}/register`, office(), {});
    expect(registered).toMatchObject({
      status: 'registered',
      filedOn: '2026-03-10',
      deadline: { state: 'met', workingDaysUsed: 3, closedOn: '2026-03-10' },
    });
  });

  it('keeps a registered risk point as filed: an amendment counts only once re-filed', async () => {
    setClock('2026-04-01T10:00:00+08:00');
    await post(`/risk-points/${riskPointId}/amendments`, department(), {
      ...RISK_POINT,
      basedOnVersion: 1,
      controlPlan: 'A second appraisal for transfers above 1,000,000.00.',
      amendmentNote: 'Tighter control.',
    });
  });

  it('opens an investigation with the incident, by itself, on the version in force', async () => {
    setClock('2026-05-21T09:00:00+08:00');
    const incident = await post('/insurer/incidents', insurer(), {
      pool: 'county',
      riskPointId,
      occurredOn: '2026-05-20',
      description: 'Appraisal overturned in court; compensation owed.',
      place: 'Dongxiang township',
      reporter: 'Township office',
    });
    incidentId = incident.id as string;
    const open = await get('/exemption/investigations?status=open', member());
    const cases = open.investigations as Body[];
    expect(cases).toHaveLength(1);
    const opened = cases[0] as Body;
    investigationId = opened.id as string;
    expect(opened).toMatchObject({
      incidentId,
      occurredOn: '2026-05-20',
      status: 'open',
      // Version 2 was never filed: the case is judged on version 1, as registered.
      filedVersion: { filingId, version: 1, controlPlan: RISK_POINT.controlPlan },
      proposedOutcome: 'not_proposed',
      // 20 working days after Wednesday May 20: May 21 … Jun 17.
      deadline: { workingDays: 20, dueOn: '2026-06-17', state: 'on_track' },
    });
    expect(opened.findings).toEqual([
      expect.objectContaining({ code: 'FILED_BEFORE_INCIDENT', kind: 'automatic', met: true }),
    ]);
  });

  it('lets the group find, with evidence, and the leader decide what a member prepared', async () => {
    const base = `/exemption/investigations/${investigationId}`;
    await post(`${base}/parties`, member(), {
      kind: 'unit',
      name: 'County natural resources bureau',
    });
    await post(`${base}/parties`, member(), {
      kind: 'official',
      name: 'Zhang Wei',
      unit: 'County natural resources bureau',
      post: 'Deputy director',
    });
    const document = 'Appraisal report no. 17, signed by the audit bureau.';
    const withEvidence = await post(`${base}/evidence`, member(), {
      title: 'Appraisal report',
      mediaType: 'text/plain',
      contentBase64: Buffer.from(document).toString('base64'),
    });
    const [evidence] = withEvidence.evidence as { id: string; sha256: string }[];
    expect(evidence?.sha256).toBe(
      (await import('node:crypto')).createHash('sha256').update(document).digest('hex'),
    );

    await expectProblem(
      await call(t.app, 'POST', `${base}/findings`, {
        token: member(),
        json: { code: 'CONTROLLED_AS_FILED', met: true, note: 'Appraised.' },
      }),
      422,
      'validation_failed',
    );
    await expectProblem(
      await call(t.app, 'POST', `${base}/findings`, {
        token: insurer(),
        json: {
          code: 'CONTROLLED_AS_FILED',
          met: true,
          note: 'Appraised.',
          evidenceIds: [evidence?.id],
        },
      }),
      403,
      'forbidden',
    );
    for (const finding of [
      {
        code: 'CONTROLLED_AS_FILED',
        met: true,
        note: 'Every transfer appraised.',
        evidenceIds: [evidence?.id],
      },
      {
        code: 'NON_SUBJECTIVE_OR_FORCE_MAJEURE',
        met: true,
        note: 'The court changed its practice.',
        evidenceIds: [evidence?.id],
      },
      { code: 'POSITIVE_LIST_APPLIES', met: true, note: 'A key task.', listItemCode: 'positive.4' },
      { code: 'NO_NEGATIVE_LIST_SITUATION', met: true, note: 'None applies.' },
    ]) {
      await post(`${base}/findings`, member(), finding);
    }
    const found = await get(base, member());
    expect(found).toMatchObject({
      proposedOutcome: 'exempt',
      allowedOutcomes: ['exempt', 'partly_exempt', 'not_exempt'],
    });

    const draft = await post(`${base}/drafts`, member(), {
      outcome: 'exempt',
      reasons: 'Filed before, controlled as filed, non-subjective cause; positive list 4.',
    });
    await expectProblem(
      await call(t.app, 'POST', `/exemption/drafts/${draft.id}/decide`, {
        token: member(),
        json: {},
      }),
      403,
      'separation_of_duties',
    );
    setClock('2026-05-28T15:00:00+08:00');
    const decision = await post(`/exemption/drafts/${draft.id}/decide`, leaderToken);
    expect(decision).toMatchObject({
      version: 1,
      supersedesId: null,
      outcome: 'exempt',
      proposedOutcome: 'exempt',
      preparedBy: t.users.special_group.id,
      decidedBy: leaderId,
    });
    await expect(
      sql`UPDATE exemption_decision SET outcome = 'not_exempt' WHERE id = ${decision.id}`.execute(
        t.database.db,
      ),
    ).rejects.toThrow();
    expect(await get(base, member())).toMatchObject({
      status: 'decided',
      deadline: { state: 'met' },
    });
  });

  it('publishes a clarification anyone can read, without the case behind it', async () => {
    const base = `/exemption/investigations/${investigationId}`;
    await post(`${base}/clarifications`, member(), {
      scope: 'public',
      title: 'Clarification on the homestead appraisal case',
      text: 'The officials concerned acted as filed and are cleared of blame.',
      publishedOn: '2026-05-28',
    });
    await post(`${base}/clarifications`, member(), {
      scope: 'unit',
      title: 'Within the bureau',
      text: 'Zhang Wei is cleared.',
      publishedOn: '2026-05-28',
    });
    const response = await call(t.app, 'GET', '/public/clarifications');
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({
      clarifications: [
        {
          id: expect.any(String),
          title: 'Clarification on the homestead appraisal case',
          text: 'The officials concerned acted as filed and are cleared of blame.',
          publishedOn: '2026-05-28',
        },
      ],
    });
    expect(text).not.toContain('Zhang Wei');
    expect(text).not.toContain(investigationId);
  });

  it("shows the case and its decision on the incident's claim, and revises as a new version", async () => {
    const claim = await post('/insurer/claims', insurer(), {
      incidentId,
      claimant: 'Village collective',
      lines: [
        {
          category: 'property_loss',
          amountClaimed: '120000.00',
          payee: 'Village collective',
          evidence: [{ title: 'judgment', documentNumber: 'J-17', sha256: 'a'.repeat(64) }],
        },
      ],
    });
    const shown = await get(`/insurer/claims/${claim.id}`, insurer());
    expect(shown.exemption).toMatchObject({
      investigationId,
      status: 'decided',
      decision: { version: 1, outcome: 'exempt' },
      payoutWaitsForDecision: false,
    });

    const [first] = (await get(`/exemption/investigations/${investigationId}`, member()))
      .decisions as { id: string }[];
    await expectProblem(
      await call(t.app, 'POST', `/exemption/investigations/${investigationId}/drafts`, {
        token: member(),
        json: { outcome: 'partly_exempt', reasons: 'Revision without naming the old.' },
      }),
      409,
      'conflict',
    );
    const revision = await post(`/exemption/investigations/${investigationId}/drafts`, member(), {
      outcome: 'partly_exempt',
      reasons: 'The deputy director skipped one appraisal.',
      supersedesDecisionId: first?.id,
    });
    const revised = await post(`/exemption/drafts/${revision.id}/decide`, leaderToken);
    expect(revised).toMatchObject({
      version: 2,
      supersedesId: first?.id,
      outcome: 'partly_exempt',
    });
    const again = await get(`/insurer/claims/${claim.id}`, insurer());
    expect(again.exemption).toMatchObject({ decision: { version: 2, outcome: 'partly_exempt' } });
  });

  it('takes a public clarification down once its case is revised to not exempt', async () => {
    const publicList = async () =>
      readJson(await call(t.app, 'GET', '/public/clarifications')) as Promise<{
        clarifications: unknown[];
      }>;
    expect((await publicList()).clarifications).toHaveLength(1);
    const decisions = (await get(`/exemption/investigations/${investigationId}`, member()))
      .decisions as { id: string; version: number }[];
    const latest = decisions.find((decision) => decision.version === 2);
    const revision = await post(`/exemption/investigations/${investigationId}/drafts`, member(), {
      outcome: 'not_exempt',
      reasons: 'New evidence: the appraisal rules were ignored on purpose.',
      supersedesDecisionId: latest?.id,
    });
    expect(await post(`/exemption/drafts/${revision.id}/decide`, leaderToken)).toMatchObject({
      version: 3,
      outcome: 'not_exempt',
    });
    expect((await publicList()).clarifications).toEqual([]);
  });

  it('flags open cases past their deadline', async () => {
    setClock('2026-06-01T09:00:00+08:00');
    const late = await post('/insurer/incidents', insurer(), {
      pool: 'county',
      riskPointId,
      occurredOn: '2026-05-31',
      description: 'A second dispute.',
      place: 'Xixiang township',
      reporter: 'Township office',
    });
    const overdue = async (asOf: string) =>
      (
        (await get(`/exemption/investigations?overdue=true&asOf=${asOf}`, office()))
          .investigations as Body[]
      ).map((c) => c.incidentId);
    expect(await overdue('2026-06-26')).toEqual([]);
    // 20 working days after Sunday May 31: Jun 1 … Jun 29 (Dragon Boat, Jun 19, is off).
    expect(await overdue('2026-06-30')).toEqual([late.id]);
  });
});
