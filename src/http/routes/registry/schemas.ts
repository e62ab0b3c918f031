/**
 * @module Request and response schemas of the registry routes (projects, risk points,
 * reference lists), and the functions that turn domain values into bodies; the filing
 * loop's are in filing-schemas.ts.
 */
import { z } from '@hono/zod-openapi';
import type { FilingStatus, ReferenceListName } from '../../../db/schema-registry.ts';
import { FILING_STATUSES } from '../../../policy/filing.ts';
import type { StepContext } from '../../../policy/filing-step-record.ts';
import type { Project } from '../../../policy/projects.ts';
import { REFERENCE_LISTS, type ReferenceItem } from '../../../policy/reference-lists.ts';
import type { RiskPoint, RiskPointVersion } from '../../../policy/risk-points.ts';
import { AsOfSchema, UuidSchema } from '../../schemas.ts';

export const text = (max: number) => z.string().trim().min(1).max(max);
export const moment = (value: Date) => value.toISOString();
export const momentOrNull = (value: Date | null) => value?.toISOString() ?? null;

// --- Shared --------------------------------------------------------------------------------

export const AsOfQuery = z.object({
  asOf: AsOfSchema.optional().openapi({
    description:
      'A local date (what was in force at the end of that day) or an instant (in force then)',
  }),
});

export const RiskLevelSchema = z.enum(['low', 'medium', 'high']).openapi({ example: 'medium' });
export const FilingStatusSchema = z
  .enum(FILING_STATUSES as [FilingStatus, ...FilingStatus[]])
  .openapi({ example: 'submitted' });
export const ReferenceListSchema = z
  .enum(REFERENCE_LISTS as [ReferenceListName, ...ReferenceListName[]])
  .openapi({ example: 'assessment_rule' });
export const ReformAreaSchema = z.enum([
  'pilot_reform',
  'social_stability',
  'key_work',
  'streamlining_administration',
]);
export const ItemCodeSchema = z
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

// --- Who may do what ------------------------------------------------------------------------

export const OFFICE = ['reform_office'] as const;
/** The unit that runs a reform files it: projects, risk points, applications, answers. */
export const DEPARTMENT = ['department'] as const;
export const APPLICANTS = ['department', 'reform_office'] as const;
export const REGISTRY_READERS = [
  'reform_office',
  'department',
  'insurer',
  'special_group',
] as const;

export const stepContext = (actorUserId: string): StepContext => ({
  actorUserId,
  at: new Date(),
});
