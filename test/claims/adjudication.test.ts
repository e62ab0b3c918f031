import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decideClaim } from '../../src/claims/adjudication.ts';
import { changeClaimStatus, type NewClaimLine, submitClaim } from '../../src/claims/claims.ts';
import { confirmDecision, rejectDecision } from '../../src/claims/decision-check.ts';
import type { DecisionInput } from '../../src/claims/decision-facts.ts';
import { getIncident, incidentCoverage, reportIncident } from '../../src/claims/incidents.ts';
import { projectCoverage } from '../../src/claims/project-coverage.ts';
import { claimSummary, lossRun, lossRunCsv, workQueue } from '../../src/claims/views.ts';
import { openDatabase } from '../../src/db/database.ts';
import { inTransaction } from '../../src/db/transaction.ts';
import { DomainError } from '../../src/domain-error.ts';
import { Money } from '../../src/ledger/money.ts';
import { verifyLedger } from '../../src/ledger/verify.ts';
import { listAlerts } from '../../src/policy/alerts.ts';
import { recordContribution } from '../../src/policy/contributions.ts';
import { poolCoverage } from '../../src/policy/coverage.ts';
import { importPreGoLiveFiling } from '../../src/policy/filing-import.ts';
import { periodFigures } from '../../src/policy/periods.ts';
import type { CostCategory } from '../../src/policy/pool-accounts.ts';
import { changeTerms, createPool } from '../../src/policy/pools.ts';
import { freshPostgres, type TestDatabase } from '../support/database.ts';
import {
  ALL_PASS,
  createStaff,
  fundedPool,
  riskPoint,
  type Staff,
  sha,
  TERMS_WITHOUT_DOCUMENTS,
} from './support.ts';

let database: TestDatabase;
let staff: Staff;
let evidenceNo = 0;

beforeAll(async () => {
  database = await freshPostgres(12);
  staff = await createStaff(database.db, 'adjudication');
});
afterAll(() => database.close());

const line = (category: CostCategory, amount: string): NewClaimLine => {
  evidenceNo += 1;
  return {
    category,
    amountClaimed: new Money(amount),
    payee: 'Claimant Co.',
    description: '',
    evidence: [{ title: 'invoice', documentNumber: `INV-${evidenceNo}`, sha256: sha(evidenceNo) }],
  };
};

async function incident(
  pool: string,
  riskPointId: string,
  occurredOn = '2026-06-01',
  today?: string,
) {
  return inTransaction(database.db, (trx) =>
    reportIncident(
      trx,
      {
        pool,
        riskPointId,
        occurredOn,
        description: 'loss',
        place: 'County',
        reporter: 'Reform office',
      },
      staff.office,
      today,
    ),
  );
}

async function claimUnderReview(incidentId: string, lines: NewClaimLine[]) {
  const claim = await inTransaction(database.db, (trx) =>
    submitClaim(trx, { incidentId, claimant: 'Claimant Co.', lines }, staff.intake),
  );
  await inTransaction(database.db, (trx) =>
    changeClaimStatus(trx, claim.id, 'start_review', '', staff.handler),
  );
  return claim;
}

const approveInFull = (claim: Awaited<ReturnType<typeof claimUnderReview>>): DecisionInput => ({
  decision: 'approve',
  lines: claim.lines.map((l) => ({ lineId: l.id, approved: new Money(l.amountClaimed) })),
  attestations: ALL_PASS,
  note: '',
});

const decide = (claimId: string, input: DecisionInput, by = staff.handler, db = database.db) =>
  inTransaction(db, (trx) => decideClaim(trx, claimId, input, by));

const errorCode = (promise: Promise<unknown>) =>
  promise.then(
    () => 'succeeded',
    (error: unknown) => (error instanceof DomainError ? error.code : String(error)),
  );

