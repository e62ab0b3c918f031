/**
 * @module Pools, terms, coverage, contributions, refunds, remittances and coverage alerts.
 * Finance records money; the reform office watches coverage and alerts; insurer staff
 * read coverage; admin sets terms.
 */
import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { Money } from '../../ledger/money.ts';
import {
  guardRefundAgainstWaitingPayouts,
  releaseWaitingPayouts,
} from '../../payouts/cash-priority.ts';
import { acknowledgeAlert, listAlerts } from '../../policy/alerts.ts';
import { ensureTermsInForce, overCommitments } from '../../policy/capacity.ts';
import {
  listContributions,
  recordContribution,
  recordRemittance,
  refundContribution,
} from '../../policy/contributions.ts';
import { poolCoverage } from '../../policy/coverage.ts';
import { periodFigures } from '../../policy/periods.ts';
import { COST_CATEGORIES } from '../../policy/pool-accounts.ts';
import { changeTerms, createPool, findPool, listPools } from '../../policy/pools.ts';
import { type TermsInput, termsBody, termsHistory, termsInForce } from '../../policy/terms.ts';
import type { AppEnv } from '../env.ts';
import { mutate } from '../mutation.ts';
import { json, jsonBody, roleRoute } from '../route.ts';
import { AmountSchema, LocalDateSchema, PositiveAmountSchema, UuidSchema } from '../schemas.ts';
import { requestNow, requestToday } from '../today.ts';

const PoolRefSchema = z
  .string()
  .regex(/^[a-z0-9-]{1,40}$/, 'a pool id or code')
  .openapi({ example: 'county', description: "The pool's id or code" });
const PoolParams = z.object({ pool: PoolRefSchema });

const TextSchema = (max: number) => z.string().trim().min(1).max(max);
const PercentSchema = z
  .string()
  .regex(/^(100(\.0{1,2})?|[1-9]?\d(\.\d{1,2})?)$/, 'a percent from 0 to 100, two decimals');

const PoolSchema = z
  .object({
    id: UuidSchema,
    code: z.string(),
    name: z.string(),
    insurer: z.string(),
    policyNumber: z.string(),
    currency: z.literal('CNY'),
  })
  .openapi('Pool');

const CategoryTermSchema = z
  .object({
    category: z.enum(COST_CATEGORIES),
    covered: z.boolean(),
    countsAgainstCaps: z.boolean(),
  })
  .strict();

const TermsSchema = z
  .object({
    version: z.number().int(),
    effectiveFrom: z.string(),
    periodStart: z.string(),
    periodEnd: z.string(),
    fundingRatio: z.string(),
    perIncidentCap: AmountSchema,
    cumulativeCap: AmountSchema,
    categories: z.array(CategoryTermSchema),
    poolWarningPercents: z.array(z.string()),
    incidentWarningPercent: z.string(),
    fourEyesThreshold: AmountSchema,
    perProjectLimit: AmountSchema.nullable(),
    reason: z.string(),
    recordedAt: z.string(),
  })
  .openapi('PoolTerms');

const TermsExample = {
  effectiveFrom: '2027-01-01',
  periodStart: '2027-01-01',
  periodEnd: '2027-12-31',
  fundingRatio: '50',
  perIncidentCap: '500000.00',
  cumulativeCap: '5000000.00',
  categories: COST_CATEGORIES.map((category) => ({
    category,
    covered: true,
    countsAgainstCaps: true,
  })),
  poolWarningPercents: ['50', '80', '90'],
  incidentWarningPercent: '80',
  fourEyesThreshold: '100000.00',
  reason: 'renewal for 2027',
};

const NewTermsSchema = z
  .object({
    effectiveFrom: LocalDateSchema,
    periodStart: LocalDateSchema,
    periodEnd: LocalDateSchema,
    fundingRatio: z.string().regex(/^[1-9]\d{0,3}(\.\d{1,2})?$/, 'a ratio such as "50"'),
    perIncidentCap: PositiveAmountSchema,
    cumulativeCap: PositiveAmountSchema,
    categories: z.array(CategoryTermSchema).length(COST_CATEGORIES.length),
    poolWarningPercents: z.array(PercentSchema).min(1).max(10),
    incidentWarningPercent: PercentSchema,
    fourEyesThreshold: AmountSchema.default('100000.00'),
    perProjectLimit: PositiveAmountSchema.nullable().default(null),
    reason: TextSchema(500),
  })
  .strict()
  .openapi('NewPoolTerms', { example: TermsExample });

