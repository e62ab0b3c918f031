/**
 * @module Paying one payout, exactly once, whatever is retried or crashes in between. The
 * same code serves the BullMQ worker and the embedded in-process runner.
 *
 * 1. prepare (one transaction): lock the payout; hold its amount on the pool's account
 *    (claims payable → fund, pending) — if the account cannot cover it the payout waits as
 *    awaiting_funds; otherwise it is `sending`.
 * 2. pay through the gateway with the payout's id as idempotency key — outside any
 *    transaction; a crash here is safe because the retry pays the same key.
 * 3. settle (one transaction): post the cash hold, post the line's coverage hold (reserved
 *    → consumed), mark the payout paid, and the claim paid when it was its last payout.
 * Every ledger write carries a key derived from the payout id, so nothing posts twice.
 */

import { lockClaim, moveClaim } from '../claims/claims.ts';
import { ClaimError } from '../claims/errors.ts';
import type { DB } from '../db/database.ts';
import type { PayoutStatus } from '../db/schema.ts';
import { inTransaction, type Tx } from '../db/transaction.ts';
import { LedgerError } from '../ledger/errors.ts';
import { recordCommandInTransaction } from '../ledger/record.ts';
import type { CostCategory } from '../policy/pool-accounts.ts';
import { poolAccountCodes } from '../policy/pool-accounts.ts';
import { type DisbursementGateway, GatewayError } from './gateway.ts';

/** The system's own user id for automatic steps is null in events; use this actor label. */
type Outcome = { readonly status: PayoutStatus; readonly detail?: string };

async function lockPayout(trx: Tx, payoutId: string) {
  const payout = await trx
    .selectFrom('payout')
    .innerJoin('pool', 'pool.id', 'payout.pool_id')
    .selectAll('payout')
    .select('pool.code as poolCode')
    .where('payout.id', '=', payoutId)
    .forUpdate('payout')
    .executeTakeFirst();
  if (!payout) throw new ClaimError('not_found', `payout ${payoutId} does not exist`);
  return payout;
}

export async function preparePayout(trx: Tx, payoutId: string): Promise<Outcome> {
  const payout = await lockPayout(trx, payoutId);
  if (
    payout.status !== 'pending' &&
    payout.status !== 'awaiting_funds' &&
    payout.status !== 'sending'
  ) {
    return { status: payout.status };
  }
  if (payout.cash_hold_entry_id !== null) {
    // A crash after the hold: the money is already held for this payout; send again.
    await trx
      .updateTable('payout')
      .set({ status: 'sending', attempts: payout.attempts + 1, updated_at: new Date() })
      .where('id', '=', payoutId)
      .execute();
    return { status: 'sending' };
  }
  const codes = poolAccountCodes(payout.poolCode);
  try {
    const hold = await recordCommandInTransaction(trx, {
      type: 'transfer',
      pending: true,
      idempotencyKey: `payout:${payout.id}:cash-hold:${payout.attempts}`,
      description: `payout ${payout.id} to ${payout.payee}`,
      references: {
        poolId: payout.pool_id,
        incidentId: payout.incident_id,
        claimId: payout.claim_id,
        payoutId: payout.id,
        category: payout.category,
      },
      postings: [
        { accountCode: codes.claimsPayable, direction: 'debit', amount: payout.amount },
        { accountCode: codes.fund, direction: 'credit', amount: payout.amount },
      ],
    });
    await trx
      .updateTable('payout')
      .set({
        status: 'sending',
        cash_hold_entry_id: hold.id,
        attempts: payout.attempts + 1,
        updated_at: new Date(),
      })
      .where('id', '=', payoutId)
      .execute();
    return { status: 'sending' };
  } catch (error) {
    if (
      !(error instanceof LedgerError) ||
      error.code !== 'limit_exceeded' ||
      error.details.account !== codes.fund
    )
      throw error;
    await trx
      .updateTable('payout')
      .set({ status: 'awaiting_funds', updated_at: new Date() })
      .where('id', '=', payoutId)
      .execute();
    return { status: 'awaiting_funds', detail: error.message };
  }
}

