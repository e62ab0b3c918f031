/**
 * @module Insurer claims staff: incidents, claims, eligibility and decisions, the work
 * queue and the loss run.
 */
import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { claimDecisions, rejectDecision } from '../../claims/adjudication.ts';
import { addClaimLines, changeClaimStatus, claimEvents, submitClaim } from '../../claims/claims.ts';
import { ATTESTED_FINDINGS, DENIAL_REASONS } from '../../claims/eligibility.ts';
import { getIncident, incidentCoverage, reportIncident } from '../../claims/incidents.ts';
import { projectCoverage } from '../../claims/project-coverage.ts';
import { claimSummary, lossRun, lossRunCsv, workQueue } from '../../claims/views.ts';
import type { ClaimStatus } from '../../db/schema.ts';
import { caseOfIncident, payoutAwaitsExemption } from '../../exemption/claim-link.ts';
import { Money } from '../../ledger/money.ts';
import { confirmAndOrder, decideAndOrder } from '../../payouts/orders.ts';
import { COST_CATEGORIES } from '../../policy/pool-accounts.ts';
import type { AppEnv } from '../env.ts';
import { mutate } from '../mutation.ts';
import { json, jsonBody, roleRoute } from '../route.ts';
import { AmountSchema, LocalDateSchema, PositiveAmountSchema, UuidSchema } from '../schemas.ts';
import { requestNow, requestToday } from '../today.ts';

const CLAIM_STATUSES = [
  'submitted',
  'under_review',
  'awaiting_confirmation',
  'approved',
  'partly_approved',
  'denied',
  'payout_pending',
  'paid',
  'payout_failed',
  'closed',
  'withdrawn',
  'reopened',
] as const satisfies readonly ClaimStatus[];

const Text = (max: number) => z.string().trim().min(1).max(max);

const NewIncidentSchema = z
  .object({
    pool: z.string().regex(/^[a-z0-9-]{1,40}$/, 'a pool id or code'),
    riskPointId: UuidSchema,
    occurredOn: LocalDateSchema,
    description: Text(5000),
    place: Text(500),
    reporter: Text(200),
  })
  .strict()
  .openapi('NewIncident', {
    example: {
      pool: 'county',
      riskPointId: '0b5c6a43-2f0e-4c43-8f64-3a4f1f8a9d10',
      occurredOn: '2026-06-01',
      description: 'Pilot warehouse flooded after a dyke failed',
      place: 'Xiangyang township',
      reporter: 'County reform office',
    },
  });

const EvidenceSchema = z
  .object({
    title: Text(200),
    documentNumber: z.string().regex(/^[A-Za-z0-9._/-]{1,100}$/, 'letters, digits and . _ / -'),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, '64 lower-case hex digits'),
  })
  .strict();

const NewLineSchema = z
  .object({
    category: z.enum(COST_CATEGORIES),
    amountClaimed: PositiveAmountSchema,
    payee: Text(200),
    description: z.string().max(1000).default(''),
    evidence: z.array(EvidenceSchema).max(20),
  })
  .strict();

const LINE_EXAMPLE = {
  category: 'property_loss',
  amountClaimed: '650000.00',
  payee: 'Xiangyang Cooperative',
  description: 'appraised loss of stored grain',
  evidence: [{ title: 'Appraisal report', documentNumber: 'APR-2026-118', sha256: 'a'.repeat(64) }],
};

const NewClaimSchema = z
  .object({
    incidentId: UuidSchema,
    claimant: Text(200),
    lines: z.array(NewLineSchema).min(1).max(50),
  })
  .strict()
  .openapi('NewClaim', {
    example: {
      incidentId: '0b5c6a43-2f0e-4c43-8f64-3a4f1f8a9d10',
      claimant: 'Xiangyang Cooperative',
      lines: [LINE_EXAMPLE],
    },
  });

const NewLinesSchema = z
  .object({ lines: z.array(NewLineSchema).min(1).max(50) })
  .strict()
  .openapi('NewClaimLines', {
    example: { lines: [{ ...LINE_EXAMPLE, category: 'lawyer_fees', amountClaimed: '12000.00' }] },
  });

