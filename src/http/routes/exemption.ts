/**
 * @module The exemption half of the scheme over HTTP: the special group's investigations,
 * findings, decisions (a member prepares, the leader decides) and clarifications; the
 * admin's appointments and exemption terms; public clarifications, readable without a token.
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { DB } from '../../db/database.ts';
import type { Tx } from '../../db/transaction.ts';
import {
  clarificationsOf,
  publicClarifications,
  publishClarification,
} from '../../exemption/clarifications.ts';
import {
  decide,
  decisionHistory,
  openDraft,
  prepareDecision,
  proposalFor,
  sendBack,
} from '../../exemption/decisions.ts';
import { recordExemptionTerms } from '../../exemption/exemption-terms.ts';
import {
  addEvidence,
  addParty,
  getInvestigation,
  type Investigation,
  listInvestigations,
  recordFinding,
} from '../../exemption/investigations.ts';
import { appointMember, groupMembers, groupUnits } from '../../exemption/special-group.ts';
import { loadWorkingCalendar } from '../../policy/calendar.ts';
import { localDateOf } from '../../policy/local-date.ts';
import type { AppEnv } from '../env.ts';
import { mutate } from '../mutation.ts';
import { validationProblem } from '../problem.ts';
import { json, jsonBody, roleRoute } from '../route.ts';
import { LocalDateSchema, PageLimitSchema, UuidSchema } from '../schemas.ts';

type App = OpenAPIHono<AppEnv>;

const GROUP = ['special_group'] as const;
const CASE_READERS = ['special_group', 'reform_office', 'insurer'] as const;

const text = (max: number) => z.string().trim().min(1).max(max);
const CaseParams = z.object({ investigationId: UuidSchema });
const DraftParams = z.object({ draftId: UuidSchema });
const OutcomeSchema = z.enum(['exempt', 'partly_exempt', 'not_exempt']);

const InvestigationSchema = z.object({}).passthrough().openapi('Investigation');
const DecisionSchema = z.object({}).passthrough().openapi('ExemptionDecision');
const DraftSchema = z.object({}).passthrough().openapi('ExemptionDraft');

const iso = (moment: Date | null) => (moment ? moment.toISOString() : null);

/** The case as a body: with what the findings propose, the open draft and every decision. */
async function caseBody(db: DB | Tx, investigation: Investigation) {
  const proposal = await proposalFor(db, investigation.id);
  const draft = await openDraft(db, investigation.id);
  const decisions = await decisionHistory(db, investigation.id);
  const clarifications = await clarificationsOf(db, investigation.id);
  return {
    ...investigation,
    openedAt: iso(investigation.openedAt),
    decidedAt: iso(investigation.decidedAt),
    parties: investigation.parties.map((p) => ({ ...p, recordedAt: iso(p.recordedAt) })),
    evidence: investigation.evidence.map((e) => ({ ...e, recordedAt: iso(e.recordedAt) })),
    findings: investigation.findings.map((f) => ({ ...f, recordedAt: iso(f.recordedAt) })),
    conditions: proposal.conditions.map((c) => ({ code: c.code, met: c.met })),
    proposedOutcome: proposal.proposed,
    allowedOutcomes: proposal.allowed,
    openDraft: draft ? { ...draft, preparedAt: iso(draft.preparedAt) } : null,
    decisions: decisions.map((d) => ({
      ...d,
      preparedAt: iso(d.preparedAt),
      decidedAt: iso(d.decidedAt),
    })),
    clarifications: clarifications.map((c) => ({ ...c, recordedAt: iso(c.recordedAt) })),
  };
}

async function caseAfter(trx: Tx, investigationId: string) {
  const calendar = await loadWorkingCalendar(trx);
  return caseBody(
    trx,
    await getInvestigation(trx, investigationId, calendar, localDateOf(new Date())),
  );
}

const context = (actorUserId: string) => ({ actorUserId, at: new Date() });

function registerCaseReads(app: App): void {
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
          asOf: LocalDateSchema.optional(),
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
        query.asOf ?? localDateOf(new Date()),
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
}

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