export async function settlePayout(
  trx: Tx,
  payoutId: string,
  gateway: string,
  reference: string,
): Promise<Outcome> {
  const payout = await lockPayout(trx, payoutId);
  if (payout.status === 'paid') return { status: 'paid' };
  if (payout.status !== 'sending' || payout.cash_hold_entry_id === null) {
    throw new Error(`payout ${payoutId} cannot settle from ${payout.status}`);
  }
  await recordCommandInTransaction(trx, {
    type: 'post_pending',
    pendingEntryId: payout.cash_hold_entry_id,
    idempotencyKey: `payout:${payout.id}:cash`,
    description: `paid ${payout.payee} (${reference})`,
    references: {
      poolId: payout.pool_id,
      incidentId: payout.incident_id,
      claimId: payout.claim_id,
      payoutId: payout.id,
      category: payout.category,
    },
  });
  if (payout.coverage_hold_entry_id !== null) {
    await recordCommandInTransaction(trx, {
      type: 'post_pending',
      pendingEntryId: payout.coverage_hold_entry_id,
      idempotencyKey: `payout:${payout.id}:coverage`,
      description: `coverage consumed by payout ${payout.id}`,
      references: {
        poolId: payout.pool_id,
        incidentId: payout.incident_id,
        claimId: payout.claim_id,
        payoutId: payout.id,
      },
    });
  }
  await trx
    .updateTable('payout')
    .set({
      status: 'paid',
      settled_at: new Date(),
      gateway,
      gateway_reference: reference,
      last_error: null,
      updated_at: new Date(),
    })
    .where('id', '=', payoutId)
    .execute();
  // Lock the claim before asking whether this was its last open payout: two of its payouts
  // settling at once then queue here, and the second sees the first one's commit.
  const claim = await lockClaim(trx, payout.claim_id);
  const open = await trx
    .selectFrom('payout')
    .select('id')
    .where('claim_id', '=', payout.claim_id)
    .where('status', 'not in', ['paid', 'void'])
    .executeTakeFirst();
  if (!open && claim.status === 'payout_pending') {
    await moveClaim(
      trx,
      claim,
      'settle',
      'paid',
      'every payout settled',
      await systemActor(trx, payout.claim_id),
    );
  }
  return { status: 'paid' };
}

/** Parks a payout that kept failing where finance sees it; its cash hold is released. */
export async function failPayout(trx: Tx, payoutId: string, reason: string): Promise<Outcome> {
  const payout = await lockPayout(trx, payoutId);
  if (payout.status === 'paid' || payout.status === 'void' || payout.status === 'failed')
    return { status: payout.status };
  if (payout.cash_hold_entry_id !== null) {
    await recordCommandInTransaction(trx, {
      type: 'void_pending',
      pendingEntryId: payout.cash_hold_entry_id,
      idempotencyKey: `payout:${payout.id}:cash-release:${payout.attempts}`,
      description: `payout ${payout.id} failed: ${reason.slice(0, 200)}`,
      references: { poolId: payout.pool_id, claimId: payout.claim_id, payoutId: payout.id },
    });
  }
  await trx
    .updateTable('payout')
    .set({
      status: 'failed',
      cash_hold_entry_id: null,
      last_error: reason.slice(0, 2000),
      updated_at: new Date(),
    })
    .where('id', '=', payoutId)
    .execute();
  const claim = await lockClaim(trx, payout.claim_id);
  if (claim.status === 'payout_pending') {
    await moveClaim(
      trx,
      claim,
      'fail_payout',
      'payout_failed',
      reason.slice(0, 500),
      await systemActor(trx, payout.claim_id),
    );
  }
  return { status: 'failed', detail: reason };
}

