/**
 * @module Reform projects and their versioned risk points: the department that runs a reform
 * registers and amends them; the reform office, the insurer and the special group read them.
 */
import { z } from '@hono/zod-openapi';
import { momentAfter } from '../../../policy/local-date.ts';
import {
  assertApplicantOf,
  createProject,
  getProject,
  listProjects,
} from '../../../policy/projects.ts';
import {
  addRiskPoint,
  amendRiskPoint,
  getRiskPoint,
  listRiskPoints,
  riskPointVersions,
} from '../../../policy/risk-points.ts';
import { json, mutationRoute, type RouteApp, roleRoute, routes } from '../../route.ts';
import { PageLimitSchema, readAsOf } from '../../schemas.ts';
import {
  APPLICANTS,
  AsOfQuery,
  DEPARTMENT,
  NewProjectSchema,
  NewRiskPointSchema,
  ProjectParams,
  ProjectSchema,
  projectBody,
  REGISTRY_READERS,
  RiskPointAmendmentSchema,
  RiskPointParams,
  RiskPointSchema,
  RiskPointVersionsSchema,
  riskPointBody,
  riskPointVersionBody,
  stepContext,
} from './schemas.ts';

/** The versions in force at `asOf` (the end of a local date, or an instant), or the latest. */
const inForceBefore = (asOf: string | undefined) =>
  asOf === undefined ? undefined : momentAfter(readAsOf(asOf));

export function projectRoutes(): RouteApp {
  const app = routes();
  mutationRoute(app, {
    roles: APPLICANTS,
    path: '/projects',
    tags: ['registry'],
    summary: 'Register a reform project',
    body: NewProjectSchema,
    responses: { 201: json(ProjectSchema, 'Registered') },
    action: 'project.create',
    entity: 'reform_project',
    run: async ({ body, trx, actor }) => {
      const project = await createProject(trx, body, stepContext(actor.userId));
      return { status: 201, body: projectBody(project), entityId: project.id };
    },
  });

  app.openapi(
    roleRoute(REGISTRY_READERS, {
      method: 'get',
      path: '/projects',
      tags: ['registry'],
      summary: 'List reform projects, oldest first',
      request: { query: z.object({ limit: PageLimitSchema }) },
      responses: { 200: json(z.object({ projects: z.array(ProjectSchema) }), 'Projects') },
    }),
    async (c) => {
      const { limit } = c.req.valid('query');
      const projects = await listProjects(c.var.deps.db, limit);
      return c.json({ projects: projects.map(projectBody) }, 200);
    },
  );

  app.openapi(
    roleRoute(REGISTRY_READERS, {
      method: 'get',
      path: '/projects/{projectId}',
      tags: ['registry'],
      summary: 'A reform project',
      request: { params: ProjectParams },
      responses: { 200: json(ProjectSchema, 'The project') },
    }),
    async (c) => {
      const { projectId } = c.req.valid('param');
      return c.json(projectBody(await getProject(c.var.deps.db, projectId)), 200);
    },
  );
  return app;
}

export function riskPointRoutes(): RouteApp {
  const app = routes();
  mutationRoute(app, {
    roles: DEPARTMENT,
    path: '/projects/{projectId}/risk-points',
    tags: ['registry'],
    summary: 'Add a risk point to a project (its version 1)',
    params: ProjectParams,
    body: NewRiskPointSchema,
    responses: { 201: json(RiskPointSchema, 'Added') },
    action: 'risk_point.add',
    entity: 'risk_point',
    run: async ({ params: { projectId }, body, trx, actor }) => {
      await assertApplicantOf(trx, actor.userId, { projectId });
      const point = await addRiskPoint(trx, projectId, body, stepContext(actor.userId));
      return { status: 201, body: riskPointBody(point), entityId: point.id };
    },
  });

  mutationRoute(app, {
    roles: DEPARTMENT,
    path: '/risk-points/{riskPointId}/amendments',
    tags: ['registry'],
    summary:
      'Amend a risk point: records its next version, in force for incidents only once a new filing of it is registered',
    params: RiskPointParams,
    body: RiskPointAmendmentSchema,
    responses: { 201: json(RiskPointSchema, 'Amended') },
    action: 'risk_point.amend',
    entity: 'risk_point',
    run: async ({ params: { riskPointId }, body, trx, actor }) => {
      await assertApplicantOf(trx, actor.userId, { riskPointId });
      const point = await amendRiskPoint(trx, riskPointId, body, stepContext(actor.userId));
      return { status: 201, body: riskPointBody(point), entityId: point.id };
    },
  });

  app.openapi(
    roleRoute(REGISTRY_READERS, {
      method: 'get',
      path: '/projects/{projectId}/risk-points',
      tags: ['registry'],
      summary: "A project's risk points, each with the version in force (now, or on asOf)",
      request: { params: ProjectParams, query: AsOfQuery },
      responses: { 200: json(z.object({ riskPoints: z.array(RiskPointSchema) }), 'Risk points') },
    }),
    async (c) => {
      const { projectId } = c.req.valid('param');
      const { asOf } = c.req.valid('query');
      const points = await listRiskPoints(c.var.deps.db, projectId, inForceBefore(asOf));
      return c.json({ riskPoints: points.map(riskPointBody) }, 200);
    },
  );

  app.openapi(
    roleRoute(REGISTRY_READERS, {
      method: 'get',
      path: '/risk-points/{riskPointId}',
      tags: ['registry'],
      summary: 'A risk point with the version in force (now, or at the end of asOf)',
      request: { params: RiskPointParams, query: AsOfQuery },
      responses: { 200: json(RiskPointSchema, 'The risk point') },
    }),
    async (c) => {
      const { riskPointId } = c.req.valid('param');
      const { asOf } = c.req.valid('query');
      const point = await getRiskPoint(c.var.deps.db, riskPointId, inForceBefore(asOf));
      return c.json(riskPointBody(point), 200);
    },
  );

  app.openapi(
    roleRoute(REGISTRY_READERS, {
      method: 'get',
      path: '/risk-points/{riskPointId}/versions',
      tags: ['registry'],
      summary: 'Every version of a risk point, oldest first',
      request: { params: RiskPointParams },
      responses: { 200: json(RiskPointVersionsSchema, 'Versions') },
    }),
    async (c) => {
      const { riskPointId } = c.req.valid('param');
      const versions = await riskPointVersions(c.var.deps.db, riskPointId);
      return c.json({ versions: versions.map(riskPointVersionBody) }, 200);
    },
  );
  return app;
}
