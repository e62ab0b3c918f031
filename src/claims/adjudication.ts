/**
 * @module Deciding a claim: the thin executor of `planDecision` (decision-plan.ts). Locks
 * claim → incident → the incident's loss event → pool (the pool row serialises every draw
 * on its coverage, so the remaining figures read here stay true until commit), reads the
 * facts, lets the plan decide, then writes what it says: the decision and its lines, each
 * line's coverage hold on the pool and the event's cap at once (one hold per line, so each
 * payout settles its own), claims expense against claims payable — all in the caller's
 * transaction.
 *
 * Four-eyes: a decision that takes the claim's or the event's cumulative payable past the
 * decider's authority limit holds its coverage at once (so nobody else can take it while it
 * waits) but records no expense and changes no status beyond `awaiting_confirmation` until
 * a second insurer user — neither the decider nor the claim's submitter — confirms. A
 * checker's rejection voids the hold.
 */
import type { DB } from '../db/database.ts';
import type { ClaimStatus, FindingRow } from '../db/schema.ts';
import type { Tx } from '../db/transaction.ts';
import { DomainError } from '../domain-error.ts';
import { exemptionEligibility } from '../exemption/claim-link.ts';
import { formatAmount, Money, minAmount, sumAmounts, ZERO } from '../ledger/money.ts';
import { recordCommandsInTransaction } from '../ledger/record.ts';
import type { LedgerCommand } from '../ledger/types.ts';
import { raiseAlerts, raisePoolAlerts } from '../policy/alerts.ts';
import { bringTermsIntoForce } from '../policy/capacity.ts';
import { poolCoverage } from '../policy/coverage.ts';
import { incidentAccountCodes } from '../policy/incident-accounts.ts';
import { localDateOf, localDateText } from '../policy/local-date.ts';
import { periodLeftover } from '../policy/periods.ts';
import { type CostCategory, poolAccountCodes } from '../policy/pool-accounts.ts';
import { lockPool, type Pool } from '../policy/pools.ts';
import { type PoolTerms, requiredDocumentsOf, termsInForce } from '../policy/terms.ts';
import { authorityLimitOf, claimPayable, eventPayable } from './authority.ts';
import { getClaim, lockClaim, moveClaim } from './claims.ts';
import { type DecisionFacts, type DecisionRequest, planDecision } from './decision-plan.ts';
import { documentsByLine } from './documents.ts';
import { type Incident, incidentCoverage, lockIncident } from './incidents.ts';
import { assertTransition } from './lifecycle.ts';
import { eventCapReturns, unresolvedDuplicates } from './loss-events.ts';
import type { CapName } from './payable.ts';
import { projectCommitted } from './project-coverage.ts';
import { releaseReserve } from './reserves.ts';

export type DecisionInput = DecisionRequest & {
  /** The request's clock: terms due by then reach the ledger first. */
  readonly now?: Date;
};

export interface DecisionView {
  readonly id: string;
  readonly claimId: string;
  readonly outcome: 'approved' | 'partly_approved' | 'denied';
  readonly state: 'awaiting_confirmation' | 'effective' | 'rejected_by_checker';
  /** The decision a supplementary decision revises; null for a claim's own decision. */
  readonly supersedesDecisionId: string | null;
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
    /** What the line stood at before (a supplement pays the difference). */
    readonly previousPayable: string;
    readonly cutBy: CapName | null;
  }[];
  readonly decidedBy: string;
  readonly decidedAt: string;
  readonly confirmedBy: string | null;
  readonly confirmedAt: string | null;
}

interface DecisionContext {
  readonly claim: { id: string; incidentId: string; status: ClaimStatus; submittedBy: string };
  readonly incident: Incident;
  /** The incident whose cap the claim draws on: its own, or its loss event's. */
  readonly eventIncident: Incident;
  readonly pool: Pool;
}

