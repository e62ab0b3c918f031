/**
 * @module Claim decisions as the HTTP layer and the tests call them: decide (or supplement,
 * or confirm) and, when the decision takes effect, order its payouts in the same
 * transaction (the outbox rows the relay hands to the queue). No queue is touched here.
 */
import type { Tx } from '../db/transaction.ts';
import { orderPayouts } from '../payouts/orders.ts';
import { decideClaim, decideSupplement } from './adjudication.ts';
import { confirmDecision } from './decision-check.ts';
import type { DecisionInput } from './decision-facts.ts';
import type { DecisionView } from './decision-view.ts';

/** Decide a claim and, when the decision takes effect at once, order its payouts. */
export async function decideAndOrder(
  trx: Tx,
  claimId: string,
  input: DecisionInput,
  actorId: string,
): Promise<DecisionView> {
  const decision = await decideClaim(trx, claimId, input, actorId);
  await orderPayouts(trx, decision.id, actorId);
  return decision;
}

/** Revise a decided line of a reopened claim and order what the revision adds. */
export async function supplementAndOrder(
  trx: Tx,
  claimId: string,
  supersedesDecisionId: string,
  input: DecisionInput & { readonly decision: 'approve' },
  actorId: string,
): Promise<DecisionView> {
  const decision = await decideSupplement(trx, claimId, supersedesDecisionId, input, actorId);
  await orderPayouts(trx, decision.id, actorId);
  return decision;
}

/** Confirm a decision awaiting a second insurer user and order its payouts. */
export async function confirmAndOrder(
  trx: Tx,
  claimId: string,
  checkerId: string,
): Promise<DecisionView> {
  const decision = await confirmDecision(trx, claimId, checkerId);
  await orderPayouts(trx, decision.id, checkerId);
  return decision;
}
