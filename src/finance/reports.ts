/**
 * @module Finance reports, every figure from ledger postings: an account's statement for
 * a period (opening balance, each entry with the running balance, closing balance) and the
 * pool statement (the pool account's opening and closing balance, what came in and went
 * out, payouts by category, and the coverage movement beside it).
 */
import { sql } from 'kysely';
import type { DB } from '../db/database.ts';
import type { Tx } from '../db/transaction.ts';
import { DomainError } from '../domain-error.ts';
import { accountBalance } from '../ledger/balances.ts';
import { formatAmount, Money, ZERO } from '../ledger/money.ts';
import { type PoolCoverage, poolCoverage } from '../policy/coverage.ts';
import {
  addCalendarDays,
  endOfLocalDay,
  isLocalDate,
  startOfLocalDay,
} from '../policy/local-date.ts';
import { COST_CATEGORIES, type CostCategory, poolAccountCodes } from '../policy/pool-accounts.ts';
import type { Pool } from '../policy/pools.ts';

export const MAX_STATEMENT_LINES = 10_000;

export interface Period {
  readonly from: string;
  readonly to: string;
}

function checkPeriod(period: Period): {
  startsAt: Date;
  endsAt: Date;
  openingAsOf: Date;
  closingAsOf: Date;
} {
  if (!isLocalDate(period.from) || !isLocalDate(period.to) || period.from > period.to) {
    throw new DomainError(
      'validation_failed',
      'a period needs from ≤ to, both dates written YYYY-MM-DD',
    );
  }
  const startsAt = startOfLocalDay(period.from);
  const endsAt = endOfLocalDay(period.to);
  // Ledger "as of" bounds are inclusive; a day ends just before the next one begins.
  return {
    startsAt,
    endsAt,
    openingAsOf: new Date(startsAt.getTime() - 1),
    closingAsOf: new Date(endsAt.getTime() - 1),
  };
}

export interface AccountStatementLine {
  readonly entryId: number;
  readonly effectiveAt: string;
  readonly description: string;
  readonly debit: string;
  readonly credit: string;
  /** Posted balance on the account's normal side after this entry. */
  readonly balance: string;
}

export interface AccountStatement {
  readonly accountCode: string;
  readonly unit: string;
  readonly period: Period;
  readonly openingBalance: string;
  readonly lines: readonly AccountStatementLine[];
  readonly totalDebits: string;
  readonly totalCredits: string;
  readonly closingBalance: string;
}

export async function accountStatement(
  db: DB | Tx,
  code: string,
  period: Period,
): Promise<AccountStatement> {
  const bounds = checkPeriod(period);
  const opening = await accountBalance(db, code, bounds.openingAsOf);
  const closing = await accountBalance(db, code, bounds.closingAsOf);
  const rows = await sql<{
    entry_id: number;
    effective_at: Date;
    description: string;
    debit: string;
    credit: string;
  }>`
    SELECT p.entry_id, p.effective_at, e.description,
      coalesce(sum(p.amount) FILTER (WHERE p.direction = 'debit'), 0)::numeric(20,2)::text AS debit,
      coalesce(sum(p.amount) FILTER (WHERE p.direction = 'credit'), 0)::numeric(20,2)::text AS credit
    FROM posting p
    JOIN ledger_account a ON a.id = p.account_id
    JOIN journal_entry e ON e.id = p.entry_id
    WHERE a.code = ${code} AND p.phase = 'posted'
      AND p.effective_at >= ${bounds.startsAt} AND p.effective_at < ${bounds.endsAt}
    GROUP BY p.entry_id, p.effective_at, e.description
    ORDER BY p.effective_at, p.entry_id
    LIMIT ${MAX_STATEMENT_LINES + 1}
  `.execute(db);
  if (rows.rows.length > MAX_STATEMENT_LINES) {
    throw new DomainError(
      'validation_failed',
      `the period has more than ${MAX_STATEMENT_LINES} entries; ask for a shorter one`,
    );
  }
  const debitNormal = opening.normalSide === 'debit';
  let balance = new Money(opening.balance);
  let debits = ZERO;
  let credits = ZERO;
  const lines = rows.rows.map((row) => {
    const debit = new Money(row.debit);
    const credit = new Money(row.credit);
    debits = debits.plus(debit);
    credits = credits.plus(credit);
    balance = debitNormal ? balance.plus(debit).minus(credit) : balance.plus(credit).minus(debit);
    return {
      entryId: row.entry_id,
      effectiveAt: row.effective_at.toISOString(),
      description: row.description,
      debit: formatAmount(debit),
      credit: formatAmount(credit),
      balance: formatAmount(balance),
    };
  });
  if (!balance.eq(new Money(closing.balance))) {
    throw new Error(
      `statement of ${code} does not reach its closing balance: the ledger needs verifying`,
    );
  }
  return {
    accountCode: code,
    unit: opening.unit,
    period,
    openingBalance: opening.balance,
    lines,
    totalDebits: formatAmount(debits),
    totalCredits: formatAmount(credits),
    closingBalance: closing.balance,
  };
}

