/**
 * Claims handling as a claims director would sign it off, over HTTP with several insurer
 * users: authority that splitting or reopening cannot get around, one cap per loss event,
 * required documents, reserves, supplements, recoveries, and a withdrawn invoice claimed
 * again. Exact figures throughout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, issueToken } from '../../src/access/tokens.ts';
import { Money } from '../../src/ledger/money.ts';
import { InProcessPayoutRunner } from '../../src/payouts/in-process.ts';
import { SimulatedBank } from '../../src/payouts/simulated-bank.ts';
import { localDateOf } from '../../src/policy/local-date.ts';
import { seedCountyPool } from '../../src/policy/pools.ts';
import {
  attachRequiredDocuments,
  call,
  createTestApp,
  expectProblem,
  readJson,
  type TestApp,
} from '../http/support.ts';
import { riskPoint, type Staff, sha } from './support.ts';

let t: TestApp;
let staff: Staff;
let checker: string;
let senior: string;
let evidenceNo = 0;

interface Claim {
  id: string;
  status: string;
  lines: { id: string; amountClaimed: string; possibleDuplicateOf: unknown[] }[];
}
interface Decision {
  id: string;
  state: string;
  outcome: string;
  payable: string;
  cuts: { cap: string; amount: string }[];
  lines: {
    lineId: string;
    approved: string;
    payable: string;
    previousPayable: string;
    cutBy: string | null;
  }[];
}

const post = (path: string, token: string, json?: unknown) =>
  call(t.app, 'POST', path, { token, ...(json === undefined ? {} : { json }) });
const get = async <T>(path: string, token = t.users.insurer.token) =>
  (await readJson(await call(t.app, 'GET', path, { token }))) as T;

beforeAll(async () => {
  t = await createTestApp();
  await seedCountyPool(t.database.db);
  staff = {
    intake: t.intake.id,
    handler: t.users.insurer.id,
    checker: t.users.insurer.id,
    finance: t.users.finance.id,
    office: t.users.reform_office.id,
  };
  const checkerUser = await createUser(t.database.db, 'checker', 'insurer', null);
  checker = (await issueToken(t.database.db, checkerUser.id, 'test')).token;
  const seniorUser = await createUser(t.database.db, 'senior handler', 'insurer', null);
  senior = (await issueToken(t.database.db, seniorUser.id, 'test')).token;
  const admin = t.users.admin.token;
  for (const [userId, authorityLimit] of [
    [t.users.insurer.id, '100000.00'],
    [seniorUser.id, '1000000.00'],
  ] as const) {
    const set = await call(t.app, 'PUT', `/admin/users/${userId}/authority-limit`, {
      token: admin,
      json: { authorityLimit },
    });
    expect(set.status, await set.clone().text()).toBe(200);
  }
  const funded = await post('/finance/pools/county/contributions', t.users.finance.token, {
    amount: '100000.00',
    receivedOn: '2026-01-10',
    payer: 'County finance bureau',
    bankReference: 'BOC-HANDLING-1',
  });
  expect(funded.status).toBe(201);
  // Cash for the payouts: the insurer's remittance.
  const remitted = await post('/finance/pools/county/remittances', t.users.finance.token, {
    amount: '5000000.00',
    receivedOn: '2026-01-20',
    reference: 'INS-HANDLING-1',
  });
  expect(remitted.status, await remitted.clone().text()).toBe(201);
});
afterAll(() => t.close());

async function incident(riskPointId: string, occurredOn: string, place: string) {
  const response = await post('/insurer/incidents', t.users.insurer.token, {
    pool: 'county',
    riskPointId,
    occurredOn,
    description: 'dyke breach flooded the pilot warehouse',
    place,
    reporter: 'County reform office',
  });
  expect(response.status, await response.clone().text()).toBe(201);
  return (await response.json()) as { id: string; possibleDuplicateOf: { incidentId: string }[] };
}

const propertyLine = (amount: string, documentNumber = `APR-H-${++evidenceNo}`) => ({
  category: 'property_loss',
  amountClaimed: amount,
  payee: 'Cooperative',
  evidence: [{ title: 'appraisal', documentNumber, sha256: sha(10_000 + evidenceNo) }],
});

/** Taken in by the intake user, put under review and given its documents by the handler. */
async function claimUnderReview(incidentId: string, lines: unknown[], extra: object = {}) {
  const response = await post('/insurer/claims', t.intake.token, {
    incidentId,
    claimant: 'Cooperative',
    lines,
    ...extra,
  });
  expect(response.status, await response.clone().text()).toBe(201);
  const claim = (await response.json()) as Claim;
  expect(
    (await post(`/insurer/claims/${claim.id}/start-review`, t.users.insurer.token)).status,
  ).toBe(200);
  await attachRequiredDocuments(t.app, t.users.insurer.token, claim.id);
  return claim;
}

