/**
 * @module What a claim decision is planned on: the claim, its incident, the event's cap and the
 * pool, locked in that order, and the facts read under those locks (lines, evidence, what each cap
 * has left, the decider's authority).
 */
import type { ClaimStatus } from '../db/schema.ts';
import type { Tx } from '../db/transaction.ts';
import { exemptionEligibility } from '../exemption/claim-link.ts';
import { Money, minAmount, ZERO } from '../ledger/money.ts';
import { poolCoverage } from '../policy/coverage.ts';
import { localDateText } from '../policy/local-date.ts';
import { periodLeftover } from '../policy/periods.ts';
import type { CostCategory } from '../policy/pool-accounts.ts';
import type { Pool } from '../policy/pools.ts';
import { lockPool } from '../policy/pools.ts';
import { type PoolTerms, requiredDocumentsOf } from '../policy/terms.ts';
import { authorityLimitOf, claimPayable, eventPayable } from './authority.ts';
import { lockClaim } from './claims.ts';
import type { DecisionFacts, DecisionRequest } from './decision-plan.ts';
import { documentsByLine } from './documents.ts';
import { type Incident, incidentCoverage, lockIncident } from './incidents.ts';
import { unresolvedDuplicates } from './loss-events.ts';
import { projectCommitted } from './project-coverage.ts';

export interface DecisionContext {
  readonly claim: { id: string; incidentId: string; status: ClaimStatus; submittedBy: string };
  readonly incident: Incident;
  /** The incident whose cap the claim draws on: its own, or its loss event's. */
  readonly eventIncident: Incident;
  readonly pool: Pool;
}

export async function lockForDecision(trx: Tx, claimId: string): Promise<DecisionContext> {
  const claim = await lockClaim(trx, claimId);
  const incident = await lockIncident(trx, claim.incidentId);
  const eventIncident =
    incident.eventIncidentId === null
      ? incident
      : await lockIncident(trx, incident.eventIncidentId);
  const pool = await lockPool(trx, incident.poolId);
  const submitter = await trx
    .selectFrom('claim')
    .select('submitted_by')
    .where('id', '=', claimId)
    .executeTakeFirstOrThrow();
  return {
    claim: { ...claim, submittedBy: submitter.submitted_by },
    incident,
    eventIncident,
    pool,
  };
}

export type LineRow = Awaited<ReturnType<typeof undecidedLines>>[number] & {
  previousPayable: Money;
};

export async function readFacts(
  trx: Tx,
  context: DecisionContext,
  input: DecisionInput,
  deciderId: string,
  terms: PoolTerms,
  scope: { kind: 'original' | 'supplementary'; lines: readonly LineRow[] },
): Promise<DecisionFacts> {
  const { claim, incident, eventIncident, pool } = context;
  const categoryTerms = new Map(terms.categories.map((c) => [c.category as string, c]));
  const incidentLeft = await incidentCoverage(trx, eventIncident);
  const poolLeft = await poolCoverage(trx, pool);
  // The cumulative cap that binds is the incident's period's: what that period has left,
  // and never more than the pool's ledger has available.
  const cumulativeLeft = minAmount(
    new Money(poolLeft.available),
    await periodLeftover(trx, pool, terms.periodStart),
  );
  const riskPoint = await trx
    .selectFrom('risk_point')
    .select(localDateText<string | null>('registered_on').as('registeredOn'))
    .where('id', '=', incident.riskPointId)
    .executeTakeFirstOrThrow();
  const documents = await documentsByLine(
    trx,
    scope.lines.map((l) => l.id),
  );
  const stillClaimed = await claimsNotWithdrawn(
    trx,
    scope.lines.flatMap((l) => l.possible_duplicate_of.map((d) => d.claimId)),
  );
  return {
    request: input,
    kind: scope.kind,
    lines: scope.lines.map((l) => {
      const term = categoryTerms.get(l.category);
      return {
        id: l.id,
        lineNo: l.line_no,
        category: l.category as CostCategory,
        amountClaimed: new Money(l.amount_claimed),
        previousPayable: l.previousPayable,
        // Evidence of a withdrawn claim was never paid: it may be claimed again.
        namesEvidenceClaimedBefore: l.possible_duplicate_of.some((d) =>
          stillClaimed.has(d.claimId),
        ),
        requiredDocuments: requiredDocumentsOf(term),
        attachedDocuments: documents.get(l.id)?.attached ?? [],
        waivedRequirements: documents.get(l.id)?.waived ?? [],
        covered: term?.covered ?? false,
        countsAgainstCaps: term?.countsAgainstCaps ?? true,
      };
    }),
    eligibility: {
      riskPointRegisteredOn: riskPoint.registeredOn,
      occurredOn: incident.occurredOn,
      periodStart: terms.periodStart,
      periodEnd: terms.periodEnd,
      unresolvedDuplicateIncidents: (await unresolvedDuplicates(trx, incident.id)).length,
    },
    caseFinding: await exemptionEligibility(trx, incident.id),
    left: {
      incident:
        eventIncident.covered && incident.covered ? new Money(incidentLeft.remaining) : ZERO,
      project: await projectLimitLeft(trx, incident, terms),
      pool: cumulativeLeft,
    },
    authority: {
      deciderId,
      submitterId: claim.submittedBy,
      limit: await authorityLimitOf(trx, deciderId, terms),
      claimPayable: await claimPayable(trx, claim.id),
      incidentPayable: await eventPayable(trx, eventIncident.id),
    },
  };
}

async function claimsNotWithdrawn(trx: Tx, claimIds: readonly string[]): Promise<Set<string>> {
  if (claimIds.length === 0) return new Set();
  const rows = await trx
    .selectFrom('claim')
    .select('id')
    .where('id', 'in', [...new Set(claimIds)])
    .where('status', '<>', 'withdrawn')
    .execute();
  return new Set(rows.map((r) => r.id));
}

/**
 * What is left of the per-project limit for the incident's project, within its pool; null
 * when the terms set none. The pool row lock held by the decision keeps it true.
 */
async function projectLimitLeft(
  trx: Tx,
  incident: Incident,
  terms: PoolTerms,
): Promise<Money | null> {
  if (!terms.perProjectLimit) return null;
  const riskPoint = await trx
    .selectFrom('risk_point')
    .select('project_id')
    .where('id', '=', incident.riskPointId)
    .executeTakeFirstOrThrow();
  const { reserved, paid } = await projectCommitted(trx, riskPoint.project_id, incident.poolId);
  const left = terms.perProjectLimit.minus(reserved).minus(paid);
  return left.gt(ZERO) ? left : ZERO;
}

export async function undecidedLines(trx: Tx, claimId: string) {
  return trx
    .selectFrom('claim_line')
    .selectAll()
    .where('claim_id', '=', claimId)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('claim_decision_line')
            .innerJoin('claim_decision', 'claim_decision.id', 'claim_decision_line.decision_id')
            .select('claim_decision_line.claim_line_id')
            .whereRef('claim_decision_line.claim_line_id', '=', 'claim_line.id')
            .where('claim_decision.state', 'in', ['effective', 'awaiting_confirmation']),
        ),
      ),
    )
    .orderBy('line_no')
    .execute();
}

export type DecisionInput = DecisionRequest & {
  /** The request's clock: terms due by then reach the ledger first. */
  readonly now?: Date;
};
