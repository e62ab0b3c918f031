/**
 * @module Money into the pool, each movement effective on the day it was received (the
 * ledger's effective time, so statements and as-of figures show it on that day):
 * contributions grant coverage at the funding ratio up to the cumulative cap (the rest is
 * surplus, shown as such); refunds take back surplus first, then coverage only as far as
 * it is neither reserved nor consumed; insurer remittances add cash only. Both coverage
 * figures come from one formula, in capacity.ts.
 *
 * Dates that cannot be true are refused: after today (Asia/Shanghai), before the pool's
 * first terms took effect, a refund before its contribution. Money received in a closed
 * month is refused naming the close, unless finance books it as a late item in the open
 * month (`bookAsLateItem`).
 */
import type { DB } from '../db/database.ts';
import type { Tx } from '../db/transaction.ts';
import { DomainError } from '../domain-error.ts';
import { accountBalance } from '../ledger/balances.ts';
import { formatAmount, Money, minAmount, sumAmounts, ZERO } from '../ledger/money.ts';
import { lockLedgerAccounts } from '../ledger/record.ts';
import type { JournalEntry, PostingCommand } from '../ledger/types.ts';
import {
  bringTermsIntoForceIfDue,
  capacityState,
  coverageTrueUp,
  latestCapacityEvent,
  ledgerTerms,
  recordEffectiveOn,
  type TrueUp,
} from './capacity.ts';
import { type LocalDate, localDateOf, localDateText } from './local-date.ts';
import { type PoolAccountCodes, poolAccountCodes } from './pool-accounts.ts';
import { findPool, lockPool, type Pool } from './pools.ts';

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

/** Refuses a day money cannot have moved on: after today, or before the pool's first terms. */
async function assertPossibleDay(
  trx: Tx,
  pool: Pool,
  day: LocalDate,
  what: string,
  today: LocalDate,
): Promise<void> {
  if (day > today) {
    throw new DomainError(
      'impossible_date',
      `${what} on ${day} is after today (${today}, Asia/Shanghai)`,
      { day, today },
    );
  }
  const first = await trx
    .selectFrom('pool_terms')
    .select(localDateText('effective_from').as('effectiveFrom'))
    .where('pool_id', '=', pool.id)
    .orderBy('version')
    .limit(1)
    .executeTakeFirstOrThrow();
  if (day < first.effectiveFrom) {
    throw new DomainError(
      'impossible_date',
      `${what} on ${day} is before pool ${pool.code} existed (its first terms took effect on ${first.effectiveFrom})`,
      { day, poolStartsOn: first.effectiveFrom },
    );
  }
}

/** The closed month's refusal, naming the close and the way to book it anyway. */
async function closedMonthError(trx: Tx, error: unknown, what: string, day: LocalDate) {
  if (!(error instanceof DomainError) || error.code !== 'period_closed') return error;
  return closedMonthRefusal(trx, what, day, error.details.month ?? day.slice(0, 7));
}

async function closedMonthRefusal(trx: Tx, what: string, day: LocalDate, month: string) {
  const close = await trx
    .selectFrom('ledger_closed_period')
    .select(['closed_at', 'closed_by'])
    .where('month', '=', month)
    .executeTakeFirst();
  return new DomainError(
    'period_closed',
    `${what} received on ${day} falls in ${month}, which finance closed${close ? ` on ${close.closed_at.toISOString()}` : ''}; book it in the open month as a late item with "bookAsLateItem": true`,
    { month, ...(close ? { closedBy: close.closed_by } : {}) },
  );
}

