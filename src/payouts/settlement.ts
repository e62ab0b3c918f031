/**
 * @module Settling payouts whose money left: their cash and coverage holds posted, once.
 */
import { sql } from 'kysely';
import type { PayoutStatus } from '../db/schema.ts';
import type { Tx } from '../db/transaction.ts';
import { DomainError } from '../domain-error.ts';
import { recordCommandsInTransaction } from '../ledger/record.ts';
import type { LedgerCommand } from '../ledger/types.ts';
import { followPayouts } from './claim-status.ts';
import { nextPayoutStatus } from './lifecycle.ts';
import {
  type LockedPayout,
  lockPayouts,
  type Outcome,
  payoutReferences,
  systemActor,
} from './locked-payout.ts';

/**
 * The money left: post the cash hold and the line's coverage hold (reserved → consumed),
 * mark the payout paid, and let the claim follow. Settling a paid payout again is a no-op.
 */
export async function settlePayout(
  trx: Tx,
  payoutId: string,
  gateway: string,
  reference: string,
): Promise<Outcome> {
  const [settled] = await settlePayouts(trx, [payoutId], gateway, () => reference);
  if (!settled) throw new DomainError('not_found', `payout ${payoutId} does not exist`);
  return { status: settled.status };
}

/** Upper bound on payouts settled by one ledger write. */
export const MAX_PAYOUTS_PER_SETTLEMENT = 200;

/**
 * Settles several payouts whose money left, in one transaction: their claims and payouts
 * locked in the service's order, every cash and coverage hold posted by ONE ledger write
 * (one turn at the chain head), one update of the payouts, then each claim follows once.
 */
export async function settlePayouts(
  trx: Tx,
  payoutIds: readonly string[],
  gateway: string,
  referenceOf: (payoutId: string) => string,
): Promise<{ readonly payoutId: string; readonly status: PayoutStatus }[]> {
  if (payoutIds.length > MAX_PAYOUTS_PER_SETTLEMENT) {
    throw new Error(`settle at most ${MAX_PAYOUTS_PER_SETTLEMENT} payouts at once`);
  }
  return settleLockedPayouts(trx, await lockPayouts(trx, payoutIds), gateway, referenceOf);
}

/** settlePayouts for payouts this transaction has already locked (lockPayouts). */
export async function settleLockedPayouts(
  trx: Tx,
  locked: readonly LockedPayout[],
  gateway: string,
  referenceOf: (payoutId: string) => string,
): Promise<{ readonly payoutId: string; readonly status: PayoutStatus }[]> {
  if (locked.length > MAX_PAYOUTS_PER_SETTLEMENT) {
    throw new Error(`settle at most ${MAX_PAYOUTS_PER_SETTLEMENT} payouts at once`);
  }
  const toSettle = locked.filter((payout) => payout.status !== 'paid');
  for (const payout of toSettle) {
    nextPayoutStatus('confirm_paid', payout.status);
    if (payout.cash_hold_entry_id === null) {
      throw new Error(`payout ${payout.id} is ${payout.status} without a cash hold`);
    }
  }
  // The payouts and their claims first, the ledger last: its write takes the chain head,
  // which every writer queues on, so nothing else is done while holding it.
  await markPaid(trx, toSettle, gateway, referenceOf);
  for (const claimId of new Set(toSettle.map((payout) => payout.claim_id))) {
    await followPayouts(trx, claimId, await systemActor(trx, claimId));
  }
  await recordCommandsInTransaction(
    trx,
    toSettle.flatMap((payout): LedgerCommand[] => [
      {
        type: 'post_pending',
        pendingEntryId: payout.cash_hold_entry_id ?? 0,
        idempotencyKey: `payout:${payout.id}:cash`,
        description: `paid ${payout.payee} (${referenceOf(payout.id)})`,
        references: payoutReferences(payout, true),
      },
      ...(payout.coverage_hold_entry_id === null
        ? []
        : [
            {
              type: 'post_pending' as const,
              pendingEntryId: payout.coverage_hold_entry_id,
              idempotencyKey: `payout:${payout.id}:coverage`,
              description: `coverage consumed by payout ${payout.id}`,
              references: payoutReferences(payout, false),
            },
          ]),
    ]),
  );
  return locked.map((payout) => ({ payoutId: payout.id, status: 'paid' as const }));
}

/** confirm_paid for every one of these locked payouts, in one statement. */
async function markPaid(
  trx: Tx,
  payouts: readonly LockedPayout[],
  gateway: string,
  referenceOf: (payoutId: string) => string,
): Promise<void> {
  if (payouts.length === 0) return;
  const now = new Date();
  const references = payouts.map((payout) => ({
    id: payout.id,
    reference: referenceOf(payout.id),
  }));
  await sql`
    UPDATE payout SET status = ${nextPayoutStatus('confirm_paid', 'sending')}, settled_at = ${now},
      gateway = ${gateway}, gateway_reference = x.reference, last_error = NULL,
      in_doubt_since = NULL, updated_at = ${now}
    FROM jsonb_to_recordset(${JSON.stringify(references)}::jsonb) AS x(id uuid, reference text)
    WHERE payout.id = x.id
  `.execute(trx);
}
