/**
 * @module Finance bureau reports and month-end close: account statements and the pool
 * statement for a period (JSON, or CSV with a BOM for Excel/WPS), and closing, forcing and
 * reopening months.
 */
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { closeMonth, periodState, reopenMonth } from '../../finance/period-close.ts';
import { accountStatement, type PoolStatement, poolStatement } from '../../finance/reports.ts';
import { COST_CATEGORIES, chineseCategoryName } from '../../policy/pool-accounts.ts';
import { findPool } from '../../policy/pools.ts';
import { ensureTermsInForce } from '../../policy/terms-in-force.ts';
import { type CsvColumn, toCsv } from '../../reports/csv.ts';
import type { AppEnv } from '../env.ts';
import {
  CsvHeadersQuery,
  csv,
  csvFile,
  json,
  mutationRoute,
  type RouteApp,
  roleRoute,
  routes,
} from '../route.ts';
import { AmountSchema, LocalDateSchema, PoolParams } from '../schemas.ts';
import { requestNow, requestToday } from '../today.ts';
import { CoverageSchema, coverageBody } from './pools/schemas.ts';

const PeriodQuery = z.object({
  from: LocalDateSchema,
  to: LocalDateSchema,
});

const MonthParams = z.object({
  month: z
    .string()
    .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a month written YYYY-MM')
    .openapi({ example: '2026-10' }),
});

const ReasonSchema = z
  .object({ reason: z.string().trim().min(1).max(1000) })
  .strict()
  .openapi('PeriodReason', {
    example: { reason: 'bank statement for October arrives late; closing for the audit' },
  });

const PeriodStateSchema = z
  .object({
    month: z.string(),
    closed: z.boolean(),
    closedAt: z.string().nullable(),
    closedBy: z.string().nullable(),
    history: z.array(
      z.object({
        action: z.string(),
        forced: z.boolean(),
        reason: z.string(),
        actorUserId: z.string(),
        recordedAt: z.string(),
      }),
    ),
  })
  .openapi('PeriodState');

const AccountParams = z.object({
  code: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[A-Za-z0-9:._-]+$/)
    .openapi({ example: 'pool:county:cash:fund' }),
});

const StatementLineSchema = z.object({
  entryId: z.number().int(),
  effectiveAt: z.string(),
  description: z.string(),
  debit: AmountSchema,
  credit: AmountSchema,
  balance: z.string(),
});

const AccountStatementSchema = z
  .object({
    accountCode: z.string(),
    unit: z.string(),
    period: z.object({ from: z.string(), to: z.string() }),
    openingBalance: z.string(),
    lines: z.array(StatementLineSchema),
    totalDebits: AmountSchema,
    totalCredits: AmountSchema,
    closingBalance: z.string(),
  })
  .openapi('AccountStatement');

const PoolStatementSchema = z
  .object({
    poolId: z.string(),
    period: z.object({ from: z.string(), to: z.string() }),
    cash: z.object({
      openingBalance: AmountSchema,
      contributions: AmountSchema,
      contributionRefunds: AmountSchema,
      remittances: AmountSchema,
      recoveries: AmountSchema,
      payoutsByCategory: z.record(z.string(), AmountSchema),
      payouts: AmountSchema,
      closingBalance: AmountSchema,
      heldForPayouts: AmountSchema,
    }),
    coverage: z.object({ opening: CoverageSchema, closing: CoverageSchema }),
  })
  .openapi('PoolStatement');

const STATEMENT_COLUMNS: readonly CsvColumn<z.infer<typeof StatementLineSchema>>[] = [
  { key: 'effectiveAt', english: 'Date', chinese: '记账日期' },
  { key: 'entryId', english: 'Entry', chinese: '凭证号' },
  { key: 'description', english: 'Description', chinese: '摘要' },
  { key: 'debit', english: 'Debit', chinese: '借方' },
  { key: 'credit', english: 'Credit', chinese: '贷方' },
  { key: 'balance', english: 'Balance', chinese: '余额' },
];

