/**
 * @module Exemption decisions: a member of the special group prepares a draft, the group
 * leader decides it (never the one who prepared it) or sends it back.
 */
import { z } from '@hono/zod-openapi';
import { decide, prepareDecision, sendBack } from '../../../exemption/decisions.ts';
import { json, mutationRoute, type RouteApp, routes } from '../../route.ts';
import { UuidSchema } from '../../schemas.ts';
import {
  actingContext,
  CaseParams,
  DecisionSchema,
  DraftParams,
  DraftSchema,
  GROUP,
  iso,
  OutcomeSchema,
  text,
} from './schemas.ts';

const DraftInputSchema = z
  .object({
    outcome: OutcomeSchema,
    reasons: text(5000),
    supersedesDecisionId: UuidSchema.optional(),
  })
  .strict()
  .openapi('ExemptionDraftInput');

const NoBodySchema = z.object({}).strict();

export function exemptionDecisionRoutes(): RouteApp {
  const app = routes();
  mutationRoute(app, {
    roles: GROUP,
    path: '/exemption/investigations/{investigationId}/drafts',
    tags: ['exemption'],
    summary: 'Prepare a decision (a member); a revision names the decision it supersedes',
    params: CaseParams,
    body: DraftInputSchema,
    responses: { 201: json(DraftSchema, 'Prepared, awaiting the leader') },
    action: 'exemption.prepare',
    entity: 'investigation',
    run: async ({ params: { investigationId }, body, trx, actor }) => {
      const draft = await prepareDecision(trx, investigationId, body, actingContext(actor.userId));
      return {
        status: 201,
        body: { ...draft, preparedAt: iso(draft.preparedAt) },
        entityId: draft.id,
      };
    },
  });

  mutationRoute(app, {
    roles: GROUP,
    path: '/exemption/drafts/{draftId}/decide',
    tags: ['exemption'],
    summary: 'The group leader decides a draft (never the one who prepared it)',
    params: DraftParams,
    body: NoBodySchema,
    responses: { 201: json(DecisionSchema, 'The decision, immutable') },
    action: 'exemption.decide',
    entity: 'exemption_draft',
    run: async ({ params: { draftId }, trx, actor }) => {
      const decision = await decide(trx, draftId, actingContext(actor.userId));
      const body = {
        ...decision,
        preparedAt: iso(decision.preparedAt),
        decidedAt: iso(decision.decidedAt),
      };
      return { status: 201, body, entityId: decision.id };
    },
  });

  mutationRoute(app, {
    roles: GROUP,
    path: '/exemption/drafts/{draftId}/send-back',
    tags: ['exemption'],
    summary: 'The group leader sends a draft back to be prepared again',
    params: DraftParams,
    body: NoBodySchema,
    responses: { 200: json(DraftSchema, 'Sent back') },
    action: 'exemption.send_back',
    entity: 'exemption_draft',
    run: async ({ params: { draftId }, trx, actor }) => {
      const draft = await sendBack(trx, draftId, actingContext(actor.userId));
      return {
        status: 200,
        body: { ...draft, preparedAt: iso(draft.preparedAt) },
        entityId: draftId,
      };
    },
  });
  return app;
}
