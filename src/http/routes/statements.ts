/**
 * @module Settlement matching (对账) for the finance bureau: import a bank or insurer
 * statement (CSV text) and match it against the pool's ledger, read the report, match what
 * is left by hand or explain it. Admin may read.
 */
import { z } from '@hono/zod-openapi';
import { explainLedgerItem, explainLine, matchByHand } from '../../finance/hand-matching.ts';
import { LEDGER_ITEM_KINDS } from '../../finance/ledger-items.ts';
import { STATEMENT_LAYOUTS } from '../../finance/statement-columns.ts';
import { MAX_STATEMENT_LINES } from '../../finance/statement-csv.ts';
import { type StatementReport, statementReport } from '../../finance/statement-report.ts';
import { importStatement, listStatements, STATEMENT_SOURCES } from '../../finance/statements.ts';
import { Money } from '../../ledger/money.ts';
import { findPool } from '../../policy/pools.ts';
import type { JsonBody } from '../mutation.ts';
import { json, mutationRoute, type RouteApp, roleRoute, routes } from '../route.ts';
import {
  AmountSchema,
  LocalDateSchema,
  PageLimitSchema,
  PoolParams,
  UuidSchema,
} from '../schemas.ts';

/** The statement text fits in the 64 KB request body limit with room for the other fields. */
const MAX_CSV_CHARACTERS = 60_000;

const LineParams = z.object({ lineId: UuidSchema });
const KindSchema = z
  .enum(LEDGER_ITEM_KINDS)
  .openapi({ example: 'payout', description: 'What kind of ledger item' });
const NoteSchema = z.string().trim().min(1).max(1000);
const SignedAmountSchema = z
  .string()
  .openapi({ example: '-1250.00', description: 'CNY, signed: + money in, − money out' });

const EXAMPLE_CSV = [
  '交易日期,交易金额,对方户名,摘要',
  '2026-03-01,"30,000.00",县财政局,BOC-20260301-001',
  '2026-03-05,"-12,345.67",Appraiser C,SIM-0b5c6a43-2f0e-4c43-8f64-3a4f1f8a9d10',
].join('\n');

const NewStatementSchema = z
  .object({
    source: z.enum(STATEMENT_SOURCES),
    filename: z.string().trim().min(1).max(200),
    csv: z
      .string()
      .min(1)
      .max(MAX_CSV_CHARACTERS)
      .openapi({
        description: `The statement file's text (UTF-8; a GBK export must be converted first), at most ${MAX_STATEMENT_LINES} lines. See the README for the columns understood.`,
      }),
    tolerance: AmountSchema.optional().openapi({
      description:
        'Largest difference an automatic match accepts; "0.00" (the default) means exact',
    }),
    periodFrom: LocalDateSchema.optional(),
    periodTo: LocalDateSchema.optional(),
  })
  .strict()
  .openapi('NewStatement', {
    example: {
      source: 'bank',
      filename: 'boc-2026-03.csv',
      csv: EXAMPLE_CSV,
      tolerance: '0.00',
      periodFrom: '2026-03-01',
      periodTo: '2026-03-31',
    },
  });

const StatementSchema = z
  .object({
    id: UuidSchema,
    poolId: UuidSchema,
    source: z.enum(STATEMENT_SOURCES),
    filename: z.string(),
    fileSha256: z.string(),
    layout: z.enum(STATEMENT_LAYOUTS),
    periodFrom: z.string(),
    periodTo: z.string(),
    lineCount: z.number().int(),
    totalIn: AmountSchema,
    totalOut: AmountSchema,
    tolerance: AmountSchema,
    importedAt: z.string(),
    importedBy: UuidSchema,
    importedByName: z.string(),
  })
  .openapi('Statement');

const LineSchema = z
  .object({
    id: UuidSchema,
    rowNumber: z.number().int(),
    valueDate: z.string(),
    amount: SignedAmountSchema,
    reference: z.string(),
    otherReferences: z.array(z.string()),
    counterparty: z.string(),
  })
  .openapi('StatementLine');

