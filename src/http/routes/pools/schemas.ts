/**
 * @module The schemas of pools: the pool, its dated terms, its coverage and its policy periods.
 */
import { z } from '@hono/zod-openapi';
import { Money } from '../../../ledger/money.ts';
import type { PoolCoverage } from '../../../policy/coverage.ts';
import type { PeriodFigures } from '../../../policy/periods.ts';
import { COST_CATEGORIES } from '../../../policy/pool-accounts.ts';
import { DOCUMENT_KINDS } from '../../../policy/required-documents.ts';
import type { TermsInput } from '../../../policy/terms.ts';
import { AmountSchema, LocalDateSchema, PositiveAmountSchema, UuidSchema } from '../../schemas.ts';

export const TextSchema = (max: number) => z.string().trim().min(1).max(max);
export const PercentSchema = z
  .string()
  .regex(/^(100(\.0{1,2})?|[1-9]?\d(\.\d{1,2})?)$/, 'a percent from 0 to 100, two decimals');

export const PoolSchema = z
  .object({
    id: UuidSchema,
    code: z.string(),
    name: z.string(),
    insurer: z.string(),
    policyNumber: z.string(),
    currency: z.literal('CNY'),
  })
  .openapi('Pool');

export const CategoryTermSchema = z
  .object({
    category: z.enum(COST_CATEGORIES),
    covered: z.boolean(),
    countsAgainstCaps: z.boolean(),
    requiredDocuments: z
      .array(
        z
          .object({
            requirement: z.string().regex(/^[a-z_]{1,60}$/),
            anyOf: z.array(z.enum(DOCUMENT_KINDS)).min(1).max(DOCUMENT_KINDS.length),
          })
          .strict(),
      )
      .max(10)
      .optional()
      .openapi({
        description:
          'Documents a line of the category needs before approval, each met by any one of its kinds; omitted: the county’s list',
      }),
  })
  .strict();

export const TermsSchema = z
  .object({
    version: z.number().int(),
    effectiveFrom: z.string(),
    periodStart: z.string(),
    periodEnd: z.string(),
    fundingRatio: z.string(),
    perIncidentCap: AmountSchema,
    cumulativeCap: AmountSchema,
    categories: z.array(CategoryTermSchema),
    poolWarningPercents: z.array(z.string()),
    incidentWarningPercent: z.string(),
    fourEyesThreshold: AmountSchema,
    perProjectLimit: AmountSchema.nullable(),
    recoveriesReinstateCoverage: z.boolean(),
    reason: z.string(),
    recordedAt: z.string(),
  })
  .openapi('PoolTerms');

export const TermsExample = {
  effectiveFrom: '2027-01-01',
  periodStart: '2027-01-01',
  periodEnd: '2027-12-31',
  fundingRatio: '50',
  perIncidentCap: '500000.00',
  cumulativeCap: '5000000.00',
  categories: COST_CATEGORIES.map((category) => ({
    category,
    covered: true,
    countsAgainstCaps: true,
  })),
  poolWarningPercents: ['50', '80', '90'],
  incidentWarningPercent: '80',
  fourEyesThreshold: '100000.00',
  reason: 'renewal for 2027',
};

export const NewTermsSchema = z
  .object({
    effectiveFrom: LocalDateSchema,
    periodStart: LocalDateSchema,
    periodEnd: LocalDateSchema,
    fundingRatio: z.string().regex(/^[1-9]\d{0,3}(\.\d{1,2})?$/, 'a ratio such as "50"'),
    perIncidentCap: PositiveAmountSchema,
    cumulativeCap: PositiveAmountSchema,
    categories: z.array(CategoryTermSchema).length(COST_CATEGORIES.length),
    poolWarningPercents: z.array(PercentSchema).min(1).max(10),
    incidentWarningPercent: PercentSchema,
    fourEyesThreshold: AmountSchema.default('100000.00'),
    perProjectLimit: PositiveAmountSchema.nullable().default(null),
    recoveriesReinstateCoverage: z.boolean().default(false).openapi({
      description: 'Whether money recovered from third parties gives cumulative coverage back',
    }),
    reason: TextSchema(500),
  })
  .strict()
  .openapi('NewPoolTerms', { example: TermsExample });

export type NewTerms = z.infer<typeof NewTermsSchema>;

export const toTermsInput = (body: NewTerms): TermsInput => ({
  effectiveFrom: body.effectiveFrom,
  periodStart: body.periodStart,
  periodEnd: body.periodEnd,
  fundingRatio: new Money(body.fundingRatio),
  perIncidentCap: new Money(body.perIncidentCap),
  cumulativeCap: new Money(body.cumulativeCap),
  categories: body.categories,
  poolWarningPercents: body.poolWarningPercents.map((p) => new Money(p)),
  incidentWarningPercent: new Money(body.incidentWarningPercent),
  fourEyesThreshold: new Money(body.fourEyesThreshold),
  perProjectLimit: body.perProjectLimit === null ? null : new Money(body.perProjectLimit),
  recoveriesReinstateCoverage: body.recoveriesReinstateCoverage,
  reason: body.reason,
});

export const NewPoolSchema = z
  .object({
    code: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'lower-case letters, digits and -'),
    name: TextSchema(200),
    insurer: TextSchema(200),
    policyNumber: z.string().regex(/^[A-Za-z0-9-]{1,100}$/),
    terms: NewTermsSchema,
  })
  .strict()
  .openapi('NewPool', {
    example: {
      code: 'county-2027',
      name: 'County pool 2027',
      insurer: 'Sample Life',
      policyNumber: 'RP-2027-0001',
      terms: TermsExample,
    },
  });

export const CoverageSchema = z
  .object({
    poolId: UuidSchema,
    asOf: z.string().nullable(),
    termsVersion: z.number().int(),
    periodStart: z.string(),
    periodEnd: z.string(),
    fundingRatio: z.string(),
    carriedFromEarlierPeriods: AmountSchema,
    cumulativeCap: AmountSchema,
    capacity: AmountSchema,
    reserved: AmountSchema,
    consumed: AmountSchema,
    committed: AmountSchema,
    remaining: AmountSchema.openapi({
      description: 'What is left of the capacity: capacity − committed (reserved + consumed)',
    }),
    surplus: AmountSchema,
    contributionsReceived: AmountSchema,
    remittancesReceived: AmountSchema,
    fundBalance: AmountSchema,
    utilisationPercent: z.string(),
    capacityUtilisationPercent: z.string(),
    overCommitted: AmountSchema,
  })
  .openapi('PoolCoverage');

export const PeriodsSchema = z
  .object({
    periods: z.array(
      z.object({
        periodStart: z.string(),
        periodEnd: z.string(),
        cumulativeCap: AmountSchema,
        committed: AmountSchema,
        remaining: AmountSchema,
        utilisationPercent: z.string(),
        current: z.boolean(),
      }),
    ),
    overCommitments: z.array(
      z.object({ version: z.number().int(), inForceOn: z.string(), amount: AmountSchema }),
    ),
  })
  .openapi('PolicyPeriods');

export const POOL_READERS = ['reform_office', 'insurer', 'finance', 'admin'] as const;

/**
 * Coverage as the API names it: what is left of a cap is `remaining` on the pool, the
 * incident and the project alike (the ledger calls the pool's account "available").
 */
export function coverageBody(coverage: PoolCoverage) {
  const { available, ...figures } = coverage;
  return { ...figures, remaining: available };
}

export function periodBody(period: PeriodFigures) {
  const { leftover, ...figures } = period;
  return { ...figures, remaining: leftover };
}
