/**
 * @module Deciding a claim. Locks claim → incident → pool (the pool row serialises every
 * draw on its coverage, so the remaining figures read here stay true until commit), then
 * computes what is payable under both caps, holds each line's coverage in the ledger on
 * the pool and the incident at once (one hold per line, so each payout settles its own), and records claims expense against claims payable — all in
 * the caller's transaction.
 *
 * Four-eyes: a decision paying more than the terms' threshold holds its coverage at once
 * (so nobody else can take it while it waits) but records no expense and changes no
 * status beyond `awaiting_confirmation` until a second, different insurer user confirms.
 * A checker's rejection voids the hold.
 */
import type { DB } from '../db/database.ts';
import type { FindingRow } from '../db/schema.ts';
import type { Tx } from '../db/transaction.ts';
import { DomainError } from '../domain-error.ts';
import { exemptionEligibility } from '../exemption/claim-link.ts';
import { formatAmount, Money, minAmount, sumAmounts, ZERO } from '../ledger/money.ts';
import { recordCommandInTransaction } from '../ledger/record.ts';
import { raiseAlerts, raisePoolAlerts } from '../policy/alerts.ts';
import { bringTermsIntoForce } from '../policy/capacity.ts';
import { poolCoverage } from '../policy/coverage.ts';
import { localDateOf, localDateText } from '../policy/local-date.ts';
import { periodLeftover } from '../policy/periods.ts';
import { type CostCategory, poolAccountCodes } from '../policy/pool-accounts.ts';
import { lockPool, type Pool } from '../policy/pools.ts';
import { type PoolTerms, termsInForce } from '../policy/terms.ts';
import { getClaim, lockClaim, moveClaim } from './claims.ts';
import {
  type Attestation,
  attestedFindings,
  automaticFindings,
  type DenialReason,
} from './eligibility.ts';
import { incidentAccountCodes } from './incident-accounts.ts';
import { type Incident, incidentCoverage, lockIncident } from './incidents.ts';
import { assertTransition } from './lifecycle.ts';
import { type CapName, computePayable, type Payable } from './payable.ts';
import { projectCommitted } from './project-coverage.ts';

export type DecisionInput =
  | {
      readonly decision: 'approve';
      readonly lines: readonly { readonly lineId: string; readonly approved: Money }[];
      readonly attestations: readonly Attestation[];
      readonly note: string;
      /** The request's clock: terms due by then reach the ledger first. */
      readonly now?: Date;
    }
  | {
      readonly decision: 'deny';
      readonly reasons: readonly DenialReason[];
      readonly attestations: readonly Attestation[];
      readonly note: string;
      readonly now?: Date;
    };

export interface DecisionView {
  readonly id: string;
  readonly claimId: string;
  readonly outcome: 'approved' | 'partly_approved' | 'denied';
  readonly state: 'awaiting_confirmation' | 'effective' | 'rejected_by_checker';
  readonly findings: readonly FindingRow[];
  readonly denialReasons: readonly string[];
  readonly note: string;
  readonly approvedTotal: string;
  readonly incidentCapCut: string;
  readonly projectLimitCut: string;
  readonly poolCapCut: string;
  readonly payable: string;
  /** Which cap cut how much; empty when neither did. */
  readonly cuts: readonly {
    readonly cap: CapName;
    readonly amount: string;
  }[];
  readonly lines: readonly {
    readonly lineId: string;
    readonly approved: string;
    readonly payable: string;
    readonly cutBy: CapName | null;
  }[];
  readonly decidedBy: string;
  readonly decidedAt: string;
  readonly confirmedBy: string | null;
  readonly confirmedAt: string | null;
}

interface DecisionContext {
  readonly claim: { id: string; incidentId: string; status: import('../db/schema.ts').ClaimStatus };
  readonly incident: Incident;
  readonly pool: Pool;
}

async function lockForDecision(trx: Tx, claimId: string): Promise<DecisionContext> {
  const claim = await lockClaim(trx, claimId);
  const incident = await lockIncident(trx, claim.incidentId);
  const pool = await lockPool(trx, incident.poolId);
  return { claim, incident, pool };
}

