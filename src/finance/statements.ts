/**
 * @module Importing a bank or insurer statement: the whole file in one transaction or
 * nothing, then the automatic matching pass. The same file for the same pool (the SHA-256
 * of its normalised text) is recognised and changes nothing: the caller gets the statement
 * imported the first time, marked `alreadyImported`.
 */

import type { Selectable } from 'kysely';
import type { DB } from '../db/database.ts';
import type { Database } from '../db/schema.ts';
import type { StatementSource } from '../db/schema-finance.ts';
import type { Tx } from '../db/transaction.ts';
import { DomainError } from '../domain-error.ts';
import { sha256Hex } from '../ledger/hash.ts';
import { formatAmount, type Money, sumAmounts } from '../ledger/money.ts';
import type { LocalDate } from '../policy/local-date.ts';
import { lockPool } from '../policy/pools.ts';
import { StatementFileError } from './errors.ts';
import { autoMatchStatement } from './matching.ts';
import type { StatementLayout } from './statement-columns.ts';
import { normaliseStatementText, parseStatementCsv, type StatementRow } from './statement-csv.ts';

export const STATEMENT_SOURCES = ['bank', 'insurer'] as const satisfies readonly StatementSource[];

/** Lines written per INSERT: well inside PostgreSQL's 65,535 parameters (7 per line). */
const LINES_PER_INSERT = 1000;

export interface NewStatement {
  readonly source: StatementSource;
  readonly filename: string;
  /** The file's text (decoded by the caller; see README for GBK files). */
  readonly text: string;
  /** Largest |statement − ledger| an automatic match accepts; zero means exact. */
  readonly tolerance: Money;
  /** The period the statement covers; by default its first to its last value date. */
  readonly periodFrom?: LocalDate | undefined;
  readonly periodTo?: LocalDate | undefined;
}

export interface StatementView {
  readonly id: string;
  readonly poolId: string;
  readonly source: StatementSource;
  readonly filename: string;
  readonly fileSha256: string;
  readonly layout: StatementLayout;
  readonly periodFrom: LocalDate;
  readonly periodTo: LocalDate;
  readonly lineCount: number;
  readonly totalIn: string;
  readonly totalOut: string;
  readonly tolerance: string;
  readonly importedAt: string;
  readonly importedBy: string;
  readonly importedByName: string;
}

export interface ImportOutcome {
  readonly alreadyImported: boolean;
  readonly statement: StatementView;
}

