/**
 * Where a pool's exemption terms link compensation to exemption: claims that need the
 * exemption conditions read them from the case (never from the insurer's attestations),
 * and a payout waits for the decision while the terms say so. By default the two run side
 * by side (the loop test shows a claim with no such wait).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, issueToken } from '../../src/access/tokens.ts';
import { inTransaction } from '../../src/db/transaction.ts';
import { payoutAwaitsExemption } from '../../src/exemption/claim-link.ts';
import { appointMember } from '../../src/exemption/special-group.ts';
import { InProcessPayoutRunner } from '../../src/payouts/in-process.ts';
import { SimulatedBank } from '../../src/payouts/simulated-bank.ts';
import { seedWorkingCalendar } from '../../src/policy/calendar.ts';
import { seedCountyPool } from '../../src/policy/pools.ts';
import { seedReferenceLists } from '../../src/policy/reference-lists.ts';
import {
  attachRequiredDocuments,
  call,
  createTestApp,
  expectProblem,
  readJson,
  type TestApp,
} from '../http/support.ts';
import { filingIn, TEST_CALENDAR_YEARS } from '../policy/support.ts';

let t: TestApp;
let leaderToken: string;

beforeAll(async () => {
  t = await createTestApp();
  await seedCountyPool(t.database.db);
  await seedWorkingCalendar(t.database.db, TEST_CALENDAR_YEARS);
  await seedReferenceLists(t.database.db);
  const leader = await createUser(t.database.db, 'group leader', 'special_group', null);
  leaderToken = (await issueToken(t.database.db, leader.id, 'test')).token;
  await inTransaction(t.database.db, async (trx) => {
    const context = { actorUserId: t.users.admin.id, at: new Date() };
    const member = {
      userId: t.users.special_group.id,
      unitCode: 'justice_bureau',
      isLeader: false,
    };
    await appointMember(trx, member, context);
    await appointMember(
      trx,
      { userId: leader.id, unitCode: 'reform_office', isLeader: true },
      context,
    );
  });
});
afterAll(() => t.close());

const post = (path: string, token: string, json: unknown = {}) =>
  call(t.app, 'POST', path, { token, json });

describe('exemption terms of a pool', () => {
  it('makes the claim wait for the case, and pays once the group has decided', async () => {
    const terms = await post('/admin/pools/county/exemption-terms', t.users.admin.token, {
      effectiveFrom: '2026-01-01',
      investigationWorkingDays: 10,
      payoutsWaitForDecision: true,
      claimsRequireExemption: true,
      reason: 'The county links compensation to the exemption decision.',
    });
    expect(terms.status).toBe(201);
    await expectProblem(
      await post('/admin/pools/county/exemption-terms', t.users.admin.token, {
        effectiveFrom: '2026-01-01',
        investigationWorkingDays: 5,
        payoutsWaitForDecision: false,
        claimsRequireExemption: false,
        reason: 'An edit in place.',
      }),
      409,
      'conflict',
    );
    expect(
      (
        await post('/finance/pools/county/contributions', t.users.finance.token, {
          amount: '100000.00',
          receivedOn: '2026-01-10',
          payer: 'County finance bureau',
          bankReference: 'BOC-77',
        })
      ).status,
    ).toBe(201);
    const filing = await filingIn(
      t.database.db,
      t.users.reform_office.id,
      'registered',
      new Date('2026-03-02T10:00:00+08:00'),
    );
    const incident = await readJson(
      await post('/insurer/incidents', t.users.insurer.token, {
        pool: 'county',
        riskPointId: filing.riskPointIds[0],
        occurredOn: '2026-06-01',
        description: 'Contract voided.',
        place: 'County seat',
        reporter: 'Bureau',
      }),
    );
    expect(await payoutAwaitsExemption(t.database.db, incident.id as string)).toBe(true);

    const claim = await readJson(
      await post('/insurer/claims', t.intake.token, {
        incidentId: incident.id,
        claimant: 'Contractor',
        lines: [
          {
            category: 'litigation_arbitration',
            amountClaimed: '8000.00',
            payee: 'Contractor',
            evidence: [{ title: 'ruling', documentNumber: 'R-1', sha256: 'b'.repeat(64) }],
          },
        ],
      }),
    );
    await post(`/insurer/claims/${claim.id}/start-review`, t.users.insurer.token);
    await attachRequiredDocuments(t.app, t.users.insurer.token, claim.id as string);
    const lines = (claim.lines as { id: string; amountClaimed: string }[]).map((l) => ({
      lineId: l.id,
      approved: l.amountClaimed,
    }));
    const approve = {
      decision: 'approve',
      lines,
      attestations: [{ code: 'MEETS_CLAIM_STANDARDS', result: 'pass', note: 'Within standards.' }],
    };
    const refused = await expectProblem(
      await post(`/insurer/claims/${claim.id}/decision`, t.users.insurer.token, approve),
      422,
      'eligibility_failed',
    );
    expect(refused.detail).toContain('EXEMPTION_CONDITIONS_MET');
    // The insurer cannot attest the group's findings any more.
    await expectProblem(
      await post(`/insurer/claims/${claim.id}/decision`, t.users.insurer.token, {
        ...approve,
        attestations: [{ code: 'RISK_CONTROL_AS_FILED', result: 'pass', note: 'x' }],
      }),
      422,
      'validation_failed',
    );
    const shown = await readJson(
      await call(t.app, 'GET', `/insurer/claims/${claim.id}`, { token: t.users.insurer.token }),
    );
    expect(shown.exemption).toMatchObject({ status: 'open', payoutWaitsForDecision: true });

    const investigationId = (shown.exemption as { investigationId: string }).investigationId;
    const base = `/exemption/investigations/${investigationId}`;
    const member = t.users.special_group.token;
    const withEvidence = await readJson(
      await post(`${base}/evidence`, member, {
        title: 'Inspection record',
        mediaType: 'text/plain',
        contentBase64: Buffer.from('Inspected as filed.').toString('base64'),
      }),
    );
    const evidenceIds = (withEvidence.evidence as { id: string }[]).map((e) => e.id);
    for (const finding of [
      { code: 'CONTROLLED_AS_FILED', met: true, note: 'As filed.', evidenceIds },
      { code: 'NON_SUBJECTIVE_OR_FORCE_MAJEURE', met: true, note: 'A storm.', evidenceIds },
      { code: 'POSITIVE_LIST_APPLIES', met: false, note: 'No situation fits.' },
      { code: 'NO_NEGATIVE_LIST_SITUATION', met: true, note: 'None.' },
    ]) {
      expect((await post(`${base}/findings`, member, finding)).status).toBe(201);
    }
    // Not every condition holds: no proposal, and full exemption is not open.
    await expectProblem(
      await post(`${base}/drafts`, member, { outcome: 'exempt', reasons: 'Try.' }),
      422,
      'validation_failed',
    );
    const draft = await readJson(
      await post(`${base}/drafts`, member, { outcome: 'partly_exempt', reasons: 'In part.' }),
    );
    expect((await post(`/exemption/drafts/${draft.id}/decide`, leaderToken)).status).toBe(201);
    expect(await payoutAwaitsExemption(t.database.db, incident.id as string)).toBe(false);

    const approved = await post(
      `/insurer/claims/${claim.id}/decision`,
      t.users.insurer.token,
      approve,
    );
    expect(approved.status, await approved.clone().text()).toBe(201);
    const decision = await readJson(approved);
    expect(decision.findings).toContainEqual(
      expect.objectContaining({ code: 'EXEMPTION_CONDITIONS_MET', result: 'pass' }),
    );
  });

  it('holds a payout, sending nothing, until the group has decided, where the terms say so', async () => {
    const terms = await post('/admin/pools/county/exemption-terms', t.users.admin.token, {
      effectiveFrom: '2026-07-01',
      investigationWorkingDays: 10,
      payoutsWaitForDecision: true,
      claimsRequireExemption: false,
      reason: 'From July the insurer decides alone, but the fund pays only after the group.',
    });
    expect(terms.status).toBe(201);
    const filing = await filingIn(
      t.database.db,
      t.users.reform_office.id,
      'registered',
      new Date('2026-03-03T10:00:00+08:00'),
    );
    const incident = await readJson(
      await post('/insurer/incidents', t.users.insurer.token, {
        pool: 'county',
        riskPointId: filing.riskPointIds[0],
        occurredOn: '2026-08-03',
        description: 'Appraisal of a failed pilot.',
        place: 'County seat',
        reporter: 'Bureau',
      }),
    );
    const claim = await readJson(
      await post('/insurer/claims', t.intake.token, {
        incidentId: incident.id,
        claimant: 'Appraiser',
        lines: [
          {
            category: 'appraisal',
            amountClaimed: '3000.00',
            payee: 'Appraiser',
            evidence: [{ title: 'report', documentNumber: 'AP-9', sha256: 'c'.repeat(64) }],
          },
        ],
      }),
    );
    await post(`/insurer/claims/${claim.id}/start-review`, t.users.insurer.token);
    await attachRequiredDocuments(t.app, t.users.insurer.token, claim.id as string);
    const approved = await post(`/insurer/claims/${claim.id}/decision`, t.users.insurer.token, {
      decision: 'approve',
      lines: (claim.lines as { id: string; amountClaimed: string }[]).map((l) => ({
        lineId: l.id,
        approved: l.amountClaimed,
      })),
      attestations: [{ code: 'MEETS_CLAIM_STANDARDS', result: 'pass', note: 'Within standards.' }],
    });
    expect(approved.status, await approved.clone().text()).toBe(201);
    const bank = new SimulatedBank(t.database.db);
    const runner = new InProcessPayoutRunner(t.database.db, bank);
    await runner.runOnce();
    const payoutOf = () =>
      t.database.db
        .selectFrom('payout')
        .select(['id', 'status', 'last_error', 'cash_hold_entry_id'])
        .where('claim_id', '=', claim.id as string)
        .executeTakeFirstOrThrow();
    const waiting = await payoutOf();
    expect(waiting).toMatchObject({ status: 'pending', cash_hold_entry_id: null });
    expect(waiting.last_error).toContain('exemption decision');
    const transfers = await t.database.db
      .selectFrom('bank_transfer')
      .select('id')
      .where('idempotency_key', '=', waiting.id)
      .execute();
    expect(transfers).toHaveLength(0);

    const shown = await readJson(
      await call(t.app, 'GET', `/insurer/claims/${claim.id}`, { token: t.users.insurer.token }),
    );
    const base = `/exemption/investigations/${(shown.exemption as { investigationId: string }).investigationId}`;
    const member = t.users.special_group.token;
    for (const finding of [
      { code: 'POSITIVE_LIST_APPLIES', met: false, note: 'No situation fits.' },
      { code: 'NO_NEGATIVE_LIST_SITUATION', met: true, note: 'None.' },
    ]) {
      expect((await post(`${base}/findings`, member, finding)).status).toBe(201);
    }
    const draft = await readJson(
      await post(`${base}/drafts`, member, { outcome: 'not_exempt', reasons: 'Not shown.' }),
    );
    expect((await post(`/exemption/drafts/${draft.id}/decide`, leaderToken)).status).toBe(201);
    // The recheck comes round (a minute later in service); the fund then pays.
    await t.database.db
      .updateTable('payout')
      .set({ next_attempt_at: new Date() })
      .where('id', '=', waiting.id)
      .execute();
    await runner.runOnce();
    expect((await payoutOf()).status).toBe('paid');
  });
});
