/**
 * @module Capacity as the terms and the money say, on every date:
 *
 *   capacity = min(cumulative cap in force, ratio in force × (contributed − refunded))
 *   surplus  = contributed − refunded − what the capacity used (capacity ÷ ratio, half-up to the fen)
 *
 * One function, `coverageTrueUp`, turns the ledger's balances into those figures; every
 * movement that can change them (a contribution, a refund, terms coming into force) posts
 * its own cash together with the true-up in ONE entry, effective on the day the money
 * moved or the terms took effect. So surplus becomes coverage the moment the cap or the
 * ratio allows, and a refund takes surplus first, then coverage nobody has committed.
 *
 * Dated terms act from their date and no earlier: a version is brought into force once,
 * by whichever comes first — the scheduled step, or the first write or read on or after
 * its date — under the pool's row lock, and recorded in `pool_terms_in_force`.
 * A cap lowered below what is already committed never makes "available" negative: the
 * capacity stays at what is committed and the difference is recorded as over-commitment.
 */
import type { DB } from '../db/database.ts';
import type { TermsBroughtBy } from '../db/schema-coverage.ts';
import { inTransaction, type Tx } from '../db/transaction.ts';
import { DomainError } from '../domain-error.ts';
import { accountBalances } from '../ledger/balances.ts';
import { formatAmount, Money, maxAmount, minAmount, roundToFen, ZERO } from '../ledger/money.ts';
import { recordCommandInTransaction } from '../ledger/record.ts';
import type { JournalEntry, PostingCommand } from '../ledger/types.ts';
import { type LocalDate, localDateOf, localDateText, startOfLocalDay } from './local-date.ts';
import { type PoolAccountCodes, poolAccountCodes } from './pool-accounts.ts';
import type { Pool } from './pools.ts';
import { type PoolTerms, termsHistory, termsInForce } from './terms.ts';

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
  const balances = await accountBalances(db, [
    codes.coverageLimit,
    codes.coverageUngranted,
    codes.coverageAvailable,
    codes.coverageConsumed,
    codes.contributions,
    codes.surplus,
  ]);
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

/** Closed months refuse entries inside them; a late posting is effective now, under its own name. */
export async function recordEffectiveOn(
  trx: Tx,
  command: {
    readonly description: string;
    readonly idempotencyKey?: string;
    readonly references: { readonly poolId: string };
    readonly postings: readonly PostingCommand[];
  },
  effectiveOn: LocalDate,
  options: {
    readonly lateIfClosed: boolean;
    readonly now: Date;
    /** Posted now as a named late item, for this reason, instead of on its day. */
    readonly lateBecause?: string;
  },
): Promise<{ entry: JournalEntry; bookedAsLateItem: boolean }> {
  if (options.lateBecause !== undefined) {
    const entry = await recordCommandInTransaction(trx, {
      type: 'transfer',
      ...command,
      description: `late item (effective ${effectiveOn}, ${options.lateBecause}): ${command.description}`,
      effectiveAt: options.now,
    });
    return { entry, bookedAsLateItem: true };
  }
  // Effective from the start of the day it happened: as-of figures for that day include it.
  const effectiveAt = startOfLocalDay(effectiveOn);
  try {
    const entry = await recordCommandInTransaction(trx, {
      type: 'transfer',
      ...command,
      effectiveAt,
    });
    return { entry, bookedAsLateItem: false };
  } catch (error) {
    if (!(error instanceof DomainError) || error.code !== 'period_closed' || !options.lateIfClosed)
      throw error;
    const entry = await recordCommandInTransaction(trx, {
      type: 'transfer',
      ...command,
      description: `late item (effective ${effectiveOn}, ${error.details.month} closed): ${command.description}`,
      effectiveAt: options.now,
    });
    return { entry, bookedAsLateItem: true };
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

export interface TermsBroughtIntoForce {
  readonly version: number;
  readonly inForceOn: LocalDate;
  readonly entryId: number | null;
  readonly overCommitted: string;
}

async function versionsDue(db: DB | Tx, poolId: string, today: LocalDate): Promise<number[]> {
  const rows = await db
    .selectFrom('pool_terms as t')
    .select('t.version')
    .where('t.pool_id', '=', poolId)
    .where('t.effective_from', '<=', today)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('pool_terms_in_force as f')
            .select('f.version')
            .whereRef('f.pool_id', '=', 't.pool_id')
            .whereRef('f.version', '=', 't.version'),
        ),
      ),
    )
    .orderBy('t.version')
    .execute();
  return rows.map((r) => r.version);
}