/** Books one movement on its day: the pool's due terms first, then the movement with its true-up. */
async function bookOnDay(
  trx: Tx,
  pool: Pool,
  movement: {
    readonly what: string;
    readonly day: LocalDate;
    readonly description: string;
    readonly postings: readonly PostingCommand[];
    readonly bookAsLateItem: boolean;
    /** Moves the formula's inputs (contributions, refunds; not remittances). */
    readonly movesCapacity: boolean;
  },
  now: Date,
): Promise<{ entry: JournalEntry; bookedAsLateItem: boolean }> {
  const later = movement.movesCapacity ? await latestCapacityEvent(trx, pool.id) : null;
  const keyedLate = later !== null && later.day > movement.day;
  if (keyedLate && !movement.bookAsLateItem) {
    // A closed month is the first reason to refuse: name it.
    const month = movement.day.slice(0, 7);
    const closed = await trx
      .selectFrom('ledger_closed_period')
      .select('month')
      .where('month', '=', month)
      .executeTakeFirst();
    if (closed) throw await closedMonthRefusal(trx, movement.what, movement.day, month);
    throw new DomainError(
      'later_capacity_event',
      `${movement.what} received on ${movement.day} is dated before ${later.what} on ${later.day}, already posted; its coverage cannot be back-dated past that — book it as a late item with "bookAsLateItem": true (it then counts from today)`,
      { day: movement.day, laterEvent: later.what, laterEventOn: later.day },
    );
  }
  try {
    return await recordEffectiveOn(
      trx,
      {
        description: movement.description,
        references: { poolId: pool.id },
        postings: movement.postings,
      },
      movement.day,
      {
        lateIfClosed: movement.bookAsLateItem,
        now,
        ...(keyedLate ? { lateBecause: `keyed after ${later.what} on ${later.day}` } : {}),
      },
    );
  } catch (error) {
    throw await closedMonthError(trx, error, movement.what, movement.day);
  }
}

/**
 * Money into (debit) or out of (credit) the pool's fund with the true-up it makes: the
 * pool's due terms first, then the formula under the terms the ledger holds now (those in
 * force today); the caller dates the entry on the movement's day.
 *
 * No pool-row lock: the balances the formula reads are locked first, in the ledger's own
 * order (accounts, then at recording the chain head), so they stay true until the entry is
 * written, and the ledger's bounds (ungranted ≥ 0, available ≥ 0) refuse anything beyond
 * them. Movements of other pools, and decisions, no longer queue behind this one.
 */
async function fundMovement(
  trx: Tx,
  pool: Pool,
  direction: 'debit' | 'credit',
  amount: Money,
  now: Date,
): Promise<{ codes: PoolAccountCodes; trueUp: TrueUp }> {
  await bringTermsIntoForceIfDue(trx, pool, localDateOf(now), 'write', now);
  const codes = poolAccountCodes(pool.code);
  await lockLedgerAccounts(trx, [
    codes.fund,
    codes.coverageLimit,
    codes.coverageUngranted,
    codes.coverageAvailable,
    codes.coverageConsumed,
    codes.contributions,
    codes.surplus,
  ]);
  const { terms, ledgerCap } = await ledgerTerms(trx, pool);
  const state = await capacityState(trx, codes);
  const contributed = state.contributionsCash.plus(state.surplusCash);
  const trueUp = coverageTrueUp(
    codes,
    state,
    {
      cap: ledgerCap,
      ratio: terms.fundingRatio,
      netContributed: direction === 'debit' ? contributed.plus(amount) : contributed.minus(amount),
    },
    [{ accountCode: codes.fund, direction, amount }],
    false,
  );
  return { codes, trueUp };
}

/**
 * Money is recorded once per bank reference and pool: a second contribution (or insurer
 * remittance) under a reference already recorded is refused, naming the first.
 */
async function assertReferenceUnused(
  trx: Tx,
  kind: 'contribution' | 'remittance',
  poolId: string,
  reference: string,
): Promise<void> {
  const earlier = await recordedUnder(trx, kind, poolId, reference);
  if (earlier) throw duplicateReference(kind, reference, earlier);
}

async function recordedUnder(
  trx: Tx,
  kind: 'contribution' | 'remittance',
  poolId: string,
  reference: string,
): Promise<string | null> {
  const row =
    kind === 'contribution'
      ? await trx
          .selectFrom('contribution')
          .select('id')
          .where('pool_id', '=', poolId)
          .where('bank_reference', '=', reference)
          .executeTakeFirst()
      : await trx
          .selectFrom('remittance')
          .select('id')
          .where('pool_id', '=', poolId)
          .where('reference', '=', reference)
          .executeTakeFirst();
  return row?.id ?? null;
}

function duplicateReference(
  kind: 'contribution' | 'remittance',
  reference: string,
  earlierId: string | null,
): DomainError {
  return new DomainError(
    'conflict',
    `bank reference ${reference} is already recorded${earlierId ? ` as ${kind} ${earlierId}` : ''}`,
    { reference },
  );
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

type ContributionRow = {
  id: string;
  pool_id: string;
  amount: string;
  received_on: string;
  payer: string;
  bank_reference: string;
  coverage_granted: string;
  surplus: string;
  booked_as_late_item: boolean;
  entry_id: number;
};

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
