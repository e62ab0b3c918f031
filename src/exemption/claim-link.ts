/**
 * @module Where compensation meets exemption: what a claim shows of its incident's case,
 * the exemption conditions eligibility reads from the case when the terms require them,
 * and whether a payout must wait for the exemption decision (the terms say; by default
 * the two run side by side).
 */
import type { DB } from '../db/database.ts';
import type { ExemptionOutcome } from '../db/schema-exemption.ts';
import type { Tx } from '../db/transaction.ts';
import { localDateText } from '../policy/local-date.ts';
import { latestDecision } from './decisions.ts';
import { exemptionTermsInForce } from './exemption-terms.ts';
import { conditionStates, proposedOutcome } from './findings.ts';
import { caseFindings } from './investigations.ts';

export interface CaseOfClaim {
  readonly investigationId: string;
  readonly status: 'open' | 'decided';
  readonly proposedOutcome: 'exempt' | 'not_proposed';
  readonly decision: {
    readonly id: string;
    readonly version: number;
    readonly outcome: ExemptionOutcome;
    readonly decidedAt: Date;
  } | null;
}

async function caseRow(db: DB | Tx, incidentId: string) {
  return db
    .selectFrom('investigation')
    .select([
      'id',
      'status',
      'pool_id as poolId',
      localDateText('occurred_on').as('occurredOnText'),
    ])
    .where('incident_id', '=', incidentId)
    .executeTakeFirst();
}

/** The incident's case and its decision in force, for the claim's view; null before 0012's cases. */
export async function caseOfIncident(db: DB | Tx, incidentId: string): Promise<CaseOfClaim | null> {
  const row = await caseRow(db, incidentId);
  if (!row) return null;
  const decision = await latestDecision(db, row.id);
  const states = conditionStates(await caseFindings(db, row.id));
  return {
    investigationId: row.id,
    status: row.status,
    proposedOutcome: proposedOutcome(states),
    decision: decision
      ? {
          id: decision.id,
          version: decision.version,
          outcome: decision.outcome,
          decidedAt: decision.decidedAt,
        }
      : null,
  };
}

export interface ExemptionEligibilityFinding {
  readonly code: 'EXEMPTION_CONDITIONS_MET';
  readonly kind: 'automatic';
  readonly result: 'pass' | 'fail';
  readonly note: string;
}

/**
 * Where the terms require the exemption conditions for compensation, the finding read from
 * the case (its decision in force); else null, and the claim needs only the insurer's own
 * claim standards.
 */
export async function exemptionEligibility(
  db: DB | Tx,
  incidentId: string,
): Promise<ExemptionEligibilityFinding | null> {
  const row = await caseRow(db, incidentId);
  if (!row) return null;
  const terms = await exemptionTermsInForce(db, row.poolId, row.occurredOnText);
  if (!terms.claimsRequireExemption) return null;
  const decision = await latestDecision(db, row.id);
  const exempted = decision !== null && decision.outcome !== 'not_exempt';
  return {
    code: 'EXEMPTION_CONDITIONS_MET',
    kind: 'automatic',
    result: exempted ? 'pass' : 'fail',
    note: decision
      ? `investigation ${row.id}: decision version ${decision.version} is ${decision.outcome}`
      : `investigation ${row.id} is not decided yet; the terms make compensation wait for it`,
  };
}

/**
 * For the payout code: true while a payout for this incident must wait, i.e. the terms in
 * force on the incident date say payouts wait and the case has no decision yet.
 */
export async function payoutAwaitsExemption(db: DB | Tx, incidentId: string): Promise<boolean> {
  const row = await caseRow(db, incidentId);
  if (!row) return false;
  const terms = await exemptionTermsInForce(db, row.poolId, row.occurredOnText);
  return terms.payoutsWaitForDecision && row.status === 'open';
}
