/**
 * @module Deciding a claim: the thin executor of `planDecision` (decision-plan.ts). Locks claim →
 * incident → the incident's loss event → pool and reads the facts (decision-facts.ts; the pool row
 * serialises every draw on its coverage, so the remaining figures read there stay true until
 * commit), lets the plan decide, then writes what it says: the decision and its lines, each line's
 * coverage hold on the pool and the event's cap at once (one hold per line, so each payout settles
 * its own), claims expense against claims payable (decision-commands.ts) — all in the caller's
 * transaction.
 *
 * Four-eyes: a decision that takes the claim's or the event's cumulative payable past the
 * decider's authority limit holds its coverage at once (so nobody else can take it while it waits)
 * but records no expense and changes no status beyond `awaiting_confirmation` until a second
 * insurer user confirms (decision-check.ts).
 */
import type { ClaimStatus } from '../db/schema.ts';
import type { Tx } from '../db/transaction.ts';
import { DomainError } from '../domain-error.ts';
import { formatAmount, Money, ZERO } from '../ledger/money.ts';
import { recordCommandsInTransaction } from '../ledger/record.ts';
import { raiseAlerts, raisePoolAlerts } from '../policy/alerts.ts';
import { localDateOf } from '../policy/local-date.ts';
import type { Pool } from '../policy/pools.ts';
import { type PoolTerms, termsInForce } from '../policy/terms.ts';
import { bringTermsIntoForce } from '../policy/terms-in-force.ts';
import { moveClaim } from './claims.ts';
import { expenseCommands, holdCommand } from './decision-commands.ts';
import {
  type DecisionContext,
  type DecisionInput,
  type LineRow,
  lockForDecision,
  readFacts,
  undecidedLines,
} from './decision-facts.ts';
import { planDecision } from './decision-plan.ts';
import { type DecisionView, getDecision } from './decision-view.ts';
import { type Incident, incidentCoverage } from './incidents.ts';
import { assertTransition } from './lifecycle.ts';
import { releaseReserve } from './reserves.ts';

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

/**
 * A decision takes effect, its claims expense recorded by the caller: the case reserve
 * released (the decision's payable now stands as outstanding), and the claim's new status.
 */
export async function takeEffect(
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
