/**
 * @module The four-eyes check of a claim decision: a second insurer user — neither the decider nor
 * the claim's submitter — confirms it (expense recorded, the decision takes effect) or rejects it
 * (its coverage holds voided).
 */
import type { Tx } from '../db/transaction.ts';
import { DomainError } from '../domain-error.ts';
import { Money, sumAmounts } from '../ledger/money.ts';
import { recordCommandsInTransaction } from '../ledger/record.ts';
import { takeEffect } from './adjudication.ts';
import { moveClaim } from './claims.ts';
import { expenseCommands } from './decision-commands.ts';
import { lockForDecision } from './decision-facts.ts';
import { type DecisionView, getDecision } from './decision-view.ts';
import { eventCapReturns } from './event-cap-returns.ts';
import { assertTransition } from './lifecycle.ts';

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
  const held = holds.flatMap((hold) =>
    hold.hold_entry_id === null ? [] : [{ line: hold.claim_line_id, entryId: hold.hold_entry_id }],
  );
  const holdEntryIds = held.map((hold) => hold.entryId);
  await recordCommandsInTransaction(trx, [
    ...held.map((hold) => ({
      type: 'void_pending' as const,
      pendingEntryId: hold.entryId,
      idempotencyKey: `decision:${decision.id}:line:${hold.line}:void`,
      description: `checker rejected decision ${decision.id}`,
      references: { claimId },
    })),
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