function registerCaseWork(app: App): void {
  const caseStep = <S extends z.ZodType>(path: string, summary: string, body: S) =>
    roleRoute(GROUP, {
      method: 'post',
      path: `/exemption/investigations/{investigationId}/${path}`,
      tags: ['exemption'],
      summary,
      request: { params: CaseParams, body: jsonBody(body) },
      responses: { 201: json(InvestigationSchema, 'The case after the change') },
    });

  app.openapi(caseStep('parties', 'Record a unit or official concerned', PartySchema), (c) => {
    const { investigationId } = c.req.valid('param');
    const input = c.req.valid('json');
    return mutate(
      c,
      {
        action: 'investigation.party',
        entity: 'investigation',
        input: { investigationId, ...input },
      },
      async (trx, actor) => {
        await addParty(trx, investigationId, input, context(actor.userId));
        return {
          status: 201,
          body: await caseAfter(trx, investigationId),
          entityId: investigationId,
        };
      },
    );
  });

  app.openapi(
    caseStep('evidence', 'Store a document as evidence, with its SHA-256', EvidenceSchema),
    (c) => {
      const { investigationId } = c.req.valid('param');
      const input = c.req.valid('json');
      if (!BASE64.test(input.contentBase64) || input.contentBase64.length % 4 !== 0) {
        throw validationProblem([{ field: 'json.contentBase64', reason: 'not base64' }]);
      }
      const content = Uint8Array.from(atob(input.contentBase64), (ch) => ch.charCodeAt(0));
      return mutate(
        c,
        {
          action: 'investigation.evidence',
          entity: 'investigation',
          input: { investigationId, ...input },
        },
        async (trx, actor) => {
          await addEvidence(
            trx,
            investigationId,
            {
              title: input.title,
              mediaType: input.mediaType,
              content,
              ...(input.sha256 ? { sha256: input.sha256 } : {}),
            },
            context(actor.userId),
          );
          return {
            status: 201,
            body: await caseAfter(trx, investigationId),
            entityId: investigationId,
          };
        },
      );
    },
  );

  app.openapi(
    caseStep('findings', "Record one of the group's coded findings", FindingSchema),
    (c) => {
      const { investigationId } = c.req.valid('param');
      const input = c.req.valid('json');
      return mutate(
        c,
        {
          action: 'investigation.finding',
          entity: 'investigation',
          input: { investigationId, ...input },
        },
        async (trx, actor) => {
          await recordFinding(trx, investigationId, input, context(actor.userId));
          return {
            status: 201,
            body: await caseAfter(trx, investigationId),
            entityId: investigationId,
          };
        },
      );
    },
  );
}

function registerDecisions(app: App): void {
  app.openapi(
    roleRoute(GROUP, {
      method: 'post',
      path: '/exemption/investigations/{investigationId}/drafts',
      tags: ['exemption'],
      summary: 'Prepare a decision (a member); a revision names the decision it supersedes',
      request: {
        params: CaseParams,
        body: jsonBody(
          z
            .object({
              outcome: OutcomeSchema,
              reasons: text(5000),
              supersedesDecisionId: UuidSchema.optional(),
            })
            .strict()
            .openapi('ExemptionDraftInput'),
        ),
      },
      responses: { 201: json(DraftSchema, 'Prepared, awaiting the leader') },
    }),
    (c) => {
      const { investigationId } = c.req.valid('param');
      const input = c.req.valid('json');
      return mutate(
        c,
        {
          action: 'exemption.prepare',
          entity: 'investigation',
          input: { investigationId, ...input },
        },
        async (trx, actor) => {
          const draft = await prepareDecision(trx, investigationId, input, context(actor.userId));
          return {
            status: 201,
            body: { ...draft, preparedAt: iso(draft.preparedAt) },
            entityId: draft.id,
          };
        },
      );
    },
  );

  app.openapi(
    roleRoute(GROUP, {
      method: 'post',
      path: '/exemption/drafts/{draftId}/decide',
      tags: ['exemption'],
      summary: 'The group leader decides a draft (never the one who prepared it)',
      request: { params: DraftParams, body: jsonBody(z.object({}).strict()) },
      responses: { 201: json(DecisionSchema, 'The decision, immutable') },
    }),
    (c) => {
      const { draftId } = c.req.valid('param');
      return mutate(
        c,
        { action: 'exemption.decide', entity: 'exemption_draft', input: { draftId } },
        async (trx, actor) => {
          const decision = await decide(trx, draftId, context(actor.userId));
          const body = {
            ...decision,
            preparedAt: iso(decision.preparedAt),
            decidedAt: iso(decision.decidedAt),
          };
          return { status: 201, body, entityId: decision.id };
        },
      );
    },
  );

  app.openapi(
    roleRoute(GROUP, {
      method: 'post',
      path: '/exemption/drafts/{draftId}/send-back',
      tags: ['exemption'],
      summary: 'The group leader sends a draft back to be prepared again',
      request: { params: DraftParams, body: jsonBody(z.object({}).strict()) },
      responses: { 200: json(DraftSchema, 'Sent back') },
    }),
    (c) => {
      const { draftId } = c.req.valid('param');
      return mutate(
        c,
        { action: 'exemption.send_back', entity: 'exemption_draft', input: { draftId } },
        async (trx, actor) => {
          const draft = await sendBack(trx, draftId, context(actor.userId));
          return {
            status: 200,
            body: { ...draft, preparedAt: iso(draft.preparedAt) },
            entityId: draftId,
          };
        },
      );
    },
  );
}

const PublishedSchema = z
  .object({ id: UuidSchema, title: z.string(), text: z.string(), publishedOn: z.string() })
  .openapi('PublishedClarification');

