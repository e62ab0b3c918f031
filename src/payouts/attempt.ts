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
 * Attempts run in batches (processPayouts; processPayout is a batch of one): step 1 is one
 * transaction for the whole batch, its cash held by one ledger write, and step 4 for every
 * payout the gateway paid is one transaction, its holds posted by one ledger write. Each
 * payout keeps its own lease, so what holds for one attempt holds for each of a batch.
 *
 * The database decides who may act; the queue only says when to look.
 */
import { sql } from 'kysely';
import type { DB } from '../db/database.ts';
import type { PayoutStatus } from '../db/schema.ts';
import { inTransaction, type Tx } from '../db/transaction.ts';
import { DomainError } from '../domain-error.ts';
import { payoutAwaitsExemption } from '../exemption/claim-link.ts';
import { type DisbursementGateway, GatewayError, type PaymentReceipt } from './gateway.ts';
import { canTakePayout } from './lifecycle.ts';
import {
  failPayout,
  holdCashForMany,
  type LockedPayout,
  lockPayout,
  lockPayouts,
  movePayout,
  recordResolution,
  settleLockedPayouts,
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

/** Upper bound on payouts in one batch of attempts: one begin, one settlement. */
export const MAX_PAYOUTS_PER_BATCH = 64;

/**
 * Begins an attempt at each of these payouts in one transaction: their claims and payouts
 * locked in the service's order, one lease update for all, and the cash of those to send
 * held by one ledger write (holdCashForMany). Payouts that do not exist are left out.
 */
async function beginAttempts(
  trx: Tx,
  payoutIds: readonly string[],
  options: AttemptOptions,
): Promise<Map<string, Begun>> {
  const now = new Date();
  const { begun, toLease } = await leasable(trx, await lockPayouts(trx, payoutIds), now);
  const leases = await takeLeases(trx, toLease, new Date(now.getTime() + options.leaseMs), now);
  const toHold: LockedPayout[] = [];
  for (const payout of toLease) {
    const lease = leases.get(payout.id);
    if (!lease) throw new Error(`payout ${payout.id} was locked but not leased`);
    const leased = { ...payout, attempts: lease.attempt };
    if (payout.status === 'in_doubt') {
      begun.set(payout.id, { kind: 'ask', ...lease });
    } else if (payout.status === 'sending') {
      await movePayout(trx, leased, 'resend');
      begun.set(payout.id, { kind: 'send', ...lease });
    } else {
      toHold.push(leased);
    }
  }
  for (const [payoutId, held] of await holdCashForMany(trx, toHold)) {
    const lease = leases.get(payoutId);
    if (!lease) throw new Error(`payout ${payoutId} was held but not leased`);
    if (held.status === 'sending') {
      begun.set(payoutId, { kind: 'send', ...lease });
    } else {
      await releaseLeases(trx, [payoutId]);
      begun.set(payoutId, { kind: 'skip', status: held.status });
    }
  }
  return begun;
}

/**
 * Sorts locked payouts into those an attempt may take now and those it leaves (ended, leased
 * by a live attempt, waiting for an exemption decision). One still `sending` under an
 * expired lease is first marked in doubt.
 */
async function leasable(
  trx: Tx,
  locked: readonly LockedPayout[],
  now: Date,
): Promise<{ begun: Map<string, Begun>; toLease: LockedPayout[] }> {
  const begun = new Map<string, Begun>();
  const awaitsExemption = new Map<string, boolean>();
  const toLease: LockedPayout[] = [];
  for (let payout of locked) {
    if (!['pending', 'sending', 'in_doubt'].includes(payout.status)) {
      begun.set(payout.id, { kind: 'skip', status: payout.status });
      continue;
    }
    if (payout.lease_expires_at !== null && payout.lease_expires_at > now) {
      begun.set(payout.id, { kind: 'skip', status: payout.status });
      continue;
    }
    if (payout.status === 'sending' && payout.lease_token !== null) {
      // The attempt that held this lease died after it may have sent.
      await movePayout(trx, payout, 'lose_answer', {
        last_error: 'the attempt that was sending it stopped before it heard an answer',
      });
      payout = await lockPayout(trx, payout.id);
    }
    if (payout.status === 'pending') {
      const waits =
        awaitsExemption.get(payout.incident_id) ??
        (await payoutAwaitsExemption(trx, payout.incident_id));
      awaitsExemption.set(payout.incident_id, waits);
      if (waits) {
        await waitForExemption(trx, payout.id, now);
        begun.set(payout.id, { kind: 'skip', status: payout.status });
        continue;
      }
    }
    toLease.push(payout);
  }
  return { begun, toLease };
}

/**
 * The pool's terms say compensation waits for the group's exemption decision: nothing is
 * held or sent; the runner and the sweep ask again later.
 */
async function waitForExemption(trx: Tx, payoutId: string, now: Date): Promise<void> {
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
}

/** A new attempt number and token for each of these locked payouts, in one statement. */
async function takeLeases(
  trx: Tx,
  payouts: readonly LockedPayout[],
  expiresAt: Date,
  now: Date,
): Promise<Map<string, Lease>> {
  if (payouts.length === 0) return new Map();
  const leased = await trx
    .updateTable('payout')
    .set((eb) => ({
      attempts: eb('attempts', '+', 1),
      lease_token: sql<string>`gen_random_uuid()`,
      lease_expires_at: expiresAt,
      updated_at: now,
    }))
    .where(
      'id',
      'in',
      payouts.map((payout) => payout.id),
    )
    .returning(['id', 'attempts', 'lease_token'])
    .execute();
  const byId = new Map(payouts.map((payout) => [payout.id, payout]));
  return new Map(
    leased.map((row) => {
      const payout = byId.get(row.id);
      if (!payout || row.lease_token === null) throw new Error(`payout ${row.id} lost its lease`);
      return [
        row.id,
        {
          token: row.lease_token,
          attempt: row.attempts,
          payee: payout.payee,
          amount: payout.amount,
        },
      ];
    }),
  );
}

async function releaseLeases(trx: Tx, payoutIds: readonly string[]): Promise<void> {
  if (payoutIds.length === 0) return;
  await trx
    .updateTable('payout')
    .set({ lease_token: null, lease_expires_at: null })
    .where('id', 'in', [...payoutIds])
    .execute();
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

/** A payout the gateway paid, to be settled while its lease is still this attempt's. */
interface Paid {
  readonly payoutId: string;
  readonly lease: Lease;
  readonly receipt: PaymentReceipt;
  /** The gateway's lookup said so (the payout was in doubt): the answer is kept. */
  readonly fromLookup: boolean;
}

/**
 * Settles every paid payout of a batch in one transaction (one ledger write, one update):
 * only those whose lease is still this attempt's; the others' status is read back.
 */
async function settleUnderLeases(
  db: DB,
  gateway: string,
  paid: readonly Paid[],
): Promise<Map<string, PayoutStepResult>> {
  const results = new Map<string, PayoutStepResult>();
  if (paid.length === 0) return results;
  const byId = new Map(paid.map((p) => [p.payoutId, p]));
  // A transaction of its own, not grouped (see processPayouts).
  const settled = await inTransaction(
    db,
    async (trx) => {
      const ours = (await lockPayouts(trx, [...byId.keys()])).filter((payout) => {
        const lease = byId.get(payout.id)?.lease;
        return payout.lease_token === lease?.token && payout.attempts === lease?.attempt;
      });
      for (const payout of ours) {
        const { receipt, fromLookup } = byId.get(payout.id) ?? {};
        if (!fromLookup || !receipt) continue;
        await recordResolution(trx, payout.id, {
          outcome: 'paid',
          kind: 'gateway_lookup',
          reference: receipt.reference,
          statementLineId: null,
          note: `${gateway} says it paid`,
          decidedBy: null,
        });
      }
      await releaseLeases(
        trx,
        ours.map((payout) => payout.id),
      );
      // Last, for it ends with the ledger's write.
      return settleLockedPayouts(
        trx,
        ours,
        gateway,
        (payoutId) => byId.get(payoutId)?.receipt.reference ?? '',
      );
    },
    { grouped: false },
  );
  for (const outcome of settled)
    results.set(outcome.payoutId, { kind: 'done', status: outcome.status });
  const lost = paid.filter((p) => !results.has(p.payoutId)).map((p) => p.payoutId);
  for (const [payoutId, status] of await currentStatuses(db, lost))
    results.set(payoutId, { kind: 'done', status });
  return results;
}

async function currentStatuses(
  db: DB,
  payoutIds: readonly string[],
): Promise<Map<string, PayoutStatus>> {
  if (payoutIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('payout')
    .select(['id', 'status'])
    .where('id', 'in', [...payoutIds])
    .execute();
  return new Map(rows.map((row) => [row.id, row.status]));
}

async function currentStatus(db: DB, payoutId: string): Promise<PayoutStatus> {
  const row = await db
    .selectFrom('payout')
    .select('status')
    .where('id', '=', payoutId)
    .executeTakeFirstOrThrow();
  return row.status;
}

/**
 * Asks about a payout in doubt: a result, 'send' when the bank never received it, or the
 * receipt to settle when it paid.
 */
async function resolveByLookup(
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
  const result = (await processPayouts(db, gateway, [payoutId], options)).get(payoutId);
  if (!result) throw new DomainError('not_found', `payout ${payoutId} does not exist`);
  return result;
}

/**
 * One attempt at each of several payouts (at most MAX_PAYOUTS_PER_BATCH), as processPayout
 * makes one, with the database work shared: one transaction begins them all (one ledger
 * write holds their cash), the gateway is called for each at once, and one transaction
 * settles every one it paid. Unknown payouts are left out of the answer.
 */
export async function processPayouts(
  db: DB,
  gateway: DisbursementGateway,
  payoutIds: readonly string[],
  options: AttemptOptions,
): Promise<Map<string, PayoutStepResult>> {
  const unique = [...new Set(payoutIds)];
  if (unique.length > MAX_PAYOUTS_PER_BATCH) {
    throw new Error(`attempt at most ${MAX_PAYOUTS_PER_BATCH} payouts at once`);
  }
  const results = new Map<string, PayoutStepResult>();
  if (unique.length === 0) return results;
  // A batch is already one transaction and one ledger write per step. Grouped with other
  // batches, a later unit would lock accounts while the shared transaction holds the chain
  // head, and give way (after the grouped lock wait) to every approval holding them; alone,
  // each step queues for its locks in the service's order like any other writer.
  const begun = await inTransaction(db, (trx) => beginAttempts(trx, unique, options), {
    grouped: false,
  });
  const steps = await Promise.all(
    [...begun].map(async ([payoutId, start]): Promise<PayoutStepResult | Paid> => {
      if (start.kind === 'skip') return { kind: 'done', status: start.status };
      if (start.kind === 'ask') {
        const resolved = await resolveByLookup(db, gateway, payoutId, start, options);
        if (resolved !== 'send') return resolved;
      }
      return send(db, gateway, payoutId, start, options);
    }),
  );
  const paid: Paid[] = [];
  [...begun.keys()].forEach((payoutId, index) => {
    const step = steps[index];
    if (!step) throw new Error(`payout ${payoutId} has no step`);
    if ('receipt' in step) paid.push(step);
    else results.set(payoutId, step);
  });
  for (const [payoutId, result] of await settleUnderLeases(db, gateway.name, paid))
    results.set(payoutId, result);
  return results;
}

/** Pays through the gateway: the receipt to settle, or the attempt's end when it did not pay. */
async function send(
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
