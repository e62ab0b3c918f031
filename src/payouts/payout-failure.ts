/**
 * @module A payout whose money certainly did not leave: its cash hold released, and its retry.
 */
import type { Tx } from '../db/transaction.ts';
import { recordCommandInTransaction } from '../ledger/record.ts';
import { followPayouts } from './claim-status.ts';
import { nextPayoutStatus } from './lifecycle.ts';
import {
  type LockedPayout,
  lockPayout,
  movePayout,
  type Outcome,
  payoutReferences,
  systemActor,
} from './locked-payout.ts';
import { queueForRelay } from './outbox.ts';

/**
 * The money certainly did not leave: a definite refusal, or an answer that the gateway never
 * received the order. The cash hold is released; the payout waits for finance.
 */
export async function failPayout(
  trx: Tx,
  payout: LockedPayout,
  action: 'refuse' | 'confirm_not_paid',
  reason: string,
): Promise<Outcome> {
  nextPayoutStatus(action, payout.status);
  if (payout.cash_hold_entry_id !== null) {
    await recordCommandInTransaction(trx, {
      type: 'void_pending',
      pendingEntryId: payout.cash_hold_entry_id,
      idempotencyKey: `payout:${payout.id}:cash-release:${payout.attempts}`,
      description: `payout ${payout.id} failed: ${reason.slice(0, 200)}`,
      references: payoutReferences(payout, false),
    });
  }
  const status = await movePayout(trx, payout, action, {
    cash_hold_entry_id: null,
    last_error: reason.slice(0, 2000),
  });
  await followPayouts(trx, payout.claim_id, await systemActor(trx, payout.claim_id));
  return { status, detail: reason };
}

/** Finance: send a failed payout again, with a fresh budget of attempts. */
export async function retryPayout(trx: Tx, payoutId: string, actorId: string): Promise<Outcome> {
  const payout = await lockPayout(trx, payoutId);
  const status = await movePayout(trx, payout, 'retry', {
    next_attempt_at: new Date(),
    attempts_before_retry: payout.attempts,
  });
  await queueForRelay(trx, [payoutId]);
  await followPayouts(trx, payout.claim_id, actorId);
  return { status };
}