const ATTESTATIONS = [{ code: 'MEETS_CLAIM_STANDARDS', result: 'pass', note: 'checked' }];

const approval = (claim: Claim, amounts?: string[]) => ({
  decision: 'approve',
  lines: claim.lines.map((l, i) => ({ lineId: l.id, approved: amounts?.[i] ?? l.amountClaimed })),
  attestations: ATTESTATIONS,
});

async function decide(claim: Claim, token: string, amounts?: string[]): Promise<Decision> {
  const response = await post(
    `/insurer/claims/${claim.id}/decision`,
    token,
    approval(claim, amounts),
  );
  expect(response.status, await response.clone().text()).toBe(201);
  return (await response.json()) as Decision;
}

const payOut = () =>
  new InProcessPayoutRunner(t.database.db, new SimulatedBank(t.database.db)).runOnce();

describe('authority that cannot be split around', () => {
  it('needs a second user when a split claim takes the incident past the handler’s 100,000.00', async () => {
    const point = await riskPoint(t.database.db, staff, '2026-02-01');
    const loss = await incident(point, '2026-04-01', 'North gate depot');
    const first = await claimUnderReview(loss.id, [propertyLine('60000.00')]);
    // The user who took the claim in may not decide it.
    await expectProblem(
      await post(`/insurer/claims/${first.id}/decision`, t.intake.token, approval(first)),
      403,
      'separation_of_duties',
    );
    expect(await decide(first, t.users.insurer.token)).toMatchObject({
      state: 'effective',
      payable: '60000.00',
    });

    const second = await claimUnderReview(loss.id, [propertyLine('60000.00')]);
    expect(await decide(second, t.users.insurer.token)).toMatchObject({
      state: 'awaiting_confirmation',
      payable: '60000.00',
    });
    const detail = await get<{ status: string; history: { note: string }[] }>(
      `/insurer/claims/${second.id}`,
    );
    expect(detail.status).toBe('awaiting_confirmation');
    expect(detail.history.at(-1)?.note).toBe(
      "the incident's cumulative payable 120000.00 passes the decider's authority limit 100000.00: a second insurer user must confirm",
    );
    await expectProblem(
      await post(`/insurer/claims/${second.id}/decision/confirm`, t.intake.token),
      403,
      'separation_of_duties',
    );
    await expectProblem(
      await post(`/insurer/claims/${second.id}/decision/confirm`, t.users.insurer.token),
      409,
      'four_eyes_required',
    );
    const confirmed = await post(`/insurer/claims/${second.id}/decision/confirm`, checker);
    expect(confirmed.status).toBe(200);
    expect(await confirmed.json()).toMatchObject({ state: 'effective', payable: '60000.00' });
  });

  it('needs a second user when late lines on a reopened claim take it past the limit', async () => {
    const point = await riskPoint(t.database.db, staff, '2026-02-01');
    const loss = await incident(point, '2026-04-02', 'South gate depot');
    const claim = await claimUnderReview(loss.id, [propertyLine('90000.00')]);
    expect((await decide(claim, t.users.insurer.token)).state).toBe('effective');
    await payOut();
    expect(
      (
        await post(`/insurer/claims/${claim.id}/reopen`, t.users.insurer.token, {
          reason: 'the final inventory came in',
        })
      ).status,
    ).toBe(200);
    const added = await post(`/insurer/claims/${claim.id}/lines`, t.users.insurer.token, {
      lines: [propertyLine('20000.00')],
    });
    expect(added.status, await added.clone().text()).toBe(200);
    await attachRequiredDocuments(t.app, t.users.insurer.token, claim.id);
    const late = (await added.json()) as Claim;
    const response = await post(`/insurer/claims/${claim.id}/decision`, t.users.insurer.token, {
      decision: 'approve',
      lines: [{ lineId: late.lines[1]?.id, approved: '20000.00' }],
      attestations: ATTESTATIONS,
    });
    expect(response.status, await response.clone().text()).toBe(201);
    expect(await response.json()).toMatchObject({
      state: 'awaiting_confirmation',
      payable: '20000.00',
    });
    const history = (await get<{ history: { note: string }[] }>(`/insurer/claims/${claim.id}`))
      .history;
    expect(history.at(-1)?.note).toContain("the claim's cumulative payable 110000.00 passes");
  });
});

