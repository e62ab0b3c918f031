/**
 * @module Voiding a payout never paid: its coverage hold released and the claim's payable reversed.
 */
import { eventCapReturns } from '../claims/event-cap-returns.ts';
import type { Tx } from '../db/transaction.ts';
import { DomainError } from '../domain-error.ts';
import { recordCommandsInTransaction } from '../ledger/record.ts';
import type { CostCategory } from '../policy/pool-accounts.ts';
import { poolAccountCodes } from '../policy/pool-accounts.ts';
import { followPayouts } from './claim-status.ts';
import { nextPayoutStatus } from './lifecycle.ts';
import { lockPayout, movePayout, type Outcome, payoutReferences } from './locked-payout.ts';

/** Whether the payout sits in a payment file the treasury has neither paid nor returned. */
async function inOpenPaymentFile(trx: Tx, payoutId: string): Promise<string | null> {
  const row = await trx
    .selectFrom('payment_instruction')
    .innerJoin('payment_file', 'payment_file.id', 'payment_instruction.payment_file_id')
    .select('payment_file.id')
    .where('payment_instruction.payout_id', '=', payoutId)
    .where('payment_instruction.returned_at', 'is', null)
    .where('payment_file.confirmed_at', 'is', null)
    .executeTakeFirst();
  return row?.id ?? null;
}

/**
 * Finance: void a payout whose money certainly did not leave (pending, awaiting funds,
 * failed — never sending or in doubt, never in an open payment file). Its coverage hold is
 * released and the payable reversed against the claims expense it came from.
 */
export async function voidPayout(
  trx: Tx,
  payoutId: string,
  reason: string,
  actorId: string,
): Promise<Outcome> {
  const payout = await lockPayout(trx, payoutId);
  nextPayoutStatus('void', payout.status);
  const file = await inOpenPaymentFile(trx, payoutId);
  if (file) {
    throw new DomainError(
      'illegal_transition',
      `payout ${payoutId} is in payment file ${file}, which the treasury has not returned`,
      { paymentFileId: file },
    );
  }
  if (payout.cash_hold_entry_id !== null) {
    throw new Error(`payout ${payoutId} is ${payout.status} but still holds cash`);
  }
  const codes = poolAccountCodes(payout.poolCode);
  // Both entries in one ledger write: one turn at the chain head, all accounts locked first.
  await recordCommandsInTransaction(trx, [
    ...(payout.coverage_hold_entry_id === null
      ? []
      : [
          {
            type: 'void_pending' as const,
            pendingEntryId: payout.coverage_hold_entry_id,
            idempotencyKey: `payout:${payout.id}:coverage-release`,
            description: `coverage released: payout ${payout.id} voided`,
            references: payoutReferences(payout, false),
          },
        ]),
    ...(payout.coverage_hold_entry_id === null
      ? []
      : await eventCapReturns(trx, [payout.coverage_hold_entry_id])),
    {
      type: 'transfer',
      idempotencyKey: `payout:${payout.id}:payable-reversal`,
      description: `payable reversed: payout ${payout.id} voided (${reason.slice(0, 200)})`,
      references: payoutReferences(payout, true),
      postings: [
        { accountCode: codes.claimsPayable, direction: 'debit', amount: payout.amount },
        {
          accountCode: codes.claimsExpense(payout.category as CostCategory),
          direction: 'credit',
          amount: payout.amount,
        },
      ],
    },
  ]);
  await movePayout(trx, payout, 'void', { voided_at: new Date(), void_reason: reason });
  const claim = await trx
    .selectFrom('claim')
    .select('status')
    .where('id', '=', payout.claim_id)
    .executeTakeFirstOrThrow();
  await trx
    .insertInto('claim_event')
    .values({
      claim_id: payout.claim_id,
      from_status: claim.status,
      to_status: claim.status,
      action: 'void_payout',
      note: reason,
      actor_user_id: actorId,
    })
    .execute();
  await followPayouts(trx, payout.claim_id, actorId);
  return { status: 'void' };
}
