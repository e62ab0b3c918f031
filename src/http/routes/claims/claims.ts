/**
 * @module Claims: submitting one with its lines and evidence, the work queue, a claim with
 * its money, decisions and history, and the moves of its life cycle a handler makes.
 */
import { z } from '@hono/zod-openapi';
import { claimDetail } from '../../../claims/claim-detail.ts';
import { addClaimLines, changeClaimStatus, submitClaim } from '../../../claims/claims.ts';
import { workQueue } from '../../../claims/views.ts';
import { Money } from '../../../ledger/money.ts';
import { json, mutationRoute, type RouteApp, roleRoute, routes } from '../../route.ts';
import {
  CLAIM_READERS,
  CLAIM_STAFF,
  CLAIM_STATUSES,
  ClaimDetailSchema,
  ClaimHeadFields,
  ClaimMoneyFields,
  ClaimParams,
  ClaimSchema,
  claimLines,
  NewClaimSchema,
  NewLinesSchema,
  ReasonSchema,
} from './schemas.ts';

export function claimRoutes(): RouteApp {
  const app = routes();
  mutationRoute(app, {
    roles: CLAIM_STAFF,
    path: '/insurer/claims',
    tags: ['claims'],
    summary: 'Submit a claim with its lines and evidence',
    body: NewClaimSchema,
    responses: { 201: json(ClaimSchema, 'Submitted') },
    action: 'claim.submit',
    entity: 'claim',
    run: async ({ body, trx, actor }) => {
      const claim = await submitClaim(
        trx,
        {
          incidentId: body.incidentId,
          claimant: body.claimant,
          lines: claimLines(body.lines),
          ...(body.initialReserve === undefined
            ? {}
            : { initialReserve: new Money(body.initialReserve) }),
          ...(body.reserveReason === undefined ? {} : { reserveReason: body.reserveReason }),
        },
        actor.userId,
      );
      return { status: 201, body: claim, entityId: claim.id };
    },
  });

  app.openapi(
    roleRoute(CLAIM_STAFF, {
      method: 'get',
      path: '/insurer/claims',
      tags: ['claims'],
      summary: 'Work queue: open claims by status, oldest first',
      request: {
        query: z.object({
          status: z.enum(CLAIM_STATUSES).optional(),
          limit: z.coerce.number().int().min(1).max(500).default(100),
        }),
      },
      responses: {
        200: json(
          z.object({
            claims: z.array(
              z.object({
                ...ClaimHeadFields,
                ageDays: z.number().int(),
                ...ClaimMoneyFields,
              }),
            ),
          }),
          'Queue',
        ),
      },
    }),
    async (c) => {
      const { status, limit } = c.req.valid('query');
      const queue = await workQueue(c.var.deps.db, {
        statuses: status ? [status] : undefined,
        limit,
      });
      // An item of the queue is a claim: its id is `id`, as on the claim itself.
      return c.json(
        { claims: queue.map(({ claimId, ...item }) => ({ id: claimId, ...item })) },
        200,
      );
    },
  );

  app.openapi(
    roleRoute(CLAIM_READERS, {
      method: 'get',
      path: '/insurer/claims/{claimId}',
      tags: ['claims'],
      summary:
        'A claim: lines, money (claimed, approved, paid, voided, outstanding, incurred — from its payouts), findings and decisions, history',
      request: { params: ClaimParams },
      responses: { 200: json(ClaimDetailSchema, 'Claim') },
    }),
    async (c) => {
      const { claimId } = c.req.valid('param');
      const { summary, decisions, history, exemption } = await claimDetail(c.var.deps.db, claimId);
      return c.json(
        {
          ...summary,
          lines: summary.lines.map((l) => ({
            ...l,
            evidence: [...l.evidence],
            possibleDuplicateOf: [...l.possibleDuplicateOf],
          })),
          decisions: decisions.map((d) => ({
            ...d,
            findings: [...d.findings],
            denialReasons: [...d.denialReasons],
            cuts: [...d.cuts],
            lines: [...d.lines],
          })),
          history: history.map((e) => ({ ...e, recordedAt: e.recordedAt.toISOString() })),
          exemption: exemption && {
            ...exemption,
            decision: exemption.decision && {
              ...exemption.decision,
              decidedAt: exemption.decision.decidedAt.toISOString(),
            },
          },
        },
        200,
      );
    },
  );

  for (const [segment, action, summary] of [
    ['start-review', 'start_review', 'Take a submitted claim under review'],
    ['withdraw', 'withdraw', 'Withdraw a claim not yet decided'],
  ] as const) {
    mutationRoute(app, {
      roles: CLAIM_STAFF,
      path: `/insurer/claims/{claimId}/${segment}`,
      tags: ['claims'],
      summary,
      params: ClaimParams,
      responses: { 200: json(ClaimSchema, 'Moved') },
      action: `claim.${action}`,
      entity: 'claim',
      run: async ({ params: { claimId }, trx, actor }) => {
        const claim = await changeClaimStatus(trx, claimId, action, '', actor.userId);
        return { status: 200, body: claim, entityId: claim.id };
      },
    });
  }

  mutationRoute(app, {
    roles: CLAIM_STAFF,
    path: '/insurer/claims/{claimId}/reopen',
    tags: ['claims'],
    summary: 'Reopen a decided or paid claim, with a reason (late costs within the incident cap)',
    params: ClaimParams,
    body: ReasonSchema,
    responses: { 200: json(ClaimSchema, 'Reopened') },
    action: 'claim.reopen',
    entity: 'claim',
    run: async ({ params: { claimId }, body, trx, actor }) => {
      const claim = await changeClaimStatus(trx, claimId, 'reopen', body.reason, actor.userId);
      return { status: 200, body: claim, entityId: claim.id };
    },
  });

  mutationRoute(app, {
    roles: CLAIM_STAFF,
    path: '/insurer/claims/{claimId}/lines',
    tags: ['claims'],
    summary: 'Add late lines to a reopened claim',
    params: ClaimParams,
    body: NewLinesSchema,
    responses: { 200: json(ClaimSchema, 'Lines added') },
    action: 'claim.add_lines',
    entity: 'claim',
    run: async ({ params: { claimId }, body, trx, actor }) => {
      const claim = await addClaimLines(trx, claimId, claimLines(body.lines), actor.userId);
      return { status: 200, body: claim, entityId: claim.id };
    },
  });
  return app;
}
