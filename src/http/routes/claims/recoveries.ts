/**
 * @module Money recovered for a paid claim (subrogation, salvage): recorded against the
 * claim, credited to the pool's fund.
 */
import { z } from '@hono/zod-openapi';
import { claimRecoveries, recordRecovery } from '../../../claims/recoveries.ts';
import { Money } from '../../../ledger/money.ts';
import { json, mutationRoute, type RouteApp, roleRoute, routes } from '../../route.ts';
import {
  AmountSchema,
  LateItemSchema,
  LocalDateSchema,
  PositiveAmountSchema,
  UuidSchema,
} from '../../schemas.ts';
import { requestNow } from '../../today.ts';
import { CLAIM_READERS, ClaimParams, Text } from './schemas.ts';

const NewRecoverySchema = z
  .object({
    kind: z.enum(['subrogation', 'salvage']),
    amount: PositiveAmountSchema,
    receivedOn: LocalDateSchema,
    fromParty: Text(200),
    reference: z.string().regex(/^[A-Za-z0-9._/-]{1,100}$/, 'letters, digits and . _ / -'),
    bookAsLateItem: LateItemSchema,
  })
  .strict()
  .openapi('NewRecovery', {
    example: {
      kind: 'subrogation',
      amount: '120000.00',
      receivedOn: '2026-11-20',
      fromParty: 'Dyke contractor Co.',
      reference: 'BOC-REC-7',
    },
  });

const RecoverySchema = z
  .object({
    id: UuidSchema,
    claimId: UuidSchema,
    kind: z.enum(['subrogation', 'salvage']),
    amount: AmountSchema,
    receivedOn: z.string(),
    fromParty: z.string(),
    reference: z.string(),
    coverageReinstated: AmountSchema.openapi({
      description:
        'cumulative coverage given back (only where the terms say recoveries reinstate it)',
    }),
    entryId: z.number().int(),
    effectiveAt: z.string().openapi({
      description:
        'when the ledger counts the money: the start of the day it was received (Asia/Shanghai), or the moment it was booked as a late item',
    }),
    bookedAsLateItem: z.boolean(),
    recordedBy: UuidSchema,
    recordedAt: z.string(),
  })
  .openapi('Recovery');

export function recoveryRoutes(): RouteApp {
  const app = routes();
  mutationRoute(app, {
    roles: ['insurer', 'finance'],
    path: '/insurer/claims/{claimId}/recoveries',
    tags: ['claims'],
    summary:
      'Record money recovered for a paid claim (subrogation, salvage): credited to the fund; reinstates cumulative coverage only where the terms say so',
    params: ClaimParams,
    body: NewRecoverySchema,
    responses: { 201: json(RecoverySchema, 'Recorded') },
    action: 'claim.record_recovery',
    entity: 'claim',
    run: async ({ params: { claimId }, body, trx, actor, c }) => {
      const recovery = await recordRecovery(
        trx,
        claimId,
        { ...body, amount: new Money(body.amount) },
        actor.userId,
        requestNow(c),
      );
      return { status: 201, body: recovery, entityId: claimId };
    },
  });

  app.openapi(
    roleRoute(CLAIM_READERS, {
      method: 'get',
      path: '/insurer/claims/{claimId}/recoveries',
      tags: ['claims'],
      summary: 'What was recovered for a claim',
      request: { params: ClaimParams },
      responses: { 200: json(z.object({ recoveries: z.array(RecoverySchema) }), 'Recoveries') },
    }),
    async (c) =>
      c.json(
        { recoveries: await claimRecoveries(c.var.deps.db, c.req.valid('param').claimId) },
        200,
      ),
  );
  return app;
}