describe('the decision’s clock', () => {
  it('brings terms into force as of the request’s moment, not the machine’s', async () => {
    const code = 'decision-clock';
    const pool = await fundedPool(database.db, code, staff);
    await inTransaction(database.db, (trx) =>
      changeTerms(
        trx,
        code,
        {
          ...TERMS_WITHOUT_DOCUMENTS,
          effectiveFrom: '2026-11-01',
          cumulativeCap: new Money('6000000.00'),
          reason: 'cap raised from November',
        },
        staff.finance,
        new Date('2026-10-01T12:00:00+08:00'),
      ),
    );
    const loss = await incident(code, await riskPoint(database.db, staff, '2026-02-01'));
    const claim = await claimUnderReview(loss.id, [line('property_loss', '1000.00')]);
    await inTransaction(database.db, (trx) =>
      decideClaim(
        trx,
        claim.id,
        { ...approveInFull(claim), now: new Date('2026-10-15T12:00:00+08:00') },
        staff.handler,
      ),
    );
    // On 2026-10-15 the November terms are not due: nothing brought them in.
    const inForce = await database.db
      .selectFrom('pool_terms_in_force')
      .select('version')
      .where('pool_id', '=', pool.id)
      .execute();
    expect(inForce.map((r) => r.version)).toEqual([1]);
  });
});

describe('caps per policy period', () => {
  it('charges a late first-period claim and a first-period release to the first period, never the renewal', async () => {
    const code = 'period-caps';
    const pool = await inTransaction(database.db, (trx) =>
      createPool(
        trx,
        {
          code,
          name: 'Period caps',
          insurer: 'Insurer',
          policyNumber: `RP-${code}`,
          terms: {
            ...TERMS_WITHOUT_DOCUMENTS,
            cumulativeCap: new Money('1000000.00'),
            fourEyesThreshold: new Money('400000.00'),
          },
        },
        null,
      ),
    );
    await inTransaction(database.db, (trx) =>
      recordContribution(
        trx,
        code,
        {
          amount: new Money('40000.00'),
          receivedOn: '2026-01-05',
          payer: 'County finance bureau',
          bankReference: `${code}-1`,
        },
        staff.finance,
      ),
    );
    const claimOn = async (occurredOn: string, amount: string) => {
      const riskPointId = await riskPoint(database.db, staff, '2026-02-01');
      const loss = await incident(code, riskPointId, occurredOn, '2027-01-10');
      return claimUnderReview(loss.id, [line('property_loss', amount)]);
    };
    const decideOn = (claim: Awaited<ReturnType<typeof claimOn>>, day: string) =>
      decide(claim.id, { ...approveInFull(claim), now: new Date(`${day}T12:00:00+08:00`) });
    // Period 2026: 500,000.00 awaiting its checker, 300,000.00 and 200,000.00 effective.
    const awaiting = await claimOn('2026-06-01', '500000.00');
    expect((await decideOn(awaiting, '2026-12-03')).state).toBe('awaiting_confirmation');
    await decideOn(await claimOn('2026-06-02', '300000.00'), '2026-12-03');
    await decideOn(await claimOn('2026-06-03', '200000.00'), '2026-12-03');
    await inTransaction(database.db, (trx) =>
      changeTerms(
        trx,
        code,
        {
          ...TERMS_WITHOUT_DOCUMENTS,
          effectiveFrom: '2027-01-01',
          periodStart: '2027-01-01',
          periodEnd: '2027-12-31',
          cumulativeCap: new Money('1000000.00'),
          fourEyesThreshold: new Money('400000.00'),
          reason: 'renewed for 2027',
        },
        staff.finance,
        new Date('2026-12-03T12:00:00+08:00'),
      ),
    );
    // A 2026 incident decided after the renewal: 2026's cap is spent.
    const late = await decideOn(await claimOn('2026-07-01', '300000.00'), '2027-01-10');
    expect(late).toMatchObject({ outcome: 'partly_approved', payable: '0.00' });
    expect(late.cuts).toEqual([{ cap: 'cumulative_cap', amount: '300000.00' }]);
    // Nothing to pay: the claim is closed, not left waiting for a payout that never comes.
    expect((await claimSummary(database.db, late.claimId)).status).toBe('paid');
    // The 2026 hold released after the renewal gives 2026 back its room, not 2027.
    await inTransaction(database.db, (trx) =>
      rejectDecision(trx, awaiting.id, staff.checker, 'amount unsupported'),
    );
    expect(
      (await periodFigures(database.db, pool)).map((p) => [p.periodStart, p.committed, p.leftover]),
    ).toEqual([
      ['2026-01-01', '500000.00', '500000.00'],
      ['2027-01-01', '0.00', '1000000.00'],
    ]);
    // 2027 draws its own 1,000,000.00 and no more: the third 400,000.00 gets 200,000.00.
    const payables = [];
    for (const day of ['2027-01-02', '2027-01-03', '2027-01-04']) {
      payables.push((await decideOn(await claimOn(day, '400000.00'), '2027-01-10')).payable);
    }
    expect(payables).toEqual(['400000.00', '400000.00', '200000.00']);
    expect((await verifyLedger(database.db)).ok).toBe(true);
  });
});