type NewTerms = z.infer<typeof NewTermsSchema>;

const toTermsInput = (body: NewTerms): TermsInput => ({
  effectiveFrom: body.effectiveFrom,
  periodStart: body.periodStart,
  periodEnd: body.periodEnd,
  fundingRatio: new Money(body.fundingRatio),
  perIncidentCap: new Money(body.perIncidentCap),
  cumulativeCap: new Money(body.cumulativeCap),
  categories: body.categories,
  poolWarningPercents: body.poolWarningPercents.map((p) => new Money(p)),
  incidentWarningPercent: new Money(body.incidentWarningPercent),
  fourEyesThreshold: new Money(body.fourEyesThreshold),
  perProjectLimit: body.perProjectLimit === null ? null : new Money(body.perProjectLimit),
  reason: body.reason,
});

const NewPoolSchema = z
  .object({
    code: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'lower-case letters, digits and -'),
    name: TextSchema(200),
    insurer: TextSchema(200),
    policyNumber: z.string().regex(/^[A-Za-z0-9-]{1,100}$/),
    terms: NewTermsSchema,
  })
  .strict()
  .openapi('NewPool', {
    example: {
      code: 'county-2027',
      name: 'County pool 2027',
      insurer: 'Sample Life',
      policyNumber: 'RP-2027-0001',
      terms: TermsExample,
    },
  });

export const CoverageSchema = z
  .object({
    poolId: UuidSchema,
    asOf: z.string().nullable(),
    termsVersion: z.number().int(),
    periodStart: z.string(),
    periodEnd: z.string(),
    fundingRatio: z.string(),
    carriedFromEarlierPeriods: AmountSchema,
    cumulativeCap: AmountSchema,
    capacity: AmountSchema,
    reserved: AmountSchema,
    consumed: AmountSchema,
    committed: AmountSchema,
    available: AmountSchema,
    surplus: AmountSchema,
    contributionsReceived: AmountSchema,
    remittancesReceived: AmountSchema,
    fundBalance: AmountSchema,
    utilisationPercent: z.string(),
    capacityUtilisationPercent: z.string(),
    overCommitted: AmountSchema,
  })
  .openapi('PoolCoverage');

const LateItemSchema = z.boolean().default(false).openapi({
  description:
    'Money received in a month finance has closed is refused (409 period_closed) unless this is true: then it is booked in the open month as a named late item',
});

const PeriodsSchema = z
  .object({
    periods: z.array(
      z.object({
        periodStart: z.string(),
        periodEnd: z.string(),
        cumulativeCap: AmountSchema,
        committed: AmountSchema,
        leftover: AmountSchema,
        utilisationPercent: z.string(),
        current: z.boolean(),
      }),
    ),
    overCommitments: z.array(
      z.object({ version: z.number().int(), inForceOn: z.string(), amount: AmountSchema }),
    ),
  })
  .openapi('PolicyPeriods');

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

const AlertSchema = z
  .object({
    id: UuidSchema,
    poolId: UuidSchema,
    incidentId: z.string().nullable(),
    periodStart: z.string().nullable(),
    thresholdPercent: z.string(),
    committed: AmountSchema,
    cap: AmountSchema,
    raisedAt: z.string(),
    acknowledgedAt: z.string().nullable(),
    acknowledgedBy: z.string().nullable(),
  })
  .openapi('CoverageAlert');