describe('one loss event, one cap', () => {
  it('links three reports of one flood, which then share 500,000.00', async () => {
    const point = await riskPoint(t.database.db, staff, '2026-02-01');
    const first = await incident(point, '2026-05-01', '向阳镇东堤');
    const second = await incident(point, '2026-05-02', '向阳镇东堤仓库');
    const third = await incident(point, '2026-05-03', '向阳镇 东堤');
    expect(second.possibleDuplicateOf.map((d) => d.incidentId)).toEqual([first.id]);
    expect(third.possibleDuplicateOf.map((d) => d.incidentId).sort()).toEqual(
      [first.id, second.id].sort(),
    );
    const claims = [
      await claimUnderReview(first.id, [propertyLine('300000.00')]),
      await claimUnderReview(second.id, [propertyLine('300000.00')]),
      await claimUnderReview(third.id, [propertyLine('100000.00')]),
    ];
    const waiting = await expectProblem(
      await post(`/insurer/claims/${claims[0]?.id}/decision`, senior, approval(claims[0] as Claim)),
      422,
      'eligibility_failed',
    );
    expect(waiting.facts).toEqual({ failing: 'NO_UNRESOLVED_DUPLICATE_INCIDENT' });

    for (const report of [second, third]) {
      const linked = await post(`/insurer/incidents/${report.id}/event-links`, senior, {
        otherIncidentId: first.id,
        sameEvent: true,
        reason: 'the same dyke breach on 1 May, reported three times',
      });
      expect(linked.status, await linked.clone().text()).toBe(201);
    }
    const paid = [];
    for (const claim of claims) paid.push(await decide(claim, senior));
    expect(paid.map((d) => [d.payable, d.cuts])).toEqual([
      ['300000.00', []],
      ['200000.00', [{ cap: 'per_incident_cap', amount: '100000.00' }]],
      ['0.00', [{ cap: 'per_incident_cap', amount: '100000.00' }]],
    ]);
    for (const report of [first, second, third]) {
      const shown = await get<{ coverage: Record<string, string>; eventIncidentId: string | null }>(
        `/insurer/incidents/${report.id}`,
      );
      expect(shown.coverage).toMatchObject({
        cap: '500000.00',
        reserved: '500000.00',
        remaining: '0.00',
      });
      expect(shown.eventIncidentId).toBe(report === first ? null : first.id);
    }
  });

  it('refuses to link reports that together hold more than one cap, and keeps a separation’s reason', async () => {
    const point = await riskPoint(t.database.db, staff, '2026-02-01');
    const first = await incident(point, '2026-06-10', 'East pumping station');
    const firstClaim = await claimUnderReview(first.id, [propertyLine('400000.00')]);
    await decide(firstClaim, senior);
    const second = await incident(point, '2026-06-11', 'East pumping station');
    // Recorded as separate with a reason, the flag no longer holds the approval.
    const separate = await post(`/insurer/incidents/${second.id}/event-links`, senior, {
      otherIncidentId: first.id,
      sameEvent: false,
      reason: 'a second storm on 11 June, after the station was repaired',
    });
    expect(separate.status).toBe(201);
    const secondClaim = await claimUnderReview(second.id, [propertyLine('200000.00')]);
    expect((await decide(secondClaim, senior)).payable).toBe('200000.00');
    const shown = await get<{ links: { sameEvent: boolean; reason: string }[] }>(
      `/insurer/incidents/${second.id}`,
    );
    expect(shown.links).toMatchObject([
      { sameEvent: false, reason: 'a second storm on 11 June, after the station was repaired' },
    ]);

    // A report on another risk point that already holds 200,000.00 cannot join an event
    // whose cap has 100,000.00 left.
    const elsewhere = await incident(
      await riskPoint(t.database.db, staff, '2026-02-01'),
      '2026-06-10',
      'East pumping station',
    );
    await decide(await claimUnderReview(elsewhere.id, [propertyLine('200000.00')]), senior);
    const refused = await expectProblem(
      await post(`/insurer/incidents/${elsewhere.id}/event-links`, senior, {
        otherIncidentId: first.id,
        sameEvent: true,
        reason: 'one event after all',
      }),
      409,
      'limit_exceeded',
    );
    expect(refused.facts).toEqual({
      cap: 'per_incident_cap',
      held: '200000.00',
      left: '100000.00',
    });
  });
  it('gives a hold made before the link back to the event’s cap when the checker rejects it', async () => {
    const point = await riskPoint(t.database.db, staff, '2026-02-01');
    const held = await incident(point, '2026-07-20', 'West sluice gate');
    const claim = await claimUnderReview(held.id, [propertyLine('150000.00')]);
    // Past the handler's 100,000.00: the coverage is held while a second user is awaited.
    expect((await decide(claim, t.users.insurer.token)).state).toBe('awaiting_confirmation');
    const event = await incident(point, '2026-07-21', 'West sluice gate');
    const linked = await post(`/insurer/incidents/${held.id}/event-links`, senior, {
      otherIncidentId: event.id,
      sameEvent: true,
      reason: 'one storm surge, reported twice',
    });
    expect(linked.status, await linked.clone().text()).toBe(201);
    const coverage = async (id: string) =>
      (await get<{ coverage: Record<string, string> }>(`/insurer/incidents/${id}`)).coverage;
    expect(await coverage(event.id)).toMatchObject({
      reserved: '150000.00',
      remaining: '350000.00',
    });

    const rejected = await post(`/insurer/claims/${claim.id}/decision/reject`, checker, {
      reason: 'the appraisal does not cover the sluice gate',
    });
    expect(rejected.status, await rejected.clone().text()).toBe(200);
    expect(await rejected.json()).toMatchObject({ state: 'rejected_by_checker' });
    for (const id of [event.id, held.id]) {
      expect(await coverage(id)).toMatchObject({
        cap: '500000.00',
        reserved: '0.00',
        consumed: '0.00',
        remaining: '500000.00',
      });
    }
    const balances = await call(t.app, 'GET', '/finance/ledger/trial-balance', {
      token: t.users.finance.token,
    });
    expect(((await balances.json()) as { balanced: boolean }).balanced).toBe(true);
  });
  it('gives a payout’s hold made before the link back to the event’s cap when finance voids it', async () => {
    const point = await riskPoint(t.database.db, staff, '2026-02-01');
    const held = await incident(point, '2026-08-20', 'North pump house');
    const claim = await claimUnderReview(held.id, [propertyLine('60000.00')]);
    expect((await decide(claim, t.users.insurer.token)).state).toBe('effective');
    const event = await incident(point, '2026-08-21', 'North pump house');
    const linked = await post(`/insurer/incidents/${held.id}/event-links`, senior, {
      otherIncidentId: event.id,
      sameEvent: true,
      reason: 'one flood, reported twice',
    });
    expect(linked.status, await linked.clone().text()).toBe(201);
    const coverage = async (id: string) =>
      (await get<{ coverage: Record<string, string> }>(`/insurer/incidents/${id}`)).coverage;
    expect(await coverage(event.id)).toMatchObject({
      reserved: '60000.00',
      remaining: '440000.00',
    });

    const { payouts } = await get<{ payouts: { id: string }[] }>(
      `/finance/payouts?claimId=${claim.id}`,
      t.users.finance.token,
    );
    const voided = await post(`/finance/payouts/${payouts[0]?.id}/void`, t.users.finance.token, {
      reason: 'the payee withdrew',
    });
    expect(voided.status, await voided.clone().text()).toBe(200);
    expect(await coverage(event.id)).toMatchObject({
      reserved: '0.00',
      consumed: '0.00',
      remaining: '500000.00',
    });
  });
});

