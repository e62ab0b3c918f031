/**
 * @module Money into the pool, each movement effective on the day it was received (the ledger's
 * effective time, so statements and as-of figures show it on that day): contributions grant
 * coverage at the funding ratio up to the cumulative cap (the rest is surplus, shown as such);
 * refunds take back surplus first, then coverage only as far as it is neither reserved nor
 * consumed; insurer remittances add cash only. Both coverage figures come from one formula, in
 * capacity.ts; what every movement goes through on its way to the ledger is in fund-movements.ts.
 *
 * Dates that cannot be true are refused: after today (Asia/Shanghai), before the pool's first
 * terms took effect, a refund before its contribution. Money received in a closed month is refused
 * naming the close, unless finance books it as a late item in the open month (`bookAsLateItem`).
 */

import type { Selectable } from 'kysely';
import type { DB } from '../db/database.ts';
import type { Database } from '../db/schema.ts';
import type { Tx } from '../db/transaction.ts';
import { DomainError } from '../domain-error.ts';
import { accountBalance } from '../ledger/balances.ts';
import { formatAmount, Money, minAmount, sumAmounts, ZERO } from '../ledger/money.ts';
import {
  assertPossibleDay,
  assertReferenceUnused,
  bookOnDay,
  duplicateReference,
  fundMovement,
  recordedUnder,
} from './fund-movements.ts';
import { localDateOf } from './local-date.ts';
import { poolAccountCodes } from './pool-accounts.ts';
import { findPool, lockPool } from './pools.ts';

export interface NewContribution {
  readonly amount: Money;
  readonly receivedOn: string;
  readonly payer: string;
  readonly bankReference: string;
  /** Received in a month already closed: book it in the open month as a named late item. */
  readonly bookAsLateItem?: boolean;
}

export interface Contribution {
  readonly id: string;
  readonly poolId: string;
  readonly amount: string;
  readonly receivedOn: string;
  readonly payer: string;
  readonly bankReference: string;
  readonly coverageGranted: string;
  readonly surplus: string;
  readonly bookedAsLateItem: boolean;
  readonly entryId: number;
}