describe('the per-incident cap', () => {
  it('pays 500,000.00 of 650,000.00 claimed, naming the per-incident cap, and nothing more on that incident', async () => {
    await fundedPool(database.db, 'incident-cap', staff, { fourEyesThreshold: '1000000.00' });
    const point = await riskPoint(database.db, staff, '2026-03-01');
    const loss = await incident('incident-cap', point);
    const first = await claimUnderReview(loss.id, [
      line('property_loss', '600000.00'),
      line('lawyer_fees', '50000.00'),
    ]);
    const decision = await decide(first.id, approveInFull(first));
    expect(decision.payable).toBe('500000.00');
    expect(decision.outcome).toBe('partly_approved');
    expect(decision.cuts).toEqual([{ cap: 'per_incident_cap', amount: '150000.00' }]);
    expect(decision.lines.map((l) => [l.payable, l.cutBy])).toEqual([
      ['500000.00', 'per_incident_cap'],
      ['0.00', 'per_incident_cap'],
    ]);

    const later = await claimUnderReview(loss.id, [line('lawyer_fees', '20000.00')]);
    const nothing = await decide(later.id, approveInFull(later));
    expect(nothing.payable).toBe('0.00');
    expect(nothing.outcome).toBe('partly_approved');
    expect(nothing.denialReasons).toEqual([]);
    expect(nothing.cuts).toEqual([{ cap: 'per_incident_cap', amount: '20000.00' }]);
    expect(nothing.lines.map((l) => [l.payable, l.cutBy])).toEqual([['0.00', 'per_incident_cap']]);
    expect(
      await incidentCoverage(database.db, await getIncident(database.db, loss.id)),
    ).toMatchObject({
      reserved: '500000.00',
      remaining: '0.00',
    });
  });

  it('gives a later claim only what is left of the incident cap', async () => {
    const point = await riskPoint(database.db, staff, '2026-03-01');
    const loss = await incident('incident-cap', point);
    const first = await claimUnderReview(loss.id, [line('property_loss', '400000.00')]);
    expect((await decide(first.id, approveInFull(first))).payable).toBe('400000.00');
    const second = await claimUnderReview(loss.id, [line('appraisal', '150000.00')]);
    const decision = await decide(second.id, approveInFull(second));
    expect(decision.payable).toBe('100000.00');
    expect(decision.incidentCapCut).toBe('50000.00');
  });

  it('holds under 500,000.00 when ten approvals on one incident race', async () => {
    const point = await riskPoint(database.db, staff, '2026-03-01');
    const loss = await incident('incident-cap', point);
    const claims = [];
    for (let i = 0; i < 10; i++)
      claims.push(await claimUnderReview(loss.id, [line('property_loss', '100000.00')]));
    const decisions = await Promise.all(claims.map((c) => decide(c.id, approveInFull(c))));
    const paid = decisions.reduce((total, d) => total.plus(new Money(d.payable)), new Money(0));
    expect(paid.toFixed(2)).toBe('500000.00');
    expect(decisions.filter((d) => d.payable === '100000.00')).toHaveLength(5);
    expect(decisions.filter((d) => d.payable === '0.00')).toHaveLength(5);
  });
});