describe('required documents', () => {
  it('refuses an approval without the invoice, naming it, and lets a handler’s waiver through', async () => {
    const point = await riskPoint(t.database.db, staff, '2026-02-01');
    const loss = await incident(point, '2026-07-01', 'Appraisal office');
    const response = await post('/insurer/claims', t.intake.token, {
      incidentId: loss.id,
      claimant: 'Appraiser',
      lines: [
        {
          category: 'appraisal',
          amountClaimed: '6000.00',
          payee: 'Appraiser',
          evidence: [
            {
              title: 'report',
              documentNumber: `AP-H-${++evidenceNo}`,
              sha256: sha(20_000 + evidenceNo),
            },
          ],
        },
      ],
    });
    const claim = (await response.json()) as Claim;
    await post(`/insurer/claims/${claim.id}/start-review`, t.users.insurer.token);
    const lineId = claim.lines[0]?.id;
    const report = '%PDF-1.7 appraisal report';
    const uploaded = await post(
      `/insurer/claims/${claim.id}/lines/${lineId}/documents`,
      t.users.insurer.token,
      {
        kind: 'appraisal_report',
        title: 'Appraisal report',
        documentNumber: `APR-DOC-${evidenceNo}`,
        mediaType: 'application/pdf',
        contentBase64: Buffer.from(report).toString('base64'),
      },
    );
    expect(uploaded.status).toBe(201);
    const document = (await uploaded.json()) as { id: string; sha256: string; sizeBytes: number };
    expect(document.sizeBytes).toBe(report.length);
    const history = (
      await get<{ history: { action: string; note: string }[] }>(`/insurer/claims/${claim.id}`)
    ).history;
    expect(history.find((h) => h.action === 'attach_document')?.note).toContain(
      `sha256 ${document.sha256}`,
    );
    const content = await call(
      t.app,
      'GET',
      `/insurer/claims/${claim.id}/documents/${document.id}/content`,
      {
        token: t.users.insurer.token,
      },
    );
    expect(await content.text()).toBe(report);

    const refused = await expectProblem(
      await post(`/insurer/claims/${claim.id}/decision`, t.users.insurer.token, approval(claim)),
      422,
      'required_document_missing',
    );
    expect(refused.facts).toEqual({ documents: 'invoice', lines: '1' });
    expect(refused.detail).toBe(
      'cannot approve: line 1 (appraisal) lacks invoice — attach it, or have a handler waive it with a reason',
    );
    const documents = await get<{ lines: { required: string[]; missing: string[] }[] }>(
      `/insurer/claims/${claim.id}/documents`,
    );
    expect(documents.lines).toMatchObject([
      { required: ['appraisal_report', 'invoice'], missing: ['invoice'] },
    ]);
    const waiver = {
      requirement: 'invoice',
      reason: 'the appraisal institute invoices quarterly; the fee is stated in the report',
    };
    // The one who took the claim in cannot take a gate off it.
    const bySubmitter = await expectProblem(
      await post(`/insurer/claims/${claim.id}/lines/${lineId}/waivers`, t.intake.token, waiver),
      403,
      'separation_of_duties',
    );
    expect(bySubmitter.facts).toEqual({ rule: 'submitter_cannot_waive' });
    const waived = await post(
      `/insurer/claims/${claim.id}/lines/${lineId}/waivers`,
      t.users.insurer.token,
      {
        requirement: 'invoice',
        reason: 'the appraisal institute invoices quarterly; the fee is stated in the report',
      },
    );
    expect(waived.status).toBe(201);
    expect((await decide(claim, t.users.insurer.token)).payable).toBe('6000.00');
  });
});

