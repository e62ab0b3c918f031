/**
 * @module What every movement of the pool's fund goes through before it is booked: a day money can
 * have moved on, a bank reference recorded once per pool, the coverage true-up the formula makes,
 * and booking on its day — a closed month refused naming the close unless booked as a late item.
 *
 * Dates that cannot be true are refused: after today (Asia/Shanghai), before the pool's first
 * terms took effect.
 */
import type { Tx } from '../db/transaction.ts';
import { DomainError } from '../domain-error.ts';
import type { Money } from '../ledger/money.ts';
import { lockLedgerAccounts } from '../ledger/record.ts';
import type { JournalEntry, PostingCommand } from '../ledger/types.ts';
import {
  capacityAccounts,
  capacityState,
  coverageTrueUp,
  latestCapacityEvent,
  recordEffectiveOn,
  type TrueUp,
} from './capacity.ts';
import { type LocalDate, localDateOf, localDateText } from './local-date.ts';
import { type PoolAccountCodes, poolAccountCodes } from './pool-accounts.ts';
import type { Pool } from './pools.ts';
import { bringTermsIntoForceIfDue, ledgerTerms } from './terms-in-force.ts';

/** Refuses a day money cannot have moved on: after today, or before the pool's first terms. */
export async function assertPossibleDay(
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
export async function bookOnDay(
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
export async function fundMovement(
  trx: Tx,
  pool: Pool,
  direction: 'debit' | 'credit',
  amount: Money,
  now: Date,
): Promise<{ codes: PoolAccountCodes; trueUp: TrueUp }> {
  await bringTermsIntoForceIfDue(trx, pool, localDateOf(now), 'write', now);
  const codes = poolAccountCodes(pool.code);
  await lockLedgerAccounts(trx, [codes.fund, ...capacityAccounts(codes)]);
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
export async function assertReferenceUnused(
  trx: Tx,
  kind: 'contribution' | 'remittance',
  poolId: string,
  reference: string,
): Promise<void> {
  const earlier = await recordedUnder(trx, kind, poolId, reference);
  if (earlier) throw duplicateReference(kind, reference, earlier);
}

export async function recordedUnder(
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

export function duplicateReference(
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
