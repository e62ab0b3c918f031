/**
 * @module Claims by cost category for the reform office, read from the ledger with the
 * domain's own read functions (the API's category figures live on finance-only routes):
 * each category's claims expense balance (what decisions approved), what the pool account
 * paid per category in the policy period (the pool statement's figure), and the claims
 * payable balance still owed. Nothing is summed or subtracted here.
 */
import type { DB } from '../db/database.ts';
import { poolStatement } from '../finance/reports.ts';
import { accountBalances } from '../ledger/balances.ts';
import { COST_CATEGORIES, type CostCategory, poolAccountCodes } from '../policy/pool-accounts.ts';
import type { Pool } from '../policy/pools.ts';

export interface CategoryTotals {
  readonly period: { readonly from: string; readonly to: string };
  readonly categories: readonly {
    readonly category: CostCategory;
    readonly approved: string;
    readonly paid: string;
  }[];
  readonly claimsPayable: string;
}

export async function categoryTotals(
  db: DB,
  pool: Pool,
  period: { from: string; to: string },
): Promise<CategoryTotals> {
  const codes = poolAccountCodes(pool.code);
  const expenseCodes = COST_CATEGORIES.map((category) => codes.claimsExpense(category));
  const balances = await accountBalances(db, [...expenseCodes, codes.claimsPayable]);
  const statement = await poolStatement(db, pool, period);
  return {
    period,
    categories: COST_CATEGORIES.map((category) => ({
      category,
      approved: balances.get(codes.claimsExpense(category))?.balance ?? '0.00',
      paid: statement.cash.payoutsByCategory[category],
    })),
    claimsPayable: balances.get(codes.claimsPayable)?.balance ?? '0.00',
  };
}