/**
 * For writers that do not otherwise hold the pool row: takes it (before any ledger account,
 * in the service's lock order) only when a version is due, which is one indexed query.
 */
export async function bringTermsIntoForceIfDue(
  trx: Tx,
  pool: Pool,
  today: LocalDate,
  broughtBy: TermsBroughtBy,
  now: Date,
): Promise<TermsBroughtIntoForce[]> {
  if ((await versionsDue(trx, pool.id, today)).length === 0) return [];
  await trx.selectFrom('pool').select('id').where('id', '=', pool.id).forNoKeyUpdate().execute();
  return bringTermsIntoForce(trx, pool, today, broughtBy, now);
}

/**
 * Brings every version whose date has come into force, oldest first. Call with the pool
 * row locked: that lock, the `pool_terms_in_force` key and the entry's idempotency key
 * make it post once however many requests arrive around the moment.
 */
export async function bringTermsIntoForce(
  trx: Tx,
  pool: Pool,
  today: LocalDate,
  broughtBy: TermsBroughtBy,
  /** The caller's clock: a version due in a closed month is posted as a late item at this moment. */
  now: Date,
): Promise<TermsBroughtIntoForce[]> {
  const due = await versionsDue(trx, pool.id, today);
  if (due.length === 0) return [];
  const history = await termsHistory(trx, pool.id);
  const codes = poolAccountCodes(pool.code);
  const brought: TermsBroughtIntoForce[] = [];
  for (const version of due) {
    const terms = history.find((t) => t.version === version);
    if (!terms) throw new Error(`terms version ${version} of pool ${pool.code} vanished`);
    const state = await capacityState(trx, codes);
    const previous = await latestInForce(trx, pool.id);
    // A version that opens a new policy period carries what earlier periods committed, and
    // its cap comes on top: a renewal brings its own cap.
    const carried =
      previous === null
        ? ZERO
        : previous.periodStart === terms.periodStart
          ? previous.carried
          : state.committed;
    const trueUp = coverageTrueUp(
      codes,
      state,
      {
        cap: terms.cumulativeCap.plus(carried),
        ratio: terms.fundingRatio,
        netContributed: state.contributionsCash.plus(state.surplusCash),
      },
      [],
      true,
    );
    const entry =
      trueUp.postings.length === 0
        ? null
        : (
            await recordEffectiveOn(
              trx,
              {
                description: termsDescription(terms, trueUp),
                idempotencyKey: `pool:${pool.id}:terms:${version}:in-force`,
                references: { poolId: pool.id },
                postings: trueUp.postings,
              },
              terms.effectiveFrom,
              { lateIfClosed: true, now },
            )
          ).entry;
    await trx
      .insertInto('pool_terms_in_force')
      .values({
        pool_id: pool.id,
        version,
        in_force_on: terms.effectiveFrom,
        entry_id: entry?.id ?? null,
        over_committed: formatAmount(trueUp.overCommitted),
        carried_committed: formatAmount(carried),
        brought_by: broughtBy,
      })
      .execute();
    brought.push({
      version,
      inForceOn: terms.effectiveFrom,
      entryId: entry?.id ?? null,
      overCommitted: formatAmount(trueUp.overCommitted),
    });
  }
  return brought;
}

/** The version the ledger holds now, with what its period carried from earlier ones. */
export interface LedgerTerms {
  readonly terms: PoolTerms;
  readonly periodStart: LocalDate;
  readonly carried: Money;
  /** The cap the ledger holds: the version's cumulative cap on top of what was carried. */
  readonly ledgerCap: Money;
}

function withCarried(terms: PoolTerms, carriedCommitted: string): LedgerTerms {
  const carried = new Money(carriedCommitted);
  return {
    terms,
    periodStart: terms.periodStart,
    carried,
    ledgerCap: terms.cumulativeCap.plus(carried),
  };
}