/** Finance: send a failed payout again. */
export async function retryPayout(trx: Tx, payoutId: string, actorId: string): Promise<Outcome> {
  const payout = await lockPayout(trx, payoutId);
  if (payout.status !== 'failed') {
    throw new ClaimError(
      'illegal_transition',
      `only a failed payout can be retried; this one is ${payout.status}`,
    );
  }
  await trx
    .updateTable('payout')
    .set({ status: 'pending', next_attempt_at: new Date(), updated_at: new Date() })
    .where('id', '=', payoutId)
    .execute();
  await trx.insertInto('payout_outbox').values({ payout_id: payoutId, relayed_at: null }).execute();
  const claim = await lockClaim(trx, payout.claim_id);
  if (claim.status === 'payout_failed')
    await moveClaim(
      trx,
      claim,
      'retry_payout',
      'payout_pending',
      'finance retried a payout',
      actorId,
    );
  return { status: 'pending' };
}

/**
 * Finance: void a payout that was not paid. Its coverage hold is released (the coverage is
 * available again) and the payable is reversed against the claims expense it came from.
 */
export async function voidPayout(
  trx: Tx,
  payoutId: string,
  reason: string,
  actorId: string,
): Promise<Outcome> {
  const payout = await lockPayout(trx, payoutId);
  if (
    payout.status !== 'failed' &&
    payout.status !== 'awaiting_funds' &&
    payout.status !== 'pending'
  ) {
    throw new ClaimError('illegal_transition', `a ${payout.status} payout cannot be voided`);
  }
  const references = {
    poolId: payout.pool_id,
    incidentId: payout.incident_id,
    claimId: payout.claim_id,
    payoutId: payout.id,
  };
  if (payout.cash_hold_entry_id !== null) {
    await recordCommandInTransaction(trx, {
      type: 'void_pending',
      pendingEntryId: payout.cash_hold_entry_id,
      idempotencyKey: `payout:${payout.id}:cash-release:void`,
      description: `payout ${payout.id} voided`,
      references,
    });
  }
  if (payout.coverage_hold_entry_id !== null) {
    await recordCommandInTransaction(trx, {
      type: 'void_pending',
      pendingEntryId: payout.coverage_hold_entry_id,
      idempotencyKey: `payout:${payout.id}:coverage-release`,
      description: `coverage released: payout ${payout.id} voided`,
      references,
    });
  }
  const codes = poolAccountCodes(payout.poolCode);
  await recordCommandInTransaction(trx, {
    type: 'transfer',
    idempotencyKey: `payout:${payout.id}:payable-reversal`,
    description: `payable reversed: payout ${payout.id} voided (${reason.slice(0, 200)})`,
    references: { ...references, category: payout.category },
    postings: [
      { accountCode: codes.claimsPayable, direction: 'debit', amount: payout.amount },
      {
        accountCode: codes.claimsExpense(payout.category as CostCategory),
        direction: 'credit',
        amount: payout.amount,
      },
    ],
  });
  await trx
    .updateTable('payout')
    .set({
      status: 'void',
      cash_hold_entry_id: null,
      voided_at: new Date(),
      void_reason: reason,
      updated_at: new Date(),
    })
    .where('id', '=', payoutId)
    .execute();
  const claim = await lockClaim(trx, payout.claim_id);
  await trx
    .insertInto('claim_event')
    .values({
      claim_id: claim.id,
      from_status: claim.status,
      to_status: claim.status,
      action: 'void_payout',
      note: reason,
      actor_user_id: actorId,
    })
    .execute();
  return { status: 'void' };
}

/** After money comes in: payouts waiting for funds go back to the queue, oldest first. */
export async function releaseAwaitingFunds(trx: Tx, poolId: string): Promise<number> {
  const waiting = await trx
    .selectFrom('payout')
    .select('id')
    .where('pool_id', '=', poolId)
    .where('status', '=', 'awaiting_funds')
    .orderBy('created_at')
    .limit(1000)
    .forUpdate()
    .execute();
  if (waiting.length === 0) return 0;
  await trx
    .updateTable('payout')
    .set({ status: 'pending', next_attempt_at: new Date(), updated_at: new Date() })
    .where(
      'id',
      'in',
      waiting.map((w) => w.id),
    )
    .execute();
  await trx
    .insertInto('payout_outbox')
    .values(waiting.map((w) => ({ payout_id: w.id, relayed_at: null })))
    .execute();
  return waiting.length;
}

