/**
 * @module Approval → payout orders, in the approval's own transaction: one payout per
 * line that is paid anything (payee, amount, category, the line's coverage hold), each with
 * an outbox row for the relay. The claim moves to payout_pending. A supplementary decision's
 * line pays what it adds to what the line stood at. Claims decide (src/claims/decisions.ts);
 * this only orders the money.
 */

import { sql } from 'kysely';
import { lockClaim, moveClaim } from '../claims/claims.ts';
import type { DB } from '../db/database.ts';
import type { PayoutStatus } from '../db/schema.ts';
import type { Tx } from '../db/transaction.ts';
import { accountBalance } from '../ledger/balances.ts';
import { formatAmount, Money } from '../ledger/money.ts';
import { poolAccountCodes } from '../policy/pool-accounts.ts';
import { queueForRelay } from './outbox.ts';

export async function orderPayouts(
  trx: Tx,
  decisionId: string,
  actorId: string,
): Promise<string[]> {
  const decision = await trx
    .selectFrom('claim_decision')
    .select(['id', 'claim_id', 'state', 'outcome'])
    .where('id', '=', decisionId)
    .executeTakeFirstOrThrow();
  if (decision.state !== 'effective' || decision.outcome === 'denied') return [];
  const lines = await trx
    .selectFrom('claim_decision_line')
    .innerJoin('claim_line', 'claim_line.id', 'claim_decision_line.claim_line_id')
    .innerJoin('claim', 'claim.id', 'claim_line.claim_id')
    .innerJoin('incident', 'incident.id', 'claim.incident_id')
    .select([
      'claim_line.id as lineId',
      'claim_line.category',
      'claim_line.payee',
      'claim_decision_line.payable',
      'claim_decision_line.previous_payable',
      'claim_decision_line.hold_entry_id',
      'incident.id as incidentId',
      'incident.pool_id as poolId',
    ])
    .where('claim_decision_line.decision_id', '=', decisionId)
    .whereRef('claim_decision_line.payable', '>', 'claim_decision_line.previous_payable')
    .execute();
  if (lines.length === 0) return [];
  const payouts = await trx
    .insertInto('payout')
    .values(
      lines.map((line) => ({
        claim_id: decision.claim_id,
        decision_id: decision.id,
        claim_line_id: line.lineId,
        pool_id: line.poolId,
        incident_id: line.incidentId,
        category: line.category,
        payee: line.payee,
        amount: formatAmount(new Money(line.payable).minus(new Money(line.previous_payable))),
        coverage_hold_entry_id: line.hold_entry_id,
        cash_hold_entry_id: null,
        status: 'pending' as const,
        last_error: null,
        gateway: null,
        gateway_reference: null,
        settled_at: null,
        voided_at: null,
        void_reason: null,
      })),
    )
    .returning('id')
    .execute();
  await queueForRelay(
    trx,
    payouts.map((p) => p.id),
  );
  const claim = await lockClaim(trx, decision.claim_id);
  await moveClaim(
    trx,
    claim,
    'request_payout',
    'payout_pending',
    `${payouts.length} payout(s) ordered`,
    actorId,
  );
  return payouts.map((p) => p.id);
}

export interface PayoutView {
  readonly id: string;
  readonly claimId: string;
  readonly claimLineId: string;
  readonly poolId: string;
  readonly category: string;
  readonly payee: string;
  readonly amount: string;
  readonly status: PayoutStatus;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly gatewayReference: string | null;
  readonly settledAt: string | null;
  readonly createdAt: string;
  /** Since when nobody knows whether the money left; null unless in doubt. */
  readonly inDoubtSince: string | null;
  /** Whole minutes in doubt: how long finance has let it wait. */
  readonly inDoubtMinutes: number | null;
}

export async function listPayouts(
  db: DB | Tx,
  filter: { status?: PayoutStatus; claimId?: string; poolId?: string; limit?: number } = {},
): Promise<PayoutView[]> {
  let query = db
    .selectFrom('payout')
    .selectAll()
    // Payouts in doubt longest first: the oldest question is the most urgent.
    .orderBy(filter.status === 'in_doubt' ? 'in_doubt_since' : 'created_at')
    .orderBy('id')
    .limit(Math.min(filter.limit ?? 200, 1000));
  if (filter.status) query = query.where('status', '=', filter.status);
  if (filter.claimId) query = query.where('claim_id', '=', filter.claimId);
  if (filter.poolId) query = query.where('pool_id', '=', filter.poolId);
  const now = Date.now();
  return (await query.execute()).map((row) => ({
    id: row.id,
    claimId: row.claim_id,
    claimLineId: row.claim_line_id,
    poolId: row.pool_id,
    category: row.category,
    payee: row.payee,
    amount: row.amount,
    status: row.status,
    attempts: row.attempts,
    lastError: row.last_error,
    gatewayReference: row.gateway_reference,
    settledAt: row.settled_at?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
    inDoubtSince: row.in_doubt_since?.toISOString() ?? null,
    inDoubtMinutes:
      row.in_doubt_since === null
        ? null
        : Math.floor((now - row.in_doubt_since.getTime()) / 60_000),
  }));
}

export interface Shortfall {
  readonly poolId: string;
  readonly payoutsAwaitingFunds: number;
  readonly amountAwaitingFunds: string;
  /** What the pool's account can pay now, holds for payouts being sent deducted. */
  readonly fundAvailable: string;
  /** What to call from the insurer so that every waiting payout can be paid. */
  readonly toCallFromInsurer: string;
}

export async function shortfall(
  db: DB | Tx,
  pool: { id: string; code: string },
): Promise<Shortfall> {
  const waiting = await db
    .selectFrom('payout')
    .select([
      (eb) => eb.fn.countAll<number>().as('count'),
      sql<string>`coalesce(sum(amount), 0)::numeric(20,2)::text`.as('amount'),
    ])
    .where('pool_id', '=', pool.id)
    .where('status', '=', 'awaiting_funds')
    .executeTakeFirstOrThrow();
  const fund = await accountBalance(db, poolAccountCodes(pool.code).fund);
  const amount = new Money(waiting.amount);
  const available = new Money(fund.availableBalance);
  const gap = amount.minus(available);
  return {
    poolId: pool.id,
    payoutsAwaitingFunds: Number(waiting.count),
    amountAwaitingFunds: formatAmount(amount),
    fundAvailable: formatAmount(available),
    toCallFromInsurer: formatAmount(gap.gt(0) ? gap : new Money(0)),
  };
}