export async function decideClaim(
  trx: Tx,
  claimId: string,
  input: DecisionInput,
  deciderId: string,
): Promise<DecisionView> {
  const { claim, incident, pool } = await lockForDecision(trx, claimId);
  assertTransition('decide', claim.status, 'approved');
  // Terms whose date has come reach the ledger before anything is drawn on it.
  const now = input.now ?? new Date();
  await bringTermsIntoForce(trx, pool, localDateOf(now), 'write', now);
  const terms = await termsInForce(trx, pool.id, incident.occurredOn);
  const lines = await undecidedLines(trx, claimId);
  if (lines.length === 0)
    throw new DomainError('validation_failed', 'every line of this claim is already decided');

  const approvedByLine = new Map<string, Money>();
  if (input.decision === 'approve') {
    for (const entry of input.lines) approvedByLine.set(entry.lineId, entry.approved);
    const unknown = [...approvedByLine.keys()].filter((id) => !lines.some((l) => l.id === id));
    const missing = lines.filter((l) => !approvedByLine.has(l.id)).map((l) => l.line_no);
    if (unknown.length > 0 || missing.length > 0 || approvedByLine.size !== input.lines.length) {
      throw new DomainError(
        'validation_failed',
        `give an approved amount for each undecided line exactly once${missing.length ? `; missing line(s) ${missing.join(', ')}` : ''}${unknown.length ? `; not undecided lines of this claim: ${unknown.join(', ')}` : ''}`,
      );
    }
    for (const line of lines) {
      const approved = approvedByLine.get(line.id) ?? ZERO;
      if (approved.gt(new Money(line.amount_claimed))) {
        throw new DomainError(
          'validation_failed',
          `line ${line.line_no}: approved ${formatAmount(approved)} exceeds the ${line.amount_claimed} claimed`,
        );
      }
    }
  }

  const categoryTerms = new Map(terms.categories.map((c) => [c.category as string, c]));
  const paidLines = lines.filter((l) => (approvedByLine.get(l.id) ?? ZERO).gt(ZERO));
  const incidentLeft = await incidentCoverage(trx, incident);
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
  const findings = [
    ...automaticFindings({
      riskPointRegisteredOn: riskPoint.registeredOn,
      occurredOn: incident.occurredOn,
      periodStart: terms.periodStart,
      periodEnd: terms.periodEnd,
      lineCategories: (input.decision === 'approve' ? paidLines : lines).map((l) => ({
        category: l.category,
        covered: categoryTerms.get(l.category)?.covered ?? false,
      })),
      incidentRemaining: incidentLeft.remaining,
      poolRemaining: formatAmount(cumulativeLeft),
      duplicateLines: (input.decision === 'approve' ? paidLines : lines).filter(
        (l) => l.possible_duplicate_of.length > 0,
      ).length,
    }),
  ];
  const attested = attestedFindings(input.attestations);
  findings.push(...attested.findings);
  const fromCase = await exemptionEligibility(trx, incident.id);
  if (fromCase) findings.push(fromCase);

  let payable: Payable;
  let outcome: DecisionView['outcome'];
  let reasons: string[];
  if (input.decision === 'approve') {
    if (attested.missing.length > 0) {
      throw new DomainError(
        'validation_failed',
        `an approval needs the handler's findings: ${attested.missing.join(', ')}`,
      );
    }
    const failing = findings.filter((f) => f.result === 'fail' && f.code !== 'CAPS_NOT_EXHAUSTED');
    if (failing.length > 0) {
      throw new DomainError(
        'eligibility_failed',
        `cannot approve: ${failing.map((f) => `${f.code} (${f.note})`).join('; ')}`,
        {
          failing: failing.map((f) => f.code).join(','),
        },
      );
    }
    payable = computePayable(
      lines.map((l) => ({
        lineId: l.id,
        category: l.category,
        approved: approvedByLine.get(l.id) ?? ZERO,
        countsAgainstCaps: categoryTerms.get(l.category)?.countsAgainstCaps ?? true,
      })),
      incident.covered ? new Money(incidentLeft.remaining) : ZERO,
      cumulativeLeft,
      await projectLimitLeft(trx, incident, terms),
    );
    const claimedTotal = sumAmounts(lines.map((l) => new Money(l.amount_claimed)));
    // An approval the caps cut to nothing is still an approval: payable 0.00, the cap named
    // in its cuts. It is never a denial, which would say an eligibility check failed.
    outcome = payable.payable.eq(claimedTotal) ? 'approved' : 'partly_approved';
    reasons = [];
  } else {
    if (input.reasons.length === 0)
      throw new DomainError('validation_failed', 'a denial needs at least one coded reason');
    payable = computePayable(
      lines.map((l) => ({
        lineId: l.id,
        category: l.category,
        approved: ZERO,
        countsAgainstCaps: true,
      })),
      ZERO,
      ZERO,
    );
    outcome = 'denied';
    reasons = [...input.reasons];
  }

  const decisionId = crypto.randomUUID();
  const needsChecker = payable.payable.gt(terms.fourEyesThreshold);
  await trx
    .insertInto('claim_decision')
    .values({
      id: decisionId,
      claim_id: claimId,
      outcome,
      state: needsChecker ? 'awaiting_confirmation' : 'effective',
      findings: JSON.stringify(findings),
      denial_reasons: JSON.stringify(reasons),
      note: input.note,
      approved_total: formatAmount(payable.approvedTotal),
      incident_cap_cut: formatAmount(payable.incidentCapCut),
      project_limit_cut: formatAmount(payable.projectLimitCut),
      pool_cap_cut: formatAmount(payable.poolCapCut),
      payable: formatAmount(payable.payable),
      decided_by: deciderId,
    })
    .execute();
  for (const line of payable.lines) {
    const holdEntryId = line.held.gt(ZERO)
      ? await holdCoverage(trx, {
          decisionId,
          lineId: line.lineId,
          claimId,
          incident,
          pool,
          amount: line.held,
        })
      : null;
    await trx
      .insertInto('claim_decision_line')
      .values({
        decision_id: decisionId,
        claim_line_id: line.lineId,
        approved: formatAmount(line.approved),
        payable: formatAmount(line.payable),
        cut_by: line.cutBy,
        hold_entry_id: holdEntryId,
      })
      .execute();
  }

  if (needsChecker) {
    await moveClaim(
      trx,
      claim,
      'decide',
      'awaiting_confirmation',
      `payable ${formatAmount(payable.payable)} needs a second insurer user`,
      deciderId,
    );
  } else {
    await recordExpense(trx, { decisionId, claimId, incident, pool, lines: payable.lines });
    await moveClaim(trx, claim, 'decide', outcome, input.note, deciderId);
    if (outcome === 'partly_approved' && payable.payable.isZero()) {
      await moveClaim(
        trx,
        { id: claim.id, status: outcome },
        'close_nothing_to_pay',
        'paid',
        `closed with nothing to pay: the caps cut ${formatAmount(payable.approvedTotal)} approved to 0.00`,
        deciderId,
      );
    }
  }
  await raiseCoverageAlerts(trx, pool, incident, terms);
  return getDecision(trx, decisionId);
}

