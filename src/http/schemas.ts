/**
 * @module Shared request and response schemas: money as strings, ids, pages, problems.
 */
import { z } from '@hono/zod-openapi';
import { ROLES } from '../access/tokens.ts';
import { type AsOf, isLocalDate } from '../policy/local-date.ts';

export const AmountSchema = z
  .string({
    error: (issue) =>
      issue.input === undefined
        ? 'required'
        : 'amount must be a string such as "1250.00" (a JSON number is refused: it cannot carry money exactly)',
  })
  .regex(
    /^(0|[1-9]\d{0,14})(\.\d{1,2})?$/,
    'a non-negative decimal with at most two decimals and 15 integer digits',
  )
  .openapi({ example: '1250.00', description: 'CNY as a decimal string, at most two decimals' });

export const PositiveAmountSchema = AmountSchema.refine(
  (value) => !/^0(\.0{1,2})?$/.test(value),
  'must be greater than zero',
);

export const UuidSchema = z.uuid().openapi({ example: '0b5c6a43-2f0e-4c43-8f64-3a4f1f8a9d10' });

export const RoleSchema = z.enum(ROLES as [string, ...string[]]).openapi({ example: 'insurer' });

export const IsoDateTimeSchema = z.iso
  .datetime({ offset: true })
  .openapi({ example: '2026-11-27T08:00:00+08:00' });

export const LocalDateSchema = z.iso
  .date()
  .openapi({ example: '2026-11-27', description: 'A local date in Asia/Shanghai' });

/**
 * `asOf` on every route that takes it: a local date (the end of that day in Asia/Shanghai)
 * or an instant with its offset.
 */
export const AsOfSchema = z
  .union([z.iso.date(), z.iso.datetime({ offset: true })], {
    error: (issue) =>
      issue.input === undefined
        ? 'required: a date YYYY-MM-DD or an instant with its offset'
        : 'a date YYYY-MM-DD or an instant with its offset, such as 2026-11-27T10:00:00+08:00',
  })
  .openapi({
    description:
      'A local date YYYY-MM-DD (the end of that day in Asia/Shanghai) or an instant with its offset',
    example: '2026-11-27',
  });

/** The `asOf` text as the domain takes it: a local date, or a moment. */
export const readAsOf = (text: string): AsOf => (isLocalDate(text) ? text : new Date(text));

export const PageLimitSchema = z.coerce
  .number()
  .int()
  .min(1)
  .max(200)
  .default(50)
  .openapi({ example: 50 });

export const PoolRefSchema = z
  .string()
  .regex(/^[a-z0-9-]{1,40}$/, 'a pool id or code')
  .openapi({ example: 'county', description: "The pool's id or code" });
export const PoolParams = z.object({ pool: PoolRefSchema });

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.string().openapi({ example: 'validation_failed' }),
    detail: z.string(),
    instance: z.string().optional(),
    requestId: z.string().optional(),
    errors: z.array(z.object({ field: z.string(), reason: z.string() })).optional(),
    facts: z
      .record(z.string(), z.string())
      .optional()
      .openapi({
        description:
          'What the refusal is about, for a caller to show: the account, the amounts, the cap involved',
        example: { cap: 'per_incident_cap', remaining: '120000.00' },
      }),
  })
  .openapi('Problem');

export const IdempotencyHeadersSchema = z.object({
  'idempotency-key': z.string().min(1).max(200).openapi({
    description: 'Client-chosen key; a retry with the same key and body returns the first response',
    example: 'c1e8f3d2-ret-001',
  }),
});

export const LateItemSchema = z.boolean().default(false).openapi({
  description:
    'Money received in a month finance has closed is refused (409 period_closed) unless this is true: then it is booked in the open month as a named late item',
});
