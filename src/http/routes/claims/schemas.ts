/**
 * @module The schemas of the insurer's routes: incidents, claims and their lines, decisions,
 * the work queue and the loss run.
 */
import { z } from '@hono/zod-openapi';
import { ATTESTED_FINDINGS, DENIAL_REASONS } from '../../../claims/eligibility.ts';
import type { ClaimStatus } from '../../../db/schema.ts';
import { Money } from '../../../ledger/money.ts';
import { COST_CATEGORIES } from '../../../policy/pool-accounts.ts';
import { AmountSchema, LocalDateSchema, PositiveAmountSchema, UuidSchema } from '../../schemas.ts';

export const CLAIM_STATUSES = [
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

export const Text = (max: number) => z.string().trim().min(1).max(max);

export const NewIncidentSchema = z
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

export const EvidenceSchema = z
  .object({
    title: Text(200),
    documentNumber: z.string().regex(/^[A-Za-z0-9._/-]{1,100}$/, 'letters, digits and . _ / -'),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, '64 lower-case hex digits'),
  })
  .strict();

export const NewLineSchema = z
  .object({
    category: z.enum(COST_CATEGORIES),
    amountClaimed: PositiveAmountSchema,
    payee: Text(200),
    description: z.string().max(1000).default(''),
    evidence: z.array(EvidenceSchema).max(20),
  })
  .strict();

export const LINE_EXAMPLE = {
  category: 'property_loss',
  amountClaimed: '650000.00',
  payee: 'Xiangyang Cooperative',
  description: 'appraised loss of stored grain',
  evidence: [{ title: 'Appraisal report', documentNumber: 'APR-2026-118', sha256: 'a'.repeat(64) }],
};

export const NewClaimSchema = z
  .object({
    incidentId: UuidSchema,
    claimant: Text(200),
    lines: z.array(NewLineSchema).min(1).max(50),
    initialReserve: AmountSchema.optional().openapi({
      description:
        'The handler’s first estimate of what the claim will cost; the amount claimed when omitted',
    }),
    reserveReason: z.string().max(1000).optional(),
  })
  .strict()
  .openapi('NewClaim', {
    example: {
      incidentId: '0b5c6a43-2f0e-4c43-8f64-3a4f1f8a9d10',
      claimant: 'Xiangyang Cooperative',
      lines: [LINE_EXAMPLE],
    },
  });

export const NewLinesSchema = z
  .object({ lines: z.array(NewLineSchema).min(1).max(50) })
  .strict()
  .openapi('NewClaimLines', {
    example: { lines: [{ ...LINE_EXAMPLE, category: 'lawyer_fees', amountClaimed: '12000.00' }] },
  });

export const AttestationSchema = z
  .object({
    code: z.enum(ATTESTED_FINDINGS),
    result: z.enum(['pass', 'fail']),
    note: z.string().max(1000),
  })
  .strict();

/** An example's attestations: every attested finding passed, with one note. */
const everyFindingPassed = (note: string) =>
  ATTESTED_FINDINGS.map((code) => ({ code, result: 'pass', note }));

/** What an approval states, a claim's own or a supplementary one: each line's approved total. */
const APPROVAL_FIELDS = {
  lines: z
    .array(z.object({ lineId: UuidSchema, approved: AmountSchema }).strict())
    .min(1)
    .max(50),
  attestations: z.array(AttestationSchema).max(ATTESTED_FINDINGS.length),
  note: z.string().max(2000).default(''),
};

export const DecisionSchema = z
  .discriminatedUnion('decision', [
    z
      .object({
        decision: z.literal('approve'),
        ...APPROVAL_FIELDS,
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
      attestations: everyFindingPassed('checked against the filed plan'),
      note: '',
    },
  });

export const CapNameSchema = z
  .enum(['per_incident_cap', 'per_project_limit', 'cumulative_cap'])
  .openapi('CapName');

export const SupplementSchema = z
  .object({
    supersedesDecisionId: UuidSchema,
    ...APPROVAL_FIELDS,
  })
  .strict()
  .openapi('SupplementaryDecisionInput', {
    example: {
      supersedesDecisionId: '0b5c6a43-2f0e-4c43-8f64-3a4f1f8a9d10',
      lines: [{ lineId: '5d0c6a43-2f0e-4c43-8f64-3a4f1f8a9d11', approved: '480000.00' }],
      attestations: everyFindingPassed('the appraisal was revised upwards'),
      note: 'revised appraisal',
    },
  });

export const ReasonSchema = z
  .object({ reason: Text(1000) })
  .strict()
  .openapi('Reason', { example: { reason: 'final lawyer invoice arrived' } });

export const IncidentSchema = z
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
    possibleDuplicateOf: z
      .array(
        z.object({
          incidentId: UuidSchema,
          occurredOn: z.string(),
          place: z.string(),
          daysApart: z.number().int(),
        }),
      )
      .openapi({
        description: 'Earlier reports on the same risk point that may be this loss event',
      }),
    eventIncidentId: UuidSchema.nullable().openapi({
      description:
        'The incident whose per-incident cap this one shares as one loss event; null: its own',
    }),
  })
  .openapi('Incident');

