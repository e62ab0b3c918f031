/**
 * Coverage on every date, on PostgreSQL and on PGlite: dated terms act from their date and
 * post once, surplus turns into coverage when the cap allows, money counts from the day it
 * was received, closed months and dates that cannot be true are refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../src/access/tokens.ts';
import { reportIncident } from '../../src/claims/incidents.ts';
import { inTransaction } from '../../src/db/transaction.ts';
import { DomainError } from '../../src/domain-error.ts';
import { closeMonth } from '../../src/finance/period-close.ts';
import { poolStatement } from '../../src/finance/reports.ts';
import { Money } from '../../src/ledger/money.ts';
import { recordCommand } from '../../src/ledger/record.ts';
import { verifyLedger } from '../../src/ledger/verify.ts';
import { raisePoolAlerts } from '../../src/policy/alerts.ts';
import {
  type NewContribution,
  recordContribution,
  recordRemittance,
  refundContribution,
} from '../../src/policy/contributions.ts';
import { poolCoverage } from '../../src/policy/coverage.ts';
import { incidentAccountCodes } from '../../src/policy/incident-accounts.ts';
import { periodFigures } from '../../src/policy/periods.ts';
import { poolAccountCodes } from '../../src/policy/pool-accounts.ts';
import { changeTerms, createPool, type Pool } from '../../src/policy/pools.ts';
import { COUNTY_TERMS } from '../../src/policy/terms.ts';
import { ensureTermsInForce, overCommitments } from '../../src/policy/terms-in-force.ts';
import { createStaff, riskPoint } from '../claims/support.ts';
import { type DatabaseKind, freshDatabase, type TestDatabase } from '../support/database.ts';

/** A moment on a local day in Asia/Shanghai, at noon. */
const noonOn = (day: string) => new Date(`${day}T12:00:00+08:00`);

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => 'succeeded',
    (error: unknown) => (error instanceof DomainError ? error.code : String(error)),
  );

