/**
 * @module Capacity as the terms and the money say, on every date:
 *
 *   capacity = min(cumulative cap in force, ratio in force × (contributed − refunded))
 *   surplus  = contributed − refunded − what the capacity used (capacity ÷ ratio, half-up to the fen)
 *
 * One function, `coverageTrueUp`, turns the ledger's balances into those figures; every movement
 * that can change them (a contribution, a refund, terms coming into force) posts its own cash
 * together with the true-up in ONE entry, effective on the day the money moved or the terms took
 * effect (`recordEffectiveOn`). So surplus becomes coverage the moment the cap or the ratio
 * allows, and a refund takes surplus first, then coverage nobody has committed. A cap lowered
 * below what is already committed never makes "available" negative: the capacity stays at what is
 * committed and the difference is recorded as over-commitment. When dated terms reach the
 * ledger is in terms-in-force.ts.
 */
import type { DB } from '../db/database.ts';
import type { Tx } from '../db/transaction.ts';
import { DomainError } from '../domain-error.ts';
import { accountBalances } from '../ledger/balances.ts';
import { Money, maxAmount, minAmount, roundToFen, ZERO } from '../ledger/money.ts';
import { recordCommandsInTransaction } from '../ledger/record.ts';
import type { EntryReferences, JournalEntry, PostingCommand } from '../ledger/types.ts';
import { type LocalDate, localDateOf, localDateText, startOfLocalDay } from './local-date.ts';
import type { PoolAccountCodes } from './pool-accounts.ts';

/** The accounts the formula reads: the coverage limit and its split, and the cash split. */
export function capacityAccounts(codes: PoolAccountCodes): string[] {
  return [
    codes.coverageLimit,
    codes.coverageUngranted,
    codes.coverageAvailable,
    codes.coverageConsumed,
    codes.contributions,
    codes.surplus,
  ];
}

/** The pool's coverage and cash-split balances now, as the true-up needs them. */
export interface CapacityState {
  readonly limit: Money;
  readonly granted: Money;
  /** Reserved (open holds on available) + consumed. */
  readonly committed: Money;
  readonly contributionsCash: Money;
  readonly surplusCash: Money;
}

export async function capacityState(db: DB | Tx, codes: PoolAccountCodes): Promise<CapacityState> {
  const balances = await accountBalances(db, capacityAccounts(codes));
  const read = (code: string) => {
    const balance = balances.get(code);
    if (!balance) throw new Error(`pool account ${code} is missing`);
    return balance;
  };
  const limit = new Money(read(codes.coverageLimit).balance);
  return {
    limit,
    granted: limit.minus(new Money(read(codes.coverageUngranted).balance)),
    committed: new Money(read(codes.coverageAvailable).heldAgainst).plus(
      new Money(read(codes.coverageConsumed).balance),
    ),
    contributionsCash: new Money(read(codes.contributions).balance),
    surplusCash: new Money(read(codes.surplus).balance),
  };
}

export interface TrueUp {
  readonly postings: readonly PostingCommand[];
  /** Change of granted coverage (negative when released). */
  readonly grantChange: Money;
  /** Change of the surplus cash account (negative when surplus turned into coverage or was refunded). */
  readonly surplusChange: Money;
  /** Committed coverage the new figures could not honour (only when allowed). */
  readonly overCommitted: Money;
}

/**
 * The postings that bring limit, granted coverage and the contributions/surplus split to
 * the formula's figures for `netContributed`, plus `cash` (the movement's own cash, e.g.
 * the fund's debit for a contribution), netted to one posting per account.
 * Without `allowOverCommitment` a capacity below committed is left for the ledger's bound
 * on "available" to refuse.
 */
export function coverageTrueUp(
  codes: PoolAccountCodes,
  state: CapacityState,
  basis: { readonly cap: Money; readonly ratio: Money; readonly netContributed: Money },
  cash: readonly PostingCommand[],
  allowOverCommitment: boolean,
): TrueUp {
  const formula = minAmount(basis.cap, roundToFen(basis.netContributed.times(basis.ratio)));
  const capacity = allowOverCommitment ? maxAmount(formula, state.committed) : formula;
  const limit = maxAmount(basis.cap, capacity);
  const used = minAmount(basis.netContributed, roundToFen(capacity.dividedBy(basis.ratio)));
  const surplus = basis.netContributed.minus(used);
  // Signed as debits: a credit is negative.
  const net = new Map<string, Money>();
  const add = (code: string, debit: Money) => net.set(code, (net.get(code) ?? ZERO).plus(debit));
  for (const p of cash) {
    const amount = new Money(p.amount);
    add(p.accountCode, p.direction === 'debit' ? amount : amount.neg());
  }
  const limitChange = limit.minus(state.limit);
  add(codes.coverageUngranted, limitChange);
  add(codes.coverageLimit, limitChange.neg());
  const grantChange = capacity.minus(state.granted);
  add(codes.coverageAvailable, grantChange);
  add(codes.coverageUngranted, grantChange.neg());
  add(codes.contributions, used.minus(state.contributionsCash).neg());
  const surplusChange = surplus.minus(state.surplusCash);
  add(codes.surplus, surplusChange.neg());
  const postings = [...net]
    .filter(([, amount]) => !amount.isZero())
    .map(([accountCode, amount]) => ({
      accountCode,
      direction: amount.gt(ZERO) ? ('debit' as const) : ('credit' as const),
      amount: amount.abs(),
    }));
  return { postings, grantChange, surplusChange, overCommitted: capacity.minus(formula) };
}