const POOL_STATEMENT_COLUMNS: readonly CsvColumn<{
  item: string;
  chinese: string;
  amount: string;
}>[] = [
  { key: 'item', english: 'Item', chinese: '项目' },
  { key: 'chinese', english: 'Item (中文)', chinese: '项目说明' },
  { key: 'amount', english: 'Amount', chinese: '金额' },
];

/** The pool statement, with the terms that came into force by today posted first. */
async function poolStatementFor(
  c: Context<AppEnv>,
  poolRef: string,
  period: { from: string; to: string },
) {
  const pool = await findPool(c.var.deps.db, poolRef);
  await ensureTermsInForce(c.var.deps.db, pool, requestToday(c), requestNow(c));
  return poolStatement(c.var.deps.db, pool, period);
}

/** The pool statement's lines as the CSV lists them, money first, then coverage. */
function poolStatementRows(statement: PoolStatement) {
  const cash = statement.cash;
  return [
    { item: 'Opening balance', chinese: '期初余额', amount: cash.openingBalance },
    { item: 'Contributions', chinese: '风险池出资', amount: cash.contributions },
    { item: 'Contribution refunds', chinese: '出资退回', amount: cash.contributionRefunds },
    { item: 'Insurer remittances', chinese: '保险公司拨付', amount: cash.remittances },
    { item: 'Recoveries', chinese: '追偿回收', amount: cash.recoveries },
    ...COST_CATEGORIES.map((category) => ({
      item: `Payouts: ${category}`,
      chinese: `赔付：${chineseCategoryName(category)}`,
      amount: cash.payoutsByCategory[category],
    })),
    { item: 'Payouts', chinese: '赔付合计', amount: cash.payouts },
    { item: 'Closing balance', chinese: '期末余额', amount: cash.closingBalance },
    {
      item: 'Coverage capacity at end',
      chinese: '期末保障额度',
      amount: statement.coverage.closing.capacity,
    },
    {
      item: 'Coverage reserved at end',
      chinese: '期末已预留',
      amount: statement.coverage.closing.reserved,
    },
    {
      item: 'Coverage consumed at end',
      chinese: '期末已使用',
      amount: statement.coverage.closing.consumed,
    },
    {
      item: 'Coverage remaining at end',
      chinese: '期末剩余额度',
      amount: statement.coverage.closing.available,
    },
  ];
}