export async function confirmDecision(
  trx: Tx,
  claimId: string,
  checkerId: string,
): Promise<DecisionView> {
  const { claim, incident, pool } = await lockForDecision(trx, claimId);
  const decision = await awaitingDecision(trx, claimId, claim.status);
  if (decision.decided_by === checkerId) {
    throw new DomainError(
      'four_eyes_required',
      'the handler who made a decision cannot also confirm it',
    );
  }
  assertTransition('confirm', claim.status, decision.outcome);
  const lines = await trx
    .selectFrom('claim_decision_line')
    .innerJoin('claim_line', 'claim_line.id', 'claim_decision_line.claim_line_id')
    .select(['claim_line.id as lineId', 'claim_line.category', 'claim_decision_line.payable'])
    .where('decision_id', '=', decision.id)
    .execute();
  await recordExpense(trx, {
    decisionId: decision.id,
    claimId,
    incident,
    pool,
    lines: lines.map((l) => ({
      lineId: l.lineId,
      category: l.category,
      payable: new Money(l.payable),
    })),
  });
  await trx
    .updateTable('claim_decision')
    .set({ state: 'effective', confirmed_by: checkerId, confirmed_at: new Date() })
    .where('id', '=', decision.id)
    .execute();
  await moveClaim(
    trx,
    claim,
    'confirm',
    decision.outcome,
    'confirmed by a second insurer user',
    checkerId,
  );
  return getDecision(trx, decision.id);
}

