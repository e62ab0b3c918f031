/**
 * @module Cash goes to waiting payouts first, oldest first. Any cash that reaches the fund
 * (a contribution, an insurer remittance) releases the payouts waiting for funds in the
 * order they were ordered; a refund may not take cash those payouts need unless finance
 * overrides it with a reason, which is kept.
 */
import { sql } from 'kysely';
import type { Tx } from '../db/transaction.ts';
import { DomainError } from '../domain-error.ts';
import { accountBalance } from '../ledger/balances.ts';
import { formatAmount, Money } from '../ledger/money.ts';
import {
  type Contribution,
  type NewContribution,
  type NewRefund,
  type NewRemittance,
  type Refund,
  type Remittance,
  recordContribution,
  recordRemittance,
  refundContribution,
} from '../policy/contributions.ts';
import { poolAccountCodes } from '../policy/pool-accounts.ts';
import { nextPayoutStatus } from './lifecycle.ts';
import { queueForRelay } from './outbox.ts';

/** Bound on payouts released by one arrival of cash; the rest are released by the next. */
const MAX_RELEASED = 1000;

/** What payouts of the pool ordered before `payout` and waiting for funds are owed. */
export async function cashOwedToOlderWaiting(
  trx: Tx,
  payout: { readonly id: string; readonly pool_id: string; readonly created_at: Date },
): Promise<Money> {
  const row = await trx
    .selectFrom('payout')
    .select(sql<string>`coalesce(sum(amount), 0)::numeric(20,2)::text`.as('amount'))
    .where('pool_id', '=', payout.pool_id)
    .where('status', '=', 'awaiting_funds')
    .where((eb) =>
      eb.or([
        eb('created_at', '<', payout.created_at),
        eb.and([eb('created_at', '=', payout.created_at), eb('id', '<', payout.id)]),
      ]),
    )
    .executeTakeFirstOrThrow();
  return new Money(row.amount);
}

/**
 * After cash came in: payouts waiting for funds go back to the queue, oldest first, as far
 * as the fund's available cash covers them — the first that does not fit stops the line, so
 * a younger, smaller payout never jumps ahead of an older one.
 */
export async function releaseWaitingPayouts(trx: Tx, poolId: string): Promise<number> {
  const pool = await trx
    .selectFrom('pool')
    .select('code')
    .where('id', '=', poolId)
    .executeTakeFirstOrThrow();
  const waiting = await trx
    .selectFrom('payout')
    .select(['id', 'amount', 'status'])
    .where('pool_id', '=', poolId)
    .where('status', '=', 'awaiting_funds')
    .orderBy('created_at')
    .orderBy('id')
    .limit(MAX_RELEASED)
    .forNoKeyUpdate()
    .execute();
  let left = new Money(
    (await accountBalance(trx, poolAccountCodes(pool.code).fund)).availableBalance,
  );
  const released: string[] = [];
  for (const payout of waiting) {
    const amount = new Money(payout.amount);
    if (left.lt(amount)) break;
    left = left.minus(amount);
    released.push(payout.id);
  }
  if (released.length === 0) return 0;
  await trx
    .updateTable('payout')
    .set({
      status: nextPayoutStatus('release_funds', 'awaiting_funds'),
      next_attempt_at: new Date(),
      updated_at: new Date(),
    })
    .where('id', 'in', released)
    .execute();
  await queueForRelay(trx, released);
  return released.length;
}

/** Cash that payouts not yet holding theirs (pending, awaiting funds) still need. */
export async function cashNeededByWaiting(trx: Tx, poolId: string): Promise<Money> {
  const row = await trx
    .selectFrom('payout')
    .select(sql<string>`coalesce(sum(amount), 0)::numeric(20,2)::text`.as('amount'))
    .where('pool_id', '=', poolId)
    .where('status', 'in', ['pending', 'awaiting_funds'])
    .where('cash_hold_entry_id', 'is', null)
    .executeTakeFirstOrThrow();
  return new Money(row.amount);
}

/**
 * Call after a refund was posted, in its transaction: refuses it when the cash left cannot
 * cover what waiting payouts need, unless finance overrides with a reason — then the
 * override is kept beside the refund.
 */
export async function guardRefundAgainstWaitingPayouts(
  trx: Tx,
  refund: { readonly id: string; readonly contributionId: string },
  override: { readonly reason: string; readonly actorId: string } | null,
): Promise<void> {
  const pool = await trx
    .selectFrom('contribution')
    .innerJoin('pool', 'pool.id', 'contribution.pool_id')
    .select(['pool.id', 'pool.code'])
    .where('contribution.id', '=', refund.contributionId)
    .executeTakeFirstOrThrow();
  const needed = await cashNeededByWaiting(trx, pool.id);
  if (needed.isZero()) return;
  const left = new Money(
    (await accountBalance(trx, poolAccountCodes(pool.code).fund)).availableBalance,
  );
  if (left.gte(needed)) return;
  if (!override) {
    throw new DomainError(
      'limit_exceeded',
      `the refund would leave ${formatAmount(left)} in the pool's account, but waiting payouts need ${formatAmount(needed)}; finance may override with a reason`,
      { cashLeft: formatAmount(left), neededByWaitingPayouts: formatAmount(needed) },
    );
  }
  await trx
    .insertInto('refund_cash_override')
    .values({
      refund_id: refund.id,
      reason: override.reason,
      cash_needed_by_waiting: formatAmount(needed),
      decided_by: override.actorId,
    })
    .execute();
}

/** A contribution recorded, and the payouts its cash can now pay sent again. */
export async function receiveContribution(
  trx: Tx,
  poolRef: string,
  input: NewContribution,
  recordedBy: string,
  now: Date,
): Promise<Contribution> {
  const contribution = await recordContribution(trx, poolRef, input, recordedBy, now);
  await releaseWaitingPayouts(trx, contribution.poolId);
  return contribution;
}

/** The insurer's remittance recorded, and the payouts its cash can now pay sent again. */
export async function receiveRemittance(
  trx: Tx,
  poolRef: string,
  input: NewRemittance,
  recordedBy: string,
  now: Date,
): Promise<Remittance> {
  const remittance = await recordRemittance(trx, poolRef, input, recordedBy, now);
  await releaseWaitingPayouts(trx, remittance.poolId);
  return remittance;
}

/**
 * A refund of a contribution, refused when it would take cash that waiting payouts need,
 * unless finance overrides with a reason (kept beside the refund).
 */
export async function refundBehindWaitingPayouts(
  trx: Tx,
  contributionId: string,
  input: NewRefund,
  override: { readonly reason: string } | null,
  recordedBy: string,
  now: Date,
): Promise<Refund> {
  const refund = await refundContribution(trx, contributionId, input, recordedBy, now);
  await guardRefundAgainstWaitingPayouts(
    trx,
    refund,
    override ? { reason: override.reason, actorId: recordedBy } : null,
  );
  return refund;
}
