/**
 * @module Case reserves: the handler's estimate of what a claim not yet decided will cost,
 * set at intake and moved with a reason, each movement kept. When a decision takes effect
 * (or the claim is withdrawn) the case reserve is released: from then on the outstanding
 * figure is what the decision made payable and has not been paid. So
 * incurred = paid + outstanding, outstanding = case reserve + approved not yet paid.
 *
 * A case reserve is an estimate, not a draw on coverage: the pool's coverage holds are
 * made at decision, as before.
 */
import { anyUuid } from '../db/arrays.ts';
import type { DB } from '../db/database.ts';
import type { ClaimStatus } from '../db/schema.ts';
import type { Tx } from '../db/transaction.ts';
import { DomainError } from '../domain-error.ts';
import { formatAmount, Money, ZERO } from '../ledger/money.ts';
import { getClaim, lockClaim } from './claims.ts';

export interface ReserveMovement {
  readonly kind: 'initial' | 'movement' | 'released';
  readonly amount: string;
  readonly reserveAfter: string;
  readonly reason: string;
  readonly recordedBy: string;
  readonly recordedAt: string;
}

/** A case reserve moves while the claim waits for a decision. */
const RESERVE_OPEN: readonly ClaimStatus[] = [
  'submitted',
  'under_review',
  'awaiting_confirmation',
  'reopened',
];

export async function caseReserve(db: DB | Tx, claimId: string): Promise<Money> {
  return (await caseReserves(db, [claimId])).get(claimId) ?? ZERO;
}

/** Each claim's case reserve, as of a moment when given. */
export async function caseReserves(
  db: DB | Tx,
  claimIds: readonly string[],
  asOf?: Date,
): Promise<Map<string, Money>> {
  if (claimIds.length === 0) return new Map();
  let query = db
    .selectFrom('claim_reserve_movement')
    .distinctOn('claim_id')
    .select(['claim_id', 'reserve_after'])
    .where('claim_id', '=', anyUuid(claimIds))
    .orderBy('claim_id')
    .orderBy('id', 'desc');
  if (asOf) query = query.where('recorded_at', '<=', asOf);
  const rows = await query.execute();
  return new Map(rows.map((r) => [r.claim_id, new Money(r.reserve_after)]));
}

async function record(
  trx: Tx,
  claimId: string,
  kind: ReserveMovement['kind'],
  reserveAfter: Money,
  reason: string,
  actorId: string,
): Promise<void> {
  const before = await caseReserve(trx, claimId);
  if (kind !== 'initial' && before.eq(reserveAfter)) return;
  await trx
    .insertInto('claim_reserve_movement')
    .values({
      claim_id: claimId,
      kind,
      amount: formatAmount(reserveAfter.minus(before)),
      reserve_after: formatAmount(reserveAfter),
      reason,
      recorded_by: actorId,
    })
    .execute();
}

/** At intake: the handler's figure, or what is claimed when none is given. */
export async function setInitialReserve(
  trx: Tx,
  claimId: string,
  reserve: Money,
  reason: string,
  actorId: string,
): Promise<void> {
  await record(trx, claimId, 'initial', reserve, reason, actorId);
}

/** A handler moves the case reserve to a new figure, saying why. */
export async function moveReserve(
  trx: Tx,
  claimId: string,
  input: { reserve: Money; reason: string },
  actorId: string,
): Promise<ReserveMovement[]> {
  const claim = await lockClaim(trx, claimId);
  if (!RESERVE_OPEN.includes(claim.status)) {
    throw new DomainError(
      'illegal_transition',
      `a case reserve moves while the claim awaits a decision (${RESERVE_OPEN.join(', ')}); this claim is ${claim.status}, so its outstanding figure is what its decisions made payable`,
    );
  }
  if (input.reserve.lt(ZERO))
    throw new DomainError('validation_failed', 'a case reserve is never below 0.00');
  if (input.reason.trim() === '')
    throw new DomainError('validation_failed', 'a reserve movement needs a reason');
  await record(trx, claimId, 'movement', input.reserve, input.reason, actorId);
  return reserveMovements(trx, claimId);
}

/** The decision (or the withdrawal) replaces the estimate. */
export async function releaseReserve(
  trx: Tx,
  claimId: string,
  reason: string,
  actorId: string,
): Promise<void> {
  await record(trx, claimId, 'released', ZERO, reason, actorId);
}

export async function reserveMovements(db: DB | Tx, claimId: string): Promise<ReserveMovement[]> {
  const rows = await db
    .selectFrom('claim_reserve_movement')
    .selectAll()
    .where('claim_id', '=', claimId)
    .orderBy('id')
    .limit(1000)
    .execute();
  return rows.map((r) => ({
    kind: r.kind,
    amount: r.amount,
    reserveAfter: r.reserve_after,
    reason: r.reason,
    recordedBy: r.recorded_by,
    recordedAt: r.recorded_at.toISOString(),
  }));
}

/** A claim's case reserve and its movements; an unknown claim is not_found, not an empty list. */
export async function claimReserve(db: DB | Tx, claimId: string) {
  await getClaim(db, claimId);
  return {
    claimId,
    caseReserve: formatAmount(await caseReserve(db, claimId)),
    movements: await reserveMovements(db, claimId),
  };
}