export function registerPoolRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(
    roleRoute(['reform_office', 'insurer', 'finance', 'admin'], {
      method: 'get',
      path: '/pools',
      tags: ['pools'],
      summary: 'List pools with the terms in force today',
      responses: {
        200: json(z.object({ pools: z.array(PoolSchema.extend({ terms: TermsSchema })) }), 'Pools'),
      },
    }),
    async (c) => {
      const db = c.var.deps.db;
      const today = requestToday(c);
      const pools = await listPools(db);
      const withTerms = await Promise.all(
        pools.map(async (pool) => ({
          ...pool,
          terms: termsBody(await termsInForce(db, pool.id, today)),
        })),
      );
      return c.json({ pools: withTerms }, 200);
    },
  );

  app.openapi(
    roleRoute(['reform_office', 'insurer', 'finance', 'admin'], {
      method: 'get',
      path: '/pools/{pool}/terms',
      tags: ['pools'],
      summary: 'Every version of the pool’s terms',
      request: { params: PoolParams },
      responses: { 200: json(z.object({ versions: z.array(TermsSchema) }), 'Terms versions') },
    }),
    async (c) => {
      const pool = await findPool(c.var.deps.db, c.req.valid('param').pool);
      const versions = await termsHistory(c.var.deps.db, pool.id);
      return c.json({ versions: versions.map(termsBody) }, 200);
    },
  );

  app.openapi(
    roleRoute(['admin'], {
      method: 'post',
      path: '/admin/pools',
      tags: ['admin'],
      summary: 'Create a pool with its first terms',
      request: { body: jsonBody(NewPoolSchema) },
      responses: { 201: json(PoolSchema, 'Created') },
    }),
    (c) => {
      const body = c.req.valid('json');
      return mutate(
        c,
        { action: 'pool.create', entity: 'pool', input: body },
        async (trx, actor) => {
          const pool = await createPool(
            trx,
            { ...body, terms: toTermsInput(body.terms) },
            actor.userId,
            requestNow(c),
          );
          return { status: 201, body: pool, entityId: pool.id };
        },
      );
    },
  );

  app.openapi(
    roleRoute(['admin'], {
      method: 'post',
      path: '/admin/pools/{pool}/terms',
      tags: ['admin'],
      summary: 'Record a new, dated version of the terms',
      request: { params: PoolParams, body: jsonBody(NewTermsSchema) },
      responses: { 201: json(TermsSchema, 'Recorded') },
    }),
    (c) => {
      const { pool } = c.req.valid('param');
      const body = c.req.valid('json');
      return mutate(
        c,
        { action: 'pool.terms.change', entity: 'pool', input: { pool, body } },
        async (trx, actor) => {
          const terms = await changeTerms(
            trx,
            pool,
            toTermsInput(body),
            actor.userId,
            requestNow(c),
          );
          return { status: 201, body: termsBody(terms), entityId: terms.poolId };
        },
      );
    },
  );

  app.openapi(
    roleRoute(['reform_office', 'insurer', 'finance', 'admin'], {
      method: 'get',
      path: '/pools/{pool}/coverage',
      tags: ['pools'],
      summary:
        'Pool-wide coverage: capacity, reserved, consumed, available, surplus — now or as of a date',
      request: { params: PoolParams, query: z.object({ asOf: LocalDateSchema.optional() }) },
      responses: { 200: json(CoverageSchema, 'Coverage') },
    }),
    async (c) => {
      const db = c.var.deps.db;
      const pool = await findPool(db, c.req.valid('param').pool);
      await ensureTermsInForce(db, pool, requestToday(c), requestNow(c));
      return c.json(await poolCoverage(db, pool, c.req.valid('query').asOf), 200);
    },
  );

  app.openapi(
    roleRoute(['reform_office', 'insurer', 'finance', 'admin'], {
      method: 'get',
      path: '/pools/{pool}/periods',
      tags: ['pools'],
      summary:
        'Policy periods: each one’s cap, committed and leftover, and caps that came into force below commitments',
      request: { params: PoolParams },
      responses: { 200: json(PeriodsSchema, 'Policy periods') },
    }),
    async (c) => {
      const db = c.var.deps.db;
      const pool = await findPool(db, c.req.valid('param').pool);
      await ensureTermsInForce(db, pool, requestToday(c), requestNow(c));
      return c.json(
        {
          periods: await periodFigures(db, pool),
          overCommitments: await overCommitments(db, pool.id),
        },
        200,
      );
    },
  );

  app.openapi(
    roleRoute(['finance'], {
      method: 'post',
      path: '/finance/pools/{pool}/contributions',
      tags: ['finance'],
      summary:
        'Record a contribution: grants ratio × amount of coverage up to the cap; the rest is surplus; payouts waiting for funds are sent again, oldest first',
      request: { params: PoolParams, body: jsonBody(NewContributionSchema) },
      responses: { 201: json(ContributionSchema, 'Recorded') },
    }),
    (c) => {
      const { pool } = c.req.valid('param');
      const body = c.req.valid('json');
      return mutate(
        c,
        { action: 'contribution.record', entity: 'contribution', input: { pool, body } },
        async (trx, actor) => {
          const contribution = await recordContribution(
            trx,
            pool,
            { ...body, amount: new Money(body.amount) },
            actor.userId,
            requestNow(c),
          );
          await releaseWaitingPayouts(trx, contribution.poolId);
          return { status: 201, body: contribution, entityId: contribution.id };
        },
      );
    },
  );

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

  app.openapi(
    roleRoute(['finance'], {
      method: 'post',
      path: '/finance/contributions/{contributionId}/refunds',
      tags: ['finance'],
      summary:
        'Refund a contribution: surplus first, then coverage that is neither reserved nor consumed; never cash that waiting payouts need, unless finance overrides with a reason',
      request: {
        params: z.object({ contributionId: UuidSchema }),
        body: jsonBody(NewRefundSchema),
      },
      responses: { 201: json(RefundSchema, 'Refunded') },
    }),
    (c) => {
      const { contributionId } = c.req.valid('param');
      const body = c.req.valid('json');
      return mutate(
        c,
        { action: 'contribution.refund', entity: 'contribution', input: { contributionId, body } },
        async (trx, actor) => {
          const { cashPriorityOverride, ...refundInput } = body;
          const refund = await refundContribution(
            trx,
            contributionId,
            { ...refundInput, amount: new Money(body.amount) },
            actor.userId,
            requestNow(c),
          );
          await guardRefundAgainstWaitingPayouts(
            trx,
            refund,
            cashPriorityOverride
              ? { reason: cashPriorityOverride.reason, actorId: actor.userId }
              : null,
          );
          return { status: 201, body: refund, entityId: contributionId };
        },
      );
    },
  );

  app.openapi(
    roleRoute(['finance'], {
      method: 'post',
      path: '/finance/pools/{pool}/remittances',
      tags: ['finance'],
      summary:
        "Record the insurer's remittance into the pool's account; payouts waiting for funds are sent again, oldest first",
      request: { params: PoolParams, body: jsonBody(NewRemittanceSchema) },
      responses: { 201: json(RemittanceSchema, 'Recorded') },
    }),
    (c) => {
      const { pool } = c.req.valid('param');
      const body = c.req.valid('json');
      return mutate(
        c,
        { action: 'remittance.record', entity: 'remittance', input: { pool, body } },
        async (trx, actor) => {
          const remittance = await recordRemittance(
            trx,
            pool,
            { ...body, amount: new Money(body.amount) },
            actor.userId,
            requestNow(c),
          );
          await releaseWaitingPayouts(trx, remittance.poolId);
          return { status: 201, body: remittance, entityId: remittance.id };
        },
      );
    },
  );

  app.openapi(
    roleRoute(['reform_office', 'finance', 'admin'], {
      method: 'get',
      path: '/pools/{pool}/alerts',
      tags: ['reform office'],
      summary: 'Coverage alerts (early warning), newest first',
      request: {
        params: PoolParams,
        query: z.object({ open: z.enum(['true', 'false']).optional() }),
      },
      responses: { 200: json(z.object({ alerts: z.array(AlertSchema) }), 'Alerts') },
    }),
    async (c) => {
      const pool = await findPool(c.var.deps.db, c.req.valid('param').pool);
      const alerts = await listAlerts(c.var.deps.db, pool.id, {
        unacknowledgedOnly: c.req.valid('query').open === 'true',
      });
      return c.json({ alerts }, 200);
    },
  );

  app.openapi(
    roleRoute(['reform_office'], {
      method: 'post',
      path: '/reform-office/alerts/{alertId}/acknowledge',
      tags: ['reform office'],
      summary: 'Acknowledge a coverage alert',
      request: { params: z.object({ alertId: UuidSchema }) },
      responses: { 200: json(AlertSchema, 'Acknowledged') },
    }),
    (c) => {
      const { alertId } = c.req.valid('param');
      return mutate(
        c,
        { action: 'alert.acknowledge', entity: 'coverage_alert', input: { alertId } },
        async (trx, actor) => {
          const alert = await acknowledgeAlert(trx, alertId, actor.userId);
          return { status: 200, body: alert, entityId: alert.id };
        },
      );
    },
  );
}