export async function rejectDecision(
  trx: Tx,
  claimId: string,
  checkerId: string,
  note: string,
): Promise<DecisionView> {
  const { claim } = await lockForDecision(trx, claimId);
  const decision = await awaitingDecision(trx, claimId, claim.status);
  if (decision.decided_by === checkerId) {
    throw new DomainError(
      'four_eyes_required',
      'the handler who made a decision cannot also reject it as checker',
    );
  }
  const holds = await trx
    .selectFrom('claim_decision_line')
    .select(['claim_line_id', 'hold_entry_id'])
    .where('decision_id', '=', decision.id)
    .where('hold_entry_id', 'is not', null)
    .execute();
  for (const hold of holds) {
    if (hold.hold_entry_id === null) continue;
    await recordCommandInTransaction(trx, {
      type: 'void_pending',
      pendingEntryId: hold.hold_entry_id,
      idempotencyKey: `decision:${decision.id}:line:${hold.claim_line_id}:void`,
      description: `checker rejected decision ${decision.id}`,
      references: { claimId },
    });
  }
  await trx
    .updateTable('claim_decision')
    .set({ state: 'rejected_by_checker', confirmed_by: checkerId, confirmed_at: new Date() })
    .where('id', '=', decision.id)
    .execute();
  await moveClaim(trx, claim, 'reject_decision', 'under_review', note, checkerId);
  return getDecision(trx, decision.id);
}

