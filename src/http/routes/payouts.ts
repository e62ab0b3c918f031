/**
 * @module Finance watches payouts: by status and per claim, the ones in doubt with their
 * age and the decision on them (with evidence), the shortfall to call from the insurer, the
 * failed ones to retry or void, and the treasury's payment files.
 */
import { z } from '@hono/zod-openapi';
import { decideInDoubt } from '../../payouts/in-doubt-resolution.ts';
import { PAYOUT_STATUSES } from '../../payouts/lifecycle.ts';
import { listPayouts, shortfall } from '../../payouts/orders.ts';
import {
  confirmPaymentFile,
  createPaymentFile,
  getPaymentFile,
  returnPaymentFileLine,
} from '../../payouts/payment-file.ts';
import { retryPayout } from '../../payouts/payout-failure.ts';
import { voidPayout } from '../../payouts/payout-void.ts';
import { findPool } from '../../policy/pools.ts';
import { csv, csvFile, json, mutationRoute, type RouteApp, roleRoute, routes } from '../route.ts';
import { AmountSchema, PoolParams, PoolRefSchema, UuidSchema } from '../schemas.ts';

const PayoutSchema = z
  .object({
    id: UuidSchema,
    claimId: UuidSchema,
    claimLineId: UuidSchema,
    poolId: UuidSchema,
    category: z.string(),
    payee: z.string(),
    amount: AmountSchema,
    status: z.enum(PAYOUT_STATUSES),
    attempts: z.number().int(),
    lastError: z.string().nullable(),
    gatewayReference: z.string().nullable(),
    settledAt: z.string().nullable(),
    createdAt: z.string(),
    inDoubtSince: z.string().nullable(),
    inDoubtMinutes: z.number().int().nullable(),
  })
  .openapi('Payout');

const PayoutParams = z.object({ payoutId: UuidSchema });
const StepSchema = z.object({ payoutId: UuidSchema, status: z.enum(PAYOUT_STATUSES) });
const VoidSchema = z
  .object({ reason: z.string().trim().min(1).max(500) })
  .strict()
  .openapi('VoidPayout', {
    example: { reason: 'payee account closed; claimant to resubmit bank details' },
  });
const InDoubtDecisionSchema = z
  .object({
    outcome: z.enum(['paid', 'not_paid']),
    evidence: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('statement_line'), statementLineId: UuidSchema }).strict(),
      z
        .object({
          kind: z.literal('bank_confirmation'),
          reference: z.string().trim().min(1).max(200),
        })
        .strict(),
    ]),
    note: z.string().trim().min(1).max(2000),
  })
  .strict()
  .openapi('InDoubtDecision', {
    example: {
      outcome: 'paid',
      evidence: { kind: 'bank_confirmation', reference: 'BOC enquiry 2026-11-03 #4471' },
      note: 'the bank confirmed by phone and e-mail that the transfer left on 2 November',
    },
  });
const ReturnLineSchema = z
  .object({ payoutId: UuidSchema, reason: z.string().trim().min(1).max(500) })
  .strict()
  .openapi('ReturnPaymentFileLine');