describe('reserves', () => {
  it('shows incurred = paid + outstanding from intake to payment, in the claim, the queue and the loss run', async () => {
    const point = await riskPoint(t.database.db, staff, '2026-02-01');
    const loss = await incident(point, '2026-08-01', 'Grain store');
    const claim = await claimUnderReview(loss.id, [propertyLine('80000.00')], {
      initialReserve: '70000.00',
      reserveReason: 'the appraiser’s first estimate',
    });
    const money = async () =>
      (await get<{ money: Record<string, string> }>(`/insurer/claims/${claim.id}`)).money;
    expect(await money()).toMatchObject({
      caseReserve: '70000.00',
      outstanding: '70000.00',
      paid: '0.00',
      incurred: '70000.00',
    });
    const moved = await post(`/insurer/claims/${claim.id}/reserve`, t.users.insurer.token, {
      reserve: '75000.00',
      reason: 'the inventory found more spoiled grain',
    });
    expect(moved.status, await moved.clone().text()).toBe(200);
    expect(
      ((await moved.json()) as { movements: { kind: string; amount: string }[] }).movements,
    ).toMatchObject([
      { kind: 'initial', amount: '70000.00' },
      { kind: 'movement', amount: '5000.00' },
    ]);
    const queue = await get<{
      claims: { id: string; outstanding: string; incurred: string }[];
    }>('/insurer/claims?status=under_review');
    expect(queue.claims.find((c) => c.id === claim.id)).toMatchObject({
      outstanding: '75000.00',
      incurred: '75000.00',
    });
    await decide(claim, t.users.insurer.token);
    expect(await money()).toMatchObject({
      caseReserve: '0.00',
      outstanding: '80000.00',
      paid: '0.00',
      incurred: '80000.00',
    });
    await payOut();
    expect(await money()).toMatchObject({
      caseReserve: '0.00',
      outstanding: '0.00',
      paid: '80000.00',
      incurred: '80000.00',
    });
    const run = await get<{
      rows: { claimId: string; paid: string; outstanding: string; incurred: string }[];
    }>('/insurer/pools/county/loss-run?asOf=2026-12-31');
    expect(run.rows.find((r) => r.claimId === claim.id)).toMatchObject({
      paid: '80000.00',
      outstanding: '0.00',
      incurred: '80000.00',
    });
  });
});