function registerClarifications(app: App): void {
  app.openapi(
    roleRoute(GROUP, {
      method: 'post',
      path: '/exemption/investigations/{investigationId}/clarifications',
      tags: ['exemption'],
      summary: 'Publish a clarification (澄清) for an exempted case',
      request: {
        params: CaseParams,
        body: jsonBody(
          z
            .object({
              scope: z.enum(['unit', 'county', 'public']),
              title: text(200),
              text: text(10000),
              publishedOn: LocalDateSchema,
            })
            .strict()
            .openapi('NewClarification'),
        ),
      },
      responses: { 201: json(InvestigationSchema, 'The case with its clarification') },
    }),
    (c) => {
      const { investigationId } = c.req.valid('param');
      const input = c.req.valid('json');
      return mutate(
        c,
        {
          action: 'clarification.publish',
          entity: 'investigation',
          input: { investigationId, ...input },
        },
        async (trx, actor) => {
          const now = new Date();
          await publishClarification(trx, investigationId, input, {
            actorUserId: actor.userId,
            at: now,
            today: localDateOf(now),
          });
          return {
            status: 201,
            body: await caseAfter(trx, investigationId),
            entityId: investigationId,
          };
        },
      );
    },
  );

  // Public on purpose: what was published for everyone, and nothing else of the case.
  app.openapi(
    createRoute({
      method: 'get',
      path: '/public/clarifications',
      tags: ['exemption'],
      summary: 'Clarifications published to the public, newest first (no token needed)',
      request: { query: z.object({ limit: PageLimitSchema }) },
      responses: {
        200: {
          description: 'Published clarifications',
          content: {
            'application/json': { schema: z.object({ clarifications: z.array(PublishedSchema) }) },
          },
        },
      },
    }),
    async (c) => {
      const { limit } = c.req.valid('query');
      const clarifications = await publicClarifications(c.var.deps.db, limit ?? 50);
      return c.json({ clarifications }, 200);
    },
  );
}

function registerGroupAdministration(app: App): void {
  app.openapi(
    roleRoute(['admin', 'special_group', 'reform_office'], {
      method: 'get',
      path: '/special-group',
      tags: ['exemption'],
      summary: "The special group's units and members",
      responses: { 200: json(z.object({}).passthrough(), 'The group') },
    }),
    async (c) => {
      const db = c.var.deps.db;
      const members = await groupMembers(db);
      return c.json(
        {
          units: await groupUnits(db),
          members: members.map((m) => ({ ...m, appointedAt: iso(m.appointedAt) })),
        },
        200,
      );
    },
  );

  app.openapi(
    roleRoute(['admin'], {
      method: 'post',
      path: '/admin/special-group/members',
      tags: ['exemption'],
      summary: 'Appoint a special_group user to the group for a unit, as member or leader',
      request: {
        body: jsonBody(
          z
            .object({ userId: UuidSchema, unitCode: z.string().max(50), isLeader: z.boolean() })
            .strict()
            .openapi('GroupAppointment'),
        ),
      },
      responses: { 201: json(z.object({}).passthrough(), 'Appointed') },
    }),
    (c) => {
      const input = c.req.valid('json');
      return mutate(
        c,
        { action: 'special_group.appoint', entity: 'app_user', input },
        async (trx, actor) => {
          const member = await appointMember(trx, input, context(actor.userId));
          return {
            status: 201,
            body: { ...member, appointedAt: iso(member.appointedAt) },
            entityId: input.userId,
          };
        },
      );
    },
  );

  app.openapi(
    roleRoute(['admin'], {
      method: 'post',
      path: '/admin/pools/{pool}/exemption-terms',
      tags: ['exemption'],
      summary:
        'Record exemption terms from a date: deadline, whether payouts wait, whether claims need exemption',
      request: {
        params: z.object({ pool: z.string().min(1).max(100) }),
        body: jsonBody(
          z
            .object({
              effectiveFrom: LocalDateSchema,
              investigationWorkingDays: z.number().int().min(1).max(250),
              payoutsWaitForDecision: z.boolean(),
              claimsRequireExemption: z.boolean(),
              reason: text(2000),
            })
            .strict()
            .openapi('ExemptionTermsInput'),
        ),
      },
      responses: { 201: json(z.object({}).passthrough(), 'Recorded') },
    }),
    (c) => {
      const { pool } = c.req.valid('param');
      const input = c.req.valid('json');
      return mutate(
        c,
        { action: 'exemption_terms.record', entity: 'pool', input: { pool, ...input } },
        async (trx, actor) => {
          const terms = await recordExemptionTerms(trx, pool, input, context(actor.userId));
          return { status: 201, body: terms, entityId: pool };
        },
      );
    },
  );
}

export function registerExemptionRoutes(app: App): void {
  registerCaseReads(app);
  registerCaseWork(app);
  registerDecisions(app);
  registerClarifications(app);
  registerGroupAdministration(app);
}
