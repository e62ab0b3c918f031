/**
 * @module One attempt at one payout, exactly once, whatever is retried, delivered twice or
 * crashes in between. The same code serves the BullMQ worker and the embedded runner.
 *
 * 1. begin (one transaction): take the payout's lease — its attempt number and a token,
 *    claimed under the row lock. A payout leased by a live attempt is left alone; one still
 *    `sending` under an expired lease lost its worker after it may have sent: in doubt.
 * 2. a payout in doubt is first asked about (the gateway's lookup): paid → settle; never
 *    received → send again (or fail, once the attempts are spent); no answer → stays in doubt.
 * 3. pay through the gateway with the payout's id as idempotency key, outside any
 *    transaction; an answer that never came makes the payout in doubt, never failed.
 * 4. end (one transaction): only while the lease is still ours — a stale attempt whose lease
 *    another took over writes nothing.
 *
 * The database decides who may act; the queue only says when to look.
 */
import type { DB } from '../db/database.ts';
import type { PayoutStatus } from '../db/schema.ts';
import { inTransaction, type Tx } from '../db/transaction.ts';
import { payoutAwaitsExemption } from '../exemption/claim-link.ts';
import { type DisbursementGateway, GatewayError, type PaymentReceipt } from './gateway.ts';
import { canTakePayout } from './lifecycle.ts';
import {
  failPayout,
  holdCash,
  type LockedPayout,
  lockPayout,
  movePayout,
  recordResolution,
  settlePayout,
} from './settlement.ts';

export interface RetryPolicy {
  readonly attempts: number;
  readonly backoffMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, backoffMs: 1000 };
/** An attempt not finished within this long is taken as lost (its worker died in it). */
export const DEFAULT_LEASE_MS = 60_000;

export interface AttemptOptions {
  readonly retry: RetryPolicy;
  /** How long an attempt may run before it is taken as lost and another may begin. */
  readonly leaseMs: number;
  /** How long a payout in doubt, its attempts spent, waits before it is asked about again. */
  readonly recheckMs?: number;
}

/** Asking again about a payout in doubt whose attempts are spent: every five minutes. */
export const IN_DOUBT_RECHECK_MS = 5 * 60 * 1000;
/** A payout handed to a deferred gateway is looked at again only after this long. */
const DEFERRED_RECHECK_MS = 7 * 24 * 3600 * 1000;

export type PayoutStepResult =
  | { readonly kind: 'done'; readonly status: PayoutStatus }
  | { readonly kind: 'retry'; readonly status: PayoutStatus; readonly error: string };

interface Lease {
  readonly token: string;
  readonly attempt: number;
  readonly payee: string;
  readonly amount: string;
}

type Begun =
  | { readonly kind: 'skip'; readonly status: PayoutStatus }
  | ({ readonly kind: 'send' | 'ask' } & Lease);

const spent = (payout: { attempts: number; attempts_before_retry: number }, retry: RetryPolicy) =>
  payout.attempts - payout.attempts_before_retry >= retry.attempts;

/** How soon a payout waiting for an exemption decision is looked at again. */
const EXEMPTION_RECHECK_MS = 60_000;

async function beginAttempt(trx: Tx, payoutId: string, options: AttemptOptions): Promise<Begun> {
  let payout = await lockPayout(trx, payoutId);
  const now = new Date();
  if (!['pending', 'sending', 'in_doubt'].includes(payout.status))
    return { kind: 'skip', status: payout.status };
  if (payout.lease_expires_at !== null && payout.lease_expires_at > now)
    return { kind: 'skip', status: payout.status };
  if (payout.status === 'sending' && payout.lease_token !== null) {
    // The attempt that held this lease died after it may have sent.
    await movePayout(trx, payout, 'lose_answer', {
      last_error: 'the attempt that was sending it stopped before it heard an answer',
    });
    payout = await lockPayout(trx, payoutId);
  }
  if (payout.status === 'pending' && (await payoutAwaitsExemption(trx, payout.incident_id))) {
    // The pool's terms say compensation waits for the group's exemption decision: nothing
    // is held or sent; the runner and the sweep ask again later.
    await trx
      .updateTable('payout')
      .set({
        next_attempt_at: new Date(now.getTime() + EXEMPTION_RECHECK_MS),
        last_error:
          "waiting for the exemption decision on its incident (the pool's terms say payouts wait)",
        updated_at: now,
      })
      .where('id', '=', payoutId)
      .execute();
    return { kind: 'skip', status: payout.status };
  }
  const token = crypto.randomUUID();
  const leased = await trx
    .updateTable('payout')
    .set({
      attempts: payout.attempts + 1,
      lease_token: token,
      lease_expires_at: new Date(now.getTime() + options.leaseMs),
      updated_at: now,
    })
    .where('id', '=', payoutId)
    .returning('attempts')
    .executeTakeFirstOrThrow();
  const lease = { token, attempt: leased.attempts, payee: payout.payee, amount: payout.amount };
  if (payout.status === 'in_doubt') return { kind: 'ask', ...lease };
  if (payout.status === 'sending') {
    await movePayout(trx, { ...payout, attempts: leased.attempts }, 'resend');
    return { kind: 'send', ...lease };
  }
  const held = await holdCash(trx, { ...payout, attempts: leased.attempts });
  if (held.status !== 'sending') {
    await releaseLease(trx, payoutId);
    return { kind: 'skip', status: held.status };
  }
  return { kind: 'send', ...lease };
}

