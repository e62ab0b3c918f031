/**
 * @module Ledger reads for finance and admin: trial balance, an account's balance (now or
 * as of a moment) and its entries.
 */
import { z } from '@hono/zod-openapi';
import {
  accountBalance,
  accountEntries,
  type TrialBalanceLine,
  trialBalance,
} from '../../ledger/balances.ts';
import type { JournalEntry } from '../../ledger/types.ts';
import { lastMomentOf } from '../../policy/local-date.ts';
import { type CsvColumn, toCsv } from '../../reports/csv.ts';
import { CsvHeadersQuery, csv, csvFile, json, type RouteApp, roleRoute, routes } from '../route.ts';
import { AmountSchema, AsOfSchema, PageLimitSchema, readAsOf } from '../schemas.ts';

const UnitSchema = z.enum(['CNY', 'COVERAGE']);
const AccountCodeSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9:._-]+$/)
  .openapi({ example: 'cash:fund' });

const BalanceSchema = z
  .object({
    accountCode: z.string(),
    unit: UnitSchema,
    normalSide: z.enum(['debit', 'credit']),
    postedDebits: AmountSchema,
    postedCredits: AmountSchema,
    pendingDebits: AmountSchema,
    pendingCredits: AmountSchema,
    balance: z.string(),
    heldAgainst: AmountSchema,
    heldFor: AmountSchema,
    availableBalance: z.string(),
  })
  .openapi('AccountBalance');

const EntrySchema = z
  .object({
    id: z.number().int(),
    kind: z.string(),
    description: z.string(),
    effectiveAt: z.string(),
    recordedAt: z.string(),
    pendingEntryId: z.number().int().nullable(),
    reversesEntryId: z.number().int().nullable(),
    postings: z.array(
      z.object({
        accountCode: z.string(),
        unit: UnitSchema,
        direction: z.enum(['debit', 'credit']),
        phase: z.enum(['posted', 'pending', 'release']),
        amount: AmountSchema,
      }),
    ),
    hash: z.string(),
  })
  .openapi('JournalEntry');

const TRIAL_BALANCE_COLUMNS: readonly CsvColumn<TrialBalanceLine>[] = [
  { key: 'accountCode', english: 'Account', chinese: '科目代码' },
  { key: 'accountName', english: 'Name', chinese: '科目名称' },
  { key: 'unit', english: 'Unit', chinese: '单位' },
  { key: 'debit', english: 'Debit', chinese: '借方余额' },
  { key: 'credit', english: 'Credit', chinese: '贷方余额' },
];

const asOfQuery = z.object({ asOf: AsOfSchema.optional() });
const asOfMoment = (asOf: string | undefined) =>
  asOf === undefined ? undefined : lastMomentOf(readAsOf(asOf));

export const entryBody = (entry: JournalEntry) => ({
  id: entry.id,
  kind: entry.kind,
  description: entry.description,
  effectiveAt: entry.effectiveAt.toISOString(),
  recordedAt: entry.recordedAt.toISOString(),
  pendingEntryId: entry.pendingEntryId,
  reversesEntryId: entry.reversesEntryId,
  postings: entry.postings.map(({ accountCode, unit, direction, phase, amount }) => ({
    accountCode,
    unit,
    direction,
    phase,
    amount,
  })),
  hash: entry.hash,
});

const TrialBalanceQuery = asOfQuery.extend({ unit: UnitSchema.optional() });

const TrialBalanceSchema = z
  .object({
    asOf: z.string().nullable(),
    lines: z.array(
      z.object({
        accountCode: z.string(),
        accountName: z.string(),
        unit: UnitSchema,
        debit: AmountSchema,
        credit: AmountSchema,
      }),
    ),
    totals: z.record(z.string(), z.object({ debit: AmountSchema, credit: AmountSchema })),
    balanced: z.boolean(),
  })
  .openapi('TrialBalance');

export function ledgerRoutes(): RouteApp {
  const app = routes();
  app.openapi(
    roleRoute(['finance', 'admin'], {
      method: 'get',
      path: '/finance/ledger/trial-balance',
      tags: ['finance'],
      summary: 'Trial balance per unit, now or as of a date or a moment (CSV: the .csv route)',
      request: { query: TrialBalanceQuery },
      responses: { 200: json(TrialBalanceSchema, 'Trial balance') },
    }),
    async (c) => {
      const { asOf, unit } = c.req.valid('query');
      const report = await trialBalance(c.var.deps.db, { asOf: asOfMoment(asOf), unit });
      return c.json({ ...report, lines: [...report.lines] }, 200);
    },
  );

  app.openapi(
    roleRoute(['finance', 'admin'], {
      method: 'get',
      path: '/finance/ledger/trial-balance.csv',
      tags: ['finance'],
      summary: 'The trial balance as CSV for Excel/WPS',
      request: { query: TrialBalanceQuery.merge(CsvHeadersQuery) },
      responses: { 200: csv('Trial balance') },
    }),
    async (c) => {
      const { asOf, unit, headers } = c.req.valid('query');
      const report = await trialBalance(c.var.deps.db, { asOf: asOfMoment(asOf), unit });
      return csvFile(c, 'trial-balance.csv', toCsv(TRIAL_BALANCE_COLUMNS, report.lines, headers));
    },
  );

  app.openapi(
    roleRoute(['finance', 'admin'], {
      method: 'get',
      path: '/finance/ledger/accounts/{code}',
      tags: ['finance'],
      summary: "An account's balance, now or as of a date or a moment",
      request: { params: z.object({ code: AccountCodeSchema }), query: asOfQuery },
      responses: {
        200: { description: 'Balance', content: { 'application/json': { schema: BalanceSchema } } },
      },
    }),
    async (c) => {
      const { code } = c.req.valid('param');
      const { asOf } = c.req.valid('query');
      return c.json(await accountBalance(c.var.deps.db, code, asOfMoment(asOf)), 200);
    },
  );

  app.openapi(
    roleRoute(['finance', 'admin'], {
      method: 'get',
      path: '/finance/ledger/accounts/{code}/entries',
      tags: ['finance'],
      summary: "An account's journal entries, newest first",
      request: {
        params: z.object({ code: AccountCodeSchema }),
        query: z.object({
          limit: PageLimitSchema,
          before: z.coerce.number().int().positive().optional(),
        }),
      },
      responses: {
        200: {
          description: 'A page of entries',
          content: {
            'application/json': {
              schema: z.object({
                entries: z.array(EntrySchema),
                nextBefore: z.number().int().nullable(),
              }),
            },
          },
        },
      },
    }),
    async (c) => {
      const { code } = c.req.valid('param');
      const query = c.req.valid('query');
      await accountBalance(c.var.deps.db, code);
      const page = await accountEntries(c.var.deps.db, code, query);
      return c.json({ entries: page.entries.map(entryBody), nextBefore: page.nextBefore }, 200);
    },
  );
  return app;
}
