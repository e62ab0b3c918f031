/**
 * @module A claim's decision: approve (per line, cut by the caps) or deny, a supplementary
 * decision revising decided lines of a reopened claim, the second insurer user's
 * confirmation (four-eyes, past the decider's authority limit), and its rejection.
 */
import { rejectDecision } from '../../../claims/decision-check.ts';
import { confirmAndOrder, decideAndOrder, supplementAndOrder } from '../../../claims/decisions.ts';
import { Money } from '../../../ledger/money.ts';
import { json, mutationRoute, type RouteApp, routes } from '../../route.ts';
import { requestNow } from '../../today.ts';
import {
  CLAIM_STAFF,
  ClaimParams,
  DecisionSchema,
  DecisionViewSchema,
  ReasonSchema,
  SupplementSchema,
} from './schemas.ts';

export function decisionRoutes(): RouteApp {
  const app = routes();
  mutationRoute(app, {
    roles: CLAIM_STAFF,
    path: '/insurer/claims/{claimId}/decision',
    tags: ['claims'],
    summary:
      'Approve (in full or in part, per line) or deny with coded reasons; says which cap cut how much',
    params: ClaimParams,
    body: DecisionSchema,
    responses: { 201: json(DecisionViewSchema, 'Decided') },
    action: 'claim.decide',
    entity: 'claim',
    run: async ({ params: { claimId }, body, trx, actor, c }) => {
      const now = requestNow(c);
      const input =
        body.decision === 'approve'
          ? {
              ...body,
              lines: body.lines.map((l) => ({ lineId: l.lineId, approved: new Money(l.approved) })),
              now,
            }
          : { ...body, now };
      const decision = await decideAndOrder(trx, claimId, input, actor.userId);
      return { status: 201, body: decision, entityId: claimId };
    },
  });

  mutationRoute(app, {
    roles: CLAIM_STAFF,
    path: '/insurer/claims/{claimId}/supplements',
    tags: ['claims'],
    summary:
      'A supplementary decision on a reopened claim: new approved totals for lines of the decision it names; only the raise is cut by the caps, held, expensed and paid',
    params: ClaimParams,
    body: SupplementSchema,
    responses: { 201: json(DecisionViewSchema, 'Decided') },
    action: 'claim.supplement',
    entity: 'claim',
    run: async ({ params: { claimId }, body, trx, actor, c }) => {
      const decision = await supplementAndOrder(
        trx,
        claimId,
        body.supersedesDecisionId,
        {
          decision: 'approve',
          lines: body.lines.map((l) => ({ lineId: l.lineId, approved: new Money(l.approved) })),
          attestations: body.attestations,
          note: body.note,
          now: requestNow(c),
        },
        actor.userId,
      );
      return { status: 201, body: decision, entityId: claimId };
    },
  });

  mutationRoute(app, {
    roles: CLAIM_STAFF,
    path: '/insurer/claims/{claimId}/decision/confirm',
    tags: ['claims'],
    summary: 'Confirm a decision awaiting a second insurer user (four-eyes)',
    params: ClaimParams,
    responses: { 200: json(DecisionViewSchema, 'Confirmed') },
    action: 'claim.confirm',
    entity: 'claim',
    run: async ({ params: { claimId }, trx, actor }) => {
      const decision = await confirmAndOrder(trx, claimId, actor.userId);
      return { status: 200, body: decision, entityId: claimId };
    },
  });

  mutationRoute(app, {
    roles: CLAIM_STAFF,
    path: '/insurer/claims/{claimId}/decision/reject',
    tags: ['claims'],
    summary: 'Reject a decision awaiting confirmation: its coverage hold is released',
    params: ClaimParams,
    body: ReasonSchema,
    responses: { 200: json(DecisionViewSchema, 'Rejected') },
    action: 'claim.reject_decision',
    entity: 'claim',
    run: async ({ params: { claimId }, body, trx, actor }) => {
      const decision = await rejectDecision(trx, claimId, actor.userId, body.reason);
      return { status: 200, body: decision, entityId: claimId };
    },
  });
  return app;
}