async function awaitingDecision(trx: Tx, claimId: string, status: string) {
  const decision = await trx
    .selectFrom('claim_decision')
    .selectAll()
    .where('claim_id', '=', claimId)
    .where('state', '=', 'awaiting_confirmation')
    .forUpdate()
    .executeTakeFirst();
  if (!decision)
    throw new DomainError(
      'illegal_transition',
      `claim ${claimId} has no decision awaiting confirmation (it is ${status})`,
    );
  return decision;
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

async function undecidedLines(trx: Tx, claimId: string) {
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

async function holdCoverage(
  trx: Tx,
  hold: {
    decisionId: string;
    lineId: string;
    claimId: string;
    incident: Incident;
    pool: Pool;
    amount: Money;
  },
): Promise<number> {
  const poolCodes = poolAccountCodes(hold.pool.code);
  const incidentCodes = incidentAccountCodes(hold.incident.id);
  const entry = await recordCommandInTransaction(trx, {
    type: 'transfer',
    pending: true,
    idempotencyKey: `decision:${hold.decisionId}:line:${hold.lineId}:hold`,
    description: `coverage reserved for claim ${hold.claimId}`,
    references: { poolId: hold.pool.id, incidentId: hold.incident.id, claimId: hold.claimId },
    postings: [
      { accountCode: poolCodes.coverageConsumed, direction: 'debit', amount: hold.amount },
      { accountCode: poolCodes.coverageAvailable, direction: 'credit', amount: hold.amount },
      { accountCode: incidentCodes.consumed, direction: 'debit', amount: hold.amount },
      { accountCode: incidentCodes.available, direction: 'credit', amount: hold.amount },
    ],
  });
  return entry.id;
}

/** Claims expense by category against claims payable: one entry per category paid. */
async function recordExpense(
  trx: Tx,
  expense: {
    decisionId: string;
    claimId: string;
    incident: Incident;
    pool: Pool;
    lines: readonly { lineId: string; category: string; payable: Money }[];
  },
): Promise<void> {
  const codes = poolAccountCodes(expense.pool.code);
  const byCategory = new Map<string, Money>();
  for (const line of expense.lines)
    byCategory.set(line.category, (byCategory.get(line.category) ?? ZERO).plus(line.payable));
  for (const [category, amount] of byCategory) {
    if (amount.isZero()) continue;
    await recordCommandInTransaction(trx, {
      type: 'transfer',
      idempotencyKey: `decision:${expense.decisionId}:expense:${category}`,
      description: `claims expense (${category}) for claim ${expense.claimId}`,
      references: {
        poolId: expense.pool.id,
        incidentId: expense.incident.id,
        claimId: expense.claimId,
        category,
      },
      postings: [
        { accountCode: codes.claimsExpense(category as CostCategory), direction: 'debit', amount },
        { accountCode: codes.claimsPayable, direction: 'credit', amount },
      ],
    });
  }
}

async function raiseCoverageAlerts(
  trx: Tx,
  pool: Pool,
  incident: Incident,
  terms: PoolTerms,
): Promise<void> {
  await raisePoolAlerts(trx, pool, terms.periodStart);
  if (!incident.covered) return;
  const coverage = await incidentCoverage(trx, incident);
  const committed = new Money(coverage.reserved).plus(new Money(coverage.consumed));
  await raiseAlerts(
    trx,
    { poolId: pool.id, incidentId: incident.id, periodStart: terms.periodStart },
    committed,
    new Money(coverage.cap),
    [terms.incidentWarningPercent],
  );
}

export async function getDecision(db: DB | Tx, decisionId: string): Promise<DecisionView> {
  const row = await db
    .selectFrom('claim_decision')
    .selectAll()
    .where('id', '=', decisionId)
    .executeTakeFirst();
  if (!row) throw new DomainError('not_found', `decision ${decisionId} does not exist`);
  const lines = await db
    .selectFrom('claim_decision_line')
    .innerJoin('claim_line', 'claim_line.id', 'claim_decision_line.claim_line_id')
    .select([
      'claim_decision_line.claim_line_id as lineId',
      'approved',
      'payable',
      // The column's check constraint holds it to the three cap names.
      (eb) => eb.ref('cut_by').$castTo<CapName | null>().as('cutBy'),
    ])
    .where('decision_id', '=', decisionId)
    .orderBy('claim_line.line_no')
    .execute();
  const cuts: DecisionView['cuts'] = [
    ...(new Money(row.incident_cap_cut).gt(ZERO)
      ? [{ cap: 'per_incident_cap' as const, amount: row.incident_cap_cut }]
      : []),
    ...(new Money(row.project_limit_cut).gt(ZERO)
      ? [{ cap: 'per_project_limit' as const, amount: row.project_limit_cut }]
      : []),
    ...(new Money(row.pool_cap_cut).gt(ZERO)
      ? [{ cap: 'cumulative_cap' as const, amount: row.pool_cap_cut }]
      : []),
  ];
  return {
    id: row.id,
    claimId: row.claim_id,
    outcome: row.outcome,
    state: row.state,
    findings: row.findings,
    denialReasons: row.denial_reasons,
    note: row.note,
    approvedTotal: row.approved_total,
    incidentCapCut: row.incident_cap_cut,
    projectLimitCut: row.project_limit_cut,
    poolCapCut: row.pool_cap_cut,
    payable: row.payable,
    cuts,
    lines,
    decidedBy: row.decided_by,
    decidedAt: row.decided_at.toISOString(),
    confirmedBy: row.confirmed_by,
    confirmedAt: row.confirmed_at?.toISOString() ?? null,
  };
}

export async function claimDecisions(db: DB | Tx, claimId: string): Promise<DecisionView[]> {
  await getClaim(db, claimId);
  const ids = await db
    .selectFrom('claim_decision')
    .select('id')
    .where('claim_id', '=', claimId)
    .orderBy('decided_at')
    .execute();
  return Promise.all(ids.map((row) => getDecision(db, row.id)));
}
