/**
 * @module Incidents (one loss event against a filed risk point), the handler's answer to a
 * possible duplicate report (one event sharing one cap, or separate, with the reason), and
 * the coverage left on an incident and on a reform project.
 */
import { z } from '@hono/zod-openapi';
import { getIncident, incidentCoverage, reportIncident } from '../../../claims/incidents.ts';
import {
  incidentLinks,
  resolvePossibleDuplicate,
  unresolvedDuplicates,
} from '../../../claims/loss-events.ts';
import { projectCoverage } from '../../../claims/project-coverage.ts';
import { json, mutationRoute, type RouteApp, roleRoute, routes } from '../../route.ts';
import { UuidSchema } from '../../schemas.ts';
import { requestToday } from '../../today.ts';
import {
  CLAIM_READERS,
  CLAIM_STAFF,
  IncidentCoverageSchema,
  IncidentSchema,
  NewIncidentSchema,
  ProjectCoverageSchema,
} from './schemas.ts';

const IncidentParams = z.object({ incidentId: UuidSchema });

const IncidentLinkInputSchema = z
  .object({
    otherIncidentId: UuidSchema,
    sameEvent: z.boolean(),
    reason: z.string().trim().min(1).max(1000),
  })
  .strict()
  .openapi('IncidentLinkInput', {
    example: {
      otherIncidentId: '0b5c6a43-2f0e-4c43-8f64-3a4f1f8a9d10',
      sameEvent: true,
      reason: 'the same dyke breach, reported by the township and by the cooperative',
    },
  });

const IncidentLinkSchema = z
  .object({
    id: UuidSchema,
    incidentId: UuidSchema,
    otherIncidentId: UuidSchema,
    sameEvent: z.boolean(),
    reason: z.string(),
    decidedBy: UuidSchema,
    decidedAt: z.string(),
  })
  .openapi('IncidentLink');

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
      summary:
        'An incident, what is left of its (loss event’s) per-incident cap, and its possible duplicates and links',
      request: { params: IncidentParams },
      responses: {
        200: json(
          IncidentSchema.extend({
            coverage: IncidentCoverageSchema,
            unresolvedDuplicates: z.array(UuidSchema).openapi({
              description:
                'Possible duplicates nobody has linked or separated yet: approval waits for them',
            }),
            links: z.array(IncidentLinkSchema),
          }),
          'Incident',
        ),
      },
    }),
    async (c) => {
      const db = c.var.deps.db;
      const incident = await getIncident(db, c.req.valid('param').incidentId);
      return c.json(
        {
          ...incident,
          notCoveredReasons: [...incident.notCoveredReasons],
          possibleDuplicateOf: [...incident.possibleDuplicateOf],
          coverage: await incidentCoverage(db, incident),
          unresolvedDuplicates: await unresolvedDuplicates(db, incident.id),
          links: await incidentLinks(db, incident.id),
        },
        200,
      );
    },
  );

  mutationRoute(app, {
    roles: CLAIM_STAFF,
    path: '/insurer/incidents/{incidentId}/event-links',
    tags: ['claims'],
    summary:
      'Answer a possible duplicate: link the incident into the other’s loss event (one shared per-incident cap, re-checked against what both hold) or record why they are separate',
    params: IncidentParams,
    body: IncidentLinkInputSchema,
    responses: { 201: json(IncidentLinkSchema, 'Recorded') },
    action: 'incident.resolve_duplicate',
    entity: 'incident',
    run: async ({ params: { incidentId }, body, trx, actor }) => {
      const link = await resolvePossibleDuplicate(trx, { incidentId, ...body }, actor.userId);
      return { status: 201, body: link, entityId: incidentId };
    },
  });
  return app;
}