const AttestationSchema = z
  .object({
    code: z.enum(ATTESTED_FINDINGS),
    result: z.enum(['pass', 'fail']),
    note: z.string().max(1000),
  })
  .strict();

const DecisionSchema = z
  .discriminatedUnion('decision', [
    z
      .object({
        decision: z.literal('approve'),
        lines: z
          .array(z.object({ lineId: UuidSchema, approved: AmountSchema }).strict())
          .min(1)
          .max(50),
        attestations: z.array(AttestationSchema).max(ATTESTED_FINDINGS.length),
        note: z.string().max(2000).default(''),
      })
      .strict(),
    z
      .object({
        decision: z.literal('deny'),
        reasons: z.array(z.enum(DENIAL_REASONS)).min(1).max(DENIAL_REASONS.length),
        attestations: z.array(AttestationSchema).max(ATTESTED_FINDINGS.length).default([]),
        note: z.string().max(2000).default(''),
      })
      .strict(),
  ])
  .openapi('ClaimDecisionInput', {
    example: {
      decision: 'approve',
      lines: [{ lineId: '0b5c6a43-2f0e-4c43-8f64-3a4f1f8a9d10', approved: '650000.00' }],
      attestations: ATTESTED_FINDINGS.map((code) => ({
        code,
        result: 'pass',
        note: 'checked against the filed plan',
      })),
      note: '',
    },
  });

const ReasonSchema = z
  .object({ reason: Text(1000) })
  .strict()
  .openapi('Reason', { example: { reason: 'final lawyer invoice arrived' } });

const IncidentSchema = z
  .object({
    id: UuidSchema,
    poolId: UuidSchema,
    riskPointId: UuidSchema,
    occurredOn: z.string(),
    description: z.string(),
    place: z.string(),
    reporter: z.string(),
    covered: z.boolean(),
    notCoveredReasons: z.array(z.object({ code: z.string(), text: z.string() })),
    perIncidentCap: AmountSchema,
    reportedAt: z.string(),
  })
  .openapi('Incident');

const IncidentCoverageSchema = z.object({
  incidentId: UuidSchema,
  cap: AmountSchema,
  reserved: AmountSchema,
  consumed: AmountSchema,
  remaining: AmountSchema,
});

const ClaimLineSchema = z.object({
  id: UuidSchema,
  lineNo: z.number().int(),
  category: z.enum(COST_CATEGORIES),
  amountClaimed: AmountSchema,
  payee: z.string(),
  description: z.string(),
  evidence: z.array(
    z.object({ title: z.string(), documentNumber: z.string(), sha256: z.string() }),
  ),
  possibleDuplicateOf: z.array(
    z.object({
      claimLineId: z.string(),
      claimId: z.string(),
      matchedOn: z.string(),
      value: z.string(),
    }),
  ),
});

const ClaimSchema = z
  .object({
    id: UuidSchema,
    incidentId: UuidSchema,
    status: z.enum(CLAIM_STATUSES),
    claimant: z.string(),
    submittedAt: z.string(),
    statusChangedAt: z.string(),
    lines: z.array(ClaimLineSchema),
  })
  .openapi('Claim');

const DecisionViewSchema = z
  .object({
    id: UuidSchema,
    claimId: UuidSchema,
    outcome: z.enum(['approved', 'partly_approved', 'denied']),
    state: z.enum(['awaiting_confirmation', 'effective', 'rejected_by_checker']),
    findings: z.array(
      z.object({
        code: z.string(),
        kind: z.enum(['automatic', 'attested']),
        result: z.enum(['pass', 'fail']),
        note: z.string(),
      }),
    ),
    denialReasons: z.array(z.string()),
    note: z.string(),
    approvedTotal: AmountSchema,
    incidentCapCut: AmountSchema,
    projectLimitCut: AmountSchema,
    poolCapCut: AmountSchema,
    payable: AmountSchema,
    cuts: z.array(
      z.object({
        cap: z.enum(['per_incident_cap', 'per_project_limit', 'cumulative_cap']),
        amount: AmountSchema,
      }),
    ),
    lines: z.array(
      z.object({
        lineId: UuidSchema,
        approved: AmountSchema,
        payable: AmountSchema,
        cutBy: z.string().nullable(),
      }),
    ),
    decidedBy: UuidSchema,
    decidedAt: z.string(),
    confirmedBy: z.string().nullable(),
    confirmedAt: z.string().nullable(),
  })
  .openapi('ClaimDecision');

