/**
 * The typed client (openapi-fetch over the generated types) drives a claim from the pool's
 * contribution to paid, as an integrator would: every body and answer is typed by the spec,
 * changes carry Idempotency-Keys, and the payout is paid by the in-process runner.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRiskPoolClient, type RiskPoolClient } from '../../client/index.ts';
import { createUser, issueToken } from '../../src/access/tokens.ts';
import { DEFAULT_RETRY, InProcessPayoutRunner } from '../../src/payouts/in-process.ts';
import { SimulatedBank } from '../../src/payouts/simulated-bank.ts';
import { seedCountyPool } from '../../src/policy/pools.ts';
import { riskPoint, type Staff, sha } from '../claims/support.ts';
import { createTestApp, type TestApp } from '../http/support.ts';

let t: TestApp;
const clients = {} as Record<'finance' | 'insurer' | 'checker', RiskPoolClient>;

beforeAll(async () => {
  t = await createTestApp();
  await seedCountyPool(t.database.db);
  const checker = await createUser(t.database.db, 'second handler', 'insurer', null);
  const checkerToken = (await issueToken(t.database.db, checker.id, 'test')).token;
  const viaApp: typeof fetch = (input, init) =>
    Promise.resolve(t.app.fetch(new Request(input, init)));
  const client = (token: string) =>
    createRiskPoolClient({ baseUrl: 'http://risk-pool.local', token, fetch: viaApp });
  clients.finance = client(t.users.finance.token);
  clients.insurer = client(t.users.insurer.token);
  clients.checker = client(checkerToken);
});
afterAll(() => t.close());

const key = (name: string) => ({ 'idempotency-key': `client-${name}-${crypto.randomUUID()}` });

describe('the typed client', () => {
  it('takes a claim from contribution to paid', async () => {
    const contribution = await clients.finance.POST('/finance/pools/{pool}/contributions', {
      params: { path: { pool: 'county' }, header: key('contribution') },
      body: {
        amount: '100000.00',
        receivedOn: '2026-01-10',
        bookAsLateItem: false,
        payer: 'County finance bureau',
        bankReference: 'BOC-CLIENT-1',
      },
    });
    expect(contribution.response.status).toBe(201);
    expect(contribution.data?.coverageGranted).toBe('5000000.00');

    const staff: Staff = {
      intake: t.intake.id,
      handler: t.users.insurer.id,
      checker: t.users.insurer.id,
      finance: t.users.finance.id,
      office: t.users.reform_office.id,
    };
    const riskPointId = await riskPoint(t.database.db, staff, '2026-03-01');
    const incident = await clients.insurer.POST('/insurer/incidents', {
      params: { header: key('incident') },
      body: {
        pool: 'county',
        riskPointId,
        occurredOn: '2026-06-01',
        description: 'flood',
        place: 'township',
        reporter: 'office',
      },
    });
    expect(incident.response.status).toBe(201);
    const incidentId = incident.data?.id ?? '';

    // Another insurer user takes the claim in: its submitter may not decide it.
    const submitted = await clients.checker.POST('/insurer/claims', {
      params: { header: key('claim') },
      body: {
        incidentId,
        claimant: 'Cooperative',
        lines: [
          {
            category: 'property_loss',
            amountClaimed: '80000.00',
            payee: 'Cooperative',
            description: 'flooded warehouse',
            evidence: [{ title: 'appraisal', documentNumber: 'APR-C1', sha256: sha(11) }],
          },
        ],
      },
    });
    expect(submitted.response.status).toBe(201);
    const claim = submitted.data;
    if (!claim) throw new Error('no claim in the answer');
    const path = { params: { path: { claimId: claim.id } } };
    const change = (name: string) => ({ params: { ...path.params, header: key(name) } });

    expect(
      (await clients.insurer.POST('/insurer/claims/{claimId}/start-review', change('review')))
        .response.status,
    ).toBe(200);
    const appraisal = '%PDF-1.7 appraisal of the flooded warehouse';
    const uploaded = await clients.insurer.POST(
      '/insurer/claims/{claimId}/lines/{lineId}/documents',
      {
        params: {
          path: { claimId: claim.id, lineId: claim.lines[0]?.id ?? '' },
          header: key('document'),
        },
        body: {
          kind: 'appraisal_report',
          title: 'Appraisal report',
          documentNumber: 'APR-C1',
          mediaType: 'application/pdf',
          contentBase64: Buffer.from(appraisal).toString('base64'),
        },
      },
    );
    expect(uploaded.response.status).toBe(201);
    expect(uploaded.data?.sha256).toBe(createHash('sha256').update(appraisal).digest('hex'));
    const decision = await clients.insurer.POST('/insurer/claims/{claimId}/decision', {
      ...change('decision'),
      body: {
        decision: 'approve',
        note: 'approved in full',
        lines: claim.lines.map((line) => ({ lineId: line.id, approved: line.amountClaimed })),
        // The insurer attests its claim standards; the exemption conditions are the group's.
        attestations: [{ code: 'MEETS_CLAIM_STANDARDS', result: 'pass', note: 'checked' }],
      },
    });
    expect(decision.response.status).toBe(201);
    expect(decision.data?.payable).toBe('80000.00');

    const runner = new InProcessPayoutRunner(
      t.database.db,
      new SimulatedBank(t.database.db),
      DEFAULT_RETRY,
      50,
      (error) => {
        throw error;
      },
    );
    await runner.runOnce();

    const paid = await clients.insurer.GET('/insurer/claims/{claimId}', path);
    expect(paid.data?.status).toBe('paid');
    expect(paid.data?.money).toMatchObject({ approved: '80000.00', paid: '80000.00' });
    const payouts = await clients.finance.GET('/finance/payouts', {
      params: { query: { claimId: claim.id } },
    });
    expect(payouts.data?.payouts.map((p) => [p.payee, p.amount, p.status])).toEqual([
      ['Cooperative', '80000.00', 'paid'],
    ]);
  });
});