async function lockForDecision(trx: Tx, claimId: string): Promise<DecisionContext> {
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

/** A claim's own decision, on every line not yet decided. */
export async function decideClaim(
  trx: Tx,
  claimId: string,
  input: DecisionInput,
  deciderId: string,
): Promise<DecisionView> {
  const context = await lockForDecision(trx, claimId);
  assertTransition('decide', context.claim.status, 'approved');
  const lines = await undecidedLines(trx, claimId);
  return execute(trx, context, input, deciderId, {
    kind: 'original',
    lines: lines.map((l) => ({ ...l, previousPayable: ZERO })),
    supersedes: null,
  });
}

/**
 * A supplementary decision on a reopened claim: new approved totals for lines of an
 * earlier decision that took effect, which it names. Only the difference is cut, held,
 * expensed and paid.
 */
export async function decideSupplement(
  trx: Tx,
  claimId: string,
  supersedesDecisionId: string,
  input: DecisionInput & { readonly decision: 'approve' },
  deciderId: string,
): Promise<DecisionView> {
  const context = await lockForDecision(trx, claimId);
  if (context.claim.status !== 'reopened') {
    throw new DomainError(
      'illegal_transition',
      `a supplementary decision needs a reopened claim; this one is ${context.claim.status}`,
    );
  }
  const previous = await trx
    .selectFrom('claim_decision')
    .select(['id', 'state'])
    .where('id', '=', supersedesDecisionId)
    .where('claim_id', '=', claimId)
    .executeTakeFirst();
  if (!previous)
    throw new DomainError('not_found', `claim ${claimId} has no decision ${supersedesDecisionId}`);
  if (previous.state !== 'effective') {
    throw new DomainError(
      'illegal_transition',
      `decision ${supersedesDecisionId} is ${previous.state}; only a decision that took effect can be revised`,
    );
  }
  const later = await trx
    .selectFrom('claim_decision')
    .select('id')
    .where('supersedes_decision_id', '=', supersedesDecisionId)
    .where('state', 'in', ['effective', 'awaiting_confirmation'])
    .executeTakeFirst();
  if (later) {
    throw new DomainError(
      'conflict',
      `decision ${supersedesDecisionId} was already revised by ${later.id}; revise that one`,
      { latestDecisionId: later.id },
    );
  }
  const lines = await trx
    .selectFrom('claim_decision_line')
    .innerJoin('claim_line', 'claim_line.id', 'claim_decision_line.claim_line_id')
    .selectAll('claim_line')
    .where('claim_decision_line.decision_id', '=', supersedesDecisionId)
    .orderBy('claim_line.line_no')
    .execute();
  const standing = await standingPayable(
    trx,
    lines.map((l) => l.id),
  );
  return execute(trx, context, input, deciderId, {
    kind: 'supplementary',
    lines: lines.map((l) => ({ ...l, previousPayable: standing.get(l.id) ?? ZERO })),
    supersedes: supersedesDecisionId,
  });
}

/** What each line stands at: its payouts that were not voided (paid, or on their way). */
async function standingPayable(trx: Tx, lineIds: readonly string[]): Promise<Map<string, Money>> {
  if (lineIds.length === 0) return new Map();
  const rows = await trx
    .selectFrom('payout')
    .select(['claim_line_id', (eb) => eb.fn.sum<string>('amount').as('amount')])
    .where('claim_line_id', 'in', [...lineIds])
    .where('status', '<>', 'void')
    .groupBy('claim_line_id')
    .execute();
  return new Map(rows.map((r) => [r.claim_line_id, new Money(String(r.amount))]));
}

type LineRow = Awaited<ReturnType<typeof undecidedLines>>[number] & { previousPayable: Money };

async function execute(
  trx: Tx,
  context: DecisionContext,
  input: DecisionInput,
  deciderId: string,
  scope: {
    kind: 'original' | 'supplementary';
    lines: readonly LineRow[];
    supersedes: string | null;
  },
): Promise<DecisionView> {
  const { claim, incident, eventIncident, pool } = context;
  // Terms whose date has come reach the ledger before anything is drawn on it.
  const now = input.now ?? new Date();
  await bringTermsIntoForce(trx, pool, localDateOf(now), 'write', now);
  const terms = await termsInForce(trx, pool.id, incident.occurredOn);
  const plan = planDecision(await readFacts(trx, context, input, deciderId, terms, scope));

  const decisionId = crypto.randomUUID();
  await trx
    .insertInto('claim_decision')
    .values({
      id: decisionId,
      claim_id: claim.id,
      outcome: plan.outcome,
      state: plan.needsChecker ? 'awaiting_confirmation' : 'effective',
      findings: JSON.stringify(plan.findings),
      denial_reasons: JSON.stringify(plan.denialReasons),
      note: input.note,
      approved_total: formatAmount(plan.approvedTotal),
      incident_cap_cut: formatAmount(plan.incidentCapCut),
      project_limit_cut: formatAmount(plan.projectLimitCut),
      pool_cap_cut: formatAmount(plan.poolCapCut),
      payable: formatAmount(plan.payable),
      decided_by: deciderId,
      supersedes_decision_id: scope.supersedes,
    })
    .execute();
  const held = plan.lines.filter((line) => line.held.gt(ZERO));
  const expense = plan.needsChecker
    ? []
    : expenseCommands({
        decisionId,
        claimId: claim.id,
        incident,
        pool,
        lines: plan.lines.map((l) => ({ category: l.category, payable: l.change })),
      });
  // One ledger write for the whole decision: a second write would lock the expense accounts
  // while holding the chain head, and give way to every settlement that holds them.
  const entries = await recordCommandsInTransaction(trx, [
    ...held.map((line) =>
      holdCommand({
        decisionId,
        lineId: line.lineId,
        claimId: claim.id,
        eventIncident,
        pool,
        amount: line.held,
      }),
    ),
    ...expense,
  ]);
  const holdEntryOf = new Map(held.map((line, i) => [line.lineId, entries[i]?.id ?? null]));
  for (const line of plan.lines) {
    await trx
      .insertInto('claim_decision_line')
      .values({
        decision_id: decisionId,
        claim_line_id: line.lineId,
        approved: formatAmount(line.approved),
        payable: formatAmount(line.payable),
        previous_payable: formatAmount(line.previousPayable),
        cut_by: line.cutBy,
        hold_entry_id: holdEntryOf.get(line.lineId) ?? null,
      })
      .execute();
  }

  if (plan.needsChecker) {
    await moveClaim(
      trx,
      claim,
      'decide',
      'awaiting_confirmation',
      `${plan.needsChecker}: a second insurer user must confirm`,
      deciderId,
    );
  } else {
    await takeEffect(trx, {
      decisionId,
      claim,
      outcome: plan.outcome,
      change: plan.change,
      approvedTotal: plan.approvedTotal,
      action: 'decide',
      note: input.note,
      actorId: deciderId,
    });
  }
  await raiseCoverageAlerts(trx, pool, eventIncident, terms);
  return getDecision(trx, decisionId);
}

async function readFacts(
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
 * A decision takes effect, its claims expense recorded by the caller: the case reserve
 * released (the decision's payable now stands as outstanding), and the claim's new status.
 */
async function takeEffect(
  trx: Tx,
  effect: {
    decisionId: string;
    claim: { id: string; status: ClaimStatus };
    outcome: DecisionView['outcome'];
    change: Money;
    approvedTotal: Money;
    action: 'decide' | 'confirm';
    note: string;
    actorId: string;
  },
): Promise<void> {
  const { claim, actorId } = effect;
  await releaseReserve(
    trx,
    claim.id,
    `released: decision ${effect.decisionId} took effect`,
    actorId,
  );
  await moveClaim(trx, claim, effect.action, effect.outcome, effect.note, actorId);
  if (effect.outcome === 'partly_approved' && effect.change.isZero()) {
    await moveClaim(
      trx,
      { id: claim.id, status: effect.outcome },
      'close_nothing_to_pay',
      'paid',
      `closed with nothing to pay: the caps cut ${formatAmount(effect.approvedTotal)} approved to no more than the claim already stood at`,
      actorId,
    );
  }
}

/** The checker's check: neither the decider nor the claim's submitter. */
function assertChecker(
  decision: { decided_by: string },
  claim: { submittedBy: string },
  checkerId: string,
  what: 'confirm' | 'reject',
): void {
  if (decision.decided_by === checkerId) {
    throw new DomainError(
      'four_eyes_required',
      what === 'confirm'
        ? 'the handler who made a decision cannot also confirm it'
        : 'the handler who made a decision cannot also reject it as checker',
    );
  }
  if (claim.submittedBy === checkerId) {
    throw new DomainError(
      'separation_of_duties',
      `the insurer user who submitted a claim cannot ${what} its decision`,
      { rule: 'submitter_cannot_check' },
    );
  }
}

export async function confirmDecision(
  trx: Tx,
  claimId: string,
  checkerId: string,
): Promise<DecisionView> {
  const { claim, incident, pool } = await lockForDecision(trx, claimId);
  const decision = await awaitingDecision(trx, claimId, claim.status);
  assertChecker(decision, claim, checkerId, 'confirm');
  assertTransition('confirm', claim.status, decision.outcome);
  const lines = await trx
    .selectFrom('claim_decision_line')
    .innerJoin('claim_line', 'claim_line.id', 'claim_decision_line.claim_line_id')
    .select([
      'claim_line.id as lineId',
      'claim_line.category',
      'claim_decision_line.payable',
      'claim_decision_line.previous_payable',
    ])
    .where('decision_id', '=', decision.id)
    .execute();
  await trx
    .updateTable('claim_decision')
    .set({ state: 'effective', confirmed_by: checkerId, confirmed_at: new Date() })
    .where('id', '=', decision.id)
    .execute();
  const changes = lines.map((l) => ({
    category: l.category,
    payable: new Money(l.payable).minus(new Money(l.previous_payable)),
  }));
  await recordCommandsInTransaction(
    trx,
    expenseCommands({ decisionId: decision.id, claimId, incident, pool, lines: changes }),
  );
  await takeEffect(trx, {
    decisionId: decision.id,
    claim,
    outcome: decision.outcome,
    change: sumAmounts(changes.map((c) => c.payable)),
    approvedTotal: new Money(decision.approved_total),
    action: 'confirm',
    note: 'confirmed by a second insurer user',
    actorId: checkerId,
  });
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
  assertChecker(decision, claim, checkerId, 'reject');
  const holds = await trx
    .selectFrom('claim_decision_line')
    .select(['claim_line_id', 'hold_entry_id'])
    .where('decision_id', '=', decision.id)
    .where('hold_entry_id', 'is not', null)
    .execute();
  const holdEntryIds = holds.flatMap((hold) =>
    hold.hold_entry_id === null ? [] : [hold.hold_entry_id],
  );
  await recordCommandsInTransaction(trx, [
    ...holds.flatMap((hold) =>
      hold.hold_entry_id === null
        ? []
        : [
            {
              type: 'void_pending' as const,
              pendingEntryId: hold.hold_entry_id,
              idempotencyKey: `decision:${decision.id}:line:${hold.claim_line_id}:void`,
              description: `checker rejected decision ${decision.id}`,
              references: { claimId },
            },
          ],
    ),
    ...(await eventCapReturns(trx, holdEntryIds, { eventHeld: true })),
  ]);
  await trx
    .updateTable('claim_decision')
    .set({ state: 'rejected_by_checker', confirmed_by: checkerId, confirmed_at: new Date() })
    .where('id', '=', decision.id)
    .execute();
  // A rejected supplement sends the claim back where supplements are made.
  await moveClaim(
    trx,
    claim,
    'reject_decision',
    decision.supersedes_decision_id === null ? 'under_review' : 'reopened',
    note,
    checkerId,
  );
  return getDecision(trx, decision.id);
}

async function awaitingDecision(trx: Tx, claimId: string, status: string) {
  const decision = await trx
    .selectFrom('claim_decision')
    .selectAll()
    .where('claim_id', '=', claimId)
    .where('state', '=', 'awaiting_confirmation')
    .forNoKeyUpdate()
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

/** A line's coverage hold on the pool and on the cap it draws on (pending until paid). */
function holdCommand(hold: {
  decisionId: string;
  lineId: string;
  claimId: string;
  /** The cap drawn on: the incident's own, or its loss event's. */
  eventIncident: Incident;
  pool: Pool;
  amount: Money;
}): LedgerCommand {
  const poolCodes = poolAccountCodes(hold.pool.code);
  const incidentCodes = incidentAccountCodes(hold.eventIncident.id);
  return {
    type: 'transfer',
    pending: true,
    idempotencyKey: `decision:${hold.decisionId}:line:${hold.lineId}:hold`,
    description: `coverage reserved for claim ${hold.claimId}`,
    references: { poolId: hold.pool.id, incidentId: hold.eventIncident.id, claimId: hold.claimId },
    postings: [
      { accountCode: poolCodes.coverageConsumed, direction: 'debit', amount: hold.amount },
      { accountCode: poolCodes.coverageAvailable, direction: 'credit', amount: hold.amount },
      { accountCode: incidentCodes.consumed, direction: 'debit', amount: hold.amount },
      { accountCode: incidentCodes.available, direction: 'credit', amount: hold.amount },
    ],
  };
}

/** Claims expense by category against claims payable: one entry per category paid. */
function expenseCommands(expense: {
  decisionId: string;
  claimId: string;
  incident: Incident;
  pool: Pool;
  lines: readonly { category: string; payable: Money }[];
}): LedgerCommand[] {
  const codes = poolAccountCodes(expense.pool.code);
  const byCategory = new Map<string, Money>();
  for (const line of expense.lines)
    byCategory.set(line.category, (byCategory.get(line.category) ?? ZERO).plus(line.payable));
  return [...byCategory]
    .filter(([, amount]) => !amount.isZero())
    .map(([category, amount]) => ({
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
    }));
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
      'previous_payable as previousPayable',
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
    supersedesDecisionId: row.supersedes_decision_id,
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