const LedgerItemSchema = z
  .object({
    kind: KindSchema,
    id: UuidSchema,
    reference: z.string(),
    references: z.array(z.string()),
    amount: SignedAmountSchema,
    date: z.string(),
    party: z.string(),
  })
  .openapi('LedgerItem');

const ConfirmationSchema = z.object({ userId: UuidSchema, name: z.string(), at: z.string() });
const explained = <T extends z.ZodType>(subject: T) =>
  z.object({
    subject,
    explanationId: UuidSchema,
    note: z.string(),
    explainedBy: ConfirmationSchema,
  });

const ReportSchema = z
  .object({
    statement: StatementSchema,
    summary: z.object({
      lines: z.number().int(),
      matched: z.number().int(),
      amountMismatches: z.number().int(),
      unmatchedStatementLines: z.number().int(),
      unmatchedLedgerItems: z.number().int(),
      explainedStatementLines: z.number().int(),
      explainedLedgerItems: z.number().int(),
      reconciled: z.boolean(),
    }),
    matched: z.array(
      z.object({
        matchId: UuidSchema,
        line: LineSchema,
        item: LedgerItemSchema,
        difference: SignedAmountSchema,
        matchedBy: z.enum(['auto', 'hand']),
        note: z.string(),
        confirmedBy: ConfirmationSchema,
      }),
    ),
    amountMismatches: z.array(
      z.object({ line: LineSchema, item: LedgerItemSchema, difference: SignedAmountSchema }),
    ),
    unmatchedStatementLines: z.array(LineSchema.extend({ hint: z.string().nullable() })),
    unmatchedLedgerItems: z.array(LedgerItemSchema),
    explainedStatementLines: z.array(explained(LineSchema)),
    explainedLedgerItems: z.array(explained(LedgerItemSchema)),
  })
  .openapi('StatementReport');

const ImportResultSchema = ReportSchema.extend({ alreadyImported: z.boolean() }).openapi(
  'StatementImport',
);

const HandMatchSchema = z
  .object({ kind: KindSchema, targetId: UuidSchema, note: NoteSchema })
  .strict()
  .openapi('HandMatch', {
    example: {
      kind: 'payout',
      targetId: '0b5c6a43-2f0e-4c43-8f64-3a4f1f8a9d10',
      note: 'bank printed the claim number instead of the payout reference',
    },
  });

const MatchSchema = z
  .object({
    id: UuidSchema,
    statementId: UuidSchema,
    lineId: UuidSchema,
    rowNumber: z.number().int(),
    kind: KindSchema,
    targetId: UuidSchema,
    statementAmount: SignedAmountSchema,
    ledgerAmount: SignedAmountSchema,
    difference: SignedAmountSchema,
    matchedBy: z.enum(['auto', 'hand']),
    note: z.string(),
    confirmedBy: UuidSchema,
    confirmedAt: z.string(),
  })
  .openapi('StatementMatch');

const ExplainSchema = z
  .object({ note: NoteSchema })
  .strict()
  .openapi('Explanation', { example: { note: 'bank charges for March (手续费)' } });

const ExplanationSchema = z
  .object({
    id: UuidSchema,
    lineId: UuidSchema.nullable(),
    kind: KindSchema.nullable(),
    targetId: UuidSchema.nullable(),
    note: z.string(),
    explainedBy: UuidSchema,
    explainedAt: z.string(),
  })
  .openapi('StatementExplanation');

