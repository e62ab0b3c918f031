/**
 * @module What coverage is left: every figure derived from ledger balances (the maintained
 * account rows now, postings summed up to the end of a local day for "as of"). Terms act
 * from their date, money from the day received, so "as of D" is what was true on D.
 * Committed = reserved + consumed; the reform office never sees a remaining figure that
 * ignores open reserves.
 */
import type { DB } from '../db/database.ts';
import type { Tx } from '../db/transaction.ts';
import { type AccountBalance, accountBalances } from '../ledger/balances.ts';
import { formatAmount, Money, minAmount, roundToFen, ZERO } from '../ledger/money.ts';
import { type AsOf, asOfText, dayOf, lastMomentOf } from './local-date.ts';
import { poolAccountCodes } from './pool-accounts.ts';
import type { Pool } from './pools.ts';
import { ledgerTerms, termsWithCarriedOn } from './terms-in-force.ts';

export interface PoolCoverage {
  readonly poolId: string;
  /** The local date the figures are as of, or null for now. */
  readonly asOf: string | null;
  /** The terms version in force on that date, and its policy period. */
  readonly termsVersion: number;
  readonly periodStart: string;
  readonly periodEnd: string;
  readonly fundingRatio: string;
  /** Committed in earlier policy periods when this one opened; the cap below sits on top of it. */
  readonly carriedFromEarlierPeriods: string;
  /** The cap the ledger holds: this period's cumulative cap plus what was carried. */
  readonly cumulativeCap: string;
  /** Granted so far: min(cap, ratio × contributions that bought coverage). */
  readonly capacity: string;
  readonly reserved: string;
  readonly consumed: string;
  readonly committed: string;
  /** capacity − committed: what a new approval can still draw. */
  readonly available: string;
  /** Contributions the cap could not use. */
  readonly surplus: string;
  readonly contributionsReceived: string;
  readonly remittancesReceived: string;
  readonly fundBalance: string;
  /** committed ÷ cumulative cap, in percent, two decimals. */
  readonly utilisationPercent: string;
  /** committed ÷ capacity, in percent (0 when nothing is granted). */
  readonly capacityUtilisationPercent: string;
  /**
   * Committed beyond what the formula grants (a cap lowered below commitments that were
   * already made): the ledger keeps capacity at committed, finance sees the difference.
   */
  readonly overCommitted: string;
}

/** A share in percent with two decimals, rounded half-up: the one place shares are rounded. */
export function percentOf(part: Money, whole: Money): Money {
  if (whole.lte(ZERO)) return ZERO;
  return part.times(100).dividedBy(whole).toDecimalPlaces(2, Money.ROUND_HALF_UP);
}

export async function poolCoverage(db: DB | Tx, pool: Pool, asOf?: AsOf): Promise<PoolCoverage> {
  const codes = poolAccountCodes(pool.code);
  const balances = await accountBalances(
    db,
    [
      codes.coverageLimit,
      codes.coverageUngranted,
      codes.coverageAvailable,
      codes.coverageConsumed,
      codes.fund,
      codes.contributions,
      codes.surplus,
      codes.remittances,
    ],
    // The ledger's as-of bound is inclusive; a day ends just before the next one begins.
    asOf === undefined ? undefined : lastMomentOf(asOf),
  );
  const read = (code: string): AccountBalance => {
    const balance = balances.get(code);
    if (!balance) throw new Error(`pool ${pool.code} is missing ledger account ${code}`);
    return balance;
  };
  const amount = (text: string) => new Money(text);
  const cap = amount(read(codes.coverageLimit).balance);
  const capacity = cap.minus(amount(read(codes.coverageUngranted).balance));
  const available = read(codes.coverageAvailable);
  const reserved = amount(available.heldAgainst);
  const consumed = amount(read(codes.coverageConsumed).balance);
  const committed = reserved.plus(consumed);
  const surplus = amount(read(codes.surplus).balance);
  const contributed = amount(read(codes.contributions).balance).plus(surplus);
  // Now: the terms the ledger holds; as of a day: the terms in force on it.
  const { terms, ledgerCap, carried } = asOf
    ? await termsWithCarriedOn(db, pool, dayOf(asOf))
    : await ledgerTerms(db, pool);
  const formula = minAmount(ledgerCap, roundToFen(contributed.times(terms.fundingRatio)));
  const overCommitted = committed.gt(formula) ? committed.minus(formula) : ZERO;
  return {
    poolId: pool.id,
    asOf: asOf === undefined ? null : asOfText(asOf),
    termsVersion: terms.version,
    periodStart: terms.periodStart,
    periodEnd: terms.periodEnd,
    fundingRatio: terms.fundingRatio.toFixed(2),
    carriedFromEarlierPeriods: formatAmount(carried),
    cumulativeCap: formatAmount(cap),
    capacity: formatAmount(capacity),
    reserved: formatAmount(reserved),
    consumed: formatAmount(consumed),
    committed: formatAmount(committed),
    available: available.availableBalance,
    surplus: formatAmount(surplus),
    contributionsReceived: formatAmount(contributed),
    remittancesReceived: read(codes.remittances).balance,
    fundBalance: read(codes.fund).balance,
    utilisationPercent: percentOf(committed, cap).toFixed(2),
    capacityUtilisationPercent: percentOf(committed, capacity).toFixed(2),
    overCommitted: formatAmount(overCommitted),
  };
}
