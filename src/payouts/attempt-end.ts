/**
 * @module An attempt's end, written only while its lease holds: settled, failed, or left to retry.
 */
import type { DB } from '../db/database.ts';
import type { PayoutStatus } from '../db/schema.ts';
import { inTransaction, type Tx } from '../db/transaction.ts';
import {
  type AttemptOptions,
  attemptsSpent,
  IN_DOUBT_RECHECK_MS,
  type PayoutStepResult,
} from './attempt-policy.ts';
import type { PaymentReceipt } from './gateway.ts';
import { recordResolution } from './in-doubt-resolution.ts';
import { canTakePayout } from './lifecycle.ts';
import { type LockedPayout, lockPayouts } from './locked-payout.ts';
import { failPayout } from './payout-failure.ts';
import { type Lease, releaseLease, releaseLeases } from './payout-lease.ts';
import { settleLockedPayouts } from './settlement.ts';

/** A payout still unsure after this attempt: released for the next one, after a backoff. */
export async function endUnsure(
  trx: Tx,
  payout: LockedPayout,
  error: string,
  options: AttemptOptions,
): Promise<PayoutStepResult> {
  const used = payout.attempts - payout.attempts_before_retry;
  if (payout.status === 'in_doubt' && attemptsSpent(payout, options.retry)) {
    // Nothing more to try: the sweep asks again on its schedule; finance sees it meanwhile.
    const recheckAt = new Date(Date.now() + (options.recheckMs ?? IN_DOUBT_RECHECK_MS));
    await releaseUntil(trx, payout.id, recheckAt, error);
    return { kind: 'done', status: 'in_doubt' };
  }
  if (payout.status === 'sending' && attemptsSpent(payout, options.retry)) {
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
  await releaseUntil(trx, payout.id, new Date(Date.now() + delay), error);
  return { kind: 'retry', status: payout.status, error };
}

/** Releases the lease until the next attempt is due, keeping the error this one ended on. */
async function releaseUntil(
  trx: Tx,
  payoutId: string,
  nextAttemptAt: Date,
  error: string,
): Promise<void> {
  await releaseLease(trx, payoutId, nextAttemptAt);
  await trx
    .updateTable('payout')
    .set({ last_error: error.slice(0, 2000) })
    .where('id', '=', payoutId)
    .execute();
}

/** A payout the gateway paid, to be settled while its lease is still this attempt's. */
export interface Paid {
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
export async function settleUnderLeases(
  db: DB,
  gateway: string,
  paid: readonly Paid[],
): Promise<Map<string, PayoutStepResult>> {
  const results = new Map<string, PayoutStepResult>();
  if (paid.length === 0) return results;
  const byId = new Map(paid.map((p) => [p.payoutId, p]));
  // A transaction of its own, not grouped (see processPayouts in attempt.ts).
  const settled = await inTransaction(
    db,
    async (trx) => {
      const leased = (await lockPayouts(trx, [...byId.keys()])).filter((payout) => {
        const lease = byId.get(payout.id)?.lease;
        return payout.lease_token === lease?.token && payout.attempts === lease?.attempt;
      });
      // One payout that can no longer take the gateway's answer (finance decided it while the
      // gateway was being asked) must not keep the others' receipts from being settled: it is
      // set aside, its lease kept, and its attempt answers with the conflict.
      const ours = leased.filter(
        (payout) =>
          payout.status === 'paid' ||
          (canTakePayout('confirm_paid', payout.status) && payout.cash_hold_entry_id !== null),
      );
      for (const payout of leased) {
        if (ours.includes(payout)) continue;
        results.set(payout.id, {
          kind: 'retry',
          status: payout.status,
          error: `the gateway paid payout ${payout.id} (${byId.get(payout.id)?.receipt.reference ?? ''}), but it is now ${payout.status} and cannot be settled: resolve it by hand`,
        });
      }
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

export async function currentStatus(db: DB, payoutId: string): Promise<PayoutStatus> {
  const row = await db
    .selectFrom('payout')
    .select('status')
    .where('id', '=', payoutId)
    .executeTakeFirstOrThrow();
  return row.status;
}