export function financeRoutes(): RouteApp {
  const app = routes();
  app.openapi(
    roleRoute(['finance', 'admin'], {
      method: 'get',
      path: '/finance/ledger/accounts/{code}/statement',
      tags: ['finance'],
      summary:
        "An account's statement for a period: opening balance, each entry with the running balance, closing balance (CSV: the .csv route)",
      request: { params: AccountParams, query: PeriodQuery },
      responses: { 200: json(AccountStatementSchema, 'Statement') },
    }),
    async (c) => {
      const { code } = c.req.valid('param');
      const statement = await accountStatement(c.var.deps.db, code, c.req.valid('query'));
      return c.json(
        { ...statement, period: { ...statement.period }, lines: [...statement.lines] },
        200,
      );
    },
  );

  app.openapi(
    roleRoute(['finance', 'admin'], {
      method: 'get',
      path: '/finance/ledger/accounts/{code}/statement.csv',
      tags: ['finance'],
      summary: "An account's statement for a period as CSV for Excel/WPS",
      request: { params: AccountParams, query: PeriodQuery.merge(CsvHeadersQuery) },
      responses: { 200: csv('Statement') },
    }),
    async (c) => {
      const { code } = c.req.valid('param');
      const { from, to, headers } = c.req.valid('query');
      const statement = await accountStatement(c.var.deps.db, code, { from, to });
      const text = toCsv(STATEMENT_COLUMNS, statement.lines, headers);
      return csvFile(c, `statement-${code}-${from}-${to}.csv`, text);
    },
  );

  app.openapi(
    roleRoute(['finance', 'admin'], {
      method: 'get',
      path: '/finance/pools/{pool}/statement',
      tags: ['finance'],
      summary:
        "Pool statement for a period: the pool account's movements by kind and payouts by category, with the coverage movement (CSV: the .csv route)",
      request: { params: PoolParams, query: PeriodQuery },
      responses: { 200: json(PoolStatementSchema, 'Pool statement') },
    }),
    async (c) => {
      const statement = await poolStatementFor(c, c.req.valid('param').pool, c.req.valid('query'));
      return c.json(
        {
          ...statement,
          period: { ...statement.period },
          cash: { ...statement.cash, payoutsByCategory: { ...statement.cash.payoutsByCategory } },
          coverage: {
            opening: coverageBody(statement.coverage.opening),
            closing: coverageBody(statement.coverage.closing),
          },
        },
        200,
      );
    },
  );

  app.openapi(
    roleRoute(['finance', 'admin'], {
      method: 'get',
      path: '/finance/pools/{pool}/statement.csv',
      tags: ['finance'],
      summary: 'The pool statement for a period as CSV for Excel/WPS',
      request: { params: PoolParams, query: PeriodQuery.merge(CsvHeadersQuery) },
      responses: { 200: csv('Pool statement') },
    }),
    async (c) => {
      const { pool } = c.req.valid('param');
      const { from, to, headers } = c.req.valid('query');
      const statement = await poolStatementFor(c, pool, { from, to });
      const text = toCsv(POOL_STATEMENT_COLUMNS, poolStatementRows(statement), headers);
      return csvFile(c, `pool-statement-${pool}-${from}-${to}.csv`, text);
    },
  );

  app.openapi(
    roleRoute(['finance', 'admin'], {
      method: 'get',
      path: '/finance/periods/{month}',
      tags: ['finance'],
      summary: 'Whether a month is closed, and its close/reopen history',
      request: { params: MonthParams },
      responses: {
        200: {
          description: 'Period',
          content: { 'application/json': { schema: PeriodStateSchema } },
        },
      },
    }),
    async (c) => {
      const state = await periodState(c.var.deps.db, c.req.valid('param').month);
      return c.json({ ...state, history: [...state.history] }, 200);
    },
  );

  mutationRoute(app, {
    roles: ['finance'],
    path: '/finance/periods/{month}/close',
    tags: ['finance'],
    summary:
      'Close a month: no posting may be effective inside it afterwards. Refused while payouts are in flight or statement lines unmatched',
    params: MonthParams,
    responses: { 200: json(PeriodStateSchema, 'Closed') },
    action: 'period.close',
    entity: 'period',
    run: async ({ params: { month }, trx, actor }) => {
      const state = await closeMonth(trx, month, actor.userId, null);
      return { status: 200, body: state, entityId: month };
    },
  });

  mutationRoute(app, {
    roles: ['admin'],
    path: '/admin/periods/{month}/force-close',
    tags: ['admin'],
    summary:
      'Close a month although payouts are in flight or statement lines unmatched, with a reason',
    params: MonthParams,
    body: ReasonSchema,
    responses: { 200: json(PeriodStateSchema, 'Closed') },
    action: 'period.force_close',
    entity: 'period',
    run: async ({ params: { month }, body, trx, actor }) => {
      const state = await closeMonth(trx, month, actor.userId, { reason: body.reason });
      return { status: 200, body: state, entityId: month };
    },
  });

  mutationRoute(app, {
    roles: ['admin'],
    path: '/admin/periods/{month}/reopen',
    tags: ['admin'],
    summary: 'Reopen a closed month, with a reason',
    params: MonthParams,
    body: ReasonSchema,
    responses: { 200: json(PeriodStateSchema, 'Reopened') },
    action: 'period.reopen',
    entity: 'period',
    run: async ({ params: { month }, body, trx, actor }) => {
      const state = await reopenMonth(trx, month, actor.userId, body.reason);
      return { status: 200, body: state, entityId: month };
    },
  });
  return app;
}
