/**
 * @module A payout's lease: which attempt may write, taken under its row lock, checked at the end.
 */
import { sql } from 'kysely';
import type { DB } from '../db/database.ts';
import { inTransaction, type Tx } from '../db/transaction.ts';
import { type LockedPayout, lockPayout } from './locked-payout.ts';

export interface Lease {
  readonly token: string;
  readonly attempt: number;
  readonly payee: string;
  readonly amount: string;
}

/** A new attempt number and token for each of these locked payouts, in one statement. */
export async function takeLeases(
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

export async function releaseLeases(trx: Tx, payoutIds: readonly string[]): Promise<void> {
  if (payoutIds.length === 0) return;
  await trx
    .updateTable('payout')
    .set({ lease_token: null, lease_expires_at: null })
    .where('id', 'in', [...payoutIds])
    .execute();
}

export async function releaseLease(trx: Tx, payoutId: string, nextAttemptAt?: Date): Promise<void> {
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
export async function underLease<T>(
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