export function statementRoutes(): RouteApp {
  const app = routes();
  mutationRoute(app, {
    roles: ['finance'],
    path: '/finance/pools/{pool}/statements',
    tags: ['finance'],
    summary:
      'Import a bank or insurer statement (CSV) and match it to payouts, contributions, refunds and remittances',
    description:
      'The whole file or nothing: any bad row refuses the file with 422 and `rows[{row, reason}]`. The same file again answers 200 with the first import and `alreadyImported: true`.',
    params: PoolParams,
    body: NewStatementSchema,
    responses: {
      201: json(ImportResultSchema, 'Imported and matched'),
      200: json(ImportResultSchema, 'This file was imported before; nothing changed'),
    },
    action: 'statement.import',
    entity: 'bank_statement',
    run: async ({ params: { pool }, body, trx, actor }) => {
      const outcome = await importStatement(
        trx,
        pool,
        {
          source: body.source,
          filename: body.filename,
          text: body.csv,
          tolerance: new Money(body.tolerance ?? '0.00'),
          periodFrom: body.periodFrom,
          periodTo: body.periodTo,
        },
        actor.userId,
      );
      const report = await statementReport(trx, outcome.statement.id);
      return {
        status: outcome.alreadyImported ? 200 : 201,
        body: { ...report, alreadyImported: outcome.alreadyImported },
        entityId: outcome.statement.id,
      };
    },
  });

  app.openapi(
    roleRoute(['finance', 'admin'], {
      method: 'get',
      path: '/finance/pools/{pool}/statements',
      tags: ['finance'],
      summary: 'Statements imported for the pool, newest first',
      request: { params: PoolParams, query: z.object({ limit: PageLimitSchema }) },
      responses: { 200: json(z.object({ statements: z.array(StatementSchema) }), 'Statements') },
    }),
    async (c) => {
      const pool = await findPool(c.var.deps.db, c.req.valid('param').pool);
      const statements = await listStatements(c.var.deps.db, pool.id, c.req.valid('query').limit);
      return c.json({ statements }, 200);
    },
  );

  app.openapi(
    roleRoute(['finance', 'admin'], {
      method: 'get',
      path: '/finance/statements/{statementId}/report',
      tags: ['finance'],
      summary:
        'The matching report: matched, amount mismatches, unmatched on either side, explained',
      request: { params: z.object({ statementId: UuidSchema }) },
      responses: { 200: json(ReportSchema, 'Report') },
    }),
    async (c) => {
      const report = await statementReport(c.var.deps.db, c.req.valid('param').statementId);
      // The domain's report is deeply readonly; the response is a plain copy of it.
      return c.json(report as JsonBody<StatementReport>, 200);
    },
  );

  mutationRoute(app, {
    roles: ['finance'],
    path: '/finance/statement-lines/{lineId}/match',
    tags: ['finance'],
    summary: 'Match an unmatched statement line to a ledger item by hand, with a note',
    params: LineParams,
    body: HandMatchSchema,
    responses: { 201: json(MatchSchema, 'Matched') },
    action: 'statement.match',
    entity: 'statement_line',
    run: async ({ params: { lineId }, body, trx, actor }) => {
      const match = await matchByHand(trx, lineId, body, actor.userId);
      return { status: 201, body: match, entityId: lineId };
    },
  });

  mutationRoute(app, {
    roles: ['finance'],
    path: '/finance/statement-lines/{lineId}/explain',
    tags: ['finance'],
    summary: 'Mark an unmatched statement line as explained (bank charges, interest…)',
    params: LineParams,
    body: ExplainSchema,
    responses: { 201: json(ExplanationSchema, 'Explained') },
    action: 'statement.line.explain',
    entity: 'statement_line',
    run: async ({ params: { lineId }, body, trx, actor }) => {
      const explanation = await explainLine(trx, lineId, body.note, actor.userId);
      return { status: 201, body: explanation, entityId: lineId };
    },
  });

  mutationRoute(app, {
    roles: ['finance'],
    path: '/finance/pools/{pool}/ledger-items/{kind}/{itemId}/explain',
    tags: ['finance'],
    summary: 'Mark a ledger item that no statement shows as explained',
    params: PoolParams.extend({ kind: KindSchema, itemId: UuidSchema }),
    body: ExplainSchema,
    responses: { 201: json(ExplanationSchema, 'Explained') },
    action: 'statement.ledger_item.explain',
    entity: ({ kind }) => kind,
    run: async ({ params: { pool, kind, itemId }, body, trx, actor }) => {
      const explanation = await explainLedgerItem(trx, pool, kind, itemId, body.note, actor.userId);
      return { status: 201, body: explanation, entityId: itemId };
    },
  });
  return app;
}
