/**
 * @module A claim's status follows its payouts: while one has failed it is payout_failed;
 * while one is still on its way, payout_pending; once every one has ended, paid if any was
 * paid (the voided part named in the event), closed if every one was voided. Never stuck.
 */
import { lockClaim, moveClaim } from '../claims/claims.ts';
import type { ClaimAction } from '../claims/lifecycle.ts';
import type { ClaimStatus } from '../db/schema.ts';
import type { Tx } from '../db/transaction.ts';
import { formatAmount, Money, sumAmounts } from '../ledger/money.ts';

const FOLLOWS_PAYOUTS: readonly ClaimStatus[] = ['payout_pending', 'payout_failed'];

const ACTION_TO: Readonly<
  Record<'paid' | 'closed' | 'payout_failed' | 'payout_pending', ClaimAction>
> = {
  paid: 'settle',
  closed: 'close',
  payout_failed: 'fail_payout',
  payout_pending: 'retry_payout',
};

/** Moves the claim to what its payouts now say; call after any payout changes status. */
export async function followPayouts(trx: Tx, claimId: string, actorId: string): Promise<void> {
  const claim = await lockClaim(trx, claimId);
  if (!FOLLOWS_PAYOUTS.includes(claim.status)) return;
  const payouts = await trx
    .selectFrom('payout')
    .select(['status', 'amount'])
    .where('claim_id', '=', claimId)
    .execute();
  const total = (status: string) =>
    sumAmounts(payouts.filter((p) => p.status === status).map((p) => new Money(p.amount)));
  const count = (status: string) => payouts.filter((p) => p.status === status).length;
  const target =
    count('failed') > 0
      ? 'payout_failed'
      : payouts.some((p) => p.status !== 'paid' && p.status !== 'void')
        ? 'payout_pending'
        : count('paid') > 0
          ? 'paid'
          : 'closed';
  if (target === claim.status) return;
  const note =
    target === 'paid' || target === 'closed'
      ? `${count('paid')} payout(s) paid (${formatAmount(total('paid'))}); ${count('void')} voided (${formatAmount(total('void'))})`
      : target === 'payout_failed'
        ? `${count('failed')} payout(s) failed`
        : 'no payout is failed any more';
  await moveClaim(trx, claim, ACTION_TO[target], target, note, actorId);
}
