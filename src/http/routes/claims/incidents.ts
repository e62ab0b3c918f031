/**
 * @module Incidents (one loss event against a filed risk point) and the coverage left on an
 * incident and on a reform project.
 */
import { z } from '@hono/zod-openapi';
import { getIncident, incidentCoverage, reportIncident } from '../../../claims/incidents.ts';
import { projectCoverage } from '../../../claims/project-coverage.ts';
import { json, mutationRoute, type RouteApp, roleRoute, routes } from '../../route.ts';
import { UuidSchema } from '../../schemas.ts';
import { requestToday } from '../../today.ts';
import {
  CLAIM_READERS,
  IncidentCoverageSchema,
  IncidentSchema,
  NewIncidentSchema,
  ProjectCoverageSchema,
} from './schemas.ts';

export function incidentRoutes(): RouteApp {
  const app = routes();
  mutationRoute(app, {
    roles: ['insurer', 'reform_office'],
    path: '/insurer/incidents',
    tags: ['claims'],
    summary:
      'Report an incident against a risk point (recorded as not covered, with reasons, when it is not)',
    body: NewIncidentSchema,
    responses: { 201: json(IncidentSchema, 'Reported') },
    action: 'incident.report',
    entity: 'incident',
    run: async ({ body, trx, actor, c }) => {
      const incident = await reportIncident(trx, body, actor.userId, requestToday(c));
      return { status: 201, body: incident, entityId: incident.id };
    },
  });

  app.openapi(
    roleRoute(CLAIM_READERS, {
      method: 'get',
      path: '/projects/{projectId}/coverage',
      tags: ['reform office'],
      summary:
        "A reform project's reserved and paid amounts, per incident, and what is left of its per-project limit (if the terms set one)",
      request: { params: z.object({ projectId: UuidSchema }) },
      responses: { 200: json(ProjectCoverageSchema, 'Project coverage') },
    }),
    async (c) => {
      const coverage = await projectCoverage(c.var.deps.db, c.req.valid('param').projectId);
      const { limitLeft, ...figures } = coverage;
      return c.json({ ...figures, remaining: limitLeft, incidents: [...coverage.incidents] }, 200);
    },
  );

  app.openapi(
    roleRoute(CLAIM_READERS, {
      method: 'get',
      path: '/insurer/incidents/{incidentId}',
      tags: ['claims'],
      summary: 'An incident and what is left of its per-incident cap',
      request: { params: z.object({ incidentId: UuidSchema }) },
      responses: {
        200: json(IncidentSchema.extend({ coverage: IncidentCoverageSchema }), 'Incident'),
      },
    }),
    async (c) => {
      const incident = await getIncident(c.var.deps.db, c.req.valid('param').incidentId);
      return c.json(
        {
          ...incident,
          notCoveredReasons: [...incident.notCoveredReasons],
          coverage: await incidentCoverage(c.var.deps.db, incident),
        },
        200,
      );
    },
  );
  return app;
}
