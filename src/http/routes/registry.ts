/**
 * @module The reform office's registry: reform projects, their versioned risk points, the
 * filing loop (备案) with its deadline, and the coded reference lists. The reform office
 * makes every change; the insurer may read projects, risk points and the reference lists
 * (claims handlers attest against the negative list).
 */
import { type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Tx } from '../../db/transaction.ts';
import { loadWorkingCalendar } from '../../policy/calendar.ts';
import { filingsNearDeadline, getFiling, listFilings } from '../../policy/filing-queries.ts';
import {
  answerConditions,
  createFiling,
  giveFeedback,
  recordPreliminaryReview,
  recordReview,
  registerFiling,
  rejectFiling,
  returnFiling,
  type StepContext,
  submitFiling,
} from '../../policy/filing-steps.ts';
import { endOfLocalDay, localDateOf } from '../../policy/local-date.ts';
import {
  assertApplicantOf,
  createProject,
  getProject,
  listProjects,
} from '../../policy/projects.ts';
import {
  referenceItemHistory,
  referenceItemsInForce,
  reviseReferenceItem,
} from '../../policy/reference-lists.ts';
import {
  addRiskPoint,
  amendRiskPoint,
  getRiskPoint,
  listRiskPoints,
  riskPointVersions,
} from '../../policy/risk-points.ts';
import type { AppEnv } from '../env.ts';
import { mutate } from '../mutation.ts';
import { json, jsonBody, roleRoute } from '../route.ts';
import { PageLimitSchema } from '../schemas.ts';
import {
  AsOfQuery,
  ConditionAnswersSchema,
  FeedbackSchema,
  FilingDetailSchema,
  FilingListQuery,
  FilingParams,
  FilingSchema,
  filingBody,
  filingDetailBody,
  NewProjectSchema,
  NewRiskPointSchema,
  PreliminaryReviewSchema,
  ProjectParams,
  ProjectSchema,
  projectBody,
  ReferenceItemParams,
  ReferenceItemRevisionSchema,
  ReferenceItemSchema,
  ReferenceListQuery,
  RegistrationSchema,
  RejectionSchema,
  ReturnSchema,
  ReviewSchema,
  RiskPointAmendmentSchema,
  RiskPointParams,
  RiskPointSchema,
  RiskPointVersionsSchema,
  referenceItemBody,
  riskPointBody,
  riskPointVersionBody,
  SubmissionSchema,
} from './registry-schemas.ts';

type App = OpenAPIHono<AppEnv>;

const OFFICE = ['reform_office'] as const;
/** The unit that runs a reform files it: projects, risk points, applications, answers. */
const DEPARTMENT = ['department'] as const;
const APPLICANTS = ['department', 'reform_office'] as const;
const READERS = ['reform_office', 'department', 'insurer', 'special_group'] as const;
const OFFICE_AND_INSURER = READERS;

/** The versions in force at the end of `asOf` (a local date), or the latest. */
const inForceBefore = (asOf: string | undefined) => (asOf ? endOfLocalDay(asOf) : undefined);

const stepContext = (actorUserId: string): StepContext => ({ actorUserId, at: new Date() });

