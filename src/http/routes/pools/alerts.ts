/**
 * @module Coverage alerts (early warning): the reform office reads and acknowledges them.
 */
import { z } from '@hono/zod-openapi';
import { acknowledgeAlert, listAlerts } from '../../../policy/alerts.ts';
import { findPool } from '../../../policy/pools.ts';
import { json, mutationRoute, type RouteApp, roleRoute, routes } from '../../route.ts';
import { AmountSchema, PoolParams, UuidSchema } from '../../schemas.ts';

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

export function alertRoutes(): RouteApp {
  const app = routes();
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

  mutationRoute(app, {
    roles: ['reform_office'],
    path: '/reform-office/alerts/{alertId}/acknowledge',
    tags: ['reform office'],
    summary: 'Acknowledge a coverage alert',
    params: z.object({ alertId: UuidSchema }),
    responses: { 200: json(AlertSchema, 'Acknowledged') },
    action: 'alert.acknowledge',
    entity: 'coverage_alert',
    run: async ({ params: { alertId }, trx, actor }) => {
      const alert = await acknowledgeAlert(trx, alertId, actor.userId);
      return { status: 200, body: alert, entityId: alert.id };
    },
  });
  return app;
}