describe.each<DatabaseKind>(['postgres', 'pglite'])('coverage on every date (%s)', (kind) => {
  let database: TestDatabase;
  let financeId: string;
  let poolCount = 0;

  beforeAll(async () => {
    database = await freshDatabase(kind);
    financeId = (await createUser(database.db, 'finance officer', 'finance', null)).id;
  });
  afterAll(() => database.close());

  async function newPool(): Promise<Pool> {
    poolCount += 1;
    const code = `dated-${poolCount}`;
    return inTransaction(database.db, (trx) =>
      createPool(
        trx,
        { code, name: code, insurer: 'Insurer', policyNumber: `RP-${code}`, terms: COUNTY_TERMS },
        null,
        noonOn('2026-01-02'),
      ),
    );
  }

  /** Reserves coverage with a hold, as an approval would. */
  const reserveCoverage = (pool: Pool, amount: string) => {
    const codes = poolAccountCodes(pool.code);
    return recordCommand(database.db, {
      type: 'transfer',
      pending: true,
      description: 'reserved for a claim',
      references: { poolId: pool.id },
      postings: [
        { accountCode: codes.coverageConsumed, direction: 'debit', amount },
        { accountCode: codes.coverageAvailable, direction: 'credit', amount },
      ],
    });
  };

  const contribute = (pool: Pool, input: Partial<NewContribution>, now: Date) =>
    inTransaction(database.db, (trx) =>
      recordContribution(
        trx,
        pool.code,
        {
          amount: new Money('120000.00'),
          receivedOn: '2026-03-01',
          payer: 'County finance bureau',
          bankReference: `BOC-${Math.random().toString(36).slice(2, 10)}`,
          ...input,
        },
        financeId,
        now,
      ),
    );

  it('raises the cap to 6,000,000.00 only on its date, posts it once, and turns 20,000.00 of surplus into coverage', async () => {
    const pool = await newPool();
    const first = await contribute(pool, {}, noonOn('2026-03-10'));
    expect(first).toMatchObject({ coverageGranted: '5000000.00', surplus: '20000.00' });

    await inTransaction(database.db, (trx) =>
      changeTerms(
        trx,
        pool.code,
        {
          ...COUNTY_TERMS,
          effectiveFrom: '2026-04-01',
          cumulativeCap: new Money('6000000.00'),
          reason: 'cap raised from April',
        },
        financeId,
        noonOn('2026-03-10'),
      ),
    );
    // Recorded in March for April: nothing changes before the date.
    await ensureTermsInForce(database.db, pool, '2026-03-31');
    expect(await poolCoverage(database.db, pool)).toMatchObject({
      cumulativeCap: '5000000.00',
      capacity: '5000000.00',
      surplus: '20000.00',
    });

    // Many readers on the day: one posting.
    await Promise.all(
      Array.from({ length: 8 }, () => ensureTermsInForce(database.db, pool, '2026-04-01')),
    );
    const entries = await database.db
      .selectFrom('journal_entry')
      .select('id')
      .where('idempotency_key', '=', `pool:${pool.id}:terms:2:in-force`)
      .execute();
    expect(entries).toHaveLength(1);
    const inForce = await database.db
      .selectFrom('pool_terms_in_force')
      .select(['version', 'brought_by'])
      .where('pool_id', '=', pool.id)
      .orderBy('version')
      .execute();
    expect(inForce).toEqual([
      { version: 1, brought_by: 'write' },
      { version: 2, brought_by: 'read' },
    ]);

    expect(await poolCoverage(database.db, pool, '2026-03-31')).toMatchObject({
      cumulativeCap: '5000000.00',
      capacity: '5000000.00',
      surplus: '20000.00',
      termsVersion: 1,
    });
    expect(await poolCoverage(database.db, pool, '2026-04-01')).toMatchObject({
      cumulativeCap: '6000000.00',
      capacity: '6000000.00',
      surplus: '0.00',
      available: '6000000.00',
      contributionsReceived: '120000.00',
      termsVersion: 2,
    });
    expect((await verifyLedger(database.db)).ok).toBe(true);
  });

  const raiseCapFromApril = (pool: Pool, now: Date, effectiveFrom = '2026-04-01') =>
    inTransaction(database.db, (trx) =>
      changeTerms(
        trx,
        pool.code,
        {
          ...COUNTY_TERMS,
          effectiveFrom,
          cumulativeCap: new Money('6000000.00'),
          reason: 'cap raised',
        },
        financeId,
        now,
      ),
    );

  it('never back-dates coverage past terms already in force: money keyed late is refused or booked as a late item today', async () => {
    const pool = await newPool();
    await contribute(
      pool,
      { amount: new Money('100000.00'), receivedOn: '2026-02-01' },
      noonOn('2026-02-01'),
    );
    await raiseCapFromApril(pool, noonOn('2026-03-10'));
    await ensureTermsInForce(database.db, pool, '2026-04-01');
    const late = { amount: new Money('20000.00'), receivedOn: '2026-03-01' };
    const refused = await contribute(pool, late, noonOn('2026-04-10')).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DomainError);
    expect((refused as DomainError).code).toBe('later_capacity_event');
    expect((refused as DomainError).details).toMatchObject({
      laterEvent: 'terms version 2 in force',
      laterEventOn: '2026-04-01',
    });

    const booked = await contribute(pool, { ...late, bookAsLateItem: true }, noonOn('2026-04-10'));
    expect(booked).toMatchObject({ bookedAsLateItem: true, receivedOn: '2026-03-01' });
    // The 5,000,000.00 cap still held in March: the late money did not buy coverage there.
    expect(await poolCoverage(database.db, pool, '2026-03-31')).toMatchObject({
      cumulativeCap: '5000000.00',
      capacity: '5000000.00',
      surplus: '0.00',
    });
    expect(await poolCoverage(database.db, pool, '2026-04-10')).toMatchObject({
      cumulativeCap: '6000000.00',
      capacity: '6000000.00',
      surplus: '0.00',
      contributionsReceived: '120000.00',
    });
    expect((await verifyLedger(database.db)).ok).toBe(true);
  });

  it('refuses money dated before a later movement already posted, and terms dated before it', async () => {
    const pool = await newPool();
    await contribute(
      pool,
      { amount: new Money('100000.00'), receivedOn: '2026-05-01' },
      noonOn('2026-05-01'),
    );
    expect(
      await failure(
        contribute(
          pool,
          { amount: new Money('20000.00'), receivedOn: '2026-03-01' },
          noonOn('2026-05-10'),
        ),
      ),
    ).toBe('later_capacity_event');
    // Nothing was back-dated into March.
    expect(await poolCoverage(database.db, pool, '2026-03-31')).toMatchObject({
      capacity: '0.00',
      surplus: '0.00',
    });
    expect(await failure(raiseCapFromApril(pool, noonOn('2026-05-10')))).toBe(
      'later_capacity_event',
    );
    // On or after the latest movement is fine, and computed from that day's figures.
    const onTheDay = await contribute(
      pool,
      { amount: new Money('20000.00'), receivedOn: '2026-05-01' },
      noonOn('2026-05-10'),
    );
    expect(onTheDay).toMatchObject({ coverageGranted: '0.00', surplus: '20000.00' });
    await raiseCapFromApril(pool, noonOn('2026-05-10'), '2026-05-02');
    expect(await poolCoverage(database.db, pool, '2026-05-02')).toMatchObject({
      capacity: '6000000.00',
      surplus: '0.00',
    });
    const paid = await contribute(
      pool,
      { amount: new Money('1000.00'), receivedOn: '2026-05-10' },
      noonOn('2026-05-10'),
    );
    const refund = (bankReference: string, refundedOn: string) =>
      inTransaction(database.db, (trx) =>
        refundContribution(
          trx,
          paid.id,
          { amount: new Money('100.00'), refundedOn, bankReference, reason: 'overpaid' },
          financeId,
          noonOn('2026-05-10'),
        ),
      );
    expect(await failure(refund('REF-EARLY', '2026-05-09'))).toBe('impossible_date');
    await refund('REF-1', '2026-05-10');
    expect(await failure(refund('REF-1', '2026-05-10'))).toBe('conflict');
  });

  it('refuses terms that take effect outside their period, and a renewal that overlaps or leaves a gap', async () => {
    const pool = await newPool();
    const change = (input: Partial<typeof COUNTY_TERMS>) =>
      failure(
        inTransaction(database.db, (trx) =>
          changeTerms(
            trx,
            pool.code,
            { ...COUNTY_TERMS, reason: 'checked', ...input },
            financeId,
            noonOn('2026-03-10'),
          ),
        ),
      );
    expect(await change({ effectiveFrom: '2027-02-01' })).toBe('validation_failed');
    expect(
      await change({
        effectiveFrom: '2026-12-01',
        periodStart: '2026-12-01',
        periodEnd: '2027-11-30',
      }),
    ).toBe('validation_failed');
    expect(
      await change({
        effectiveFrom: '2027-02-01',
        periodStart: '2027-02-01',
        periodEnd: '2028-01-31',
      }),
    ).toBe('validation_failed');
    expect(
      await change({
        effectiveFrom: '2027-01-01',
        periodStart: '2027-01-01',
        periodEnd: '2027-12-31',
      }),
    ).toBe('succeeded');
  });

  it('dates money on the day received: the March statement shows a contribution keyed later', async () => {
    const pool = await newPool();
    await contribute(
      pool,
      { amount: new Money('30000.00'), receivedOn: '2026-03-01' },
      noonOn('2026-05-20'),
    );
    await inTransaction(database.db, (trx) =>
      recordRemittance(
        trx,
        pool.code,
        { amount: new Money('250000.00'), receivedOn: '2026-03-15', reference: 'INS-1', note: '' },
        financeId,
        noonOn('2026-05-20'),
      ),
    );
    const march = await poolStatement(database.db, pool, { from: '2026-03-01', to: '2026-03-31' });
    expect(march.cash).toMatchObject({
      openingBalance: '0.00',
      contributions: '30000.00',
      remittances: '250000.00',
      closingBalance: '280000.00',
    });
    expect(march.coverage.closing.capacity).toBe('1500000.00');
    expect((await poolCoverage(database.db, pool, '2026-02-28')).capacity).toBe('0.00');
  });

  it('refuses dates that cannot be true', async () => {
    const pool = await newPool();
    const now = noonOn('2026-06-10');
    expect(await failure(contribute(pool, { receivedOn: '2026-06-11' }, now))).toBe(
      'impossible_date',
    );
    expect(await failure(contribute(pool, { receivedOn: '9999-12-31' }, now))).toBe(
      'impossible_date',
    );
    expect(await failure(contribute(pool, { receivedOn: '2025-12-31' }, now))).toBe(
      'impossible_date',
    );
    const paid = await contribute(pool, { receivedOn: '2026-06-01' }, now);
    const refund = (refundedOn: string) =>
      inTransaction(database.db, (trx) =>
        refundContribution(
          trx,
          paid.id,
          { amount: new Money('1000.00'), refundedOn, bankReference: 'RF-1', reason: 'x' },
          financeId,
          now,
        ),
      );
    expect(await failure(refund('2026-05-31'))).toBe('impossible_date');
    expect(await failure(refund('9999-12-31'))).toBe('impossible_date');
    expect((await refund('2026-06-02')).surplusReturned).toBe('1000.00');
    expect((await poolCoverage(database.db, pool)).contributionsReceived).toBe('119000.00');
  });

  it('refuses March money once March is closed, naming the close, or books it as a late item', async () => {
    const pool = await newPool();
    await inTransaction(database.db, (trx) =>
      closeMonth(trx, '2026-03', financeId, { reason: 'test close' }, noonOn('2026-04-02')),
    );
    const now = noonOn('2026-04-10');
    const refused = await contribute(pool, { receivedOn: '2026-03-20' }, now).catch(
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(DomainError);
    expect(refused).toMatchObject({ code: 'period_closed', details: { month: '2026-03' } });
    expect((refused as Error).message).toContain('2026-03');
    expect((refused as Error).message).toContain('bookAsLateItem');

    const late = await contribute(
      pool,
      { receivedOn: '2026-03-20', amount: new Money('1000.00'), bookAsLateItem: true },
      now,
    );
    expect(late).toMatchObject({ bookedAsLateItem: true, receivedOn: '2026-03-20' });
    const entry = await database.db
      .selectFrom('journal_entry')
      .select(['description', 'effective_at'])
      .where('id', '=', late.entryId)
      .executeTakeFirstOrThrow();
    expect(entry.description).toMatch(/^late item \(effective 2026-03-20, 2026-03 closed\)/);
    expect(new Date(entry.effective_at).toISOString()).toBe(now.toISOString());
    const april = await poolStatement(database.db, pool, { from: '2026-04-01', to: '2026-04-30' });
    expect(april.cash.contributions).toBe('1000.00');
  });

  it('refuses a cap below what is committed, and records one that falls below it by its date as over-commitment', async () => {
    const pool = await newPool();
    // March is closed by the test before: this money came in April.
    await contribute(
      pool,
      { amount: new Money('100000.00'), receivedOn: '2026-04-05' },
      noonOn('2026-04-10'),
    );
    const reserve = (amount: string) => reserveCoverage(pool, amount);
    await reserve('4000000.00');
    const lowered = (cap: string, effectiveFrom: string) =>
      inTransaction(database.db, (trx) =>
        changeTerms(
          trx,
          pool.code,
          { ...COUNTY_TERMS, effectiveFrom, cumulativeCap: new Money(cap), reason: 'cut' },
          financeId,
          noonOn('2026-04-10'),
        ),
      );
    expect(await failure(lowered('3999999.99', '2026-05-01'))).toBe('limit_exceeded');
    await lowered('4500000.00', '2026-05-01');
    await reserve('800000.00');
    await ensureTermsInForce(database.db, pool, '2026-05-01');
    expect(await poolCoverage(database.db, pool)).toMatchObject({
      capacity: '4800000.00',
      committed: '4800000.00',
      available: '0.00',
      overCommitted: '300000.00',
    });
    expect(await overCommitments(database.db, pool.id)).toEqual([
      { version: 2, inForceOn: '2026-05-01', amount: '300000.00' },
    ]);
    expect((await verifyLedger(database.db)).ok).toBe(true);
  });
  /** Holds 500,000.00 on each of `count` incidents occurring on `occurredOn`, as approvals would. */
  const reserveOnIncidents = async (
    pool: Pool,
    occurredOn: string,
    count: number,
    today: string,
  ) => {
    const staff = await createStaff(database.db, `${pool.code}-${occurredOn}`);
    const codes = poolAccountCodes(pool.code);
    for (let i = 0; i < count; i++) {
      // Registered before the pools went live (2026-01-02), through the pre-go-live import.
      const riskPointId = await riskPoint(database.db, staff, '2026-01-01');
      const loss = await inTransaction(database.db, (trx) =>
        reportIncident(
          trx,
          {
            pool: pool.code,
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
      const incident = incidentAccountCodes(loss.id);
      const amount = '500000.00';
      await recordCommand(database.db, {
        type: 'transfer',
        pending: true,
        description: 'reserved for a claim',
        references: { poolId: pool.id, incidentId: loss.id },
        postings: [
          { accountCode: codes.coverageConsumed, direction: 'debit', amount },
          { accountCode: codes.coverageAvailable, direction: 'credit', amount },
          { accountCode: incident.consumed, direction: 'debit', amount },
          { accountCode: incident.available, direction: 'credit', amount },
        ],
      });
    }
  };

  it('opens a second policy period with its own cap: alerts fire again, the first period keeps its figures', async () => {
    const pool = await newPool();
    await contribute(
      pool,
      { amount: new Money('100000.00'), receivedOn: '2026-04-05' },
      noonOn('2026-04-10'),
    );
    const alertsNow = () => inTransaction(database.db, (trx) => raisePoolAlerts(trx, pool));
    await reserveOnIncidents(pool, '2026-06-01', 6, '2026-06-10');
    expect((await alertsNow()).map((a) => [a.periodStart, a.thresholdPercent])).toEqual([
      ['2026-01-01', '50.00'],
    ]);

    await inTransaction(database.db, (trx) =>
      changeTerms(
        trx,
        pool.code,
        {
          ...COUNTY_TERMS,
          effectiveFrom: '2027-01-01',
          periodStart: '2027-01-01',
          periodEnd: '2027-12-31',
          reason: 'renewal for 2027',
        },
        financeId,
        noonOn('2026-12-01'),
      ),
    );
    await ensureTermsInForce(database.db, pool, '2027-01-01');
    await contribute(
      pool,
      { amount: new Money('100000.00'), receivedOn: '2027-01-05' },
      noonOn('2027-01-05'),
    );
    expect(await periodFigures(database.db, pool)).toEqual([
      {
        periodStart: '2026-01-01',
        periodEnd: '2026-12-31',
        cumulativeCap: '5000000.00',
        committed: '3000000.00',
        leftover: '2000000.00',
        utilisationPercent: '60.00',
        current: false,
      },
      {
        periodStart: '2027-01-01',
        periodEnd: '2027-12-31',
        cumulativeCap: '5000000.00',
        committed: '0.00',
        leftover: '5000000.00',
        utilisationPercent: '0.00',
        current: true,
      },
    ]);
    expect(await poolCoverage(database.db, pool)).toMatchObject({
      carriedFromEarlierPeriods: '3000000.00',
      cumulativeCap: '8000000.00',
      capacity: '8000000.00',
      available: '5000000.00',
    });

    await reserveOnIncidents(pool, '2027-01-06', 5, '2027-01-06');
    expect((await alertsNow()).map((a) => [a.periodStart, a.thresholdPercent])).toEqual([
      ['2027-01-01', '50.00'],
    ]);
    expect(await alertsNow()).toEqual([]);
    const [first, second] = await periodFigures(database.db, pool);
    expect(first).toMatchObject({ committed: '3000000.00', leftover: '2000000.00' });
    expect(second).toMatchObject({ committed: '2500000.00', leftover: '2500000.00' });
    expect(await poolCoverage(database.db, pool, '2026-12-31')).toMatchObject({
      termsVersion: 1,
      cumulativeCap: '5000000.00',
      capacity: '5000000.00',
    });
    expect((await verifyLedger(database.db)).ok).toBe(true);
  });
});
