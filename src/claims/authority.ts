/**
 * @module Authority limits: what each insurer user may make payable alone, set by an admin
 * (data, not code). A user without a limit of their own decides up to the four-eyes
 * threshold of the pool's terms — the rule before limits were per user. The limit is
 * compared with cumulative figures (decision-plan.ts), so splitting a claim or reopening
 * one cannot keep each decision under it.
 */
import type { DB } from '../db/database.ts';
import type { Tx } from '../db/transaction.ts';
import { DomainError } from '../domain-error.ts';
import { formatAmount, Money, ZERO } from '../ledger/money.ts';
import type { PoolTerms } from '../policy/terms.ts';

export interface AuthorityLimit {
  readonly userId: string;
  readonly name: string;
  /** The user's own limit; null: the pool terms' four-eyes threshold applies. */
  readonly authorityLimit: string | null;
}

export async function authorityLimitOf(
  db: DB | Tx,
  userId: string,
  terms: PoolTerms,
): Promise<Money> {
  const user = await db
    .selectFrom('app_user')
    .select('authority_limit')
    .where('id', '=', userId)
    .executeTakeFirst();
  return user?.authority_limit == null ? terms.fourEyesThreshold : new Money(user.authority_limit);
}

export async function setAuthorityLimit(
  trx: Tx,
  userId: string,
  limit: Money | null,
): Promise<AuthorityLimit> {
  const user = await trx
    .selectFrom('app_user')
    .select(['id', 'name', 'role'])
    .where('id', '=', userId)
    .forNoKeyUpdate()
    .executeTakeFirst();
  if (!user) throw new DomainError('not_found', `user ${userId} does not exist`);
  if (user.role !== 'insurer') {
    // The user's role, not the request, is what stands in the way.
    throw new DomainError(
      'conflict',
      `authority limits are for insurer claims staff; ${user.name} is ${user.role}`,
    );
  }
  if (limit?.lt(ZERO)) throw new DomainError('validation_failed', 'a limit is never below 0.00');
  await trx
    .updateTable('app_user')
    .set({ authority_limit: limit === null ? null : formatAmount(limit) })
    .where('id', '=', userId)
    .execute();
  return {
    userId: user.id,
    name: user.name,
    authorityLimit: limit === null ? null : formatAmount(limit),
  };
}

/**
 * What decisions have made payable (taken effect, or awaiting a checker) on the claims
 * given: each line's payable less what it stood at before, so a supplement counts its raise.
 */
async function payableOf(
  db: DB | Tx,
  claims: (qb: ReturnType<typeof claimIdsOf>) => ReturnType<typeof claimIdsOf>,
): Promise<Money> {
  const row = await db
    .selectFrom('claim_decision_line')
    .innerJoin('claim_decision', 'claim_decision.id', 'claim_decision_line.decision_id')
    .select((eb) =>
      eb.fn
        .coalesce(
          eb.fn.sum<string>(
            eb('claim_decision_line.payable', '-', eb.ref('claim_decision_line.previous_payable')),
          ),
          eb.val('0'),
        )
        .as('payable'),
    )
    .where('claim_decision.state', 'in', ['effective', 'awaiting_confirmation'])
    .where('claim_decision.claim_id', 'in', claims(claimIdsOf(db)))
    .executeTakeFirstOrThrow();
  return new Money(String(row.payable));
}

const claimIdsOf = (db: DB | Tx) => db.selectFrom('claim').select('claim.id');

export async function claimPayable(db: DB | Tx, claimId: string): Promise<Money> {
  return payableOf(db, (qb) => qb.where('claim.id', '=', claimId));
}

/** Over every claim on every report of the loss event. */
export async function eventPayable(db: DB | Tx, eventIncidentId: string): Promise<Money> {
  return payableOf(db, (qb) =>
    qb
      .innerJoin('incident', 'incident.id', 'claim.incident_id')
      .where((eb) =>
        eb.or([
          eb('incident.id', '=', eventIncidentId),
          eb('incident.event_incident_id', '=', eventIncidentId),
        ]),
      ),
  );
}