type EffectiveCommand = {
  readonly description: string;
  readonly idempotencyKey?: string;
  readonly references: { readonly poolId: string } & EntryReferences;
  readonly postings: readonly PostingCommand[];
};

interface EffectiveOptions {
  readonly lateIfClosed: boolean;
  readonly now: Date;
  /** Posted now as a named late item, for this reason, instead of on its day. */
  readonly lateBecause?: string;
}

/** Closed months refuse entries inside them; a late posting is effective now, under its own name. */
export async function recordEffectiveOn(
  trx: Tx,
  command: EffectiveCommand,
  effectiveOn: LocalDate,
  options: EffectiveOptions,
): Promise<{ entry: JournalEntry; bookedAsLateItem: boolean }> {
  const { entries, bookedAsLateItem } = await recordAllEffectiveOn(
    trx,
    [command],
    effectiveOn,
    options,
  );
  const [entry] = entries;
  if (!entry) throw new Error('recordAllEffectiveOn returned no entry');
  return { entry, bookedAsLateItem };
}

/** recordEffectiveOn for several commands in one ledger write, all on the day or all late. */
export async function recordAllEffectiveOn(
  trx: Tx,
  commands: readonly EffectiveCommand[],
  effectiveOn: LocalDate,
  options: EffectiveOptions,
): Promise<{ entries: JournalEntry[]; bookedAsLateItem: boolean }> {
  const late = (because: string) =>
    recordCommandsInTransaction(
      trx,
      commands.map((command) => ({
        type: 'transfer' as const,
        ...command,
        description: `late item (effective ${effectiveOn}, ${because}): ${command.description}`,
        effectiveAt: options.now,
      })),
    );
  if (options.lateBecause !== undefined)
    return { entries: await late(options.lateBecause), bookedAsLateItem: true };
  // Effective from the start of the day it happened: as-of figures for that day include it.
  const effectiveAt = startOfLocalDay(effectiveOn);
  try {
    const entries = await recordCommandsInTransaction(
      trx,
      commands.map((command) => ({ type: 'transfer' as const, ...command, effectiveAt })),
    );
    return { entries, bookedAsLateItem: false };
  } catch (error) {
    if (!(error instanceof DomainError) || error.code !== 'period_closed' || !options.lateIfClosed)
      throw error;
    return { entries: await late(`${error.details.month} closed`), bookedAsLateItem: true };
  }
}

/** A posted movement of the formula's inputs: terms in force, a contribution or a refund. */
export interface CapacityEvent {
  readonly day: LocalDate;
  readonly what: string;
}

/**
 * The latest day on which the pool's capacity inputs moved in the ledger. A movement dated
 * before it cannot be posted on its day: its true-up would be computed from balances and
 * terms of a later day, and the figures in between would contradict the formula.
 */
export async function latestCapacityEvent(
  db: DB | Tx,
  poolId: string,
): Promise<CapacityEvent | null> {
  const terms = await db
    .selectFrom('pool_terms_in_force as f')
    .leftJoin('journal_entry as e', 'e.id', 'f.entry_id')
    .select(['f.version', localDateText('f.in_force_on').as('inForceOn'), 'e.effective_at'])
    .where('f.pool_id', '=', poolId)
    .execute();
  const contributions = await db
    .selectFrom('contribution as c')
    .innerJoin('journal_entry as e', 'e.id', 'c.entry_id')
    .select(['c.bank_reference as reference', 'e.effective_at'])
    .where('c.pool_id', '=', poolId)
    .orderBy('e.effective_at', 'desc')
    .limit(1)
    .execute();
  const refunds = await db
    .selectFrom('contribution_refund as r')
    .innerJoin('contribution as c', 'c.id', 'r.contribution_id')
    .innerJoin('journal_entry as e', 'e.id', 'r.entry_id')
    .select(['r.bank_reference as reference', 'e.effective_at'])
    .where('c.pool_id', '=', poolId)
    .orderBy('e.effective_at', 'desc')
    .limit(1)
    .execute();
  const events: CapacityEvent[] = [
    ...terms.map((t) => ({
      day: t.effective_at ? localDateOf(new Date(t.effective_at)) : t.inForceOn,
      what: `terms version ${t.version} in force`,
    })),
    ...contributions.map((c) => ({
      day: localDateOf(new Date(c.effective_at)),
      what: `contribution ${c.reference}`,
    })),
    ...refunds.map((r) => ({
      day: localDateOf(new Date(r.effective_at)),
      what: `refund ${r.reference}`,
    })),
  ];
  return events.reduce<CapacityEvent | null>(
    (latest, event) => (latest === null || event.day > latest.day ? event : latest),
    null,
  );
}
