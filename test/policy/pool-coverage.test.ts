import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../src/access/tokens.ts';
import { inTransaction } from '../../src/db/transaction.ts';
import { DomainError } from '../../src/domain-error.ts';
import { Money } from '../../src/ledger/money.ts';
import { recordCommand } from '../../src/ledger/record.ts';
import { verifyLedger } from '../../src/ledger/verify.ts';
import { acknowledgeAlert, listAlerts, raisePoolAlerts } from '../../src/policy/alerts.ts';
import {
  recordContribution,
  recordRemittance,
  refundContribution,
} from '../../src/policy/contributions.ts';
import { poolCoverage } from '../../src/policy/coverage.ts';
import { poolAccountCodes } from '../../src/policy/pool-accounts.ts';
import { changeTerms, createPool, type Pool, seedCountyPool } from '../../src/policy/pools.ts';
import { COUNTY_TERMS, termsHistory, termsInForce } from '../../src/policy/terms.ts';
import { freshPostgres, type TestDatabase } from '../support/database.ts';

let database: TestDatabase;
let financeId: string;

beforeAll(async () => {
  database = await freshPostgres();
  financeId = (await createUser(database.db, 'finance officer', 'finance', null)).id;
});
afterAll(() => database.close());

const contribute = (pool: string, amount: string, reference: string, receivedOn = '2026-03-01') =>
  inTransaction(database.db, (trx) =>
    recordContribution(
      trx,
      pool,
      {
        amount: new Money(amount),
        receivedOn,
        payer: 'County finance bureau',
        bankReference: reference,
      },
      financeId,
    ),
  );

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => 'succeeded',
    (error: unknown) => (error instanceof DomainError ? error.code : String(error)),
  );

describe('contributions at 1:50 against the cumulative cap', () => {
  let pool: Pool;
  beforeAll(async () => {
    pool = await seedCountyPool(database.db);
  });

  it('seeds the county pool once, with 5,000,000.00 to grant and nothing granted', async () => {
    expect((await seedCountyPool(database.db)).id).toBe(pool.id);
    const coverage = await poolCoverage(database.db, pool);
    expect(coverage.cumulativeCap).toBe('5000000.00');
    expect(coverage.capacity).toBe('0.00');
    expect(coverage.available).toBe('0.00');
  });

  it('grants 1,500,000.00, then 3,500,000.00, then nothing with 20,000.00 surplus', async () => {
    const first = await contribute('county', '30000.00', 'BANK-001');
    expect(first.coverageGranted).toBe('1500000.00');
    expect(first.surplus).toBe('0.00');
    const second = await contribute('county', '70000.00', 'BANK-002');
    expect(second.coverageGranted).toBe('3500000.00');
    expect((await poolCoverage(database.db, pool)).capacity).toBe('5000000.00');
    const third = await contribute('county', '20000.00', 'BANK-003');
    expect(third.coverageGranted).toBe('0.00');
    expect(third.surplus).toBe('20000.00');
    const coverage = await poolCoverage(database.db, pool);
    expect(coverage).toMatchObject({
      capacity: '5000000.00',
      available: '5000000.00',
      surplus: '20000.00',
      contributionsReceived: '120000.00',
      fundBalance: '120000.00',
      utilisationPercent: '0.00',
    });
  });

  it('refuses the same bank reference twice', async () => {
    expect(await failure(contribute('county', '1.00', 'BANK-001'))).toBe('conflict');
  });

  it('answers coverage as of a past local date', async () => {
    const before = await poolCoverage(database.db, pool, '2020-01-01');
    expect(before.capacity).toBe('0.00');
    expect(before.fundBalance).toBe('0.00');
  });

  it('adds an insurer remittance to the fund and nothing to coverage', async () => {
    await inTransaction(database.db, (trx) =>
      recordRemittance(
        trx,
        'county',
        { amount: new Money('250000.00'), receivedOn: '2026-04-01', reference: 'INS-77', note: '' },
        financeId,
      ),
    );
    const coverage = await poolCoverage(database.db, pool);
    expect(coverage.fundBalance).toBe('370000.00');
    expect(coverage.remittancesReceived).toBe('250000.00');
    expect(coverage.capacity).toBe('5000000.00');
  });
});

