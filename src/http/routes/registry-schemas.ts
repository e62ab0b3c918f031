/**
 * @module Request and response schemas of the registry routes (projects, risk points,
 * filings, reference lists), and the functions that turn domain values into bodies.
 */
import { z } from '@hono/zod-openapi';
import type { FilingStatus, ReferenceListName } from '../../db/schema-registry.ts';
import {
  FILING_STATUSES,
  FILING_TRANSITION_STEPS,
  type FilingTransitionStep,
} from '../../policy/filing.ts';
import type { FilingDetail, FilingSummary } from '../../policy/filing-queries.ts';
import type { Project } from '../../policy/projects.ts';
import { SAMPLE_REFERENCE_ITEMS } from '../../policy/reference-list-samples.ts';
import { REFERENCE_LISTS, type ReferenceItem } from '../../policy/reference-lists.ts';
import type { RiskPoint, RiskPointVersion } from '../../policy/risk-points.ts';
import { LocalDateSchema, PageLimitSchema, UuidSchema } from '../schemas.ts';

const text = (max: number) => z.string().trim().min(1).max(max);
const moment = (value: Date) => value.toISOString();
const momentOrNull = (value: Date | null) => value?.toISOString() ?? null;

// --- Shared --------------------------------------------------------------------------------

export const AsOfQuery = z.object({
  asOf: LocalDateSchema.optional().openapi({
    description: 'A local date: answer with what was in force at the end of that day',
  }),
});

const RiskLevelSchema = z.enum(['low', 'medium', 'high']).openapi({ example: 'medium' });
const FilingStatusSchema = z
  .enum(FILING_STATUSES as [FilingStatus, ...FilingStatus[]])
  .openapi({ example: 'submitted' });
const ReferenceListSchema = z
  .enum(REFERENCE_LISTS as [ReferenceListName, ...ReferenceListName[]])
  .openapi({ example: 'assessment_rule' });
const ReformAreaSchema = z.enum([
  'pilot_reform',
  'social_stability',
  'key_work',
  'streamlining_administration',
]);
const ItemCodeSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_.]{0,49}$/)
  .openapi({ example: 'feasibility.2' });

// --- Projects -------------------------------------------------------------------------------

export const NewProjectSchema = z
  .object({ name: text(200), ownerDepartment: text(200), description: text(5000) })
  .strict()
  .openapi('NewReformProject', {
    example: {
      name: 'Rural collective land market reform',
      ownerDepartment: 'County Natural Resources Bureau',
      description: 'Pilot of market entry for collectively owned construction land.',
    },
  });

export const ProjectSchema = z
  .object({
    id: UuidSchema,
    name: z.string(),
    ownerDepartment: z.string(),
    description: z.string(),
    createdAt: z.string(),
    createdBy: UuidSchema,
    riskPointCount: z.number().int(),
    registeredRiskPointCount: z.number().int(),
    filingStatus: FilingStatusSchema.nullable().openapi({
      description: "The status of the project's latest filing; null before its first filing",
    }),
  })
  .openapi('ReformProject');

export const ProjectParams = z.object({ projectId: UuidSchema });

export const projectBody = (project: Project) => ({
  ...project,
  createdAt: moment(project.createdAt),
});

// --- Risk points ----------------------------------------------------------------------------

const riskPointContent = {
  description: text(5000),
  likelihood: RiskLevelSchema,
  impact: RiskLevelSchema,
  controlPlan: text(10000),
};

const riskPointExample = {
  description: 'Land valuation disputes delay transfers and lead to litigation.',
  likelihood: 'medium',
  impact: 'high',
  controlPlan: 'Independent appraisal before every transfer; a mediation panel within 10 days.',
};

export const NewRiskPointSchema = z
  .object(riskPointContent)
  .strict()
  .openapi('NewRiskPoint', { example: riskPointExample });

export const RiskPointAmendmentSchema = z
  .object({
    basedOnVersion: z.number().int().min(1).max(100000),
    ...riskPointContent,
    amendmentNote: text(2000),
  })
  .strict()
  .openapi('RiskPointAmendment', {
    example: {
      basedOnVersion: 1,
      ...riskPointExample,
      amendmentNote: 'Mediation deadline shortened after the first quarter.',
    },
  });

const RiskPointVersionSchema = z
  .object({
    version: z.number().int(),
    description: z.string(),
    likelihood: RiskLevelSchema,
    impact: RiskLevelSchema,
    controlPlan: z.string(),
    amendmentNote: z.string().nullable(),
    recordedAt: z.string(),
    recordedBy: UuidSchema,
  })
  .openapi('RiskPointVersion');