export const IncidentCoverageSchema = z.object({
  incidentId: UuidSchema,
  cap: AmountSchema,
  reserved: AmountSchema,
  consumed: AmountSchema,
  remaining: AmountSchema,
});

export const ClaimLineSchema = z.object({
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

/** What a claim is, without its lines: the work queue lists claims this way. */
export const ClaimHeadFields = {
  id: UuidSchema,
  incidentId: UuidSchema,
  status: z.enum(CLAIM_STATUSES),
  claimant: z.string(),
  submittedAt: z.string(),
  statusChangedAt: z.string(),
};

/** A claim's money, from its lines, decisions and payouts. */
export const ClaimMoneyFields = {
  claimed: AmountSchema,
  approved: AmountSchema,
  paid: AmountSchema,
  voided: AmountSchema,
  caseReserve: AmountSchema.openapi({
    description:
      'The handler’s estimate for what is not decided yet; released when a decision takes effect',
  }),
  outstanding: AmountSchema.openapi({ description: 'case reserve + approved not yet paid' }),
  incurred: AmountSchema.openapi({ description: 'paid + outstanding' }),
};

export const ClaimSchema = z
  .object({ ...ClaimHeadFields, lines: z.array(ClaimLineSchema) })
  .openapi('Claim');

export const DecisionViewSchema = z
  .object({
    id: UuidSchema,
    claimId: UuidSchema,
    outcome: z.enum(['approved', 'partly_approved', 'denied']),
    state: z.enum(['awaiting_confirmation', 'effective', 'rejected_by_checker']),
    supersedesDecisionId: UuidSchema.nullable(),
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
    cuts: z.array(z.object({ cap: CapNameSchema, amount: AmountSchema })),
    lines: z.array(
      z.object({
        lineId: UuidSchema,
        approved: AmountSchema,
        payable: AmountSchema,
        previousPayable: AmountSchema,
        cutBy: CapNameSchema.nullable().openapi({
          description: 'The cap that bound this line (as in `cuts[].cap`); null when none did',
        }),
      }),
    ),
    decidedBy: UuidSchema,
    decidedAt: z.string(),
    confirmedBy: z.string().nullable(),
    confirmedAt: z.string().nullable(),
  })
  .openapi('ClaimDecision');

export const ClaimMoneySchema = z.object({
  ...ClaimMoneyFields,
  recovered: AmountSchema.openapi({
    description: 'recovered from third parties (subrogation, salvage)',
  }),
});

export const ClaimDetailSchema = ClaimSchema.extend({
  money: ClaimMoneySchema,
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

export const ProjectCoverageSchema = z
  .object({
    projectId: UuidSchema,
    poolId: z.string().nullable(),
    reserved: AmountSchema,
    paid: AmountSchema,
    committed: AmountSchema,
    limit: AmountSchema.nullable(),
    remaining: AmountSchema.nullable().openapi({
      description: 'What is left of the per-project limit; null when the terms set none',
    }),
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

export const ClaimParams = z.object({ claimId: UuidSchema });
export const CLAIM_STAFF = ['insurer'] as const;
export const CLAIM_READERS = [
  'insurer',
  'finance',
  'reform_office',
  'admin',
  'special_group',
] as const;

/** Late or first lines as the domain takes them: amounts as Money. */
export const claimLines = <L extends { amountClaimed: string }>(lines: readonly L[]) =>
  lines.map((line) => ({ ...line, amountClaimed: new Money(line.amountClaimed) }));