export async function recordContribution(
  trx: Tx,
  poolRef: string,
  input: NewContribution,
  recordedBy: string,
  now: Date = new Date(),
): Promise<Contribution> {
  const pool = await findPool(trx, poolRef);
  const today = localDateOf(now);
  await assertPossibleDay(trx, pool, input.receivedOn, 'a contribution', today);
  await assertReferenceUnused(trx, 'contribution', pool.id, input.bankReference);
  const { trueUp } = await fundMovement(trx, pool, 'debit', input.amount, now);
  const { entry, bookedAsLateItem } = await bookOnDay(
    trx,
    pool,
    {
      what: 'a contribution',
      day: input.receivedOn,
      description: `contribution from ${input.payer} (${input.bankReference}), received ${input.receivedOn}`,
      postings: trueUp.postings,
      bookAsLateItem: input.bookAsLateItem ?? false,
      movesCapacity: true,
    },
    now,
  );
  const surplus = minAmount(
    input.amount,
    trueUp.surplusChange.gt(ZERO) ? trueUp.surplusChange : ZERO,
  );
  const row = await trx
    .insertInto('contribution')
    .values({
      pool_id: pool.id,
      amount: formatAmount(input.amount),
      received_on: input.receivedOn,
      payer: input.payer,
      bank_reference: input.bankReference,
      coverage_granted: formatAmount(trueUp.grantChange.gt(ZERO) ? trueUp.grantChange : ZERO),
      surplus: formatAmount(surplus),
      entry_id: entry.id,
      booked_as_late_item: bookedAsLateItem,
      recorded_by: recordedBy,
    })
    // Two requests with one reference at once: the later finds the first's row here.
    .onConflict((oc) => oc.columns(['pool_id', 'bank_reference']).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (!row) {
    const earlier = await recordedUnder(trx, 'contribution', pool.id, input.bankReference);
    throw duplicateReference('contribution', input.bankReference, earlier);
  }
  return toContribution(row);
}

type ContributionRow = Selectable<Database['contribution']>;

function toContribution(row: ContributionRow): Contribution {
  return {
    id: row.id,
    poolId: row.pool_id,
    amount: row.amount,
    receivedOn: row.received_on,
    payer: row.payer,
    bankReference: row.bank_reference,
    coverageGranted: row.coverage_granted,
    surplus: row.surplus,
    bookedAsLateItem: row.booked_as_late_item,
    entryId: row.entry_id,
  };
}

export async function listContributions(db: DB | Tx, poolId: string): Promise<Contribution[]> {
  const rows = await db
    .selectFrom('contribution')
    .selectAll()
    .where('pool_id', '=', poolId)
    .orderBy('received_on')
    .orderBy('recorded_at')
    .limit(1000)
    .execute();
  return rows.map(toContribution);
}

export interface NewRefund {
  readonly amount: Money;
  readonly refundedOn: string;
  readonly bankReference: string;
  readonly reason: string;
  /** Refunded in a month already closed: book it in the open month as a named late item. */
  readonly bookAsLateItem?: boolean;
}

export interface Refund {
  readonly id: string;
  readonly contributionId: string;
  readonly amount: string;
  readonly refundedOn: string;
  readonly surplusReturned: string;
  readonly coverageReleased: string;
  readonly bookedAsLateItem: boolean;
  readonly entryId: number;
}

/**
 * Returns part or all of a contribution, in this order: the pool's surplus first (no
 * coverage moves), then money that bought coverage, releasing what the formula no longer
 * grants — refused if that coverage is reserved or consumed, which the ledger's bound on
 * "available" decides. Dated on the day the money left, never before it arrived.
 */
export async function refundContribution(
  trx: Tx,
  contributionId: string,
  input: NewRefund,
  recordedBy: string,
  now: Date = new Date(),
): Promise<Refund> {
  const contribution = await trx
    .selectFrom('contribution')
    .selectAll()
    .where('id', '=', contributionId)
    .executeTakeFirst();
  if (!contribution)
    throw new DomainError('not_found', `contribution ${contributionId} does not exist`);
  const pool = await lockPool(trx, contribution.pool_id);
  const today = localDateOf(now);
  await assertPossibleDay(trx, pool, input.refundedOn, 'a refund', today);
  if (input.refundedOn < contribution.received_on) {
    throw new DomainError(
      'impossible_date',
      `a refund on ${input.refundedOn} is before its contribution was received (${contribution.received_on})`,
      { refundedOn: input.refundedOn, receivedOn: contribution.received_on },
    );
  }
  const earlier = await trx
    .selectFrom('contribution_refund')
    .select('amount')
    .where('contribution_id', '=', contribution.id)
    .execute();
  const refundable = new Money(contribution.amount).minus(
    sumAmounts(earlier.map((r) => new Money(r.amount))),
  );
  if (input.amount.gt(refundable)) {
    throw new DomainError(
      'validation_failed',
      `at most ${formatAmount(refundable)} of this contribution is left to refund`,
    );
  }
  const duplicate = await trx
    .selectFrom('contribution_refund as r')
    .innerJoin('contribution as c', 'c.id', 'r.contribution_id')
    .select('r.id')
    .where('c.pool_id', '=', pool.id)
    .where('r.bank_reference', '=', input.bankReference)
    .executeTakeFirst();
  if (duplicate) {
    throw new DomainError(
      'conflict',
      `bank reference ${input.bankReference} is already recorded as refund ${duplicate.id}`,
    );
  }
  const { codes, trueUp } = await fundMovement(trx, pool, 'credit', input.amount, now);
  const released = trueUp.grantChange.lt(ZERO) ? trueUp.grantChange.neg() : ZERO;
  const { entry, bookedAsLateItem } = await bookOnDay(
    trx,
    pool,
    {
      what: 'a refund',
      day: input.refundedOn,
      description: `refund of contribution ${contribution.bank_reference} (${input.bankReference}), refunded ${input.refundedOn}`,
      postings: trueUp.postings,
      bookAsLateItem: input.bookAsLateItem ?? false,
      movesCapacity: true,
    },
    now,
  ).catch(async (error: unknown) => {
    if (!(error instanceof DomainError) || error.code !== 'limit_exceeded') throw error;
    if (error.details.account === codes.coverageAvailable) {
      const free = (await accountBalance(trx, codes.coverageAvailable)).availableBalance;
      throw new DomainError(
        'limit_exceeded',
        `the refund would release ${formatAmount(released)} of coverage, but only ${free} is neither reserved nor consumed`,
        { coverageToRelease: formatAmount(released), coverageFree: free },
      );
    }
    const cash = (await accountBalance(trx, codes.fund)).availableBalance;
    throw new DomainError('limit_exceeded', `the pool account holds only ${cash}`, {
      fundBalance: cash,
    });
  });
  const row = await trx
    .insertInto('contribution_refund')
    .values({
      contribution_id: contribution.id,
      amount: formatAmount(input.amount),
      refunded_on: input.refundedOn,
      bank_reference: input.bankReference,
      reason: input.reason,
      surplus_returned: formatAmount(
        trueUp.surplusChange.lt(ZERO) ? trueUp.surplusChange.neg() : ZERO,
      ),
      coverage_released: formatAmount(released),
      entry_id: entry.id,
      booked_as_late_item: bookedAsLateItem,
      recorded_by: recordedBy,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return {
    id: row.id,
    contributionId: row.contribution_id,
    amount: row.amount,
    refundedOn: row.refunded_on,
    surplusReturned: row.surplus_returned,
    coverageReleased: row.coverage_released,
    bookedAsLateItem: row.booked_as_late_item,
    entryId: row.entry_id,
  };
}

export interface NewRemittance {
  readonly amount: Money;
  readonly receivedOn: string;
  readonly reference: string;
  readonly note: string;
  /** Received in a month already closed: book it in the open month as a named late item. */
  readonly bookAsLateItem?: boolean;
}

export interface Remittance {
  readonly id: string;
  readonly poolId: string;
  readonly amount: string;
  readonly receivedOn: string;
  readonly reference: string;
  readonly note: string;
  readonly bookedAsLateItem: boolean;
  readonly entryId: number;
}

/** The insurer's money into the pool's account, on the day received: cash only, no coverage. */
export async function recordRemittance(
  trx: Tx,
  poolRef: string,
  input: NewRemittance,
  recordedBy: string,
  now: Date = new Date(),
): Promise<Remittance> {
  const pool = await findPool(trx, poolRef);
  await assertPossibleDay(trx, pool, input.receivedOn, 'a remittance', localDateOf(now));
  await assertReferenceUnused(trx, 'remittance', pool.id, input.reference);
  const codes = poolAccountCodes(pool.code);
  const { entry, bookedAsLateItem } = await bookOnDay(
    trx,
    pool,
    {
      what: 'a remittance',
      day: input.receivedOn,
      description: `insurer remittance ${input.reference}, received ${input.receivedOn}`,
      postings: [
        { accountCode: codes.fund, direction: 'debit', amount: input.amount },
        { accountCode: codes.remittances, direction: 'credit', amount: input.amount },
      ],
      bookAsLateItem: input.bookAsLateItem ?? false,
      movesCapacity: false,
    },
    now,
  );
  const row = await trx
    .insertInto('remittance')
    .values({
      pool_id: pool.id,
      amount: formatAmount(input.amount),
      received_on: input.receivedOn,
      reference: input.reference,
      note: input.note,
      entry_id: entry.id,
      booked_as_late_item: bookedAsLateItem,
      recorded_by: recordedBy,
    })
    .onConflict((oc) => oc.columns(['pool_id', 'reference']).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (!row) {
    const earlier = await recordedUnder(trx, 'remittance', pool.id, input.reference);
    throw duplicateReference('remittance', input.reference, earlier);
  }
  return {
    id: row.id,
    poolId: row.pool_id,
    amount: row.amount,
    receivedOn: row.received_on,
    reference: row.reference,
    note: row.note,
    bookedAsLateItem: row.booked_as_late_item,
    entryId: row.entry_id,
  };
}