describe('the cumulative cap', () => {
  async function thirtyFourIncidents(code: string) {
    const pool = await fundedPool(database.db, code, staff, { fourEyesThreshold: '1000000.00' });
    const claims = [];
    for (let i = 0; i < 34; i++) {
      const loss = await incident(code, await riskPoint(database.db, staff, '2026-02-01'));
      claims.push(await claimUnderReview(loss.id, [line('property_loss', '150000.00')]));
    }
    return { pool, claims };
  }

  it('pays 33 incidents in full, the 34th 50,000.00 naming the cumulative cap, and then nothing', async () => {
    const { pool, claims } = await thirtyFourIncidents('aggregate');
    const decisions = [];
    for (const claim of claims) decisions.push(await decide(claim.id, approveInFull(claim)));
    expect(
      decisions.slice(0, 33).every((d) => d.payable === '150000.00' && d.cuts.length === 0),
    ).toBe(true);
    expect(decisions[33]?.payable).toBe('50000.00');
    expect(decisions[33]?.cuts).toEqual([{ cap: 'cumulative_cap', amount: '100000.00' }]);
    const loss = await incident('aggregate', await riskPoint(database.db, staff, '2026-02-01'));
    const more = await claimUnderReview(loss.id, [line('property_loss', '1.00')]);
    expect((await decide(more.id, approveInFull(more))).payable).toBe('0.00');
    expect(await poolCoverage(database.db, pool)).toMatchObject({
      reserved: '5000000.00',
      available: '0.00',
    });
    const alerts = await listAlerts(database.db, pool.id);
    expect(
      alerts
        .filter((a) => a.incidentId === null)
        .map((a) => a.thresholdPercent)
        .sort(),
    ).toEqual(['50.00', '80.00', '90.00']);
  });

  it('comes to the same when the 34 decisions run at once over separate connections', async () => {
    const { pool, claims } = await thirtyFourIncidents('aggregate-race');
    const handles = await Promise.all(
      claims.map(() => openDatabase({ kind: 'postgres', url: database.url ?? '', poolSize: 1 })),
    );
    try {
      const decisions = await Promise.all(
        claims.map((claim, i) =>
          decide(claim.id, approveInFull(claim), staff.handler, handles[i]?.db),
        ),
      );
      const payables = decisions.map((d) => d.payable).sort();
      expect(payables.filter((p) => p === '150000.00')).toHaveLength(33);
      expect(payables.filter((p) => p === '50000.00')).toHaveLength(1);
      expect((await poolCoverage(database.db, pool)).reserved).toBe('5000000.00');
    } finally {
      await Promise.all(handles.map((h) => h.close()));
    }
    expect((await verifyLedger(database.db)).ok).toBe(true);
  });
});

describe('the cap a cut names', () => {
  // 6,000.00 at 1:50 buys 300,000.00 of pool coverage, less than one incident's 500,000.00.
  const shallowPool = (code: string) =>
    fundedPool(database.db, code, staff, {
      fourEyesThreshold: '1000000.00',
      contribution: '6000.00',
    });

  it('names the cumulative cap alone when the pool has less left than the claim', async () => {
    await shallowPool('named-pool');
    const loss = await incident('named-pool', await riskPoint(database.db, staff, '2026-02-01'));
    const claim = await claimUnderReview(loss.id, [line('property_loss', '400000.00')]);
    const decision = await decide(claim.id, approveInFull(claim));
    expect(decision.payable).toBe('300000.00');
    expect(decision.cuts).toEqual([{ cap: 'cumulative_cap', amount: '100000.00' }]);
    expect(decision.lines.map((l) => l.cutBy)).toEqual(['cumulative_cap']);
  });

  it('names the per-incident cap alone when only the incident runs out', async () => {
    await fundedPool(database.db, 'named-incident', staff, { fourEyesThreshold: '1000000.00' });
    const loss = await incident(
      'named-incident',
      await riskPoint(database.db, staff, '2026-02-01'),
    );
    const claim = await claimUnderReview(loss.id, [line('property_loss', '600000.00')]);
    const decision = await decide(claim.id, approveInFull(claim));
    expect(decision.payable).toBe('500000.00');
    expect(decision.cuts).toEqual([{ cap: 'per_incident_cap', amount: '100000.00' }]);
    expect(decision.lines.map((l) => l.cutBy)).toEqual(['per_incident_cap']);
  });

  it('gives each cap its own amount when both bind, and names the tighter one on the line', async () => {
    await shallowPool('named-both');
    const loss = await incident('named-both', await riskPoint(database.db, staff, '2026-02-01'));
    const claim = await claimUnderReview(loss.id, [line('property_loss', '600000.00')]);
    const decision = await decide(claim.id, approveInFull(claim));
    expect(decision.payable).toBe('300000.00');
    expect(decision.incidentCapCut).toBe('100000.00');
    expect(decision.poolCapCut).toBe('200000.00');
    expect(decision.cuts).toEqual([
      { cap: 'per_incident_cap', amount: '100000.00' },
      { cap: 'cumulative_cap', amount: '200000.00' },
    ]);
    expect(decision.lines.map((l) => [l.payable, l.cutBy])).toEqual([
      ['300000.00', 'cumulative_cap'],
    ]);
  });

  it('never blames the per-incident cap for a later line the pool alone cut', async () => {
    await shallowPool('named-later');
    const loss = await incident('named-later', await riskPoint(database.db, staff, '2026-02-01'));
    const claim = await claimUnderReview(loss.id, [
      line('property_loss', '400000.00'),
      line('lawyer_fees', '50000.00'),
    ]);
    const decision = await decide(claim.id, approveInFull(claim));
    // The incident still had 200,000.00 left for the second line; the pool had nothing.
    expect(decision.cuts).toEqual([{ cap: 'cumulative_cap', amount: '150000.00' }]);
    expect(decision.lines.map((l) => [l.payable, l.cutBy])).toEqual([
      ['300000.00', 'cumulative_cap'],
      ['0.00', 'cumulative_cap'],
    ]);
    expect(
      await incidentCoverage(database.db, await getIncident(database.db, loss.id)),
    ).toMatchObject({ reserved: '300000.00', remaining: '200000.00' });
  });
});

