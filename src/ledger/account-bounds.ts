/**
 * @module An account's balances within its bounds: the next posted and pending balances a batch's
 * postings make, and the check that, with every hold at its worst, the balance on the account's
 * normal side stays between its lower and upper bound. Pure, like the engine (engine.ts) that
 * calls it before anything is written.
 */
import { DomainError } from '../domain-error.ts';
import type { AccountState, LedgerState } from './engine.ts';
import { formatAmount, type Money, parseAmount } from './money.ts';
import type { Posting } from './types.ts';

type Balances = Pick<
  AccountState,
  'postedDebits' | 'postedCredits' | 'pendingDebits' | 'pendingCredits'
>;

/** Computes every touched account's next balances and checks its bounds, changing nothing. */
export function applyToAccounts(
  state: LedgerState,
  postings: readonly Posting[],
): Map<AccountState, Balances> {
  const next = new Map<AccountState, Balances>();
  for (const p of postings) {
    const account = state.accountsById.get(p.accountId);
    if (!account) throw new Error(`account ${p.accountId} was not locked before applying entries`);
    const balances = next.get(account) ?? {
      postedDebits: account.postedDebits,
      postedCredits: account.postedCredits,
      pendingDebits: account.pendingDebits,
      pendingCredits: account.pendingCredits,
    };
    const amount = parseAmount(p.amount);
    const delta = p.phase === 'release' ? amount.neg() : amount;
    if (p.phase === 'posted') {
      if (p.direction === 'debit') balances.postedDebits = balances.postedDebits.plus(delta);
      else balances.postedCredits = balances.postedCredits.plus(delta);
    } else if (p.direction === 'debit') balances.pendingDebits = balances.pendingDebits.plus(delta);
    else balances.pendingCredits = balances.pendingCredits.plus(delta);
    next.set(account, balances);
  }
  for (const [account, balances] of next) assertWithinBounds(account, balances);
  return next;
}

/** The balance on the account's normal side, with every hold at its worst for each bound. */
function boundedBalances(account: AccountState, b: Balances): { lowest: Money; highest: Money } {
  if (account.normalSide === 'debit') {
    return {
      lowest: b.postedDebits.minus(b.postedCredits).minus(b.pendingCredits),
      highest: b.postedDebits.plus(b.pendingDebits).minus(b.postedCredits),
    };
  }
  return {
    lowest: b.postedCredits.minus(b.postedDebits).minus(b.pendingDebits),
    highest: b.postedCredits.plus(b.pendingCredits).minus(b.postedDebits),
  };
}

function assertWithinBounds(account: AccountState, balances: Balances): void {
  const { lowest, highest } = boundedBalances(account, balances);
  const breach =
    account.lowerBound && lowest.lt(account.lowerBound)
      ? { move: 'fall to', wouldBe: lowest, side: 'below', bound: account.lowerBound }
      : account.upperBound && highest.gt(account.upperBound)
        ? { move: 'rise to', wouldBe: highest, side: 'above', bound: account.upperBound }
        : null;
  if (breach === null) return;
  throw new DomainError(
    'limit_exceeded',
    `account ${account.code} would ${breach.move} ${formatAmount(breach.wouldBe)}, ${breach.side} its bound of ${formatAmount(breach.bound)}`,
    {
      account: account.code,
      bound: formatAmount(breach.bound),
      wouldBe: formatAmount(breach.wouldBe),
    },
  );
}
