/**
 * @module A payout locked in the service's lock order, and what each of its steps does with it.
 */
import type { PayoutStatus } from '../db/schema.ts';
import type { Tx } from '../db/transaction.ts';
import { DomainError } from '../domain-error.ts';
import { nextPayoutStatus, type PayoutAction } from './lifecycle.ts';

export type Outcome = { readonly status: PayoutStatus; readonly detail?: string };

export type LockedPayout = Awaited<ReturnType<typeof lockPayout>>;

/**
 * The service's lock order, enforced here for every payout step: the claim, then its
 * payouts (in id order when several), then — inside the ledger — the accounts in id order
 * and last the chain head. A decision takes the claim first too, so a settlement, a void
 * and a decision on one claim queue in one order and never deadlock.
 */
export async function lockPayout(trx: Tx, payoutId: string) {
  const [payout] = await lockPayouts(trx, [payoutId]);
  if (!payout) throw new DomainError('not_found', `payout ${payoutId} does not exist`);
  return payout;
}

/** Locks the payouts' claims, then the payouts, both in id order; unknown ids are left out. */
export async function lockPayouts(trx: Tx, payoutIds: readonly string[]) {
  if (payoutIds.length === 0) return [];
  // A payout's claim never changes, so reading it before the locks is safe.
  await trx
    .selectFrom('claim')
    .select('id')
    .where(
      'id',
      'in',
      trx
        .selectFrom('payout')
        .select('claim_id')
        .where('id', 'in', [...payoutIds]),
    )
    .orderBy('id')
    .forNoKeyUpdate()
    .execute();
  return trx
    .selectFrom('payout')
    .innerJoin('pool', 'pool.id', 'payout.pool_id')
    .selectAll('payout')
    .select('pool.code as poolCode')
    .where('payout.id', 'in', [...payoutIds])
    .orderBy('payout.id')
    .forNoKeyUpdate('payout')
    .execute();
}

/** Applies one transition of the table to a locked payout, with the columns it changes. */
export async function movePayout(
  trx: Tx,
  payout: LockedPayout,
  action: PayoutAction,
  changes: {
    readonly cash_hold_entry_id?: number | null;
    readonly last_error?: string | null;
    readonly next_attempt_at?: Date;
    readonly settled_at?: Date;
    readonly gateway?: string;
    readonly gateway_reference?: string;
    readonly voided_at?: Date;
    readonly void_reason?: string;
    readonly attempts_before_retry?: number;
  } = {},
): Promise<PayoutStatus> {
  const to = nextPayoutStatus(action, payout.status);
  const stillInDoubt = to === 'in_doubt';
  await trx
    .updateTable('payout')
    .set({
      ...changes,
      status: to,
      in_doubt_since: stillInDoubt ? (payout.in_doubt_since ?? new Date()) : null,
      updated_at: new Date(),
    })
    .where('id', '=', payout.id)
    .execute();
  return to;
}

/** What every ledger entry of a payout names: its pool, incident, claim, itself, its category. */
export function payoutReferences(payout: LockedPayout, withCategory: boolean) {
  return {
    poolId: payout.pool_id,
    incidentId: payout.incident_id,
    claimId: payout.claim_id,
    payoutId: payout.id,
    ...(withCategory ? { category: payout.category } : {}),
  };
}

/** Automatic steps are recorded under the user who submitted the claim's decision. */
export async function systemActor(trx: Tx, claimId: string): Promise<string> {
  const decision = await trx
    .selectFrom('claim_decision')
    .select(['decided_by', 'confirmed_by'])
    .where('claim_id', '=', claimId)
    .where('state', '=', 'effective')
    .orderBy('decided_at', 'desc')
    .executeTakeFirstOrThrow();
  return decision.confirmed_by ?? decision.decided_by;
}