async function releaseLease(trx: Tx, payoutId: string, nextAttemptAt?: Date): Promise<void> {
  await trx
    .updateTable('payout')
    .set({
      lease_token: null,
      lease_expires_at: null,
      ...(nextAttemptAt ? { next_attempt_at: nextAttemptAt } : {}),
    })
    .where('id', '=', payoutId)
    .execute();
}

/** Runs `work` on the locked payout only while `lease` is still its live attempt. */
async function underLease<T>(
  db: DB,
  payoutId: string,
  lease: Lease,
  work: (trx: Tx, payout: LockedPayout) => Promise<T>,
): Promise<T | null> {
  // Grouped: the worker's jobs that finish together settle in one transaction and commit.
  return inTransaction(
    db,
    async (trx) => {
      const payout = await lockPayout(trx, payoutId);
      if (payout.lease_token !== lease.token || payout.attempts !== lease.attempt) return null;
      return work(trx, payout);
    },
    { grouped: true },
  );
}

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

/** A payout still unsure after this attempt: released for the next one, after a backoff. */
async function endUnsure(
  trx: Tx,
  payout: LockedPayout,
  error: string,
  options: AttemptOptions,
): Promise<PayoutStepResult> {
  const used = payout.attempts - payout.attempts_before_retry;
  if (payout.status === 'in_doubt' && spent(payout, options.retry)) {
    // Nothing more to try: the sweep asks again on its schedule; finance sees it meanwhile.
    await releaseLease(
      trx,
      payout.id,
      new Date(Date.now() + (options.recheckMs ?? IN_DOUBT_RECHECK_MS)),
    );
    await trx
      .updateTable('payout')
      .set({ last_error: error.slice(0, 2000) })
      .where('id', '=', payout.id)
      .execute();
    return { kind: 'done', status: 'in_doubt' };
  }
  if (payout.status === 'sending' && spent(payout, options.retry)) {
    const failed = await failPayout(
      trx,
      payout,
      'refuse',
      `gave up after ${used} attempts: ${error}`,
    );
    await releaseLease(trx, payout.id);
    return { kind: 'done', status: failed.status };
  }
  const delay = options.retry.backoffMs * 2 ** Math.max(0, used - 1);
  await releaseLease(trx, payout.id, new Date(Date.now() + delay));
  await trx
    .updateTable('payout')
    .set({ last_error: error.slice(0, 2000) })
    .where('id', '=', payout.id)
    .execute();
  return { kind: 'retry', status: payout.status, error };
}

async function settleUnderLease(
  db: DB,
  payoutId: string,
  lease: Lease,
  gateway: string,
  receipt: PaymentReceipt,
  fromLookup: boolean,
): Promise<PayoutStepResult> {
  const settled = await underLease(db, payoutId, lease, async (trx) => {
    if (fromLookup) {
      await recordResolution(trx, payoutId, {
        outcome: 'paid',
        kind: 'gateway_lookup',
        reference: receipt.reference,
        statementLineId: null,
        note: `${gateway} says it paid`,
        decidedBy: null,
      });
    }
    const outcome = await settlePayout(trx, payoutId, gateway, receipt.reference);
    await releaseLease(trx, payoutId);
    return outcome.status;
  });
  return { kind: 'done', status: settled ?? (await currentStatus(db, payoutId)) };
}

async function currentStatus(db: DB, payoutId: string): Promise<PayoutStatus> {
  const row = await db
    .selectFrom('payout')
    .select('status')
    .where('id', '=', payoutId)
    .executeTakeFirstOrThrow();
  return row.status;
}

/** Asks about a payout in doubt; returns a result, or 'send' when the bank never received it. */
async function resolveByLookup(
  db: DB,
  gateway: DisbursementGateway,
  payoutId: string,
  lease: Lease,
  options: AttemptOptions,
): Promise<PayoutStepResult | 'send'> {
  const answer = await askGateway(gateway, payoutId);
  if (answer.answer === 'paid')
    return settleUnderLease(db, payoutId, lease, gateway.name, answer.receipt, true);
  const step = await underLease(db, payoutId, lease, async (trx, payout) => {
    if (answer.answer === 'unknown') return endUnsure(trx, payout, answer.error, options);
    if (!spent(payout, options.retry) && canTakePayout('resend', payout.status)) {
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

/**
 * One attempt at one payout. `retry` means another attempt may cure it (after the backoff
 * this attempt wrote as next_attempt_at); `done` means nothing is left for this attempt.
 */
export async function processPayout(
  db: DB,
  gateway: DisbursementGateway,
  payoutId: string,
  options: AttemptOptions,
): Promise<PayoutStepResult> {
  const begun = await inTransaction(db, (trx) => beginAttempt(trx, payoutId, options), {
    grouped: true,
  });
  if (begun.kind === 'skip') return { kind: 'done', status: begun.status };
  if (begun.kind === 'ask') {
    const resolved = await resolveByLookup(db, gateway, payoutId, begun, options);
    if (resolved !== 'send') return resolved;
  }
  return send(db, gateway, payoutId, begun, options);
}

async function send(
  db: DB,
  gateway: DisbursementGateway,
  payoutId: string,
  lease: Lease,
  options: AttemptOptions,
): Promise<PayoutStepResult> {
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
  return settleUnderLease(db, payoutId, lease, gateway.name, receipt, false);
}
