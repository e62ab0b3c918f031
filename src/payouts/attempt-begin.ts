/**
 * @module An attempt's begin: the payouts it may take now leased, and their cash held.
 */
import type { PayoutStatus } from '../db/schema.ts';
import type { Tx } from '../db/transaction.ts';
import { payoutAwaitsExemption } from '../exemption/claim-link.ts';
import type { AttemptOptions } from './attempt-policy.ts';
import { holdCashForMany } from './cash-hold.ts';
import { type LockedPayout, lockPayout, lockPayouts, movePayout } from './locked-payout.ts';
import { type Lease, releaseLeases, takeLeases } from './payout-lease.ts';

export type Begun =
  | { readonly kind: 'skip'; readonly status: PayoutStatus }
  | ({ readonly kind: 'send' | 'ask' } & Lease);

/** How soon a payout waiting for an exemption decision is looked at again. */
const EXEMPTION_RECHECK_MS = 60_000;

/**
 * Begins an attempt at each of these payouts in one transaction: their claims and payouts
 * locked in the service's order, one lease update for all, and the cash of those to send
 * held by one ledger write (holdCashForMany). Payouts that do not exist are left out.
 */
export async function beginAttempts(
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
