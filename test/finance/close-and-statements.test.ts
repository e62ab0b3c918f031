import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../src/access/tokens.ts';
import type { DB } from '../../src/db/database.ts';
import { inTransaction } from '../../src/db/transaction.ts';
import { DomainError } from '../../src/domain-error.ts';
import { closeMonth, periodState, reopenMonth } from '../../src/finance/period-close.ts';
import { accountStatement, poolStatement } from '../../src/finance/reports.ts';
import { trialBalance } from '../../src/ledger/balances.ts';
import { Money } from '../../src/ledger/money.ts';
import { recordCommand } from '../../src/ledger/record.ts';
import { verifyLedger } from '../../src/ledger/verify.ts';
import { InProcessPayoutRunner } from '../../src/payouts/in-process.ts';
import { voidPayout } from '../../src/payouts/payout-void.ts';
import { SimulatedBank } from '../../src/payouts/simulated-bank.ts';
import { recordRemittance, refundContribution } from '../../src/policy/contributions.ts';
import { localDateOf } from '../../src/policy/local-date.ts';
import { poolAccountCodes } from '../../src/policy/pool-accounts.ts';
import type { Pool } from '../../src/policy/pools.ts';
import { createStaff, fundedPool, type Staff } from '../claims/support.ts';
import { approveClaims, claimLine, incidentOn } from '../payouts/support.ts';
import { freshPostgres, type TestDatabase } from '../support/database.ts';

let database: TestDatabase;
let db: DB;
let staff: Staff;
let adminId: string;

beforeAll(async () => {
  database = await freshPostgres();
  db = database.db;
  staff = await createStaff(db, 'finance reports');
  adminId = (await createUser(db, 'admin reports', 'admin', null)).id;
});
afterAll(() => database.close());

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => 'succeeded',
    (error: unknown) =>
      error instanceof DomainError || error instanceof DomainError ? error.code : String(error),
  );

describe('the pool statement ties to the trial balance after contributions, claims and payouts', () => {
  let pool: Pool;
  const today = localDateOf(new Date());
  const period = { from: `${today.slice(0, 7)}-01`, to: today };

  beforeAll(async () => {
    pool = await fundedPool(db, 'statement', staff, { fourEyesThreshold: '1000000.00' });
    await inTransaction(db, (trx) =>
      recordRemittance(
        trx,
        'statement',
        { amount: new Money('250000.00'), receivedOn: today, reference: 'INS-1', note: '' },
        staff.finance,
      ),
    );
    const extra = await inTransaction(db, async (trx) => {
      const { recordContribution } = await import('../../src/policy/contributions.ts');
      return recordContribution(
        trx,
        'statement',
        {
          amount: new Money('5000.00'),
          receivedOn: today,
          payer: 'County',
          bankReference: 'EXTRA',
        },
        staff.finance,
      );
    });
    await inTransaction(db, (trx) =>
      refundContribution(
        trx,
        extra.id,
        {
          amount: new Money('2000.00'),
          refundedOn: today,
          bankReference: 'RF-1',
          reason: 'overpaid',
        },
        staff.finance,
      ),
    );
    const incident = await incidentOn(db, 'statement', staff);
    await approveClaims(db, staff, incident, [
      [
        claimLine('property_loss', '120000.00', 'Cooperative'),
        claimLine('lawyer_fees', '30000.00', 'Law firm'),
      ],
      [claimLine('appraisal', '8000.00', 'Appraiser')],
    ]);
    const runner = new InProcessPayoutRunner(db, new SimulatedBank(db));
    for (let pass = 0; pass < 5; pass++) if ((await runner.runOnce()) === 0) break;
  });

  it('adds up from opening to closing balance, with payouts by category', async () => {
    const statement = await poolStatement(db, pool, period);
    // The pool was funded with 100,000.00 received on 2026-01-05: it opens the period.
    expect(statement.cash).toMatchObject({
      openingBalance: '100000.00',
      contributions: '5000.00',
      contributionRefunds: '2000.00',
      remittances: '250000.00',
      payouts: '158000.00',
      closingBalance: '195000.00',
      heldForPayouts: '0.00',
    });
    expect(statement.cash.payoutsByCategory).toEqual({
      property_loss: '120000.00',
      litigation_arbitration: '0.00',
      appraisal: '8000.00',
      lawyer_fees: '30000.00',
    });
    expect(statement.coverage.closing).toMatchObject({
      consumed: '158000.00',
      reserved: '0.00',
      capacity: '5000000.00',
    });
  });

  it('matches the trial balance as of the same day, line by line', async () => {
    const statement = await poolStatement(db, pool, period);
    const codes = poolAccountCodes(pool.code);
    const trial = await trialBalance(db, { asOf: new Date(Date.now() + 1000) });
    const line = (code: string) => trial.lines.find((l) => l.accountCode === code);
    expect(line(codes.fund)?.debit).toBe(statement.cash.closingBalance);
    const contributed = new Money(line(codes.contributions)?.credit ?? '0').plus(
      new Money(line(codes.surplus)?.credit ?? '0'),
    );
    // Nothing but the January contribution moved the fund before the period.
    expect(contributed.toFixed(2)).toBe(
      new Money(statement.cash.openingBalance)
        .plus(statement.cash.contributions)
        .minus(statement.cash.contributionRefunds)
        .toFixed(2),
    );
    expect(line(codes.remittances)?.credit).toBe(statement.cash.remittances);
    for (const [category, paid] of Object.entries(statement.cash.payoutsByCategory)) {
      expect(line(codes.claimsExpense(category as 'appraisal'))?.debit ?? '0.00').toBe(paid);
    }
    expect(line(codes.claimsPayable)).toMatchObject({ debit: '0.00', credit: '0.00' });
    expect(trial.balanced).toBe(true);
  });

  it("gives the pool account's statement with a running balance that ends at the closing balance", async () => {
    const statement = await accountStatement(db, poolAccountCodes(pool.code).fund, period);
    expect(statement.openingBalance).toBe('100000.00');
    expect(statement.lines.at(-1)?.balance).toBe('195000.00');
    expect(statement.closingBalance).toBe('195000.00');
    expect(statement.totalDebits).toBe('255000.00');
    expect(statement.totalCredits).toBe('160000.00');
  });
});

