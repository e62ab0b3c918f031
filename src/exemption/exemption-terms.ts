/**
 * @module A pool's exemption terms, as data with an effective date like its other terms:
 * the investigation's deadline in working days from the incident, whether a payout waits
 * for the exemption decision, and whether a claim's eligibility needs the exemption
 * conditions (read from the case, never attested by the insurer).
 */
import type { DB } from '../db/database.ts';
import type { Tx } from '../db/transaction.ts';
import { DomainError } from '../domain-error.ts';
import { isLocalDate, type LocalDate, localDateText } from '../policy/local-date.ts';
import { lockPool } from '../policy/pools.ts';

export interface ExemptionTerms {
  readonly version: number;
  readonly effectiveFrom: LocalDate | null;
  readonly investigationWorkingDays: number;
  /** Compensation and exemption run side by side unless this says a payout waits. */
  readonly payoutsWaitForDecision: boolean;
  readonly claimsRequireExemption: boolean;
  readonly reason: string;
}

/** What holds until a pool records its own: side by side, 20 working days to decide. */
export const DEFAULT_EXEMPTION_TERMS: ExemptionTerms = {
  version: 0,
  effectiveFrom: null,
  investigationWorkingDays: 20,
  payoutsWaitForDecision: false,
  claimsRequireExemption: false,
  reason: 'default: compensation and exemption run side by side',
};

export async function exemptionTermsInForce(
  db: DB | Tx,
  poolId: string,
  onDay: LocalDate,
): Promise<ExemptionTerms> {
  const row = await db
    .selectFrom('exemption_terms')
    .select([
      'version',
      localDateText('effective_from').as('effectiveFrom'),
      'investigation_working_days as investigationWorkingDays',
      'payouts_wait_for_decision as payoutsWaitForDecision',
      'claims_require_exemption as claimsRequireExemption',
      'reason',
    ])
    .where('pool_id', '=', poolId)
    .where('effective_from', '<=', onDay)
    .orderBy('effective_from', 'desc')
    .executeTakeFirst();
  return row ?? DEFAULT_EXEMPTION_TERMS;
}

export interface NewExemptionTerms {
  readonly effectiveFrom: LocalDate;
  readonly investigationWorkingDays: number;
  readonly payoutsWaitForDecision: boolean;
  readonly claimsRequireExemption: boolean;
  readonly reason: string;
}

export async function recordExemptionTerms(
  trx: Tx,
  pool: string,
  terms: NewExemptionTerms,
  context: { readonly actorUserId: string; readonly at: Date },
): Promise<ExemptionTerms> {
  if (!isLocalDate(terms.effectiveFrom)) {
    throw new DomainError('validation_failed', `"${terms.effectiveFrom}" is not a date`);
  }
  // The pool's lock numbers versions one after another.
  const { id: poolId } = await lockPool(trx, pool);
  const { latest } = await trx
    .selectFrom('exemption_terms')
    .select((eb) => eb.fn.coalesce(eb.fn.max('version'), eb.lit(0)).as('latest'))
    .where('pool_id', '=', poolId)
    .executeTakeFirstOrThrow();
  const clash = await trx
    .selectFrom('exemption_terms')
    .select('version')
    .where('pool_id', '=', poolId)
    .where('effective_from', '=', terms.effectiveFrom)
    .executeTakeFirst();
  if (clash) {
    throw new DomainError(
      'conflict',
      `exemption terms effective from ${terms.effectiveFrom} exist (version ${clash.version}); terms are never edited`,
    );
  }
  await trx
    .insertInto('exemption_terms')
    .values({
      pool_id: poolId,
      version: latest + 1,
      effective_from: terms.effectiveFrom,
      investigation_working_days: terms.investigationWorkingDays,
      payouts_wait_for_decision: terms.payoutsWaitForDecision,
      claims_require_exemption: terms.claimsRequireExemption,
      reason: terms.reason,
      recorded_at: context.at,
      recorded_by: context.actorUserId,
    })
    .execute();
  return exemptionTermsInForce(trx, poolId, terms.effectiveFrom);
}
