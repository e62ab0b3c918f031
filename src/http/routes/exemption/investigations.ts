/**
 * @module Investigations (容错免责调查): one opens by itself for every incident; the special
 * group records the parties, evidence and coded findings, and readers follow the case.
 */
import { z } from '@hono/zod-openapi';
import type { Tx } from '../../../db/transaction.ts';
import { addEvidence, addParty, recordFinding } from '../../../exemption/investigation-records.ts';
import { getInvestigation, listInvestigations } from '../../../exemption/investigations.ts';
import { loadWorkingCalendar } from '../../../policy/calendar.ts';
import { dayOf, localDateOf } from '../../../policy/local-date.ts';
import { validationProblem } from '../../problem.ts';
import { json, mutationRoute, type RouteApp, roleRoute, routes } from '../../route.ts';
import { AsOfSchema, PageLimitSchema, readAsOf, UuidSchema } from '../../schemas.ts';
import {
  actingContext,
  CASE_READERS,
  CaseParams,
  caseAfter,
  caseBody,
  GROUP,
  InvestigationSchema,
  text,
} from './schemas.ts';

const PartySchema = z
  .object({
    kind: z.enum(['unit', 'official']),
    name: text(200),
    unit: text(200).optional(),
    post: text(200).optional(),
  })
  .strict()
  .openapi('InvestigationParty', {
    example: {
      kind: 'official',
      name: 'Zhang Wei',
      unit: 'County land bureau',
      post: 'Deputy director',
    },
  });

const EvidenceSchema = z
  .object({
    title: text(200),
    mediaType: z
      .string()
      .regex(/^[a-z]+\/[a-z0-9.+-]+$/)
      .max(100),
    contentBase64: z.string().min(1).max(1_400_000),
    sha256: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/)
      .optional(),
  })
  .strict()
  .openapi('InvestigationEvidence');

const FindingSchema = z
  .object({
    code: z.enum([
      'CONTROLLED_AS_FILED',
      'NON_SUBJECTIVE_OR_FORCE_MAJEURE',
      'POSITIVE_LIST_APPLIES',
      'NO_NEGATIVE_LIST_SITUATION',
    ]),
    met: z.boolean(),
    note: text(5000),
    evidenceIds: z.array(UuidSchema).max(50).optional(),
    listItemCode: z
      .string()
      .regex(/^[a-z][a-z0-9_.]{0,49}$/)
      .optional(),
  })
  .strict()
  .openapi('InvestigationFinding');

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** A change to a case by the group: it answers with the case as it now stands. */
function caseStep<S extends z.ZodType>(
  app: RouteApp,
  step: { path: string; action: string; summary: string; body: S },
  record: (request: {
    trx: Tx;
    investigationId: string;
    input: z.output<S>;
    actorUserId: string;
  }) => Promise<unknown>,
): void {
  mutationRoute(app, {
    roles: GROUP,
    path: `/exemption/investigations/{investigationId}/${step.path}`,
    tags: ['exemption'],
    summary: step.summary,
    params: CaseParams,
    body: step.body,
    responses: { 201: json(InvestigationSchema, 'The case after the change') },
    action: step.action,
    entity: 'investigation',
    run: async ({ params: { investigationId }, body, trx, actor }) => {
      await record({ trx, investigationId, input: body as z.output<S>, actorUserId: actor.userId });
      return {
        status: 201,
        body: await caseAfter(trx, investigationId),
        entityId: investigationId,
      };
    },
  });
}

/** The document's bytes, or a 422 naming the field when it is not base64. */
function decodeBase64(content: string): Uint8Array {
  if (!BASE64.test(content) || content.length % 4 !== 0) {
    throw validationProblem([{ field: 'json.contentBase64', reason: 'not base64' }]);
  }
  return Uint8Array.from(atob(content), (ch) => ch.charCodeAt(0));
}

export function investigationRoutes(): RouteApp {
  const app = routes();
  app.openapi(
    roleRoute(CASE_READERS, {
      method: 'get',
      path: '/exemption/investigations',
      tags: ['exemption'],
      summary:
        'Investigations, oldest incident first; overdue=true lists open cases past their deadline',
      request: {
        query: z.object({
          status: z.enum(['open', 'decided']).optional(),
          overdue: z.enum(['true', 'false']).optional(),
          asOf: AsOfSchema.optional().openapi({
            description: 'The day overdue is judged on (a date, or the day of an instant)',
          }),
          limit: PageLimitSchema,
        }),
      },
      responses: { 200: json(z.object({ investigations: z.array(InvestigationSchema) }), 'Cases') },
    }),
    async (c) => {
      const query = c.req.valid('query');
      const db = c.var.deps.db;
      const calendar = await loadWorkingCalendar(db);
      const cases = await listInvestigations(
        db,
        {
          ...(query.status ? { status: query.status } : {}),
          overdue: query.overdue === 'true',
          limit: query.limit ?? 100,
        },
        calendar,
        query.asOf === undefined ? localDateOf(new Date()) : dayOf(readAsOf(query.asOf)),
      );
      const investigations = await Promise.all(cases.map((one) => caseBody(db, one)));
      return c.json({ investigations }, 200);
    },
  );

  app.openapi(
    roleRoute(CASE_READERS, {
      method: 'get',
      path: '/exemption/investigations/{investigationId}',
      tags: ['exemption'],
      summary: 'A case: filed version, parties, evidence, findings, proposal, decisions',
      request: { params: CaseParams },
      responses: { 200: json(InvestigationSchema, 'The case') },
    }),
    async (c) => {
      const { investigationId } = c.req.valid('param');
      const db = c.var.deps.db;
      const calendar = await loadWorkingCalendar(db);
      const one = await getInvestigation(db, investigationId, calendar, localDateOf(new Date()));
      return c.json(await caseBody(db, one), 200);
    },
  );

  caseStep(
    app,
    {
      path: 'parties',
      action: 'investigation.party',
      summary: 'Record a unit or official concerned',
      body: PartySchema,
    },
    ({ trx, investigationId, input, actorUserId }) =>
      addParty(trx, investigationId, input, actingContext(actorUserId)),
  );
  caseStep(
    app,
    {
      path: 'evidence',
      action: 'investigation.evidence',
      summary: 'Store a document as evidence, with its SHA-256',
      body: EvidenceSchema,
    },
    ({ trx, investigationId, input, actorUserId }) =>
      addEvidence(
        trx,
        investigationId,
        {
          title: input.title,
          mediaType: input.mediaType,
          content: decodeBase64(input.contentBase64),
          ...(input.sha256 ? { sha256: input.sha256 } : {}),
        },
        actingContext(actorUserId),
      ),
  );
  caseStep(
    app,
    {
      path: 'findings',
      action: 'investigation.finding',
      summary: "Record one of the group's coded findings",
      body: FindingSchema,
    },
    ({ trx, investigationId, input, actorUserId }) =>
      recordFinding(trx, investigationId, input, actingContext(actorUserId)),
  );
  return app;
}