describe('per-project figures and the optional per-project limit', () => {
  async function projectWithTwoRiskPoints(poolCode: string) {
    return inTransaction(database.db, (trx) =>
      importPreGoLiveFiling(
        trx,
        {
          pool: poolCode,
          project: { name: `Project of ${poolCode}`, ownerDepartment: 'Dept', description: 'x' },
          riskPoints: [1, 2].map((n) => ({
            description: `risk ${n}`,
            likelihood: 'medium' as const,
            impact: 'medium' as const,
            controlPlan: 'as filed',
          })),
          submittedOn: '2026-02-01',
          registeredOn: '2026-02-02',
          source: 'paper',
          sourceReference: `PAPER-${poolCode}`,
          documents: [{ title: 'reform plan', documentNumber: `D-${poolCode}`, sha256: sha(777) }],
          reason: 'filed before go-live',
        },
        { actorUserId: staff.office, at: new Date() },
      ),
    );
  }

  it('cuts a second incident of the same project at its 300,000.00 limit, naming it', async () => {
    await inTransaction(database.db, (trx) =>
      createPool(
        trx,
        {
          code: 'project-limit',
          name: 'Project limit pool',
          insurer: 'Insurer',
          policyNumber: 'RP-PROJECT-LIMIT',
          terms: {
            ...TERMS_WITHOUT_DOCUMENTS,
            fourEyesThreshold: new Money('1000000.00'),
            perProjectLimit: new Money('300000.00'),
          },
        },
        null,
      ),
    );
    await inTransaction(database.db, (trx) =>
      recordContribution(
        trx,
        'project-limit',
        {
          amount: new Money('100000.00'),
          receivedOn: '2026-01-05',
          payer: 'County',
          bankReference: 'PL-1',
        },
        staff.finance,
      ),
    );
    const project = await projectWithTwoRiskPoints('project-limit');
    const [first, second] = project.riskPointIds;
    const one = await claimUnderReview((await incident('project-limit', first ?? '')).id, [
      line('property_loss', '200000.00'),
    ]);
    expect((await decide(one.id, approveInFull(one))).payable).toBe('200000.00');
    const two = await claimUnderReview((await incident('project-limit', second ?? '')).id, [
      line('property_loss', '200000.00'),
    ]);
    const decision = await decide(two.id, approveInFull(two));
    expect(decision.payable).toBe('100000.00');
    expect(decision.cuts).toEqual([{ cap: 'per_project_limit', amount: '100000.00' }]);
    expect(decision.lines.map((l) => l.cutBy)).toEqual(['per_project_limit']);
    expect(await projectCoverage(database.db, project.projectId)).toMatchObject({
      reserved: '300000.00',
      paid: '0.00',
      committed: '300000.00',
      limit: '300000.00',
      limitLeft: '0.00',
    });
  });

  it('has no per-project limit by default, and shows the project beside its incidents', async () => {
    await fundedPool(database.db, 'project-figures', staff, { fourEyesThreshold: '1000000.00' });
    const project = await projectWithTwoRiskPoints('project-figures');
    const claim = await claimUnderReview(
      (await incident('project-figures', project.riskPointIds[0] ?? '')).id,
      [line('appraisal', '12000.00')],
    );
    await decide(claim.id, approveInFull(claim));
    const figures = await projectCoverage(database.db, project.projectId);
    expect(figures).toMatchObject({
      reserved: '12000.00',
      paid: '0.00',
      limit: null,
      limitLeft: null,
    });
    expect(figures.incidents.map((i) => [i.occurredOn, i.reserved])).toEqual([
      ['2026-06-01', '12000.00'],
    ]);
  });
});