function registerProjectRoutes(app: App): void {
  app.openapi(
    roleRoute(APPLICANTS, {
      method: 'post',
      path: '/projects',
      tags: ['registry'],
      summary: 'Register a reform project',
      request: { body: jsonBody(NewProjectSchema) },
      responses: { 201: json(ProjectSchema, 'Registered') },
    }),
    (c) => {
      const input = c.req.valid('json');
      return mutate(
        c,
        { action: 'project.create', entity: 'reform_project', input },
        async (trx, actor) => {
          const project = await createProject(trx, input, stepContext(actor.userId));
          return { status: 201, body: projectBody(project), entityId: project.id };
        },
      );
    },
  );

  app.openapi(
    roleRoute(OFFICE_AND_INSURER, {
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
    roleRoute(OFFICE_AND_INSURER, {
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
}

function registerRiskPointRoutes(app: App): void {
  app.openapi(
    roleRoute(DEPARTMENT, {
      method: 'post',
      path: '/projects/{projectId}/risk-points',
      tags: ['registry'],
      summary: 'Add a risk point to a project (its version 1)',
      request: { params: ProjectParams, body: jsonBody(NewRiskPointSchema) },
      responses: { 201: json(RiskPointSchema, 'Added') },
    }),
    (c) => {
      const { projectId } = c.req.valid('param');
      const input = c.req.valid('json');
      return mutate(
        c,
        { action: 'risk_point.add', entity: 'risk_point', input: { projectId, ...input } },
        async (trx, actor) => {
          await assertApplicantOf(trx, actor.userId, { projectId });
          const point = await addRiskPoint(trx, projectId, input, stepContext(actor.userId));
          return { status: 201, body: riskPointBody(point), entityId: point.id };
        },
      );
    },
  );

  app.openapi(
    roleRoute(DEPARTMENT, {
      method: 'post',
      path: '/risk-points/{riskPointId}/amendments',
      tags: ['registry'],
      summary:
        'Amend a risk point: records its next version, in force for incidents only once a new filing of it is registered',
      request: { params: RiskPointParams, body: jsonBody(RiskPointAmendmentSchema) },
      responses: { 201: json(RiskPointSchema, 'Amended') },
    }),
    (c) => {
      const { riskPointId } = c.req.valid('param');
      const input = c.req.valid('json');
      return mutate(
        c,
        { action: 'risk_point.amend', entity: 'risk_point', input: { riskPointId, ...input } },
        async (trx, actor) => {
          await assertApplicantOf(trx, actor.userId, { riskPointId });
          const point = await amendRiskPoint(trx, riskPointId, input, stepContext(actor.userId));
          return { status: 201, body: riskPointBody(point), entityId: point.id };
        },
      );
    },
  );

  app.openapi(
    roleRoute(OFFICE_AND_INSURER, {
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
    roleRoute(OFFICE_AND_INSURER, {
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
    roleRoute(OFFICE_AND_INSURER, {
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
}

/** The filing as it stands after a step, read in the step's own transaction. */
async function filingAfterStep(trx: Tx, filingId: string) {
  const calendar = await loadWorkingCalendar(trx);
  return filingDetailBody(await getFiling(trx, filingId, calendar, localDateOf(new Date())));
}

/** The route of one step of the filing loop: same shape, same answer. */
const filingStepRoute = <S extends z.ZodType>(
  path: string,
  summary: string,
  body: S,
  roles: readonly ('reform_office' | 'department')[] = OFFICE,
) =>
  roleRoute(roles, {
    method: 'post',
    path: `/filings/{filingId}/${path}`,
    tags: ['filing'],
    summary,
    request: { params: FilingParams, body: jsonBody(body) },
    responses: { 200: json(FilingDetailSchema, 'The filing after the step') },
  });

/** Records a step through `mutate` and answers with the filing as it now stands. */
function recordFilingStep(
  c: Context<AppEnv>,
  action: string,
  request: { readonly filingId: string; readonly input: object },
  record: (trx: Tx, context: StepContext) => Promise<void>,
) {
  const { filingId, input } = request;
  return mutate(
    c,
    { action: `filing.${action}`, entity: 'filing', input: { filingId, ...input } },
    async (trx, actor) => {
      if (actor.role === 'department') await assertApplicantOf(trx, actor.userId, { filingId });
      await record(trx, stepContext(actor.userId));
      return { status: 200, body: await filingAfterStep(trx, filingId), entityId: filingId };
    },
  );
}

function registerFilingSteps(app: App): void {
  app.openapi(
    filingStepRoute(
      'submit',
      'Submit the filing (or resubmit it after a return) for the risk points given',
      SubmissionSchema,
      DEPARTMENT,
    ),
    (c) => {
      const request = { ...c.req.valid('param'), input: c.req.valid('json') };
      return recordFilingStep(c, 'submit', request, (trx, context) =>
        submitFiling(trx, request.filingId, request.input, context),
      );
    },
  );
  app.openapi(
    filingStepRoute(
      'preliminary-review',
      'Record the preliminary review: each admission criterion passed or failed',
      PreliminaryReviewSchema,
    ),
    (c) => {
      const request = { ...c.req.valid('param'), input: c.req.valid('json') };
      return recordFilingStep(c, 'preliminary_review', request, (trx, context) =>
        recordPreliminaryReview(trx, request.filingId, request.input.criteria, context),
      );
    },
  );
  app.openapi(
    filingStepRoute(
      'review',
      'Record the review: a rating and opinion for each assessment rule',
      ReviewSchema,
    ),
    (c) => {
      const request = { ...c.req.valid('param'), input: c.req.valid('json') };
      return recordFilingStep(c, 'review', request, (trx, context) =>
        recordReview(trx, request.filingId, request.input, context),
      );
    },
  );
  app.openapi(
    filingStepRoute(
      'feedback',
      'Give the review result to the department: a pass goes on to registration, a conditional pass waits for its answers (the clock paused)',
      FeedbackSchema,
    ),
    (c) => {
      const request = { ...c.req.valid('param'), input: c.req.valid('json') };
      return recordFilingStep(c, 'feedback', request, (trx, context) =>
        giveFeedback(trx, request.filingId, request.input.message, context),
      );
    },
  );
  app.openapi(
    filingStepRoute(
      'answers',
      'Answer the conditions of a conditional pass, one answer each (the clock runs again)',
      ConditionAnswersSchema,
      DEPARTMENT,
    ),
    (c) => {
      const request = { ...c.req.valid('param'), input: c.req.valid('json') };
      return recordFilingStep(c, 'answer_conditions', request, (trx, context) =>
        answerConditions(trx, request.filingId, request.input.answers, context),
      );
    },
  );
  app.openapi(
    filingStepRoute(
      'register',
      'Register the filing: its risk points not yet registered take this date',
      RegistrationSchema,
    ),
    (c) => {
      const request = { ...c.req.valid('param'), input: c.req.valid('json') };
      return recordFilingStep(c, 'register', request, (trx, context) =>
        registerFiling(trx, request.filingId, request.input.note ?? null, context),
      );
    },
  );
  app.openapi(
    filingStepRoute(
      'return',
      'Return the filing for revision; it can be resubmitted',
      ReturnSchema,
    ),
    (c) => {
      const request = { ...c.req.valid('param'), input: c.req.valid('json') };
      return recordFilingStep(c, 'return', request, (trx, context) =>
        returnFiling(trx, request.filingId, request.input.reason, context),
      );
    },
  );
  app.openapi(filingStepRoute('reject', 'Reject the filing for good', RejectionSchema), (c) => {
    const request = { ...c.req.valid('param'), input: c.req.valid('json') };
    return recordFilingStep(c, 'reject', request, (trx, context) =>
      rejectFiling(trx, request.filingId, request.input.reason, context),
    );
  });
}

function registerFilingRoutes(app: App): void {
  app.openapi(
    roleRoute(DEPARTMENT, {
      method: 'post',
      path: '/projects/{projectId}/filings',
      tags: ['filing'],
      summary: 'Start a filing (a draft) for a project; one may be in progress at a time',
      request: { params: ProjectParams },
      responses: { 201: json(FilingDetailSchema, 'Created') },
    }),
    (c) => {
      const { projectId } = c.req.valid('param');
      return mutate(
        c,
        { action: 'filing.create', entity: 'filing', input: { projectId } },
        async (trx, actor) => {
          await assertApplicantOf(trx, actor.userId, { projectId });
          const filingId = await createFiling(trx, projectId, stepContext(actor.userId));
          return { status: 201, body: await filingAfterStep(trx, filingId), entityId: filingId };
        },
      );
    },
  );

  // Registered before /filings/{filingId}, which would otherwise claim "deadlines".
  app.openapi(
    roleRoute(OFFICE, {
      method: 'get',
      path: '/filings/deadlines',
      tags: ['filing'],
      summary:
        'Filings awaiting an answer that are past, or within 2 working days of, their deadline',
      request: {
        query: z.object({
          asOf: AsOfQuery.shape.asOf.openapi({ description: 'The day to judge on; default today' }),
        }),
      },
      responses: {
        200: json(z.object({ asOf: z.string(), filings: z.array(FilingSchema) }), 'Filings'),
      },
    }),
    async (c) => {
      const today = c.req.valid('query').asOf ?? localDateOf(new Date());
      const calendar = await loadWorkingCalendar(c.var.deps.db);
      const filings = await filingsNearDeadline(c.var.deps.db, calendar, today);
      return c.json({ asOf: today, filings: filings.map(filingBody) }, 200);
    },
  );

  app.openapi(
    roleRoute(APPLICANTS, {
      method: 'get',
      path: '/filings',
      tags: ['filing'],
      summary: 'List filings, newest first, with status and deadline',
      request: { query: FilingListQuery },
      responses: { 200: json(z.object({ filings: z.array(FilingSchema) }), 'Filings') },
    }),
    async (c) => {
      const query = c.req.valid('query');
      const calendar = await loadWorkingCalendar(c.var.deps.db);
      const filings = await listFilings(c.var.deps.db, query, calendar, localDateOf(new Date()));
      return c.json({ filings: filings.map(filingBody) }, 200);
    },
  );

  app.openapi(
    roleRoute(APPLICANTS, {
      method: 'get',
      path: '/filings/{filingId}',
      tags: ['filing'],
      summary: 'A filing with its deadline, covered risk points and every step taken',
      request: { params: FilingParams },
      responses: { 200: json(FilingDetailSchema, 'The filing') },
    }),
    async (c) => {
      const { filingId } = c.req.valid('param');
      const calendar = await loadWorkingCalendar(c.var.deps.db);
      const filing = await getFiling(c.var.deps.db, filingId, calendar, localDateOf(new Date()));
      return c.json(filingDetailBody(filing), 200);
    },
  );

  registerFilingSteps(app);
}

function registerReferenceListRoutes(app: App): void {
  app.openapi(
    roleRoute(OFFICE_AND_INSURER, {
      method: 'get',
      path: '/reference-lists',
      tags: ['registry'],
      summary: 'The reference list items in force (now, or at the end of asOf)',
      request: { query: ReferenceListQuery },
      responses: { 200: json(z.object({ items: z.array(ReferenceItemSchema) }), 'Items') },
    }),
    async (c) => {
      const { list, asOf } = c.req.valid('query');
      const items = await referenceItemsInForce(c.var.deps.db, {
        ...(list ? { list } : {}),
        ...(asOf ? { before: endOfLocalDay(asOf) } : {}),
      });
      return c.json({ items: items.map(referenceItemBody) }, 200);
    },
  );

  app.openapi(
    roleRoute(OFFICE_AND_INSURER, {
      method: 'get',
      path: '/reference-lists/{list}/items/{code}/versions',
      tags: ['registry'],
      summary: 'Every version of a reference list item, oldest first',
      request: { params: ReferenceItemParams },
      responses: { 200: json(z.object({ versions: z.array(ReferenceItemSchema) }), 'Versions') },
    }),
    async (c) => {
      const { list, code } = c.req.valid('param');
      const versions = await referenceItemHistory(c.var.deps.db, list, code);
      return c.json({ versions: versions.map(referenceItemBody) }, 200);
    },
  );

  app.openapi(
    roleRoute(OFFICE, {
      method: 'post',
      path: '/reference-lists/{list}/items/{code}/versions',
      tags: ['registry'],
      summary: 'Edit a reference list item: records its next version; earlier versions stay',
      request: { params: ReferenceItemParams, body: jsonBody(ReferenceItemRevisionSchema) },
      responses: { 201: json(ReferenceItemSchema, 'The new version') },
    }),
    (c) => {
      const { list, code } = c.req.valid('param');
      const input = c.req.valid('json');
      return mutate(
        c,
        {
          action: 'reference_item.revise',
          entity: 'reference_list_item',
          input: { list, code, ...input },
        },
        async (trx, actor) => {
          const item = await reviseReferenceItem(trx, list, code, input, stepContext(actor.userId));
          return { status: 201, body: referenceItemBody(item), entityId: `${list}/${code}` };
        },
      );
    },
  );
}

export function registerRegistryRoutes(app: App): void {
  registerProjectRoutes(app);
  registerRiskPointRoutes(app);
  registerFilingRoutes(app);
  registerReferenceListRoutes(app);
}