describe('supplementary decisions', () => {
  it('raises a paid line on a reopened claim, cuts the raise at the incident cap and names it', async () => {
    const point = await riskPoint(t.database.db, staff, '2026-02-01');
    const loss = await incident(point, '2026-08-10', 'Cold store');
    const claim = await claimUnderReview(loss.id, [propertyLine('600000.00')]);
    const original = await decide(claim, senior, ['450000.00']);
    expect(original).toMatchObject({
      state: 'effective',
      payable: '450000.00',
      outcome: 'partly_approved',
    });
    await payOut();
    await post(`/insurer/claims/${claim.id}/reopen`, senior, { reason: 'the revised appraisal' });
    const response = await post(`/insurer/claims/${claim.id}/supplements`, senior, {
      supersedesDecisionId: original.id,
      lines: [{ lineId: claim.lines[0]?.id, approved: '600000.00' }],
      attestations: ATTESTATIONS,
      note: 'revised appraisal',
    });
    expect(response.status, await response.clone().text()).toBe(201);
    const supplement = (await response.json()) as Decision & { supersedesDecisionId: string };
    expect(supplement).toMatchObject({
      supersedesDecisionId: original.id,
      state: 'effective',
      outcome: 'partly_approved',
      payable: '500000.00',
      cuts: [{ cap: 'per_incident_cap', amount: '100000.00' }],
    });
    expect(supplement.lines).toMatchObject([
      {
        approved: '600000.00',
        payable: '500000.00',
        previousPayable: '450000.00',
        cutBy: 'per_incident_cap',
      },
    ]);
    const payouts = await get<{ payouts: { amount: string; status: string }[] }>(
      `/finance/payouts?claimId=${claim.id}`,
      t.users.finance.token,
    );
    expect(payouts.payouts.map((p) => [p.amount, p.status])).toEqual([
      ['450000.00', 'paid'],
      ['50000.00', 'pending'],
    ]);
    const shown = await get<{ coverage: Record<string, string> }>(`/insurer/incidents/${loss.id}`);
    expect(shown.coverage).toMatchObject({
      reserved: '50000.00',
      consumed: '450000.00',
      remaining: '0.00',
    });
  });
  it('lets a checker reject a supplement past the handler’s limit: the claim is reopened and the raise released', async () => {
    const point = await riskPoint(t.database.db, staff, '2026-02-01');
    const loss = await incident(point, '2026-08-12', 'Grain store');
    const claim = await claimUnderReview(loss.id, [propertyLine('150000.00')]);
    const original = await decide(claim, t.users.insurer.token, ['80000.00']);
    expect(original.state).toBe('effective');
    await payOut();
    await post(`/insurer/claims/${claim.id}/reopen`, t.users.insurer.token, {
      reason: 'the revised appraisal',
    });
    // 80,000.00 paid plus a 70,000.00 raise passes the handler's 100,000.00 on the claim.
    const response = await post(`/insurer/claims/${claim.id}/supplements`, t.users.insurer.token, {
      supersedesDecisionId: original.id,
      lines: [{ lineId: claim.lines[0]?.id, approved: '150000.00' }],
      attestations: ATTESTATIONS,
      note: 'revised appraisal',
    });
    expect(response.status, await response.clone().text()).toBe(201);
    expect(await response.json()).toMatchObject({ state: 'awaiting_confirmation' });
    const coverage = async () =>
      (await get<{ coverage: Record<string, string> }>(`/insurer/incidents/${loss.id}`)).coverage;
    expect(await coverage()).toMatchObject({ reserved: '70000.00', consumed: '80000.00' });

    const rejected = await post(`/insurer/claims/${claim.id}/decision/reject`, checker, {
      reason: 'the revised appraisal is not signed',
    });
    expect(rejected.status, await rejected.clone().text()).toBe(200);
    expect(await rejected.json()).toMatchObject({ state: 'rejected_by_checker' });
    expect((await get<{ status: string }>(`/insurer/claims/${claim.id}`)).status).toBe('reopened');
    expect(await coverage()).toMatchObject({
      reserved: '0.00',
      consumed: '80000.00',
      remaining: '420000.00',
    });
  });
});

