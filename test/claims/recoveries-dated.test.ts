/**
 * A recovery is money with a date: it counts from the day it was received, a day that
 * cannot be true is refused, and a day in a closed month is refused unless finance books
 * it as a late item in the open month.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type NewRecovery, recordRecovery } from '../../src/claims/recoveries.ts';
import { inTransaction } from '../../src/db/transaction.ts';
import { DomainError } from '../../src/domain-error.ts';
import { closeMonth } from '../../src/finance/period-close.ts';
import { accountBalance } from '../../src/ledger/balances.ts';
import { Money } from '../../src/ledger/money.ts';
import { processPayout } from '../../src/payouts/attempt.ts';
import { SimulatedBank } from '../../src/payouts/simulated-bank.ts';
import { addCalendarDays, localDateOf, startOfLocalDay } from '../../src/policy/local-date.ts';
import { poolAccountCodes } from '../../src/policy/pool-accounts.ts';
import type { Pool } from '../../src/policy/pools.ts';
import { approveClaims, claimLine, incidentOn } from '../payouts/support.ts';
import { freshPostgres, type TestDatabase } from '../support/database.ts';
import { createStaff, fundedPool, type Staff } from './support.ts';

let database: TestDatabase;
let staff: Staff;
let pool: Pool;
let claimId: string;
const today = localDateOf(new Date());

beforeAll(async () => {
  database = await freshPostgres(4);
  staff = await createStaff(database.db, 'dated recoveries');
  pool = await fundedPool(database.db, 'recoveries', staff);
  const incident = await incidentOn(database.db, 'recoveries', staff);
  const [approved] = await approveClaims(database.db, staff, incident, [
    [claimLine('property_loss', '40000.00', 'Payee of a recovered loss')],
  ]);
  claimId = approved?.claimId ?? '';
  const step = await processPayout(
    database.db,
    new SimulatedBank(database.db),
    approved?.payoutIds[0] ?? '',
    { retry: { attempts: 3, backoffMs: 1 }, leaseMs: 60_000 },
  );
  expect(step).toEqual({ kind: 'done', status: 'paid' });
});
afterAll(() => database.close());

const recover = (input: Partial<NewRecovery> & { reference: string }, now?: Date) =>
  inTransaction(database.db, (trx) =>
    recordRecovery(
      trx,
      claimId,
      {
        kind: 'subrogation',
        amount: new Money('1000.00'),
        receivedOn: today,
        fromParty: 'Dyke contractor Co.',
        ...input,
      },
      staff.handler,
      now,
    ),
  );
const fund = async () =>
  (await accountBalance(database.db, poolAccountCodes(pool.code).fund)).availableBalance;
const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (error: unknown) => {
      if (!(error instanceof DomainError)) throw error;
      return error;
    },
  );

it('refuses money recovered on a day before the claim was paid, and writes nothing', async () => {
  const before = await fund();
  const refused = await refusal(
    recover({ reference: 'REC-EARLY', receivedOn: addCalendarDays(today, -1) }),
  );
  expect(refused.code).toBe('impossible_date');
  expect(refused.message).toContain('had been paid 0.00 and 0.00 recovered');
  expect(await fund()).toBe(before);
});

it('counts a recovery from the start of the day it was received', async () => {
  const recovery = await recover({ reference: 'REC-TODAY' });
  expect(recovery).toMatchObject({
    receivedOn: today,
    effectiveAt: startOfLocalDay(today).toISOString(),
    bookedAsLateItem: false,
  });
});

it('counts recovered against paid day by day: an earlier recovery is true when what was paid by then covers it', async () => {
  const incident = await incidentOn(database.db, 'recoveries', staff);
  const [approved] = await approveClaims(database.db, staff, incident, [
    [
      claimLine('property_loss', '3000.00', 'Payee paid first'),
      claimLine('appraisal', '2000.00', 'Payee paid today'),
    ],
  ]);
  const bank = new SimulatedBank(database.db);
  for (const payoutId of approved?.payoutIds ?? []) {
    await processPayout(database.db, bank, payoutId, {
      retry: { attempts: 3, backoffMs: 1 },
      leaseMs: 60_000,
    });
  }
  // The first payout's money moved three days ago.
  const threeDaysAgo = addCalendarDays(today, -3);
  await database.db
    .updateTable('payout')
    .set({ settled_at: startOfLocalDay(threeDaysAgo) })
    .where('id', '=', approved?.payoutIds[0] ?? '')
    .execute();
  const other = (input: Partial<NewRecovery> & { reference: string }) =>
    inTransaction(database.db, (trx) =>
      recordRecovery(
        trx,
        approved?.claimId ?? '',
        {
          kind: 'salvage',
          amount: new Money('2000.00'),
          receivedOn: today,
          fromParty: 'Salvage buyer',
          ...input,
        },
        staff.handler,
      ),
    );
  await other({ reference: 'SALV-TODAY' });
  // By the end of two days ago 3,000.00 had been paid and nothing recovered.
  const earlier = await other({
    reference: 'SALV-EARLIER',
    amount: new Money('2500.00'),
    receivedOn: addCalendarDays(today, -2),
  });
  expect(earlier).toMatchObject({ amount: '2500.00', receivedOn: addCalendarDays(today, -2) });
  const refused = await refusal(
    other({
      reference: 'SALV-TOO-EARLY',
      amount: new Money('500.00'),
      receivedOn: addCalendarDays(today, -4),
    }),
  );
  expect(refused.code).toBe('impossible_date');
  expect(refused.details).toMatchObject({ day: addCalendarDays(today, -4), paidByDay: '0.00' });
});

it('refuses a recovery in a closed month unless it is booked as a late item in the open one', async () => {
  const nextMonth = `${addCalendarDays(`${today.slice(0, 7)}-28`, 7).slice(0, 7)}-10`;
  const later = new Date(`${nextMonth}T04:00:00Z`);
  await inTransaction(database.db, (trx) =>
    closeMonth(trx, today.slice(0, 7), staff.finance, { reason: 'test close' }, later),
  );
  const before = await fund();
  const refused = await refusal(recover({ reference: 'REC-CLOSED' }, later));
  expect(refused.code).toBe('period_closed');
  expect(refused.message).toContain('bookAsLateItem');
  expect(await fund()).toBe(before);

  const late = await recover({ reference: 'REC-CLOSED', bookAsLateItem: true }, later);
  expect(late).toMatchObject({
    receivedOn: today,
    effectiveAt: later.toISOString(),
    bookedAsLateItem: true,
  });
  expect(await fund()).toBe(new Money(before).plus('1000.00').toFixed(2));
});