describe('month-end close', () => {
  const october = '2026-10';
  const inOctober = new Date('2026-10-15T04:00:00Z');

  it('refuses to close a month that has not ended', async () => {
    const current = localDateOf(new Date()).slice(0, 7);
    expect(
      await failure(inTransaction(db, (trx) => closeMonth(trx, current, staff.finance, null))),
    ).toBe('illegal_transition');
  });

  it('refuses while a payout from the month is in flight, unless an admin forces it with a reason', async () => {
    await fundedPool(db, 'close-blocked', staff, { fourEyesThreshold: '1000000.00' });
    const incident = await incidentOn(db, 'close-blocked', staff);
    const [approved] = await approveClaims(db, staff, incident, [
      [claimLine('appraisal', '100.00', 'Appraiser')],
    ]);
    const payoutId = approved?.payoutIds[0] ?? '';
    await db
      .updateTable('payout')
      .set({ created_at: new Date('2026-09-20T02:00:00Z') })
      .where('id', '=', payoutId)
      .execute();
    expect(
      await failure(inTransaction(db, (trx) => closeMonth(trx, '2026-09', staff.finance, null))),
    ).toBe('conflict');
    const forced = await inTransaction(db, (trx) =>
      closeMonth(trx, '2026-09', adminId, { reason: 'audit deadline' }),
    );
    expect(forced.closed).toBe(true);
    expect(forced.history).toMatchObject([
      { action: 'close', forced: true, reason: 'audit deadline' },
    ]);
    await inTransaction(db, (trx) =>
      voidPayout(trx, payoutId, 'payee to resubmit bank details', staff.finance),
    );
  });

  it('refuses a back-dated posting into a closed month; the correction lands in the open one', async () => {
    const codes = { cash: 'close:cash', income: 'close:income' };
    const { openAccount } = await import('../../src/ledger/accounts.ts');
    await openAccount(db, { code: codes.cash, name: 'cash', unit: 'CNY', normalSide: 'debit' });
    await openAccount(db, {
      code: codes.income,
      name: 'income',
      unit: 'CNY',
      normalSide: 'credit',
    });
    const postings = [
      { accountCode: codes.cash, direction: 'debit' as const, amount: '10.00' },
      { accountCode: codes.income, direction: 'credit' as const, amount: '10.00' },
    ];
    const original = await recordCommand(db, {
      type: 'transfer',
      description: 'October item',
      effectiveAt: inOctober,
      postings,
    });
    const state = await inTransaction(db, (trx) => closeMonth(trx, october, staff.finance, null));
    expect(state.closed).toBe(true);
    expect(
      await failure(
        recordCommand(db, {
          type: 'transfer',
          description: 'late',
          effectiveAt: inOctober,
          postings,
        }),
      ),
    ).toBe('period_closed');
    const correction = await recordCommand(db, {
      type: 'reverse',
      entryId: original.id,
      description: 'correction of the October item',
    });
    expect(correction.reversesEntryId).toBe(original.id);
    expect(correction.effectiveAt.getTime()).toBeGreaterThan(
      Date.parse('2026-11-01T00:00:00+08:00'),
    );
    expect(
      await failure(inTransaction(db, (trx) => closeMonth(trx, october, staff.finance, null))),
    ).toBe('illegal_transition');
  });

  it('lets an admin reopen a month, audited in its history, after which postings land again', async () => {
    const reopened = await inTransaction(db, (trx) =>
      reopenMonth(trx, october, adminId, 'late bank charge'),
    );
    expect(reopened.closed).toBe(false);
    expect(reopened.history.map((h) => h.action)).toEqual(['close', 'reopen']);
    const entry = await recordCommand(db, {
      type: 'transfer',
      description: 'late bank charge',
      effectiveAt: inOctober,
      postings: [
        { accountCode: 'close:cash', direction: 'debit', amount: '1.00' },
        { accountCode: 'close:income', direction: 'credit', amount: '1.00' },
      ],
    });
    expect(entry.id).toBeGreaterThan(0);
    expect((await periodState(db, october)).closed).toBe(false);
    expect((await verifyLedger(db)).ok).toBe(true);
  });
});
