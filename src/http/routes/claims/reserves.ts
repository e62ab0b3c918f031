/**
 * @module A claim's case reserve and its movements, each with a reason.
 */
import { z } from '@hono/zod-openapi';
import { claimReserve, moveReserve } from '../../../claims/reserves.ts';
import { Money } from '../../../ledger/money.ts';
import { json, mutationRoute, type RouteApp, roleRoute, routes } from '../../route.ts';
import { AmountSchema, UuidSchema } from '../../schemas.ts';
import { CLAIM_READERS, CLAIM_STAFF, ClaimParams, Text } from './schemas.ts';

const ReserveSchema = z
  .object({
    claimId: UuidSchema,
    caseReserve: AmountSchema,
    movements: z.array(
      z.object({
        kind: z.enum(['initial', 'movement', 'released']),
        amount: z
          .string()
          .openapi({ description: 'signed: + the reserve went up, − it went down' }),
        reserveAfter: AmountSchema,
        reason: z.string(),
        recordedBy: UuidSchema,
        recordedAt: z.string(),
      }),
    ),
  })
  .openapi('CaseReserve');

const MoveReserveSchema = z
  .object({ reserve: AmountSchema, reason: Text(1000) })
  .strict()
  .openapi('ReserveMovementInput', {
    example: { reserve: '320000.00', reason: 'the appraisal came in below the estimate' },
  });

export function reserveRoutes(): RouteApp {
  const app = routes();
  app.openapi(
    roleRoute(CLAIM_READERS, {
      method: 'get',
      path: '/insurer/claims/{claimId}/reserve',
      tags: ['claims'],
      summary: 'The case reserve and every movement of it',
      request: { params: ClaimParams },
      responses: { 200: json(ReserveSchema, 'Reserve') },
    }),
    async (c) => {
      return c.json(await claimReserve(c.var.deps.db, c.req.valid('param').claimId), 200);
    },
  );

  mutationRoute(app, {
    roles: CLAIM_STAFF,
    path: '/insurer/claims/{claimId}/reserve',
    tags: ['claims'],
    summary: 'Move the case reserve of a claim awaiting a decision to a new figure, with a reason',
    params: ClaimParams,
    body: MoveReserveSchema,
    responses: { 200: json(ReserveSchema, 'Moved') },
    action: 'claim.move_reserve',
    entity: 'claim',
    run: async ({ params: { claimId }, body, trx, actor }) => {
      await moveReserve(
        trx,
        claimId,
        { reserve: new Money(body.reserve), reason: body.reason },
        actor.userId,
      );
      return { status: 200, body: await claimReserve(trx, claimId), entityId: claimId };
    },
  });
  return app;
}
