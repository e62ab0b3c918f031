/**
 * @module The filing loop (备案) over HTTP: a department starts and submits a filing, the
 * reform office takes it through preliminary review, review, feedback and registration,
 * and watches the deadlines (7 working days).
 */
import { z } from '@hono/zod-openapi';
import type { Tx } from '../../../db/transaction.ts';
import { loadWorkingCalendar } from '../../../policy/calendar.ts';
import { filingsNearDeadline, getFiling, listFilings } from '../../../policy/filing-queries.ts';
import {
  answerConditions,
  giveFeedback,
  recordPreliminaryReview,
  recordReview,
} from '../../../policy/filing-reviews.ts';
import type { StepContext } from '../../../policy/filing-step-record.ts';
import {
  createFiling,
  registerFiling,
  rejectFiling,
  returnFiling,
  submitFiling,
} from '../../../policy/filing-steps.ts';
import { dayOf, localDateOf } from '../../../policy/local-date.ts';
import { assertApplicantOf } from '../../../policy/projects.ts';
import { json, mutationRoute, type RouteApp, roleRoute, routes } from '../../route.ts';
import { readAsOf } from '../../schemas.ts';
import {
  ConditionAnswersSchema,
  FeedbackSchema,
  FilingDetailSchema,
  FilingListQuery,
  FilingParams,
  type FilingRouteVerb,
  FilingSchema,
  filingBody,
  filingDetailBody,
  PreliminaryReviewSchema,
  RegistrationSchema,
  RejectionSchema,
  ReturnSchema,
  ReviewSchema,
  SubmissionSchema,
} from './filing-schemas.ts';
import {
  APPLICANTS,
  AsOfQuery,
  DEPARTMENT,
  OFFICE,
  ProjectParams,
  stepContext,
} from './schemas.ts';

/** The filing as it stands after a step, read in the step's own transaction. */
async function filingAfterStep(trx: Tx, filingId: string) {
  const calendar = await loadWorkingCalendar(trx);
  return filingDetailBody(await getFiling(trx, filingId, calendar, localDateOf(new Date())));
}

/** One step of the filing loop: same shape, same answer (the filing as it now stands). */
function filingStep<S extends z.ZodType>(
  app: RouteApp,
  step: {
    path: FilingRouteVerb;
    action: string;
    summary: string;
    body: S;
    roles?: typeof DEPARTMENT;
  },
  record: (trx: Tx, filingId: string, input: z.output<S>, context: StepContext) => Promise<void>,
): void {
  mutationRoute(app, {
    roles: step.roles ?? OFFICE,
    path: `/filings/{filingId}/${step.path}`,
    tags: ['filing'],
    summary: step.summary,
    params: FilingParams,
    body: step.body,
    responses: { 200: json(FilingDetailSchema, 'The filing after the step') },
    action: `filing.${step.action}`,
    entity: 'filing',
    run: async ({ params: { filingId }, body, trx, actor }) => {
      if (actor.role === 'department') await assertApplicantOf(trx, actor.userId, { filingId });
      await record(trx, filingId, body as z.output<S>, stepContext(actor.userId));
      return { status: 200, body: await filingAfterStep(trx, filingId), entityId: filingId };
    },
  });
}

function filingSteps(app: RouteApp): void {
  filingStep(
    app,
    {
      path: 'submit',
      action: 'submit',
      summary: 'Submit the filing (or resubmit it after a return) for the risk points given',
      body: SubmissionSchema,
      roles: DEPARTMENT,
    },
    submitFiling,
  );
  filingStep(
    app,
    {
      path: 'preliminary-review',
      action: 'preliminary_review',
      summary: 'Record the preliminary review: each admission criterion passed or failed',
      body: PreliminaryReviewSchema,
    },
    (trx, id, input, context) => recordPreliminaryReview(trx, id, input.criteria, context),
  );
  filingStep(
    app,
    {
      path: 'review',
      action: 'review',
      summary: 'Record the review: a rating and opinion for each assessment rule',
      body: ReviewSchema,
    },
    recordReview,
  );
  filingStep(
    app,
    {
      path: 'feedback',
      action: 'feedback',
      summary:
        'Give the review result to the department: a pass goes on to registration, a conditional pass waits for its answers (the clock paused)',
      body: FeedbackSchema,
    },
    (trx, id, input, context) => giveFeedback(trx, id, input.message, context),
  );
  filingStep(
    app,
    {
      path: 'answers',
      action: 'answer_conditions',
      summary:
        'Answer the conditions of a conditional pass, one answer each (the clock runs again)',
      body: ConditionAnswersSchema,
      roles: DEPARTMENT,
    },
    (trx, id, input, context) => answerConditions(trx, id, input.answers, context),
  );
  filingStep(
    app,
    {
      path: 'register',
      action: 'register',
      summary: 'Register the filing: its risk points not yet registered take this date',
      body: RegistrationSchema,
    },
    (trx, id, input, context) => registerFiling(trx, id, input.note ?? null, context),
  );
  filingStep(
    app,
    {
      path: 'return',
      action: 'return',
      summary: 'Return the filing for revision; it can be resubmitted',
      body: ReturnSchema,
    },
    (trx, id, input, context) => returnFiling(trx, id, input.reason, context),
  );
  filingStep(
    app,
    {
      path: 'reject',
      action: 'reject',
      summary: 'Reject the filing for good',
      body: RejectionSchema,
    },
    (trx, id, input, context) => rejectFiling(trx, id, input.reason, context),
  );
}

export function filingRoutes(): RouteApp {
  const app = routes();
  mutationRoute(app, {
    roles: DEPARTMENT,
    path: '/projects/{projectId}/filings',
    tags: ['filing'],
    summary: 'Start a filing (a draft) for a project; one may be in progress at a time',
    params: ProjectParams,
    responses: { 201: json(FilingDetailSchema, 'Created') },
    action: 'filing.create',
    entity: 'filing',
    run: async ({ params: { projectId }, trx, actor }) => {
      await assertApplicantOf(trx, actor.userId, { projectId });
      const filingId = await createFiling(trx, projectId, stepContext(actor.userId));
      return { status: 201, body: await filingAfterStep(trx, filingId), entityId: filingId };
    },
  });

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
          asOf: AsOfQuery.shape.asOf.openapi({
            description:
              'The day to judge on (a date, or the day an instant falls on); default today',
          }),
        }),
      },
      responses: {
        200: json(z.object({ asOf: z.string(), filings: z.array(FilingSchema) }), 'Filings'),
      },
    }),
    async (c) => {
      const { asOf } = c.req.valid('query');
      const today = asOf === undefined ? localDateOf(new Date()) : dayOf(readAsOf(asOf));
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

  filingSteps(app);
  return app;
}