export const RiskPointSchema = z
  .object({
    id: UuidSchema,
    projectId: UuidSchema,
    number: z.number().int(),
    createdAt: z.string(),
    registeredAt: z.string().nullable(),
    registeredOn: z.string().nullable().openapi({
      description: 'The local date (Asia/Shanghai) the filing covering it was registered',
    }),
    registeredByFilingId: UuidSchema.nullable(),
    latestVersion: z.number().int(),
    inForce: RiskPointVersionSchema,
  })
  .openapi('RiskPoint');

export const RiskPointVersionsSchema = z.object({ versions: z.array(RiskPointVersionSchema) });
export const RiskPointParams = z.object({ riskPointId: UuidSchema });

export const riskPointVersionBody = (version: RiskPointVersion) => ({
  ...version,
  recordedAt: moment(version.recordedAt),
});

export const riskPointBody = (point: RiskPoint) => ({
  ...point,
  createdAt: moment(point.createdAt),
  registeredAt: momentOrNull(point.registeredAt),
  inForce: riskPointVersionBody(point.inForce),
});

// --- Filings --------------------------------------------------------------------------------

export const FilingParams = z.object({ filingId: UuidSchema });

export const FilingListQuery = z.object({
  status: FilingStatusSchema.optional(),
  projectId: UuidSchema.optional(),
  limit: PageLimitSchema,
});

export const SubmissionSchema = z
  .object({
    riskPointIds: z.array(UuidSchema).min(1).max(100),
    note: text(2000).optional(),
  })
  .strict()
  .openapi('FilingSubmission', {
    example: {
      riskPointIds: ['0b5c6a43-2f0e-4c43-8f64-3a4f1f8a9d10'],
      note: 'Reform plan and risk-control plan attached.',
    },
  });

const sampleCodes = (list: string) =>
  SAMPLE_REFERENCE_ITEMS.filter((item) => item.list === list).map((item) => item.code);

export const PreliminaryReviewSchema = z
  .object({
    criteria: z
      .array(z.object({ code: ItemCodeSchema, passed: z.boolean(), note: text(2000) }).strict())
      .min(1)
      .max(50),
  })
  .strict()
  .openapi('PreliminaryReview', {
    example: {
      criteria: sampleCodes('admission_criterion').map((code) => ({
        code,
        passed: true,
        note: 'Meets the criterion.',
      })),
    },
  });

export const ReviewSchema = z
  .object({
    assessments: z
      .array(
        z
          .object({
            code: ItemCodeSchema,
            rating: z.enum(['meets', 'partly_meets', 'does_not_meet']),
            opinion: text(2000),
          })
          .strict(),
      )
      .min(1)
      .max(100),
    specialProject: z.boolean().optional().openapi({
      description: 'A special project (重大专项): at least one expert opinion is required',
    }),
    expertOpinions: z
      .array(
        z
          .object({
            expert: text(200),
            opinion: text(5000),
            verdict: z.enum(['supports', 'supports_with_conditions', 'opposes']),
          })
          .strict(),
      )
      .max(50)
      .optional(),
    conditions: z.array(text(2000)).max(20).optional().openapi({
      description: 'Required exactly when the scores give a conditional pass',
    }),
    summary: text(5000).optional(),
  })
  .strict()
  .openapi('FilingReview', {
    example: {
      assessments: sampleCodes('assessment_rule').map((code) => ({
        code,
        rating: 'meets',
        opinion: 'Adequate.',
      })),
      specialProject: true,
      expertOpinions: [
        {
          expert: 'Prof. Wang (county law advisory panel)',
          opinion: 'Sound.',
          verdict: 'supports',
        },
      ],
      summary: 'The plan is rational, feasible and controllable.',
    },
  });

export const FeedbackSchema = z
  .object({ message: text(5000) })
  .strict()
  .openapi('FilingFeedback', {
    example: { message: 'The review found the plan admissible; it will be registered.' },
  });

export const ConditionAnswersSchema = z
  .object({
    answers: z
      .array(z.object({ condition: z.number().int().min(1).max(20), answer: text(5000) }).strict())
      .min(1)
      .max(20),
  })
  .strict()
  .openapi('FilingConditionAnswers', {
    example: {
      answers: [{ condition: 1, answer: 'The control plan now names the audit bureau.' }],
    },
  });

export const RegistrationSchema = z
  .object({ note: text(2000).optional() })
  .strict()
  .openapi('FilingRegistration', { example: { note: 'Registered as filed.' } });