export function payoutRoutes(): RouteApp {
  const app = routes();
  app.openapi(
    roleRoute(['finance', 'insurer', 'admin'], {
      method: 'get',
      path: '/finance/payouts',
      tags: ['finance'],
      summary: 'Payouts by status, of one claim or of one pool, oldest first',
      request: {
        query: z.object({
          status: z.enum(PAYOUT_STATUSES).optional(),
          claimId: UuidSchema.optional(),
          pool: PoolRefSchema.optional(),
          limit: z.coerce.number().int().min(1).max(1000).default(200),
        }),
      },
      responses: { 200: json(z.object({ payouts: z.array(PayoutSchema) }), 'Payouts') },
    }),
    async (c) => {
      const { pool, ...filter } = c.req.valid('query');
      const db = c.var.deps.db;
      const poolId = pool === undefined ? undefined : (await findPool(db, pool)).id;
      return c.json({ payouts: await listPayouts(db, { ...filter, poolId }) }, 200);
    },
  );

  app.openapi(
    roleRoute(['finance', 'admin'], {
      method: 'get',
      path: '/finance/payouts/in-doubt',
      tags: ['finance'],
      summary:
        'Payouts nobody knows were paid (a lost answer, a worker stopped mid-send), longest in doubt first, with their age',
      responses: { 200: json(z.object({ payouts: z.array(PayoutSchema) }), 'In doubt') },
    }),
    async (c) =>
      c.json(
        { payouts: await listPayouts(c.var.deps.db, { status: 'in_doubt', limit: 1000 }) },
        200,
      ),
  );

  mutationRoute(app, {
    roles: ['finance'],
    path: '/finance/payouts/{payoutId}/decide',
    tags: ['finance'],
    summary:
      'Say what happened to a payout in doubt, with evidence: paid settles it, not paid fails it (then retry or void)',
    params: PayoutParams,
    body: InDoubtDecisionSchema,
    responses: { 200: json(StepSchema, 'Decided') },
    action: 'payout.decide_in_doubt',
    entity: 'payout',
    run: async ({ params: { payoutId }, body, trx, actor }) => {
      const outcome = await decideInDoubt(trx, payoutId, body, actor.userId);
      return { status: 200, body: { payoutId, status: outcome.status }, entityId: payoutId };
    },
  });

  app.openapi(
    roleRoute(['finance', 'admin'], {
      method: 'get',
      path: '/finance/pools/{pool}/shortfall',
      tags: ['finance'],
      summary: 'Payouts waiting for funds and the amount to call from the insurer',
      request: { params: PoolParams },
      responses: {
        200: json(
          z.object({
            poolId: UuidSchema,
            payoutsAwaitingFunds: z.number().int(),
            amountAwaitingFunds: AmountSchema,
            fundAvailable: AmountSchema,
            toCallFromInsurer: AmountSchema,
          }),
          'Shortfall',
        ),
      },
    }),
    async (c) => {
      const pool = await findPool(c.var.deps.db, c.req.valid('param').pool);
      return c.json(await shortfall(c.var.deps.db, pool), 200);
    },
  );

  mutationRoute(app, {
    roles: ['finance'],
    path: '/finance/payouts/{payoutId}/retry',
    tags: ['finance'],
    summary: 'Send a failed payout again',
    params: PayoutParams,
    responses: { 200: json(StepSchema, 'Queued again') },
    action: 'payout.retry',
    entity: 'payout',
    run: async ({ params: { payoutId }, trx, actor }) => {
      const outcome = await retryPayout(trx, payoutId, actor.userId);
      return { status: 200, body: { payoutId, status: outcome.status }, entityId: payoutId };
    },
  });

  mutationRoute(app, {
    roles: ['finance'],
    path: '/finance/payouts/{payoutId}/void',
    tags: ['finance'],
    summary:
      'Void a payout whose money certainly did not leave (pending, awaiting funds, failed; never sending, in doubt or in an open payment file): its coverage is released and the payable reversed',
    params: PayoutParams,
    body: VoidSchema,
    responses: { 200: json(StepSchema, 'Voided') },
    action: 'payout.void',
    entity: 'payout',
    run: async ({ params: { payoutId }, body, trx, actor }) => {
      const outcome = await voidPayout(trx, payoutId, body.reason, actor.userId);
      return { status: 200, body: { payoutId, status: outcome.status }, entityId: payoutId };
    },
  });

  const PaymentFileSchema = z
    .object({
      id: UuidSchema,
      lineCount: z.number().int(),
      controlTotal: AmountSchema,
      checksum: z.string(),
      content: z.string().openapi({
        description: 'The CSV for the treasury: one line per payout, control total, checksum',
      }),
      confirmedAt: z.string().nullable(),
    })
    .openapi('PaymentFile');
  const FileParams = z.object({ fileId: UuidSchema });

  mutationRoute(app, {
    roles: ['finance'],
    path: '/finance/pools/{pool}/payment-files',
    tags: ['finance'],
    summary: "Gather the pool's open payment instructions into a file for the county treasury",
    params: PoolParams,
    responses: { 201: json(PaymentFileSchema, 'Created') },
    action: 'payment_file.create',
    entity: 'payment_file',
    run: async ({ params: { pool }, trx, actor }) => {
      const file = await createPaymentFile(trx, pool, actor.userId);
      return { status: 201, body: file, entityId: file.id };
    },
  });

  app.openapi(
    roleRoute(['finance', 'admin'], {
      method: 'get',
      path: '/finance/payment-files/{fileId}',
      tags: ['finance'],
      summary: 'A payment file (the file itself: /finance/payment-files/{fileId}/file.csv)',
      request: { params: FileParams },
      responses: { 200: json(PaymentFileSchema, 'Payment file') },
    }),
    async (c) => c.json(await getPaymentFile(c.var.deps.db, c.req.valid('param').fileId), 200),
  );

  app.openapi(
    roleRoute(['finance', 'admin'], {
      method: 'get',
      path: '/finance/payment-files/{fileId}/file.csv',
      tags: ['finance'],
      summary: 'The payment file itself, as the county treasury takes it (CSV)',
      request: { params: FileParams },
      responses: { 200: csv('Payment file') },
    }),
    async (c) => {
      const file = await getPaymentFile(c.var.deps.db, c.req.valid('param').fileId);
      return csvFile(c, `payment-file-${file.id}.csv`, `\uFEFF${file.content}`);
    },
  );

  mutationRoute(app, {
    roles: ['finance'],
    path: '/finance/payment-files/{fileId}/confirm',
    tags: ['finance'],
    summary: 'The treasury has paid the file: settle each of its payouts',
    params: FileParams,
    responses: { 200: json(PaymentFileSchema, 'Confirmed') },
    action: 'payment_file.confirm',
    entity: 'payment_file',
    run: async ({ params: { fileId }, trx, actor }) => {
      const file = await confirmPaymentFile(trx, fileId, actor.userId);
      return { status: 200, body: file, entityId: file.id };
    },
  });

  mutationRoute(app, {
    roles: ['finance'],
    path: '/finance/payment-files/{fileId}/return',
    tags: ['finance'],
    summary:
      'The treasury handed a line of the file back unpaid: its payout fails (then retry or void)',
    params: FileParams,
    body: ReturnLineSchema,
    responses: { 200: json(StepSchema, 'Returned') },
    action: 'payment_file.return_line',
    entity: 'payout',
    run: async ({ params: { fileId }, body, trx }) => {
      const outcome = await returnPaymentFileLine(trx, fileId, body.payoutId, body.reason);
      return { status: 200, body: outcome, entityId: body.payoutId };
    },
  });
  return app;
}