export async function importStatement(
  trx: Tx,
  poolRef: string,
  input: NewStatement,
  importedBy: string,
): Promise<ImportOutcome> {
  // The pool lock also orders two imports of the same file: the second sees the first's row.
  const pool = await lockPool(trx, poolRef);
  const text = normaliseStatementText(input.text);
  const fileSha256 = sha256Hex(text);
  const earlier = await trx
    .selectFrom('bank_statement')
    .select('id')
    .where('pool_id', '=', pool.id)
    .where('file_sha256', '=', fileSha256)
    .executeTakeFirst();
  if (earlier) return { alreadyImported: true, statement: await readStatement(trx, earlier.id) };

  const parsed = parseStatementCsv(text);
  if (!parsed.ok) throw new StatementFileError(parsed.errors);
  const { periodFrom, periodTo } = statementPeriod(parsed.rows, input);
  const outside = parsed.rows.filter((r) => r.valueDate < periodFrom || r.valueDate > periodTo);
  if (outside.length > 0) {
    throw new StatementFileError(
      outside.map((r) => ({
        row: r.rowNumber,
        reason: `value date ${r.valueDate} is outside the statement's period ${periodFrom} to ${periodTo}`,
      })),
    );
  }
  const amounts = parsed.rows.map((r) => r.amount);
  const statement = await trx
    .insertInto('bank_statement')
    .values({
      pool_id: pool.id,
      source: input.source,
      file_sha256: fileSha256,
      filename: input.filename,
      layout: parsed.layout,
      period_from: periodFrom,
      period_to: periodTo,
      line_count: parsed.rows.length,
      total_in: formatAmount(sumAmounts(amounts.filter((a) => a.isPositive()))),
      total_out: formatAmount(sumAmounts(amounts.filter((a) => a.isNegative())).negated()),
      tolerance: formatAmount(input.tolerance),
      imported_by: importedBy,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  for (let start = 0; start < parsed.rows.length; start += LINES_PER_INSERT) {
    await trx
      .insertInto('statement_line')
      .values(
        parsed.rows
          .slice(start, start + LINES_PER_INSERT)
          .map((row) => lineValues(statement.id, row)),
      )
      .execute();
  }
  await autoMatchStatement(
    trx,
    { id: statement.id, poolId: pool.id, tolerance: input.tolerance },
    importedBy,
  );
  return { alreadyImported: false, statement: await readStatement(trx, statement.id) };
}

function statementPeriod(
  rows: readonly StatementRow[],
  input: NewStatement,
): { periodFrom: LocalDate; periodTo: LocalDate } {
  const dates = rows.map((r) => r.valueDate).sort();
  const periodFrom = input.periodFrom ?? dates[0] ?? '';
  const periodTo = input.periodTo ?? dates[dates.length - 1] ?? '';
  if (periodFrom > periodTo) {
    throw new DomainError(
      'validation_failed',
      `the statement's period cannot end (${periodTo}) before it begins (${periodFrom})`,
    );
  }
  return { periodFrom, periodTo };
}

function lineValues(statementId: string, row: StatementRow) {
  return {
    statement_id: statementId,
    row_number: row.rowNumber,
    value_date: row.valueDate,
    amount: formatAmount(row.amount),
    reference: row.reference,
    other_references: [...row.otherReferences],
    counterparty: row.counterparty,
  };
}

const STATEMENT_COLUMNS = [
  'bank_statement.id',
  'bank_statement.pool_id',
  'bank_statement.source',
  'bank_statement.filename',
  'bank_statement.file_sha256',
  'bank_statement.layout',
  'bank_statement.period_from',
  'bank_statement.period_to',
  'bank_statement.line_count',
  'bank_statement.total_in',
  'bank_statement.total_out',
  'bank_statement.tolerance',
  'bank_statement.imported_at',
  'bank_statement.imported_by',
  'app_user.name as imported_by_name',
] as const;

type StatementRecord = Selectable<Database['bank_statement']> & { imported_by_name: string };

function toView(row: StatementRecord): StatementView {
  return {
    id: row.id,
    poolId: row.pool_id,
    source: row.source,
    filename: row.filename,
    fileSha256: row.file_sha256,
    layout: row.layout,
    periodFrom: row.period_from,
    periodTo: row.period_to,
    lineCount: row.line_count,
    totalIn: row.total_in,
    totalOut: row.total_out,
    tolerance: row.tolerance,
    importedAt: row.imported_at.toISOString(),
    importedBy: row.imported_by,
    importedByName: row.imported_by_name,
  };
}

export async function readStatement(db: DB | Tx, statementId: string): Promise<StatementView> {
  const row = await db
    .selectFrom('bank_statement')
    .innerJoin('app_user', 'app_user.id', 'bank_statement.imported_by')
    .select(STATEMENT_COLUMNS)
    .where('bank_statement.id', '=', statementId)
    .executeTakeFirst();
  if (!row) throw new DomainError('not_found', `statement ${statementId} does not exist`);
  return toView(row);
}

/** The pool's statements, newest first (at most `limit`). */
export async function listStatements(
  db: DB | Tx,
  poolId: string,
  limit: number,
): Promise<StatementView[]> {
  const rows = await db
    .selectFrom('bank_statement')
    .innerJoin('app_user', 'app_user.id', 'bank_statement.imported_by')
    .select(STATEMENT_COLUMNS)
    .where('bank_statement.pool_id', '=', poolId)
    .orderBy('bank_statement.imported_at', 'desc')
    .orderBy('bank_statement.id')
    .limit(Math.min(limit, 500))
    .execute();
  return rows.map(toView);
}
