/**
 * @module The chart of accounts of one pool. Coverage is its own unit beside cash, so the
 * caps are balances the ledger itself enforces:
 *
 * coverage  limit (credit) ─opening─▶ ungranted (≥ 0) ─contribution × ratio─▶ available (≥ 0)
 *           available ─approval hold─▶ consumed; settlement posts the hold, a void releases it.
 *           "Reserved" is what open holds take from available.
 * cash      fund (the pool's own account, ≥ 0) ← contributions (bought coverage) / surplus
 *           (the cap could not use) / insurer remittances / recoveries from third parties
 *           (subrogation, salvage); claims expense per category
 *           against claims payable at approval; payable against the fund at payout.
 */
import type { AccountSpec } from '../ledger/accounts.ts';

export const COST_CATEGORIES = [
  'property_loss',
  'litigation_arbitration',
  'appraisal',
  'lawyer_fees',
] as const;
export type CostCategory = (typeof COST_CATEGORIES)[number];

export const CATEGORY_NAMES: Record<CostCategory, string> = {
  property_loss: 'Property loss (财产损失)',
  litigation_arbitration: 'Arbitration and litigation fees (仲裁诉讼费)',
  appraisal: 'Appraisal fees (鉴定费)',
  lawyer_fees: 'Lawyer fees (律师代理费)',
};

/** The category's Chinese name alone, for Chinese column and row labels. */
export function chineseCategoryName(category: CostCategory): string {
  return /\(([^)]+)\)/.exec(CATEGORY_NAMES[category])?.[1] ?? category;
}

export function poolAccountCodes(poolCode: string) {
  const prefix = `pool:${poolCode}`;
  return {
    coverageLimit: `${prefix}:coverage:limit`,
    coverageUngranted: `${prefix}:coverage:ungranted`,
    coverageAvailable: `${prefix}:coverage:available`,
    coverageConsumed: `${prefix}:coverage:consumed`,
    fund: `${prefix}:cash:fund`,
    contributions: `${prefix}:cash:contributions`,
    surplus: `${prefix}:cash:surplus`,
    remittances: `${prefix}:cash:remittances`,
    /** Opened with the pool's first recovery (src/claims/recoveries.ts). */
    recoveries: `${prefix}:cash:recoveries`,
    claimsPayable: `${prefix}:cash:claims-payable`,
    claimsExpense: (category: CostCategory) => `${prefix}:cash:expense:${category}`,
  };
}

export type PoolAccountCodes = ReturnType<typeof poolAccountCodes>;

export function poolAccountSpecs(poolCode: string, poolName: string): AccountSpec[] {
  const codes = poolAccountCodes(poolCode);
  const name = (what: string) => `${poolName}: ${what}`;
  return [
    {
      code: codes.coverageLimit,
      name: name('cumulative cap'),
      unit: 'COVERAGE',
      normalSide: 'credit',
    },
    {
      code: codes.coverageUngranted,
      name: name('coverage not yet granted'),
      unit: 'COVERAGE',
      normalSide: 'debit',
      lowerBound: '0',
    },
    {
      code: codes.coverageAvailable,
      name: name('coverage available'),
      unit: 'COVERAGE',
      normalSide: 'debit',
      lowerBound: '0',
    },
    {
      code: codes.coverageConsumed,
      name: name('coverage consumed'),
      unit: 'COVERAGE',
      normalSide: 'debit',
    },
    {
      code: codes.fund,
      name: name('pool fund account'),
      unit: 'CNY',
      normalSide: 'debit',
      lowerBound: '0',
    },
    { code: codes.contributions, name: name('contributions'), unit: 'CNY', normalSide: 'credit' },
    { code: codes.surplus, name: name('contribution surplus'), unit: 'CNY', normalSide: 'credit' },
    {
      code: codes.remittances,
      name: name('insurer remittances'),
      unit: 'CNY',
      normalSide: 'credit',
    },
    { code: codes.claimsPayable, name: name('claims payable'), unit: 'CNY', normalSide: 'credit' },
    ...COST_CATEGORIES.map(
      (category): AccountSpec => ({
        code: codes.claimsExpense(category),
        name: name(`claims expense, ${CATEGORY_NAMES[category]}`),
        unit: 'CNY',
        normalSide: 'debit',
      }),
    ),
  ];
}
