/**
 * @module Pools: the list with the terms in force, every version of the terms, creating a
 * pool and recording new terms (admin), pool-wide coverage and the policy periods.
 */
import { z } from '@hono/zod-openapi';
import { poolCoverage } from '../../../policy/coverage.ts';
import { periodFigures } from '../../../policy/periods.ts';
import { changeTerms, createPool, findPool, listPools } from '../../../policy/pools.ts';
import { termsBody, termsHistory, termsInForce } from '../../../policy/terms.ts';
import { ensureTermsInForce, overCommitments } from '../../../policy/terms-in-force.ts';
import { json, mutationRoute, type RouteApp, roleRoute, routes } from '../../route.ts';
import { AsOfSchema, PoolParams, readAsOf } from '../../schemas.ts';
import { requestNow, requestToday } from '../../today.ts';
import {
  CoverageSchema,
  coverageBody,
  NewPoolSchema,
  NewTermsSchema,
  PeriodsSchema,
  POOL_READERS,
  PoolSchema,
  periodBody,
  TermsSchema,
  toTermsInput,
} from './schemas.ts';

export function poolRoutes(): RouteApp {
  const app = routes();
  app.openapi(
    roleRoute(POOL_READERS, {
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
    roleRoute(POOL_READERS, {
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

  mutationRoute(app, {
    roles: ['admin'],
    path: '/admin/pools',
    tags: ['admin'],
    summary: 'Create a pool with its first terms',
    body: NewPoolSchema,
    responses: { 201: json(PoolSchema, 'Created') },
    action: 'pool.create',
    entity: 'pool',
    run: async ({ body, trx, actor, c }) => {
      const terms = toTermsInput(body.terms);
      const pool = await createPool(trx, { ...body, terms }, actor.userId, requestNow(c));
      return { status: 201, body: pool, entityId: pool.id };
    },
  });

  mutationRoute(app, {
    roles: ['admin'],
    path: '/admin/pools/{pool}/terms',
    tags: ['admin'],
    summary: 'Record a new, dated version of the terms',
    params: PoolParams,
    body: NewTermsSchema,
    responses: { 201: json(TermsSchema, 'Recorded') },
    action: 'pool.terms.change',
    entity: 'pool',
    run: async ({ params, body, trx, actor, c }) => {
      const input = toTermsInput(body);
      const terms = await changeTerms(trx, params.pool, input, actor.userId, requestNow(c));
      return { status: 201, body: termsBody(terms), entityId: terms.poolId };
    },
  });

  app.openapi(
    roleRoute(POOL_READERS, {
      method: 'get',
      path: '/pools/{pool}/coverage',
      tags: ['pools'],
      summary:
        'Pool-wide coverage: capacity, reserved, consumed, available, surplus — now or as of a date',
      request: { params: PoolParams, query: z.object({ asOf: AsOfSchema.optional() }) },
      responses: { 200: json(CoverageSchema, 'Coverage') },
    }),
    async (c) => {
      const db = c.var.deps.db;
      const pool = await findPool(db, c.req.valid('param').pool);
      await ensureTermsInForce(db, pool, requestToday(c), requestNow(c));
      const { asOf } = c.req.valid('query');
      const coverage = await poolCoverage(
        db,
        pool,
        asOf === undefined ? undefined : readAsOf(asOf),
      );
      return c.json(coverageBody(coverage), 200);
    },
  );

  app.openapi(
    roleRoute(POOL_READERS, {
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
      const periods = await periodFigures(db, pool);
      const over = await overCommitments(db, pool.id);
      return c.json({ periods: periods.map(periodBody), overCommitments: over }, 200);
    },
  );
  return app;
}