describe('recoveries', () => {
  it('credits the fund, shows in the loss run and the statement, and reinstates coverage only once the term says so', async () => {
    const point = await riskPoint(t.database.db, staff, '2026-02-01');
    const loss = await incident(point, '2026-09-01', 'Pilot workshop');
    const claim = await claimUnderReview(loss.id, [propertyLine('50000.00')]);
    await decide(claim, t.users.insurer.token);
    await payOut();
    const coverage = () =>
      get<{ remaining: string; fundBalance: string }>('/pools/county/coverage');
    const before = await coverage();
    const today = localDateOf(new Date());
    const recover = (amount: string, reference: string) =>
      post(`/insurer/claims/${claim.id}/recoveries`, t.users.insurer.token, {
        kind: 'subrogation',
        amount,
        receivedOn: today,
        fromParty: 'Dyke contractor Co.',
        reference,
      });
    const first = await recover('12000.00', `REC-${claim.id.slice(0, 8)}-1`);
    expect(first.status, await first.clone().text()).toBe(201);
    expect(await first.json()).toMatchObject({ amount: '12000.00', coverageReinstated: '0.00' });
    const afterFirst = await coverage();
    const plus = (a: string, b: string) => new Money(a).plus(new Money(b)).toFixed(2);
    expect(afterFirst.fundBalance).toBe(plus(before.fundBalance, '12000.00'));
    expect(afterFirst.remaining).toBe(before.remaining);

    const { versions } = await get<{ versions: Record<string, unknown>[] }>('/pools/county/terms');
    const current = versions.at(-1) ?? {};
    const changed = await post('/admin/pools/county/terms', t.users.admin.token, {
      effectiveFrom: today,
      periodStart: current.periodStart,
      periodEnd: current.periodEnd,
      fundingRatio: '50',
      perIncidentCap: current.perIncidentCap,
      cumulativeCap: current.cumulativeCap,
      categories: current.categories,
      poolWarningPercents: ['50', '80', '90'],
      incidentWarningPercent: '80',
      fourEyesThreshold: current.fourEyesThreshold,
      recoveriesReinstateCoverage: true,
      reason: 'recoveries reinstate cumulative coverage from today',
    });
    expect(changed.status, await changed.clone().text()).toBe(201);
    const second = await recover('8000.00', `REC-${claim.id.slice(0, 8)}-2`);
    expect(await second.json()).toMatchObject({ amount: '8000.00', coverageReinstated: '8000.00' });
    const afterSecond = await coverage();
    expect(afterSecond.remaining).toBe(plus(afterFirst.remaining, '8000.00'));
    expect(afterSecond.fundBalance).toBe(plus(afterFirst.fundBalance, '8000.00'));
    await expectProblem(
      await recover('30000.01', `REC-${claim.id.slice(0, 8)}-3`),
      409,
      'limit_exceeded',
    );

    const run = await get<{ rows: { claimId: string; recovered: string }[] }>(
      `/insurer/pools/county/loss-run?asOf=${today}`,
    );
    expect(run.rows.find((r) => r.claimId === claim.id)?.recovered).toBe('20000.00');
    const statement = await get<{ cash: { recoveries: string } }>(
      `/finance/pools/county/statement?from=${today.slice(0, 8)}01&to=${today}`,
      t.users.finance.token,
    );
    expect(statement.cash.recoveries).toBe('20000.00');
  });
});

describe('the duplicate-invoice check', () => {
  it('lets a withdrawn claim’s invoice be claimed again and paid', async () => {
    const point = await riskPoint(t.database.db, staff, '2026-02-01');
    const loss = await incident(point, '2026-10-01', 'Seed bank');
    const invoice = `INV-W-${++evidenceNo}`;
    const withdrawn = await post('/insurer/claims', t.intake.token, {
      incidentId: loss.id,
      claimant: 'Cooperative',
      lines: [propertyLine('7000.00', invoice)],
    });
    const first = (await withdrawn.json()) as Claim;
    expect((await post(`/insurer/claims/${first.id}/withdraw`, t.users.insurer.token)).status).toBe(
      200,
    );
    const again = await claimUnderReview(loss.id, [propertyLine('7000.00', invoice)]);
    expect(again.lines[0]?.possibleDuplicateOf).toEqual([]);
    expect((await decide(again, t.users.insurer.token)).payable).toBe('7000.00');
  });
});
