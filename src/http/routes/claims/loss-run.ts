/**
 * @module The loss run as of a date: one row per claim, as JSON or as CSV for Excel/WPS.
 */
import { z } from '@hono/zod-openapi';
import { lossRun, lossRunCsv } from '../../../claims/views.ts';
import { type RouteApp, roleRoute, routes } from '../../route.ts';
import { AmountSchema, LocalDateSchema } from '../../schemas.ts';
import { CLAIM_STATUSES } from './schemas.ts';

export function lossRunRoutes(): RouteApp {
  const app = routes();
  app.openapi(
    roleRoute(['insurer', 'finance', 'admin'], {
      method: 'get',
      path: '/insurer/pools/{pool}/loss-run',
      tags: ['claims'],
      summary:
        'Loss run as of a date: one row per claim; JSON, or CSV (UTF-8 with BOM) for Excel/WPS',
      request: {
        params: z.object({ pool: z.string().regex(/^[a-z0-9-]{1,40}$/) }),
        query: z.object({
          asOf: LocalDateSchema,
          format: z.enum(['json', 'csv']).default('json'),
          headers: z.enum(['english', 'chinese']).default('english'),
        }),
      },
      responses: {
        200: {
          description: 'Loss run',
          content: {
            'application/json': {
              schema: z.object({
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
                    claimed: AmountSchema,
                    approved: AmountSchema,
                    paid: AmountSchema,
                    voided: AmountSchema,
                    caseReserve: AmountSchema,
                    outstanding: AmountSchema,
                    incurred: AmountSchema,
                    recovered: AmountSchema,
                    incidentRemaining: AmountSchema,
                    poolRemaining: AmountSchema,
                  }),
                ),
              }),
            },
            'text/csv': { schema: z.string() },
          },
        },
      },
    }),
    async (c) => {
      const { pool } = c.req.valid('param');
      const { asOf, format, headers } = c.req.valid('query');
      const rows = await lossRun(c.var.deps.db, pool, asOf);
      if (format === 'csv') {
        return c.body(lossRunCsv(rows, headers), 200, {
          'Content-Type': 'text/csv; charset=utf-8',
          'Content-Disposition': `attachment; filename="loss-run-${pool}-${asOf}.csv"`,
        });
      }
      return c.json({ asOf, rows }, 200);
    },
  );
  return app;
}
