/**
 * @module An attempt's calls to the gateway, outside any transaction: pay, or ask what it paid.
 */
import type { DB } from '../db/database.ts';
import { currentStatus, endUnsure, type Paid } from './attempt-end.ts';
import { type AttemptOptions, attemptsSpent, type PayoutStepResult } from './attempt-policy.ts';
import { type DisbursementGateway, GatewayError, type PaymentReceipt } from './gateway.ts';
import { recordResolution } from './in-doubt-resolution.ts';
import { canTakePayout } from './lifecycle.ts';
import { lockPayout, movePayout } from './locked-payout.ts';
import { failPayout } from './payout-failure.ts';
import { type Lease, releaseLease, underLease } from './payout-lease.ts';

/** A payout handed to a deferred gateway is looked at again only after this long. */
const DEFERRED_RECHECK_MS = 7 * 24 * 3600 * 1000;

type LookupAnswer =
  | { readonly answer: 'paid'; readonly receipt: PaymentReceipt }
  | { readonly answer: 'never_received' }
  | { readonly answer: 'unknown'; readonly error: string };

async function askGateway(gateway: DisbursementGateway, payoutId: string): Promise<LookupAnswer> {
  if (!gateway.lookup) {
    return { answer: 'unknown', error: `${gateway.name} cannot be asked; finance decides` };
  }
  try {
    const receipt = await gateway.lookup(payoutId);
    return receipt ? { answer: 'paid', receipt } : { answer: 'never_received' };
  } catch (error) {
    return { answer: 'unknown', error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Asks about a payout in doubt: a result, 'send' when the bank never received it, or the
 * receipt to settle when it paid.
 */
export async function resolveByLookup(
  db: DB,
  gateway: DisbursementGateway,
  payoutId: string,
  lease: Lease,
  options: AttemptOptions,
): Promise<PayoutStepResult | 'send' | Paid> {
  const answer = await askGateway(gateway, payoutId);
  if (answer.answer === 'paid')
    return { payoutId, lease, receipt: answer.receipt, fromLookup: true };
  const step = await underLease(db, payoutId, lease, async (trx, payout) => {
    if (answer.answer === 'unknown') return endUnsure(trx, payout, answer.error, options);
    if (!attemptsSpent(payout, options.retry) && canTakePayout('resend', payout.status)) {
      await movePayout(trx, payout, 'resend');
      return 'send' as const;
    }
    await recordResolution(trx, payoutId, {
      outcome: 'not_paid',
      kind: 'gateway_lookup',
      reference: `${gateway.name} lookup`,
      statementLineId: null,
      note: `${gateway.name} never received it`,
      decidedBy: null,
    });
    const failed = await failPayout(
      trx,
      payout,
      'confirm_not_paid',
      `${gateway.name} never received it`,
    );
    await releaseLease(trx, payoutId);
    return { kind: 'done' as const, status: failed.status };
  });
  return step ?? { kind: 'done', status: await currentStatus(db, payoutId) };
}

/** Pays through the gateway: the receipt to settle, or the attempt's end when it did not pay. */
export async function sendPayout(
  db: DB,
  gateway: DisbursementGateway,
  payoutId: string,
  lease: Lease,
  options: AttemptOptions,
): Promise<PayoutStepResult | Paid> {
  let receipt: Awaited<ReturnType<DisbursementGateway['pay']>>;
  try {
    receipt = await gateway.pay({
      idempotencyKey: payoutId,
      payee: lease.payee,
      amount: lease.amount,
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const failure = error instanceof GatewayError ? error.failure : 'unknown';
    const step = await underLease(db, payoutId, lease, async (trx, payout) => {
      if (failure === 'refused') {
        const failed = await failPayout(trx, payout, 'refuse', message);
        await releaseLease(trx, payoutId);
        return { kind: 'done' as const, status: failed.status };
      }
      if (failure === 'unknown') {
        await movePayout(trx, payout, 'lose_answer');
        return endUnsure(trx, await lockPayout(trx, payoutId), message, options);
      }
      return endUnsure(trx, payout, message, options);
    });
    return step ?? { kind: 'done', status: await currentStatus(db, payoutId) };
  }
  if ('deferred' in receipt) {
    // Accepted for a later settlement (a payment file): nothing to retry until then, so no
    // runner or sweep should pick it up again.
    await underLease(db, payoutId, lease, async (trx) => {
      await trx
        .updateTable('payout')
        .set({ gateway: gateway.name, updated_at: new Date() })
        .where('id', '=', payoutId)
        .execute();
      await releaseLease(trx, payoutId, new Date(Date.now() + DEFERRED_RECHECK_MS));
    });
    return { kind: 'done', status: 'sending' };
  }
  return { payoutId, lease, receipt, fromLookup: false };
}
