/**
 * @module The loss run as of a date: one row per claim, as JSON or as CSV for Excel/WPS.
 */
import { z } from '@hono/zod-openapi';
import { lossRun, lossRunCsv } from '../../../claims/views.ts';
import {
  CsvHeadersQuery,
  csv,
  csvFile,
  json,
  type RouteApp,
  roleRoute,
  routes,
} from '../../route.ts';
import { AmountSchema, AsOfSchema, PoolParams, readAsOf } from '../../schemas.ts';
import { CLAIM_STATUSES, ClaimMoneyFields } from './schemas.ts';

const LossRunSchema = z
  .object({
    asOf: z.string(),
    rows: z.array(
      z.object({
        project: z.string(),
        riskPointNumber: z.number().int(),
        riskPointId: z.string(),
        incidentId: z.string(),
        incidentOccurredOn: z.string(),
        claimId: z.string(),
        claimSubmittedOn: z.string(),
        status: z.enum(CLAIM_STATUSES),
        ...ClaimMoneyFields,
        recovered: AmountSchema,
        incidentRemaining: AmountSchema,
        poolRemaining: AmountSchema,
      }),
    ),
  })
  .openapi('LossRun');

const READERS = ['insurer', 'finance', 'admin'] as const;
const AsOfQuery = z.object({ asOf: AsOfSchema });

export function lossRunRoutes(): RouteApp {
  const app = routes();
  app.openapi(
    roleRoute(READERS, {
      method: 'get',
      path: '/insurer/pools/{pool}/loss-run',
      tags: ['claims'],
      summary: 'Loss run as of a date or an instant: one row per claim (CSV: the .csv route)',
      request: { params: PoolParams, query: AsOfQuery },
      responses: { 200: json(LossRunSchema, 'Loss run') },
    }),
    async (c) => {
      const { pool } = c.req.valid('param');
      const { asOf } = c.req.valid('query');
      const rows = await lossRun(c.var.deps.db, pool, readAsOf(asOf));
      return c.json({ asOf, rows }, 200);
    },
  );

  app.openapi(
    roleRoute(READERS, {
      method: 'get',
      path: '/insurer/pools/{pool}/loss-run.csv',
      tags: ['claims'],
      summary: 'The loss run as CSV (UTF-8 with BOM) for Excel/WPS',
      request: { params: PoolParams, query: AsOfQuery.merge(CsvHeadersQuery) },
      responses: { 200: csv('Loss run') },
    }),
    async (c) => {
      const { pool } = c.req.valid('param');
      const { asOf, headers } = c.req.valid('query');
      const rows = await lossRun(c.var.deps.db, pool, readAsOf(asOf));
      return csvFile(c, `loss-run-${pool}-${asOf}.csv`, lossRunCsv(rows, headers));
    },
  );
  return app;
}
