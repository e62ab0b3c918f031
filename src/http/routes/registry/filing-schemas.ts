/**
 * @module Request and response schemas of the filing loop (备案): the steps, a filing with
 * its deadline, and the functions that turn filings into bodies.
 */
import { z } from '@hono/zod-openapi';
import type { FilingTransitionStep } from '../../../policy/filing.ts';
import type { FilingDetail, FilingSummary } from '../../../policy/filing-queries.ts';
import { SAMPLE_REFERENCE_ITEMS } from '../../../policy/reference-list-samples.ts';
import { PageLimitSchema, UuidSchema } from '../../schemas.ts';
import { FilingStatusSchema, ItemCodeSchema, moment, momentOrNull, text } from './schemas.ts';

/** The filing loop's steps as its routes name them: `POST /filings/{filingId}/<step>`. */
export const FILING_ROUTE_VERBS = [
  'submit',
  'preliminary-review',
  'review',
  'feedback',
  'answers',
  'register',
  'return',
  'reject',
] as const;
export type FilingRouteVerb = (typeof FILING_ROUTE_VERBS)[number];

/** The route that takes each step of the domain (a pass and a fail share one route). */
const VERB_OF_STEP: Readonly<Record<FilingTransitionStep, FilingRouteVerb>> = {
  submit: 'submit',
  pass_preliminary_review: 'preliminary-review',
  fail_preliminary_review: 'preliminary-review',
  record_review: 'review',
  give_feedback: 'feedback',
  give_conditional_feedback: 'feedback',
  answer_conditions: 'answers',
  register: 'register',
  return: 'return',
  reject: 'reject',
};

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
    nextSteps: z.array(z.enum(FILING_ROUTE_VERBS)).openapi({
      description:
        'The steps the filing can take now, as the routes name them: POST /filings/{filingId}/<step>',
    }),
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
  nextSteps: [...new Set(filing.nextSteps.map((step) => VERB_OF_STEP[step]))],
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