describe('refunds give back only coverage that is neither reserved nor consumed', () => {
  let pool: Pool;
  beforeAll(async () => {
    pool = await inTransaction(database.db, (trx) =>
      createPool(
        trx,
        {
          code: 'refunds',
          name: 'Refund pool',
          insurer: 'Insurer',
          policyNumber: 'RP-REFUND',
          terms: COUNTY_TERMS,
        },
        null,
      ),
    );
  });

  it('returns surplus first, then releases ratio × the rest, and refuses what is reserved', async () => {
    const big = await contribute('refunds', '100000.00', 'R-1');
    const extra = await contribute('refunds', '10000.00', 'R-2');
    expect(extra.surplus).toBe('10000.00');
    const surplusRefund = await inTransaction(database.db, (trx) =>
      refundContribution(
        trx,
        extra.id,
        {
          amount: new Money('10000.00'),
          refundedOn: '2026-05-01',
          bankReference: 'RF-1',
          reason: 'overpaid',
        },
        financeId,
      ),
    );
    expect(surplusRefund.surplusReturned).toBe('10000.00');
    expect(surplusRefund.coverageReleased).toBe('0.00');
    expect((await poolCoverage(database.db, pool)).capacity).toBe('5000000.00');

    // Reserve 4,000,000.00 of coverage with a hold, as an approval would.
    const codes = poolAccountCodes(pool.code);
    await recordCommand(database.db, {
      type: 'transfer',
      pending: true,
      description: 'reserve for a claim',
      postings: [
        { accountCode: codes.coverageConsumed, direction: 'debit', amount: '4000000.00' },
        { accountCode: codes.coverageAvailable, direction: 'credit', amount: '4000000.00' },
      ],
    });
    const tooMuch = inTransaction(database.db, (trx) =>
      refundContribution(
        trx,
        big.id,
        {
          amount: new Money('20000.01'),
          refundedOn: '2026-05-02',
          bankReference: 'RF-2',
          reason: 'x',
        },
        financeId,
      ),
    );
    expect(await failure(tooMuch)).toBe('limit_exceeded');
    const fits = await inTransaction(database.db, (trx) =>
      refundContribution(
        trx,
        big.id,
        {
          amount: new Money('20000.00'),
          refundedOn: '2026-05-02',
          bankReference: 'RF-3',
          reason: 'x',
        },
        financeId,
      ),
    );
    expect(fits.coverageReleased).toBe('1000000.00');
    const coverage = await poolCoverage(database.db, pool);
    expect(coverage).toMatchObject({
      capacity: '4000000.00',
      reserved: '4000000.00',
      available: '0.00',
    });
  });

  it('refuses to refund more than is left of a contribution', async () => {
    // Received after the refunds already posted: money dated before them would be refused.
    const small = await contribute('refunds', '5.00', 'R-3', '2026-05-02');
    expect(
      await failure(
        inTransaction(database.db, (trx) =>
          refundContribution(
            trx,
            small.id,
            {
              amount: new Money('5.01'),
              refundedOn: '2026-05-03',
              bankReference: 'RF-4',
              reason: 'x',
            },
            financeId,
          ),
        ),
      ),
    ).toBe('validation_failed');
  });
});