/** Automatic steps are recorded under the user who submitted the claim's decision. */
async function systemActor(trx: Tx, claimId: string): Promise<string> {
  const decision = await trx
    .selectFrom('claim_decision')
    .select(['decided_by', 'confirmed_by'])
    .where('claim_id', '=', claimId)
    .where('state', '=', 'effective')
    .orderBy('decided_at', 'desc')
    .executeTakeFirstOrThrow();
  return decision.confirmed_by ?? decision.decided_by;
}

/** A payout handed to a deferred gateway is looked at again only after this long. */
const DEFERRED_RECHECK_MS = 7 * 24 * 3600 * 1000;

export type PayoutStepResult =
  | { readonly kind: 'done'; readonly status: PayoutStatus }
  | { readonly kind: 'retry'; readonly error: string };

/**
 * One attempt at one payout: prepare, pay, settle. Returns `retry` for a failure that
 * another attempt may cure; a gateway refusal that will not change parks it as failed.
 */
export async function processPayout(
  db: DB,
  gateway: DisbursementGateway,
  payoutId: string,
): Promise<PayoutStepResult> {
  const prepared = await inTransaction(db, (trx) => preparePayout(trx, payoutId));
  if (prepared.status !== 'sending') return { kind: 'done', status: prepared.status };
  const payout = await db
    .selectFrom('payout')
    .select(['payee', 'amount'])
    .where('id', '=', payoutId)
    .executeTakeFirstOrThrow();
  let receipt: Awaited<ReturnType<DisbursementGateway['pay']>>;
  try {
    receipt = await gateway.pay({
      idempotencyKey: payoutId,
      payee: payout.payee,
      amount: payout.amount,
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof GatewayError && !error.retryable) {
      const failed = await inTransaction(db, (trx) => failPayout(trx, payoutId, message));
      return { kind: 'done', status: failed.status };
    }
    await db
      .updateTable('payout')
      .set({ last_error: message.slice(0, 2000), updated_at: new Date() })
      .where('id', '=', payoutId)
      .execute();
    return { kind: 'retry', error: message };
  }
  if ('deferred' in receipt) {
    // Accepted for a later settlement (a payment file): nothing to retry until then, so no
    // runner or sweep should pick it up again.
    await db
      .updateTable('payout')
      .set({
        gateway: gateway.name,
        next_attempt_at: new Date(Date.now() + DEFERRED_RECHECK_MS),
        updated_at: new Date(),
      })
      .where('id', '=', payoutId)
      .execute();
    return { kind: 'done', status: 'sending' };
  }
  const reference = receipt.reference;
  const settled = await inTransaction(db, (trx) =>
    settlePayout(trx, payoutId, gateway.name, reference),
  );
  return { kind: 'done', status: settled.status };
}

/**
 * The last attempt failed: before parking the payout as failed, ask the gateway whether the
 * money in fact left (every answer may have been lost); if so, settle it instead.
 */
export async function giveUpPayout(
  db: DB,
  gateway: DisbursementGateway,
  payoutId: string,
  reason: string,
): Promise<PayoutStatus> {
  const receipt = await gateway.lookup?.(payoutId).catch(() => null);
  if (receipt) {
    const sending = await db
      .selectFrom('payout')
      .select('status')
      .where('id', '=', payoutId)
      .executeTakeFirstOrThrow();
    if (sending.status === 'sending') {
      const settled = await inTransaction(db, (trx) =>
        settlePayout(trx, payoutId, gateway.name, receipt.reference),
      );
      return settled.status;
    }
  }
  const failed = await inTransaction(db, (trx) => failPayout(trx, payoutId, reason));
  return failed.status;
}