export const ReturnSchema = z
  .object({ reason: text(5000) })
  .strict()
  .openapi('FilingReturn', {
    example: { reason: 'The control plan for risk point 2 names no responsible unit.' },
  });

export const RejectionSchema = z
  .object({ reason: text(5000) })
  .strict()
  .openapi('FilingRejection', {
    example: { reason: 'Not a reform: the project is routine administrative work.' },
  });

const DeadlineSchema = z
  .object({
    submittedOn: z.string().openapi({ description: 'The first application: the clock starts' }),
    dueOn: z.string().nullable().openapi({
      description: 'Registration is due by the end of this day, while the clock runs',
    }),
    state: z.enum(['on_track', 'near', 'overdue', 'paused', 'met', 'missed', 'calendar_unknown']),
    workingDaysUsed: z.number().int().nullable(),
    workingDaysLeft: z.number().int().nullable().openapi({
      description: 'Working days left: up to dueOn while running, of the 7 while paused',
    }),
    closedOn: z.string().nullable().openapi({ description: 'Registered or rejected on' }),
  })
  .openapi('FilingDeadline');

export const FilingSchema = z
  .object({
    id: UuidSchema,
    projectId: UuidSchema,
    projectName: z.string(),
    status: FilingStatusSchema,
    submissionCount: z.number().int(),
    submittedAt: z.string().nullable(),
    submittedOn: z.string().nullable(),
    answeredAt: z.string().nullable(),
    filedAt: z.string().nullable(),
    filedOn: z.string().nullable(),
    createdAt: z.string(),
    deadline: DeadlineSchema.nullable(),
    nextSteps: z.array(
      z.enum(FILING_TRANSITION_STEPS as [FilingTransitionStep, ...FilingTransitionStep[]]),
    ),
  })
  .openapi('Filing');

export const FilingDetailSchema = FilingSchema.extend({
  riskPoints: z.array(
    z.object({ riskPointId: UuidSchema, number: z.number().int(), version: z.number().int() }),
  ),
  steps: z.array(
    z.object({
      step: z.string(),
      fromStatus: FilingStatusSchema.nullable(),
      toStatus: FilingStatusSchema,
      actorUserId: UuidSchema,
      content: z.record(z.string(), z.unknown()),
      recordedAt: z.string(),
    }),
  ),
}).openapi('FilingDetail');

export const filingBody = (filing: FilingSummary) => ({
  ...filing,
  submittedAt: momentOrNull(filing.submittedAt),
  answeredAt: momentOrNull(filing.answeredAt),
  filedAt: momentOrNull(filing.filedAt),
  createdAt: moment(filing.createdAt),
});

export const filingDetailBody = (filing: FilingDetail) => ({
  ...filingBody(filing),
  riskPoints: filing.riskPoints,
  steps: filing.steps.map((step) => ({
    ...step,
    content: (step.content ?? {}) as Record<string, unknown>,
    recordedAt: moment(step.recordedAt),
  })),
});

// --- Reference lists ------------------------------------------------------------------------

export const ReferenceListQuery = AsOfQuery.extend({ list: ReferenceListSchema.optional() });
export const ReferenceItemParams = z.object({ list: ReferenceListSchema, code: ItemCodeSchema });

export const ReferenceItemSchema = z
  .object({
    list: ReferenceListSchema,
    code: z.string(),
    version: z.number().int(),
    title: z.string(),
    wording: z.string(),
    area: ReformAreaSchema.nullable(),
    indicator: z.enum(['rationality', 'feasibility', 'controllability']).nullable(),
    isSample: z.boolean().openapi({ description: 'Still the seeded placeholder wording' }),
    note: z.string().nullable(),
    recordedAt: z.string(),
    recordedBy: UuidSchema.nullable(),
  })
  .openapi('ReferenceListItem');

export const ReferenceItemRevisionSchema = z
  .object({
    basedOnVersion: z.number().int().min(1).max(100000),
    title: text(200),
    wording: text(5000),
    area: ReformAreaSchema.nullable().optional(),
    note: text(2000),
  })
  .strict()
  .openapi('ReferenceListItemRevision', {
    example: {
      basedOnVersion: 1,
      title: 'Resources and funding identified',
      wording: 'The plan names its funding source and the staff who carry it out.',
      note: 'Adopted wording of the county reform office.',
    },
  });

export const referenceItemBody = (item: ReferenceItem) => ({
  ...item,
  recordedAt: moment(item.recordedAt),
});
