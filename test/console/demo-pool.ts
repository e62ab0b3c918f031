/**
 * A seeded pool for the console's tests, built through the API as its users would: a
 * contribution buying 500,000.00 of coverage, two approved claims that commit 435,000.00 —
 * the first, 405,000.00 confirmed by a second handler, passes its incident's 80 % warning
 * line — one claim waiting in the queue, payouts that wait for funds until an insurer
 * remittance pays some of them, a bank statement with one line still to explain, and a
 * filing past its deadline.
 */
import { sql } from 'kysely';
import { createUser, issueToken } from '../../src/access/tokens.ts';
import type { App } from '../../src/http/app.ts';
import { DEFAULT_RETRY, InProcessPayoutRunner } from '../../src/payouts/in-process.ts';
import { SimulatedBank } from '../../src/payouts/simulated-bank.ts';
import { seedDefaults } from '../../src/seed.ts';
import { riskPoint, sha } from '../claims/support.ts';
import { attachRequiredDocuments, call, type TestApp } from '../http/support.ts';

// The insurer attests only its claim standards; the exemption conditions belong to the case.
const ATTESTATIONS = [{ code: 'MEETS_CLAIM_STANDARDS', result: 'pass', note: 'checked' }];

async function post<T>(app: App, token: string, path: string, json?: unknown): Promise<T> {
  const response = await call(app, 'POST', path, {
    token,
    ...(json === undefined ? {} : { json }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST ${path}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

let documentCount = 0;

interface Claim {
  readonly id: string;
  readonly lines: readonly { id: string; amountClaimed: string }[];
}

async function claimOn(
  t: TestApp,
  riskPointId: string,
  lines: readonly { category: string; amountClaimed: string; payee: string }[],
): Promise<Claim> {
  const insurer = t.users.insurer.token;
  const incident = await post<{ id: string }>(t.app, insurer, '/insurer/incidents', {
    pool: 'county',
    riskPointId,
    occurredOn: '2026-05-10',
    description: '试点仓库因堤坝决口被淹',
    place: '向阳镇',
    reporter: '县委改革办',
  });
  // Another insurer user takes claims in: a claim's submitter may not decide it.
  return post<Claim>(t.app, t.intake.token, '/insurer/claims', {
    incidentId: incident.id,
    claimant: lines[0]?.payee ?? '向阳合作社',
    lines: lines.map((line) => {
      documentCount += 1;
      return {
        ...line,
        description: '',
        evidence: [
          {
            title: '鉴定报告',
            documentNumber: `APR-2026-${documentCount}`,
            sha256: sha(documentCount),
          },
        ],
      };
    }),
  });
}

/** Approves every line in full; a second handler confirms when four eyes are needed. */
async function approveAll(t: TestApp, claim: Claim, checker?: string): Promise<void> {
  const insurer = t.users.insurer.token;
  await post(t.app, insurer, `/insurer/claims/${claim.id}/start-review`);
  await attachRequiredDocuments(t.app, insurer, claim.id);
  await post(t.app, insurer, `/insurer/claims/${claim.id}/decision`, {
    decision: 'approve',
    lines: claim.lines.map((l) => ({ lineId: l.id, approved: l.amountClaimed })),
    attestations: ATTESTATIONS,
  });
  if (checker) await post(t.app, checker, `/insurer/claims/${claim.id}/decision/confirm`);
}

export async function seedDemoPool(t: TestApp): Promise<void> {
  const db = t.database.db;
  await seedDefaults(db);
  const finance = t.users.finance.token;
  await post(t.app, finance, '/finance/pools/county/contributions', {
    amount: '10000.00',
    receivedOn: '2026-03-01',
    payer: '县财政局',
    bankReference: 'BOC-DEMO-001',
  });
  const checkerUser = await createUser(db, 'demo-checker', 'insurer', null);
  const checker = (await issueToken(db, checkerUser.id, 'demo')).token;
  const staff = {
    intake: t.intake.id,
    handler: t.users.insurer.id,
    checker: t.users.insurer.id,
    finance: t.users.finance.id,
    office: t.users.reform_office.id,
  };
  const first = await riskPoint(db, staff, '2026-02-01');
  const second = await riskPoint(db, staff, '2026-02-01');
  const third = await riskPoint(db, staff, '2026-02-01');

  await approveAll(
    t,
    await claimOn(t, first, [
      { category: 'property_loss', amountClaimed: '380000.00', payee: '向阳合作社' },
      { category: 'lawyer_fees', amountClaimed: '25000.00', payee: '明德律师事务所' },
    ]),
    checker,
  );
  await approveAll(
    t,
    await claimOn(t, second, [
      { category: 'appraisal', amountClaimed: '20000.00', payee: '县价格认证中心' },
      { category: 'litigation_arbitration', amountClaimed: '10000.00', payee: '县人民法院' },
    ]),
  );
  await claimOn(t, third, [
    { category: 'property_loss', amountClaimed: '12345.67', payee: '红旗村股份经济合作社' },
  ]);

  // The pool's account holds 10,000.00: every payout waits for funds until the insurer remits.
  const runner = new InProcessPayoutRunner(db, new SimulatedBank(db), DEFAULT_RETRY);
  await runner.runOnce();
  await post(t.app, finance, '/finance/pools/county/remittances', {
    amount: '40000.00',
    receivedOn: '2026-06-01',
    reference: 'INS-DEMO-001',
    note: '',
  });
  await runner.runOnce();

  // The bank's statement: both receipts match; a bank charge is left for finance to explain.
  await post(t.app, finance, '/finance/pools/county/statements', {
    source: 'bank',
    filename: 'boc-2026.csv',
    csv: '交易日期,金额,参考号\n2026-03-01,10000.00,BOC-DEMO-001\n2026-06-01,40000.00,INS-DEMO-001\n2026-06-02,-12.50,FEE-0602\n',
  });

  // The department files; the reform office only reviews.
  const department = t.users.department.token;
  const project = await post<{ id: string }>(t.app, department, '/projects', {
    name: '农村集体经营性建设用地入市改革',
    ownerDepartment: '县自然资源局',
    description: '集体经营性建设用地入市试点',
  });
  const point = await post<{ id: string }>(
    t.app,
    department,
    `/projects/${project.id}/risk-points`,
    {
      description: '土地估价争议导致交易延误并引发诉讼',
      likelihood: 'medium',
      impact: 'high',
      controlPlan: '每宗交易前独立评估；10 日内组织调解',
    },
  );
  const filing = await post<{ id: string }>(t.app, department, `/projects/${project.id}/filings`);
  await post(t.app, department, `/filings/${filing.id}/submit`, { riskPointIds: [point.id] });
  // Submitted a month ago and never answered: past its 7 working days. The clock is replayed
  // from the append-only step history, so the fixture dates that history back as well.
  await db.transaction().execute(async (trx) => {
    await sql`SET LOCAL session_replication_role = replica`.execute(trx);
    await sql`UPDATE filing SET submitted_on = '2026-11-02', submitted_at = '2026-11-02T02:00:00Z' WHERE id = ${filing.id}`.execute(
      trx,
    );
    await sql`UPDATE filing_step SET recorded_at = '2026-11-02T02:00:00Z' WHERE filing_id = ${filing.id}`.execute(
      trx,
    );
  });
}
