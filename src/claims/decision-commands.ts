/**
 * @module The ledger commands a claim decision writes: each line's coverage hold on the pool and
 * on the cap it draws on, and claims expense by category against claims payable. Pure: the
 * decision and the checker's confirmation both build them here.
 */
import { type Money, ZERO } from '../ledger/money.ts';
import type { LedgerCommand } from '../ledger/types.ts';
import { incidentAccountCodes } from '../policy/incident-accounts.ts';
import { type CostCategory, poolAccountCodes } from '../policy/pool-accounts.ts';
import type { Pool } from '../policy/pools.ts';
import type { Incident } from './incidents.ts';

/** A line's coverage hold on the pool and on the cap it draws on (pending until paid). */
export function holdCommand(hold: {
  decisionId: string;
  lineId: string;
  claimId: string;
  /** The cap drawn on: the incident's own, or its loss event's. */
  eventIncident: Incident;
  pool: Pool;
  amount: Money;
}): LedgerCommand {
  const poolCodes = poolAccountCodes(hold.pool.code);
  const incidentCodes = incidentAccountCodes(hold.eventIncident.id);
  return {
    type: 'transfer',
    pending: true,
    idempotencyKey: `decision:${hold.decisionId}:line:${hold.lineId}:hold`,
    description: `coverage reserved for claim ${hold.claimId}`,
    references: { poolId: hold.pool.id, incidentId: hold.eventIncident.id, claimId: hold.claimId },
    postings: [
      { accountCode: poolCodes.coverageConsumed, direction: 'debit', amount: hold.amount },
      { accountCode: poolCodes.coverageAvailable, direction: 'credit', amount: hold.amount },
      { accountCode: incidentCodes.consumed, direction: 'debit', amount: hold.amount },
      { accountCode: incidentCodes.available, direction: 'credit', amount: hold.amount },
    ],
  };
}

/** Claims expense by category against claims payable: one entry per category paid. */
export function expenseCommands(expense: {
  decisionId: string;
  claimId: string;
  incident: Incident;
  pool: Pool;
  lines: readonly { category: string; payable: Money }[];
}): LedgerCommand[] {
  const codes = poolAccountCodes(expense.pool.code);
  const byCategory = new Map<string, Money>();
  for (const line of expense.lines)
    byCategory.set(line.category, (byCategory.get(line.category) ?? ZERO).plus(line.payable));
  return [...byCategory]
    .filter(([, amount]) => !amount.isZero())
    .map(([category, amount]) => ({
      type: 'transfer',
      idempotencyKey: `decision:${expense.decisionId}:expense:${category}`,
      description: `claims expense (${category}) for claim ${expense.claimId}`,
      references: {
        poolId: expense.pool.id,
        incidentId: expense.incident.id,
        claimId: expense.claimId,
        category,
      },
      postings: [
        { accountCode: codes.claimsExpense(category as CostCategory), direction: 'debit', amount },
        { accountCode: codes.claimsPayable, direction: 'credit', amount },
      ],
    }));
}