describe('early warning on the committed share of the cumulative cap', () => {
  it('raises each threshold exactly once as committed coverage crosses it', async () => {
    const pool = await inTransaction(database.db, (trx) =>
      createPool(
        trx,
        {
          code: 'alerts',
          name: 'Alert pool',
          insurer: 'Insurer',
          policyNumber: 'RP-ALERT',
          terms: COUNTY_TERMS,
        },
        null,
      ),
    );
    await contribute('alerts', '100000.00', 'A-1');
    const codes = poolAccountCodes(pool.code);
    const reserve = (amount: string) =>
      recordCommand(database.db, {
        type: 'transfer',
        pending: true,
        description: 'reserve',
        postings: [
          { accountCode: codes.coverageConsumed, direction: 'debit', amount },
          { accountCode: codes.coverageAvailable, direction: 'credit', amount },
        ],
      });
    const check = () => inTransaction(database.db, (trx) => raisePoolAlerts(trx, pool));

    await reserve('2499999.99');
    expect(await check()).toEqual([]);
    await reserve('0.01');
    expect((await check()).map((a) => a.thresholdPercent)).toEqual(['50.00']);
    await reserve('100000.00');
    expect(await check()).toEqual([]);
    await reserve('2000000.00');
    expect((await check()).map((a) => a.thresholdPercent).sort()).toEqual(['80.00', '90.00']);
    expect(await check()).toEqual([]);

    const alerts = await listAlerts(database.db, pool.id, { unacknowledgedOnly: true });
    expect(alerts).toHaveLength(3);
    const first = alerts[0];
    if (!first) throw new Error('no alert');
    await inTransaction(database.db, (trx) => acknowledgeAlert(trx, first.id, financeId));
    expect(await listAlerts(database.db, pool.id, { unacknowledgedOnly: true })).toHaveLength(2);
    expect(
      await failure(
        inTransaction(database.db, (trx) => acknowledgeAlert(trx, first.id, financeId)),
      ),
    ).toBe('illegal_transition');
  });
});

describe('terms are versioned, never edited', () => {
  it('records a new dated version and moves the cap difference through the ledger', async () => {
    const pool = await inTransaction(database.db, (trx) =>
      createPool(
        trx,
        {
          code: 'terms',
          name: 'Terms pool',
          insurer: 'Insurer',
          policyNumber: 'RP-TERMS',
          terms: COUNTY_TERMS,
        },
        null,
      ),
    );
    await contribute('terms', '100000.00', 'T-1');
    const codes = poolAccountCodes(pool.code);
    await recordCommand(database.db, {
      type: 'transfer',
      pending: true,
      description: 'reserved for a claim',
      postings: [
        { accountCode: codes.coverageConsumed, direction: 'debit', amount: '4500000.00' },
        { accountCode: codes.coverageAvailable, direction: 'credit', amount: '4500000.00' },
      ],
    });
    // Below the 4,500,000.00 already committed.
    const lowered = {
      ...COUNTY_TERMS,
      effectiveFrom: '2026-07-01',
      cumulativeCap: new Money('4000000.00'),
      reason: 'cut',
    };
    expect(
      await failure(
        inTransaction(database.db, (trx) => changeTerms(trx, 'terms', lowered, financeId)),
      ),
    ).toBe('limit_exceeded');
    const raised = {
      ...COUNTY_TERMS,
      effectiveFrom: '2026-07-01',
      cumulativeCap: new Money('6000000.00'),
      reason: 'raise',
    };
    const version = await inTransaction(database.db, (trx) =>
      changeTerms(trx, 'terms', raised, financeId),
    );
    expect(version.version).toBe(2);
    expect(
      (await termsHistory(database.db, pool.id)).map((t) => t.cumulativeCap.toFixed(2)),
    ).toEqual(['5000000.00', '6000000.00']);
    expect((await termsInForce(database.db, pool.id, '2026-06-30')).version).toBe(1);
    expect((await termsInForce(database.db, pool.id, '2026-07-01')).version).toBe(2);
    expect((await poolCoverage(database.db, pool)).cumulativeCap).toBe('6000000.00');
    expect(
      await failure(
        inTransaction(database.db, (trx) => changeTerms(trx, 'terms', raised, financeId)),
      ),
    ).toBe('conflict');
    expect((await verifyLedger(database.db)).ok).toBe(true);
  });
});