const ClaimDetailSchema = ClaimSchema.extend({
  money: z.object({
    claimed: AmountSchema,
    approved: AmountSchema,
    paid: AmountSchema,
    voided: AmountSchema,
    outstanding: AmountSchema,
    incurred: AmountSchema,
  }),
  incidentCoverage: IncidentCoverageSchema,
  decisions: z.array(DecisionViewSchema),
  history: z.array(
    z.object({
      from: z.string().nullable(),
      to: z.string(),
      action: z.string(),
      note: z.string(),
      actorUserId: z.string(),
      recordedAt: z.string(),
    }),
  ),
  exemption: z
    .object({
      investigationId: UuidSchema,
      status: z.enum(['open', 'decided']),
      proposedOutcome: z.enum(['exempt', 'not_proposed']),
      decision: z
        .object({
          id: UuidSchema,
          version: z.number().int(),
          outcome: z.enum(['exempt', 'partly_exempt', 'not_exempt']),
          decidedAt: z.string(),
        })
        .nullable(),
      payoutWaitsForDecision: z.boolean(),
    })
    .nullable()
    .openapi({ description: "The incident's error-tolerance case and its decision in force" }),
}).openapi('ClaimDetail');

const ProjectCoverageSchema = z
  .object({
    projectId: UuidSchema,
    poolId: z.string().nullable(),
    reserved: AmountSchema,
    paid: AmountSchema,
    committed: AmountSchema,
    limit: AmountSchema.nullable(),
    limitLeft: AmountSchema.nullable(),
    incidents: z.array(
      z.object({
        incidentId: UuidSchema,
        occurredOn: z.string(),
        reserved: AmountSchema,
        paid: AmountSchema,
      }),
    ),
  })
  .openapi('ProjectCoverage');

const ClaimParams = z.object({ claimId: UuidSchema });
const STAFF = ['insurer'] as const;
const READERS = ['insurer', 'finance', 'reform_office', 'admin', 'special_group'] as const;

