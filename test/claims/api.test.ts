import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, issueToken } from '../../src/access/tokens.ts';
import { seedCountyPool } from '../../src/policy/pools.ts';
import { attachRequiredDocuments, call, createTestApp, type TestApp } from '../http/support.ts';
import { riskPoint, sha } from './support.ts';

let t: TestApp;
let checkerToken: string;

beforeAll(async () => {
  t = await createTestApp();
  await seedCountyPool(t.database.db);
  const checker = await createUser(t.database.db, 'second handler', 'insurer', null);
  checkerToken = (await issueToken(t.database.db, checker.id, 'test')).token;
});
afterAll(() => t.close());

describe('a claim from contribution to loss run, over the API', () => {
  it('funds the pool, pays 500,000.00 of 650,000.00 after a second handler confirms, and reports it', async () => {
    const finance = t.users.finance.token;
    const insurer = t.users.insurer.token;
    const contribution = await call(t.app, 'POST', '/finance/pools/county/contributions', {
      token: finance,
      json: {
        amount: '100000.00',
        receivedOn: '2026-01-10',
        payer: 'County finance bureau',
        bankReference: 'BOC-1',
      },
    });
    expect(contribution.status).toBe(201);
    expect(await contribution.json()).toMatchObject({
      coverageGranted: '5000000.00',
      surplus: '0.00',
    });

    const staff = {
      intake: t.intake.id,
      handler: t.users.insurer.id,
      checker: '',
      finance: t.users.finance.id,
      office: t.users.reform_office.id,
    };
    const riskPointId = await riskPoint(t.database.db, staff, '2026-03-01');
    const incidentResponse = await call(t.app, 'POST', '/insurer/incidents', {
      token: insurer,
      json: {
        pool: 'county',
        riskPointId,
        occurredOn: '2026-06-01',
        description: 'flood',
        place: 'township',
        reporter: 'office',
      },
    });
    expect(incidentResponse.status).toBe(201);
    const incident = (await incidentResponse.json()) as { id: string; covered: boolean };
    expect(incident.covered).toBe(true);

    // Another insurer user takes the claim in: its submitter may not decide it.
    const claimResponse = await call(t.app, 'POST', '/insurer/claims', {
      token: t.intake.token,
      json: {
        incidentId: incident.id,
        claimant: 'Cooperative',
        lines: [
          {
            category: 'property_loss',
            amountClaimed: '600000.00',
            payee: 'Cooperative',
            evidence: [{ title: 'appraisal', documentNumber: 'APR-1', sha256: sha(1) }],
          },
          {
            category: 'lawyer_fees',
            amountClaimed: '50000.00',
            payee: 'Law firm',
            evidence: [{ title: 'invoice', documentNumber: 'INV-1', sha256: sha(2) }],
          },
        ],
      },
    });
    expect(claimResponse.status).toBe(201);
    const claim = (await claimResponse.json()) as {
      id: string;
      lines: { id: string; amountClaimed: string }[];
    };
    expect(
      (await call(t.app, 'POST', `/insurer/claims/${claim.id}/start-review`, { token: insurer }))
        .status,
    ).toBe(200);
    await attachRequiredDocuments(t.app, insurer, claim.id);

    // The insurer attests its own claim standards; the exemption conditions are the group's.
    const attestations = ['MEETS_CLAIM_STANDARDS'].map((code) => ({
      code,
      result: 'pass',
      note: 'checked',
    }));
    const decision = await call(t.app, 'POST', `/insurer/claims/${claim.id}/decision`, {
      token: insurer,
      json: {
        decision: 'approve',
        lines: claim.lines.map((l) => ({ lineId: l.id, approved: l.amountClaimed })),
        attestations,
      },
    });
    expect(decision.status).toBe(201);
    expect(await decision.json()).toMatchObject({
      state: 'awaiting_confirmation',
      payable: '500000.00',
      cuts: [{ cap: 'per_incident_cap', amount: '150000.00' }],
    });
    const sameUser = await call(t.app, 'POST', `/insurer/claims/${claim.id}/decision/confirm`, {
      token: insurer,
    });
    expect(sameUser.status).toBe(409);
    expect(((await sameUser.json()) as { code: string }).code).toBe('four_eyes_required');
    const confirmed = await call(t.app, 'POST', `/insurer/claims/${claim.id}/decision/confirm`, {
      token: checkerToken,
    });
    expect(confirmed.status).toBe(200);

    const detail = (await (
      await call(t.app, 'GET', `/insurer/claims/${claim.id}`, { token: insurer })
    ).json()) as {
      status: string;
      money: Record<string, string>;
      incidentCoverage: Record<string, string>;
    };
    expect(detail.status).toBe('payout_pending');
    const payouts = (await (
      await call(t.app, 'GET', `/finance/payouts?claimId=${claim.id}`, { token: finance })
    ).json()) as {
      payouts: { amount: string; payee: string; status: string }[];
    };
    expect(payouts.payouts.map((p) => [p.payee, p.amount, p.status])).toEqual([
      ['Cooperative', '500000.00', 'pending'],
    ]);
    const outbox = await t.database.db.selectFrom('payout_outbox').select('payout_id').execute();
    expect(outbox).toHaveLength(1);
    expect(detail.money).toEqual({
      claimed: '650000.00',
      approved: '500000.00',
      outstanding: '500000.00',
      paid: '0.00',
      voided: '0.00',
      caseReserve: '0.00',
      incurred: '500000.00',
      recovered: '0.00',
    });
    expect(detail.incidentCoverage.remaining).toBe('0.00');

    const coverage = (await (
      await call(t.app, 'GET', '/pools/county/coverage', { token: t.users.reform_office.token })
    ).json()) as Record<string, string>;
    expect(coverage).toMatchObject({
      reserved: '500000.00',
      remaining: '4500000.00',
      utilisationPercent: '10.00',
    });

    const csv = await call(
      t.app,
      'GET',
      '/insurer/pools/county/loss-run.csv?asOf=2026-12-31&headers=chinese',
      { token: finance },
    );
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(await csv.arrayBuffer());
    expect(text.charCodeAt(0)).toBe(0xfeff);
    expect(text).toContain('500000.00');
  });

  it('refuses a JSON number for an amount with a problem naming the field, and writes nothing', async () => {
    const response = await call(t.app, 'POST', '/finance/pools/county/contributions', {
      token: t.users.finance.token,
      json: { amount: 100, receivedOn: '2026-01-10', payer: 'x', bankReference: 'BOC-2' },
    });
    expect(response.status).toBe(422);
    const problem = (await response.json()) as {
      code: string;
      errors: { field: string; reason: string }[];
    };
    expect(problem.code).toBe('validation_failed');
    expect(problem.errors[0]?.field).toBe('json.amount');
    expect(problem.errors[0]?.reason).toContain('JSON number');
    const rows = await t.database.db.selectFrom('contribution').select('bank_reference').execute();
    expect(rows.map((r) => r.bank_reference)).toEqual(['BOC-1']);
  });
});