export interface PoolStatement {
  readonly poolId: string;
  readonly period: Period;
  readonly cash: {
    readonly openingBalance: string;
    readonly contributions: string;
    readonly contributionRefunds: string;
    readonly remittances: string;
    /** Recovered from third parties for paid claims (subrogation, salvage). */
    readonly recoveries: string;
    readonly payoutsByCategory: Readonly<Record<CostCategory, string>>;
    readonly payouts: string;
    readonly closingBalance: string;
    /** Held at the period's end for payouts being sent. */
    readonly heldForPayouts: string;
  };
  readonly coverage: { readonly opening: PoolCoverage; readonly closing: PoolCoverage };
}

type FlowKind = 'contribution' | 'refund' | 'remittance' | 'recovery' | 'payout';

export async function poolStatement(
  db: DB | Tx,
  pool: Pool,
  period: Period,
): Promise<PoolStatement> {
  const bounds = checkPeriod(period);
  const codes = poolAccountCodes(pool.code);
  const opening = await accountBalance(db, codes.fund, bounds.openingAsOf);
  const closing = await accountBalance(db, codes.fund, bounds.closingAsOf);
  // Each posted movement of the pool account, with the other accounts of its entry: these
  // say what the movement was.
  const flows = await sql<{
    direction: 'debit' | 'credit';
    amount: string;
    category: string | null;
    others: string[];
  }>`
    SELECT p.direction, p.amount::text AS amount, e.category,
      array(SELECT a2.code FROM posting p2 JOIN ledger_account a2 ON a2.id = p2.account_id
            WHERE p2.entry_id = p.entry_id AND p2.account_id <> p.account_id) AS others
    FROM posting p
    JOIN ledger_account a ON a.id = p.account_id
    JOIN journal_entry e ON e.id = p.entry_id
    WHERE a.code = ${codes.fund} AND p.phase = 'posted'
      AND p.effective_at >= ${bounds.startsAt} AND p.effective_at < ${bounds.endsAt}
  `.execute(db);
  const totals: Record<FlowKind, Money> = {
    contribution: ZERO,
    refund: ZERO,
    remittance: ZERO,
    recovery: ZERO,
    payout: ZERO,
  };
  const byCategory = new Map<CostCategory, Money>(COST_CATEGORIES.map((c) => [c, ZERO]));
  for (const flow of flows.rows) {
    const amount = new Money(flow.amount);
    const kind = classify(flow, codes);
    totals[kind] = totals[kind].plus(amount);
    if (kind === 'payout') {
      const category = flow.category as CostCategory;
      byCategory.set(category, (byCategory.get(category) ?? ZERO).plus(amount));
    }
  }
  const computed = new Money(opening.balance)
    .plus(totals.contribution)
    .minus(totals.refund)
    .plus(totals.remittance)
    .plus(totals.recovery)
    .minus(totals.payout);
  if (!computed.eq(new Money(closing.balance))) {
    throw new Error(
      `pool statement of ${pool.code} does not reach its closing balance: the ledger needs verifying`,
    );
  }
  return {
    poolId: pool.id,
    period,
    cash: {
      openingBalance: opening.balance,
      contributions: formatAmount(totals.contribution),
      contributionRefunds: formatAmount(totals.refund),
      remittances: formatAmount(totals.remittance),
      recoveries: formatAmount(totals.recovery),
      payoutsByCategory: Object.fromEntries(
        [...byCategory].map(([c, a]) => [c, formatAmount(a)]),
      ) as Record<CostCategory, string>,
      payouts: formatAmount(totals.payout),
      closingBalance: closing.balance,
      heldForPayouts: closing.heldAgainst,
    },
    coverage: {
      opening: await poolCoverage(db, pool, addCalendarDays(period.from, -1)),
      closing: await poolCoverage(db, pool, period.to),
    },
  };
}

function classify(
  flow: { direction: 'debit' | 'credit'; others: string[] },
  codes: ReturnType<typeof poolAccountCodes>,
): FlowKind {
  const touches = (code: string) => flow.others.includes(code);
  if (flow.direction === 'debit') {
    if (touches(codes.remittances)) return 'remittance';
    return touches(codes.recoveries) ? 'recovery' : 'contribution';
  }
  if (touches(codes.claimsPayable)) return 'payout';
  if (touches(codes.contributions) || touches(codes.surplus)) return 'refund';
  throw new Error(
    `a movement out of the pool account that is neither a payout nor a refund: ${flow.others.join(', ')}`,
  );
}