async function latestInForce(db: DB | Tx, poolId: string): Promise<LedgerTerms | null> {
  const row = await db
    .selectFrom('pool_terms_in_force')
    .select(['version', 'carried_committed'])
    .where('pool_id', '=', poolId)
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!row) return null;
  const terms = (await termsHistory(db, poolId)).find((t) => t.version === row.version);
  if (!terms) throw new Error(`terms version ${row.version} is in force but not recorded`);
  return withCarried(terms, row.carried_committed);
}

/** The terms in force on a day, with what their period carried (0 before they reached the ledger). */
export async function termsWithCarriedOn(
  db: DB | Tx,
  pool: Pool,
  day: LocalDate,
): Promise<LedgerTerms> {
  const terms = await termsInForce(db, pool.id, day);
  const row = await db
    .selectFrom('pool_terms_in_force')
    .select('carried_committed')
    .where('pool_id', '=', pool.id)
    .where('version', '=', terms.version)
    .executeTakeFirst();
  return withCarried(terms, row?.carried_committed ?? '0');
}

/** The terms the ledger holds now; a pool always has its first version once created. */
export async function ledgerTerms(db: DB | Tx, pool: Pool): Promise<LedgerTerms> {
  const latest = await latestInForce(db, pool.id);
  if (!latest) throw new Error(`pool ${pool.code} has no terms in force yet`);
  return latest;
}

function termsDescription(terms: PoolTerms, trueUp: TrueUp): string {
  const parts = [
    `terms version ${terms.version} in force from ${terms.effectiveFrom}: cap ${formatAmount(terms.cumulativeCap)}, ratio 1:${terms.fundingRatio.toFixed(2)}`,
  ];
  if (trueUp.surplusChange.lt(ZERO))
    parts.push(`${formatAmount(trueUp.surplusChange.neg())} of surplus now buys coverage`);
  if (trueUp.overCommitted.gt(ZERO))
    parts.push(`over-committed by ${formatAmount(trueUp.overCommitted)}`);
  return parts.join('; ');
}

/**
 * For readers: brings due versions into force in a transaction of its own, only when one
 * is due (the check is one indexed query), so a read on or after a date sees its terms.
 */
export async function ensureTermsInForce(
  db: DB,
  pool: Pool,
  today: LocalDate,
  now: Date = startOfLocalDay(today),
): Promise<void> {
  if ((await versionsDue(db, pool.id, today)).length === 0) return;
  await inTransaction(db, async (trx) => {
    await trx.selectFrom('pool').select('id').where('id', '=', pool.id).forNoKeyUpdate().execute();
    await bringTermsIntoForce(trx, pool, today, 'read', now);
  });
}

/** The scheduled step: every pool's due versions, each pool in its own transaction. */
export async function bringAllDueTermsIntoForce(db: DB, now: Date): Promise<number> {
  const today = localDateOf(now);
  const pools = await db
    .selectFrom('pool')
    .select(['id', 'code', 'name', 'insurer', 'policy_number as policyNumber', 'currency'])
    .orderBy('code')
    .limit(500)
    .execute();
  let count = 0;
  for (const pool of pools) {
    if ((await versionsDue(db, pool.id, today)).length === 0) continue;
    count += await inTransaction(db, async (trx) => {
      await trx
        .selectFrom('pool')
        .select('id')
        .where('id', '=', pool.id)
        .forNoKeyUpdate()
        .execute();
      return (await bringTermsIntoForce(trx, pool, today, 'schedule', now)).length;
    });
  }
  return count;
}

export interface OverCommitment {
  readonly version: number;
  readonly inForceOn: LocalDate;
  readonly amount: string;
}

/** Versions whose cap came into force below what was already committed: finance sees these. */
export async function overCommitments(db: DB | Tx, poolId: string): Promise<OverCommitment[]> {
  const rows = await db
    .selectFrom('pool_terms_in_force')
    .select(['version', localDateText('in_force_on').as('inForceOn'), 'over_committed as amount'])
    .where('pool_id', '=', poolId)
    .where('over_committed', '>', '0')
    .orderBy('version')
    .execute();
  return rows;
}
