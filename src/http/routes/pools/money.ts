/**
 * @module Money into the pool's account, recorded by finance: contributions (which grant
 * coverage), their refunds, and the insurer's remittances.
 */
import { z } from '@hono/zod-openapi';
import { Money } from '../../../ledger/money.ts';
import {
  receiveContribution,
  receiveRemittance,
  refundBehindWaitingPayouts,
} from '../../../payouts/cash-priority.ts';
import { listContributions } from '../../../policy/contributions.ts';
import { findPool } from '../../../policy/pools.ts';
import { json, mutationRoute, type RouteApp, roleRoute, routes } from '../../route.ts';
import {
  AmountSchema,
  LateItemSchema,
  LocalDateSchema,
  PoolParams,
  PositiveAmountSchema,
  UuidSchema,
} from '../../schemas.ts';
import { requestNow } from '../../today.ts';
import { TextSchema } from './schemas.ts';

const ReferenceSchema = z.string().regex(/^[A-Za-z0-9._/-]{1,100}$/, 'letters, digits and . _ / -');

const NewContributionSchema = z
  .object({
    amount: PositiveAmountSchema,
    receivedOn: LocalDateSchema,
    payer: TextSchema(200),
    bankReference: ReferenceSchema,
    bookAsLateItem: LateItemSchema,
  })
  .strict()
  .openapi('NewContribution', {
    example: {
      amount: '30000.00',
      receivedOn: '2026-03-01',
      payer: 'County finance bureau',
      bankReference: 'BOC-20260301-001',
    },
  });

const ContributionSchema = z
  .object({
    id: UuidSchema,
    poolId: UuidSchema,
    amount: AmountSchema,
    receivedOn: z.string(),
    payer: z.string(),
    bankReference: z.string(),
    coverageGranted: AmountSchema,
    surplus: AmountSchema,
    bookedAsLateItem: z.boolean(),
    entryId: z.number().int(),
  })
  .openapi('Contribution');

const NewRefundSchema = z
  .object({
    amount: PositiveAmountSchema,
    refundedOn: LocalDateSchema,
    bankReference: ReferenceSchema,
    reason: TextSchema(500),
    bookAsLateItem: LateItemSchema,
    /** Finance's reason for letting the refund take cash that waiting payouts need. */
    cashPriorityOverride: z
      .object({ reason: TextSchema(500) })
      .strict()
      .optional(),
  })
  .strict()
  .openapi('NewRefund', {
    example: {
      amount: '10000.00',
      refundedOn: '2026-05-01',
      bankReference: 'BOC-20260501-007',
      reason: 'paid twice',
    },
  });

const RefundSchema = z
  .object({
    id: UuidSchema,
    contributionId: UuidSchema,
    amount: AmountSchema,
    refundedOn: z.string(),
    surplusReturned: AmountSchema,
    coverageReleased: AmountSchema,
    bookedAsLateItem: z.boolean(),
    entryId: z.number().int(),
  })
  .openapi('Refund');

const NewRemittanceSchema = z
  .object({
    amount: PositiveAmountSchema,
    receivedOn: LocalDateSchema,
    reference: ReferenceSchema,
    note: z.string().max(500).default(''),
    bookAsLateItem: LateItemSchema,
  })
  .strict()
  .openapi('NewRemittance', {
    example: {
      amount: '250000.00',
      receivedOn: '2026-04-01',
      reference: 'INS-2026-0042',
      note: '',
    },
  });

const RemittanceSchema = z
  .object({
    id: UuidSchema,
    poolId: UuidSchema,
    amount: AmountSchema,
    receivedOn: z.string(),
    reference: z.string(),
    note: z.string(),
    bookedAsLateItem: z.boolean(),
    entryId: z.number().int(),
  })
  .openapi('Remittance');

export function moneyRoutes(): RouteApp {
  const app = routes();
  mutationRoute(app, {
    roles: ['finance'],
    path: '/finance/pools/{pool}/contributions',
    tags: ['finance'],
    summary:
      'Record a contribution: grants ratio × amount of coverage up to the cap; the rest is surplus; payouts waiting for funds are sent again, oldest first',
    params: PoolParams,
    body: NewContributionSchema,
    responses: { 201: json(ContributionSchema, 'Recorded') },
    action: 'contribution.record',
    entity: 'contribution',
    run: async ({ params, body, trx, actor, c }) => {
      const contribution = await receiveContribution(
        trx,
        params.pool,
        { ...body, amount: new Money(body.amount) },
        actor.userId,
        requestNow(c),
      );
      return { status: 201, body: contribution, entityId: contribution.id };
    },
  });

  app.openapi(
    roleRoute(['finance', 'admin'], {
      method: 'get',
      path: '/finance/pools/{pool}/contributions',
      tags: ['finance'],
      summary: 'Contributions to the pool',
      request: { params: PoolParams },
      responses: {
        200: json(z.object({ contributions: z.array(ContributionSchema) }), 'Contributions'),
      },
    }),
    async (c) => {
      const pool = await findPool(c.var.deps.db, c.req.valid('param').pool);
      return c.json({ contributions: await listContributions(c.var.deps.db, pool.id) }, 200);
    },
  );

  mutationRoute(app, {
    roles: ['finance'],
    path: '/finance/contributions/{contributionId}/refunds',
    tags: ['finance'],
    summary:
      'Refund a contribution: surplus first, then coverage that is neither reserved nor consumed; never cash that waiting payouts need, unless finance overrides with a reason',
    params: z.object({ contributionId: UuidSchema }),
    body: NewRefundSchema,
    responses: { 201: json(RefundSchema, 'Refunded') },
    action: 'contribution.refund',
    entity: 'contribution',
    run: async ({ params: { contributionId }, body, trx, actor, c }) => {
      const { cashPriorityOverride, ...refundInput } = body;
      const refund = await refundBehindWaitingPayouts(
        trx,
        contributionId,
        { ...refundInput, amount: new Money(body.amount) },
        cashPriorityOverride ?? null,
        actor.userId,
        requestNow(c),
      );
      return { status: 201, body: refund, entityId: contributionId };
    },
  });

  mutationRoute(app, {
    roles: ['finance'],
    path: '/finance/pools/{pool}/remittances',
    tags: ['finance'],
    summary:
      "Record the insurer's remittance into the pool's account; payouts waiting for funds are sent again, oldest first",
    params: PoolParams,
    body: NewRemittanceSchema,
    responses: { 201: json(RemittanceSchema, 'Recorded') },
    action: 'remittance.record',
    entity: 'remittance',
    run: async ({ params, body, trx, actor, c }) => {
      const remittance = await receiveRemittance(
        trx,
        params.pool,
        { ...body, amount: new Money(body.amount) },
        actor.userId,
        requestNow(c),
      );
      return { status: 201, body: remittance, entityId: remittance.id };
    },
  });
  return app;
}