export function registerClaimRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(
    roleRoute(['insurer', 'reform_office'], {
      method: 'post',
      path: '/insurer/incidents',
      tags: ['claims'],
      summary:
        'Report an incident against a risk point (recorded as not covered, with reasons, when it is not)',
      request: { body: jsonBody(NewIncidentSchema) },
      responses: { 201: json(IncidentSchema, 'Reported') },
    }),
    (c) => {
      const body = c.req.valid('json');
      return mutate(
        c,
        { action: 'incident.report', entity: 'incident', input: body },
        async (trx, actor) => {
          const incident = await reportIncident(trx, body, actor.userId, requestToday(c));
          return { status: 201, body: incident, entityId: incident.id };
        },
      );
    },
  );

  app.openapi(
    roleRoute(READERS, {
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
      return c.json({ ...coverage, incidents: [...coverage.incidents] }, 200);
    },
  );

  app.openapi(
    roleRoute(READERS, {
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

  app.openapi(
    roleRoute(STAFF, {
      method: 'post',
      path: '/insurer/claims',
      tags: ['claims'],
      summary: 'Submit a claim with its lines and evidence',
      request: { body: jsonBody(NewClaimSchema) },
      responses: { 201: json(ClaimSchema, 'Submitted') },
    }),
    (c) => {
      const body = c.req.valid('json');
      return mutate(
        c,
        { action: 'claim.submit', entity: 'claim', input: body },
        async (trx, actor) => {
          const lines = body.lines.map((l) => ({
            ...l,
            amountClaimed: new Money(l.amountClaimed),
          }));
          const claim = await submitClaim(
            trx,
            { incidentId: body.incidentId, claimant: body.claimant, lines },
            actor.userId,
          );
          return { status: 201, body: claim, entityId: claim.id };
        },
      );
    },
  );

  app.openapi(
    roleRoute(STAFF, {
      method: 'get',
      path: '/insurer/claims',
      tags: ['claims'],
      summary: 'Work queue: open claims by status, oldest first',
      request: {
        query: z.object({
          status: z.enum(CLAIM_STATUSES).optional(),
          limit: z.coerce.number().int().min(1).max(500).default(100),
        }),
      },
      responses: {
        200: json(
          z.object({
            claims: z.array(
              z.object({
                claimId: UuidSchema,
                incidentId: UuidSchema,
                status: z.enum(CLAIM_STATUSES),
                claimant: z.string(),
                submittedAt: z.string(),
                statusChangedAt: z.string(),
                ageDays: z.number().int(),
                claimed: AmountSchema,
                approved: AmountSchema,
                paid: AmountSchema,
                voided: AmountSchema,
                outstanding: AmountSchema,
              }),
            ),
          }),
          'Queue',
        ),
      },
    }),
    async (c) => {
      const { status, limit } = c.req.valid('query');
      return c.json(
        {
          claims: await workQueue(c.var.deps.db, {
            statuses: status ? [status] : undefined,
            limit,
          }),
        },
        200,
      );
    },
  );

  app.openapi(
    roleRoute(READERS, {
      method: 'get',
      path: '/insurer/claims/{claimId}',
      tags: ['claims'],
      summary:
        'A claim: lines, money (claimed, approved, paid, voided, outstanding, incurred — from its payouts), findings and decisions, history',
      request: { params: ClaimParams },
      responses: { 200: json(ClaimDetailSchema, 'Claim') },
    }),
    async (c) => {
      const { claimId } = c.req.valid('param');
      const db = c.var.deps.db;
      const summary = await claimSummary(db, claimId);
      const decisions = await claimDecisions(db, claimId);
      const history = (await claimEvents(db, claimId)).map((e) => ({
        ...e,
        recordedAt: e.recordedAt.toISOString(),
      }));
      const exemptionCase = await caseOfIncident(db, summary.incidentId);
      const exemption = exemptionCase && {
        ...exemptionCase,
        decision: exemptionCase.decision && {
          ...exemptionCase.decision,
          decidedAt: exemptionCase.decision.decidedAt.toISOString(),
        },
        payoutWaitsForDecision: await payoutAwaitsExemption(db, summary.incidentId),
      };
      return c.json(
        {
          ...summary,
          lines: summary.lines.map((l) => ({
            ...l,
            evidence: [...l.evidence],
            possibleDuplicateOf: [...l.possibleDuplicateOf],
          })),
          decisions: decisions.map((d) => ({
            ...d,
            findings: [...d.findings],
            denialReasons: [...d.denialReasons],
            cuts: [...d.cuts],
            lines: [...d.lines],
          })),
          history,
          exemption,
        },
        200,
      );
    },
  );

  for (const [segment, action, summary] of [
    ['start-review', 'start_review', 'Take a submitted claim under review'],
    ['withdraw', 'withdraw', 'Withdraw a claim not yet decided'],
  ] as const) {
    app.openapi(
      roleRoute(STAFF, {
        method: 'post',
        path: `/insurer/claims/{claimId}/${segment}`,
        tags: ['claims'],
        summary,
        request: { params: ClaimParams },
        responses: { 200: json(ClaimSchema, 'Moved') },
      }),
      (c) => {
        const { claimId } = c.req.valid('param');
        return mutate(
          c,
          { action: `claim.${action}`, entity: 'claim', input: { claimId } },
          async (trx, actor) => {
            const claim = await changeClaimStatus(trx, claimId, action, '', actor.userId);
            return { status: 200, body: claim, entityId: claim.id };
          },
        );
      },
    );
  }

  app.openapi(
    roleRoute(STAFF, {
      method: 'post',
      path: '/insurer/claims/{claimId}/reopen',
      tags: ['claims'],
      summary: 'Reopen a decided or paid claim, with a reason (late costs within the incident cap)',
      request: { params: ClaimParams, body: jsonBody(ReasonSchema) },
      responses: { 200: json(ClaimSchema, 'Reopened') },
    }),
    (c) => {
      const { claimId } = c.req.valid('param');
      const body = c.req.valid('json');
      return mutate(
        c,
        { action: 'claim.reopen', entity: 'claim', input: { claimId, body } },
        async (trx, actor) => {
          const claim = await changeClaimStatus(trx, claimId, 'reopen', body.reason, actor.userId);
          return { status: 200, body: claim, entityId: claim.id };
        },
      );
    },
  );

  app.openapi(
    roleRoute(STAFF, {
      method: 'post',
      path: '/insurer/claims/{claimId}/lines',
      tags: ['claims'],
      summary: 'Add late lines to a reopened claim',
      request: { params: ClaimParams, body: jsonBody(NewLinesSchema) },
      responses: { 200: json(ClaimSchema, 'Lines added') },
    }),
    (c) => {
      const { claimId } = c.req.valid('param');
      const body = c.req.valid('json');
      return mutate(
        c,
        { action: 'claim.add_lines', entity: 'claim', input: { claimId, body } },
        async (trx, actor) => {
          const lines = body.lines.map((l) => ({
            ...l,
            amountClaimed: new Money(l.amountClaimed),
          }));
          const claim = await addClaimLines(trx, claimId, lines, actor.userId);
          return { status: 200, body: claim, entityId: claim.id };
        },
      );
    },
  );

  app.openapi(
    roleRoute(STAFF, {
      method: 'post',
      path: '/insurer/claims/{claimId}/decision',
      tags: ['claims'],
      summary:
        'Approve (in full or in part, per line) or deny with coded reasons; says which cap cut how much',
      request: { params: ClaimParams, body: jsonBody(DecisionSchema) },
      responses: { 201: json(DecisionViewSchema, 'Decided') },
    }),
    (c) => {
      const { claimId } = c.req.valid('param');
      const body = c.req.valid('json');
      return mutate(
        c,
        { action: 'claim.decide', entity: 'claim', input: { claimId, body } },
        async (trx, actor) => {
          const now = requestNow(c);
          const input =
            body.decision === 'approve'
              ? {
                  ...body,
                  lines: body.lines.map((l) => ({
                    lineId: l.lineId,
                    approved: new Money(l.approved),
                  })),
                  now,
                }
              : { ...body, now };
          const decision = await decideAndOrder(trx, claimId, input, actor.userId);
          return { status: 201, body: decision, entityId: claimId };
        },
      );
    },
  );

  app.openapi(
    roleRoute(STAFF, {
      method: 'post',
      path: '/insurer/claims/{claimId}/decision/confirm',
      tags: ['claims'],
      summary: 'Confirm a decision awaiting a second insurer user (four-eyes)',
      request: { params: ClaimParams },
      responses: { 200: json(DecisionViewSchema, 'Confirmed') },
    }),
    (c) => {
      const { claimId } = c.req.valid('param');
      return mutate(
        c,
        { action: 'claim.confirm', entity: 'claim', input: { claimId } },
        async (trx, actor) => {
          const decision = await confirmAndOrder(trx, claimId, actor.userId);
          return { status: 200, body: decision, entityId: claimId };
        },
      );
    },
  );

  app.openapi(
    roleRoute(STAFF, {
      method: 'post',
      path: '/insurer/claims/{claimId}/decision/reject',
      tags: ['claims'],
      summary: 'Reject a decision awaiting confirmation: its coverage hold is released',
      request: { params: ClaimParams, body: jsonBody(ReasonSchema) },
      responses: { 200: json(DecisionViewSchema, 'Rejected') },
    }),
    (c) => {
      const { claimId } = c.req.valid('param');
      const body = c.req.valid('json');
      return mutate(
        c,
        { action: 'claim.reject_decision', entity: 'claim', input: { claimId, body } },
        async (trx, actor) => {
          const decision = await rejectDecision(trx, claimId, actor.userId, body.reason);
          return { status: 200, body: decision, entityId: claimId };
        },
      );
    },
  );

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
                    outstanding: AmountSchema,
                    incurred: AmountSchema,
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
}