describe('cover and eligibility', () => {
  it('refuses an incident dated after today (Asia/Shanghai) and writes nothing', async () => {
    await fundedPool(database.db, 'future-incident', staff);
    const point = await riskPoint(database.db, staff, '2026-02-01');
    const before = await database.db
      .selectFrom('incident')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    const report = (occurredOn: string) =>
      inTransaction(database.db, (trx) =>
        reportIncident(
          trx,
          {
            pool: 'future-incident',
            riskPointId: point,
            occurredOn,
            description: 'x',
            place: 'x',
            reporter: 'x',
          },
          staff.office,
          '2026-06-10',
        ),
      );
    expect(await errorCode(report('2026-06-11'))).toBe('impossible_date');
    const after = await database.db
      .selectFrom('incident')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
    expect((await report('2026-06-10')).covered).toBe(true);
  });

  it('marks an incident the day before its risk point was registered as not covered, and refuses to approve', async () => {
    await fundedPool(database.db, 'eligibility', staff);
    const point = await riskPoint(database.db, staff, '2026-06-02');
    const early = await incident('eligibility', point, '2026-06-01');
    expect(early.covered).toBe(false);
    expect(early.notCoveredReasons).toEqual([
      {
        code: 'RISK_POINT_NOT_FILED_BEFORE_INCIDENT',
        text: 'the risk point was registered on 2026-06-02, not before the incident on 2026-06-01',
      },
    ]);
    const sameDay = await incident('eligibility', point, '2026-06-02');
    expect(sameDay.covered).toBe(false);
    expect(sameDay.notCoveredReasons.map((r) => r.code)).toEqual([
      'RISK_POINT_NOT_FILED_BEFORE_INCIDENT',
    ]);
    expect((await incident('eligibility', point, '2026-06-03')).covered).toBe(true);
    const claim = await claimUnderReview(early.id, [line('property_loss', '1000.00')]);
    expect(await errorCode(decide(claim.id, approveInFull(claim)))).toBe('eligibility_failed');
    const denial = await decide(claim.id, {
      decision: 'deny',
      reasons: ['RISK_POINT_FILED_BEFORE_INCIDENT'],
      attestations: [],
      note: 'filed after the loss',
    });
    expect(denial.outcome).toBe('denied');
    expect(denial.findings.find((f) => f.code === 'RISK_POINT_FILED_BEFORE_INCIDENT')?.result).toBe(
      'fail',
    );
  });

  it('flags a line whose invoice was claimed before and refuses to pay it', async () => {
    const point = await riskPoint(database.db, staff, '2026-03-01');
    const loss = await incident('eligibility', point);
    const original = line('appraisal', '3000.00');
    await claimUnderReview(loss.id, [original]);
    const again = await claimUnderReview(loss.id, [{ ...original }]);
    expect(again.lines[0]?.possibleDuplicateOf.length).toBeGreaterThan(0);
    expect(await errorCode(decide(again.id, approveInFull(again)))).toBe('eligibility_failed');
  });

  it('refuses an approval above the amount claimed and one without the handler’s findings', async () => {
    const point = await riskPoint(database.db, staff, '2026-03-01');
    const loss = await incident('eligibility', point);
    const claim = await claimUnderReview(loss.id, [line('appraisal', '3000.00')]);
    const lineId = claim.lines[0]?.id ?? '';
    expect(
      await errorCode(
        decide(claim.id, {
          decision: 'approve',
          lines: [{ lineId, approved: new Money('3000.01') }],
          attestations: ALL_PASS,
          note: '',
        }),
      ),
    ).toBe('validation_failed');
    expect(
      await errorCode(
        decide(claim.id, {
          decision: 'approve',
          lines: [{ lineId, approved: new Money('1.00') }],
          attestations: ALL_PASS.slice(1),
          note: '',
        }),
      ),
    ).toBe('validation_failed');
  });
});

describe('four eyes and the life cycle', () => {
  it('holds coverage while a large decision awaits a different insurer user, who confirms it', async () => {
    const pool = await fundedPool(database.db, 'four-eyes', staff);
    const loss = await incident('four-eyes', await riskPoint(database.db, staff, '2026-03-01'));
    const claim = await claimUnderReview(loss.id, [line('property_loss', '120000.00')]);
    const pending = await decide(claim.id, approveInFull(claim));
    expect(pending.state).toBe('awaiting_confirmation');
    expect((await poolCoverage(database.db, pool)).reserved).toBe('120000.00');
    expect((await claimSummary(database.db, claim.id)).money.approved).toBe('0.00');
    expect(
      await errorCode(
        inTransaction(database.db, (trx) => confirmDecision(trx, claim.id, staff.handler)),
      ),
    ).toBe('four_eyes_required');
    const confirmed = await inTransaction(database.db, (trx) =>
      confirmDecision(trx, claim.id, staff.checker),
    );
    expect(confirmed).toMatchObject({
      state: 'effective',
      confirmedBy: staff.checker,
      outcome: 'approved',
    });
    const summary = await claimSummary(database.db, claim.id);
    expect(summary.status).toBe('approved');
    expect(summary.money).toMatchObject({
      claimed: '120000.00',
      approved: '120000.00',
      outstanding: '120000.00',
      paid: '0.00',
      incurred: '120000.00',
    });
  });

  it('gives the coverage back when the checker rejects, and the claim returns to review', async () => {
    const pool = await fundedPool(database.db, 'four-eyes-reject', staff);
    const loss = await incident(
      'four-eyes-reject',
      await riskPoint(database.db, staff, '2026-03-01'),
    );
    const claim = await claimUnderReview(loss.id, [line('property_loss', '200000.00')]);
    await decide(claim.id, approveInFull(claim));
    expect((await poolCoverage(database.db, pool)).reserved).toBe('200000.00');
    const rejected = await inTransaction(database.db, (trx) =>
      rejectDecision(trx, claim.id, staff.checker, 'amount unsupported'),
    );
    expect(rejected.state).toBe('rejected_by_checker');
    expect((await poolCoverage(database.db, pool)).reserved).toBe('0.00');
    expect((await claimSummary(database.db, claim.id)).status).toBe('under_review');
  });

  it('refuses illegal transitions with illegal_transition', async () => {
    const loss = await incident('four-eyes', await riskPoint(database.db, staff, '2026-03-01'));
    const submitted = await inTransaction(database.db, (trx) =>
      submitClaim(
        trx,
        { incidentId: loss.id, claimant: 'X', lines: [line('appraisal', '10.00')] },
        staff.intake,
      ),
    );
    expect(await errorCode(decide(submitted.id, approveInFull(submitted)))).toBe(
      'illegal_transition',
    );
    await inTransaction(database.db, (trx) =>
      changeClaimStatus(trx, submitted.id, 'start_review', '', staff.handler),
    );
    await decide(submitted.id, approveInFull(submitted));
    expect(
      await errorCode(
        inTransaction(database.db, (trx) =>
          changeClaimStatus(trx, submitted.id, 'withdraw', '', staff.handler),
        ),
      ),
    ).toBe('illegal_transition');
    const reopened = await inTransaction(database.db, (trx) =>
      changeClaimStatus(trx, submitted.id, 'reopen', 'final lawyer invoice', staff.handler),
    );
    expect(reopened.status).toBe('reopened');
  });
});

describe('what the staff see', () => {
  it('lists the work queue oldest first and a loss run as JSON and CSV with a BOM', async () => {
    const queue = await workQueue(database.db, { statuses: ['under_review'] });
    expect(queue.length).toBeGreaterThan(0);
    expect(queue.every((item) => item.status === 'under_review')).toBe(true);
    const rows = await lossRun(database.db, 'incident-cap', '2026-12-31');
    expect(rows.length).toBeGreaterThan(0);
    const csv = lossRunCsv(rows, 'chinese');
    expect(csv.startsWith('\uFEFF改革项目,风险点')).toBe(true);
    expect(csv.split('\r\n').length).toBe(rows.length + 2);
    expect(await lossRun(database.db, 'incident-cap', '2020-01-01')).toEqual([]);
  });
});
