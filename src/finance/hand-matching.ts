/**
 * @module Matching by hand and explaining what stays unmatched: a person's judgement, so each
 * needs a note, keeps the difference, and is refused for a line or item already matched or
 * explained (saying by what). Every write first locks the pool row.
 */
import type { Tx } from '../db/transaction.ts';
import { DomainError } from '../domain-error.ts';
import { formatAmount, Money } from '../ledger/money.ts';
import { lockPool } from '../policy/pools.ts';
import { findLedgerItem, type LedgerItem, type LedgerItemKind } from './ledger-items.ts';
import { targetColumns } from './matching.ts';
import { sameDirection } from './matching-rules.ts';

export interface MatchView {
  readonly id: string;
  readonly statementId: string;
  readonly lineId: string;
  readonly rowNumber: number;
  readonly kind: LedgerItemKind;
  readonly targetId: string;
  readonly statementAmount: string;
  readonly ledgerAmount: string;
  readonly difference: string;
  readonly matchedBy: 'auto' | 'hand';
  readonly note: string;
  readonly confirmedBy: string;
  readonly confirmedAt: string;
}

export interface ExplanationView {
  readonly id: string;
  /** The explained line, or null when a ledger item is explained. */
  readonly lineId: string | null;
  readonly kind: LedgerItemKind | null;
  readonly targetId: string | null;
  readonly note: string;
  readonly explainedBy: string;
  readonly explainedAt: string;
}

export interface LineRecord {
  readonly id: string;
  readonly statementId: string;
  readonly poolId: string;
  readonly rowNumber: number;
  readonly amount: Money;
  readonly filename: string;
}

/** The line with its statement's pool, after locking that pool. */
export async function lockLine(trx: Tx, lineId: string): Promise<LineRecord> {
  const row = await trx
    .selectFrom('statement_line')
    .innerJoin('bank_statement', 'bank_statement.id', 'statement_line.statement_id')
    .select([
      'statement_line.id',
      'statement_line.statement_id',
      'statement_line.row_number',
      'statement_line.amount',
      'bank_statement.pool_id',
      'bank_statement.filename',
    ])
    .where('statement_line.id', '=', lineId)
    .executeTakeFirst();
  if (!row) throw new DomainError('not_found', `statement line ${lineId} does not exist`);
  await lockPool(trx, row.pool_id);
  return {
    id: row.id,
    statementId: row.statement_id,
    poolId: row.pool_id,
    rowNumber: row.row_number,
    amount: new Money(row.amount),
    filename: row.filename,
  };
}

/** Refuses a line that is already matched or explained, saying by what. */
export async function assertLineOpen(trx: Tx, line: LineRecord): Promise<void> {
  const match = await trx
    .selectFrom('statement_match')
    .select(['target_kind', 'target_id'])
    .where('statement_line_id', '=', line.id)
    .executeTakeFirst();
  if (match) {
    throw new DomainError(
      'conflict',
      `row ${line.rowNumber} of ${line.filename} is already matched to ${match.target_kind} ${match.target_id}; matches cannot be changed`,
      { matchedTo: `${match.target_kind}:${match.target_id}` },
    );
  }
  const explained = await trx
    .selectFrom('statement_explanation')
    .select('id')
    .where('statement_line_id', '=', line.id)
    .executeTakeFirst();
  if (explained) {
    throw new DomainError(
      'conflict',
      `row ${line.rowNumber} of ${line.filename} is already explained; explanations cannot be changed`,
    );
  }
}

export async function assertItemOpen(trx: Tx, item: LedgerItem): Promise<void> {
  const match = await trx
    .selectFrom('statement_match')
    .innerJoin('statement_line', 'statement_line.id', 'statement_match.statement_line_id')
    .innerJoin('bank_statement', 'bank_statement.id', 'statement_line.statement_id')
    .select(['statement_line.row_number', 'bank_statement.filename', 'bank_statement.id'])
    .where('statement_match.target_kind', '=', item.kind)
    .where('statement_match.target_id', '=', item.id)
    .executeTakeFirst();
  if (match) {
    throw new DomainError(
      'conflict',
      `${item.kind} ${item.id} is already matched to row ${match.row_number} of ${match.filename}; matches cannot be changed`,
      { statementId: match.id, rowNumber: String(match.row_number) },
    );
  }
  const explained = await trx
    .selectFrom('statement_explanation')
    .select('id')
    .where('target_kind', '=', item.kind)
    .where('target_id', '=', item.id)
    .executeTakeFirst();
  if (explained) {
    throw new DomainError(
      'conflict',
      `${item.kind} ${item.id} is already explained; explanations cannot be changed`,
    );
  }
}

export interface HandMatch {
  readonly kind: LedgerItemKind;
  readonly targetId: string;
  /** Why these belong together (a bank fee taken off, a reference mistyped…); required. */
  readonly note: string;
}

/**
 * Matches an open line to an open item of the same pool whatever their references and
 * amounts say — a person's judgement, so the note is required and the difference is kept.
 * Money in is never matched to money out.
 */
export async function matchByHand(
  trx: Tx,
  lineId: string,
  input: HandMatch,
  confirmedBy: string,
): Promise<MatchView> {
  const note = input.note.trim();
  if (note === '') throw new DomainError('validation_failed', 'a match by hand needs a note');
  const line = await lockLine(trx, lineId);
  const item = await findLedgerItem(trx, line.poolId, input.kind, input.targetId);
  await assertLineOpen(trx, line);
  await assertItemOpen(trx, item);
  if (!sameDirection(line.amount, item.amount)) {
    throw new DomainError(
      'validation_failed',
      `row ${line.rowNumber} is money ${line.amount.isNegative() ? 'out' : 'in'} but ${item.kind} ${item.id} is money ${item.amount.isNegative() ? 'out' : 'in'}`,
    );
  }
  const row = await trx
    .insertInto('statement_match')
    .values({
      statement_line_id: line.id,
      ...targetColumns(item.kind, item.id),
      ledger_amount: formatAmount(item.amount),
      difference: formatAmount(line.amount.minus(item.amount)),
      matched_by: 'hand',
      note,
      confirmed_by: confirmedBy,
    })
    .returning(['id', 'confirmed_at'])
    .executeTakeFirstOrThrow();
  return {
    id: row.id,
    statementId: line.statementId,
    lineId: line.id,
    rowNumber: line.rowNumber,
    kind: item.kind,
    targetId: item.id,
    statementAmount: formatAmount(line.amount),
    ledgerAmount: formatAmount(item.amount),
    difference: formatAmount(line.amount.minus(item.amount)),
    matchedBy: 'hand',
    note,
    confirmedBy,
    confirmedAt: row.confirmed_at.toISOString(),
  };
}

export function requireNote(note: string): string {
  const trimmed = note.trim();
  if (trimmed === '') throw new DomainError('validation_failed', 'an explanation needs a note');
  return trimmed;
}

/** Marks an open statement line as explained (bank charges, interest, a transfer between accounts…). */
export async function explainLine(
  trx: Tx,
  lineId: string,
  note: string,
  explainedBy: string,
): Promise<ExplanationView> {
  const text = requireNote(note);
  const line = await lockLine(trx, lineId);
  await assertLineOpen(trx, line);
  return recordExplanation(trx, { lineId: line.id, item: null }, text, explainedBy);
}

/** Marks an open ledger item of the pool as explained (e.g. on a statement not imported here). */
export async function explainLedgerItem(
  trx: Tx,
  poolRef: string,
  kind: LedgerItemKind,
  id: string,
  note: string,
  explainedBy: string,
): Promise<ExplanationView> {
  const text = requireNote(note);
  const pool = await lockPool(trx, poolRef);
  const item = await findLedgerItem(trx, pool.id, kind, id);
  await assertItemOpen(trx, item);
  return recordExplanation(trx, { lineId: null, item }, text, explainedBy);
}

/** The explanation's row, of a line or of a ledger item (never both), and its view. */
async function recordExplanation(
  trx: Tx,
  target:
    | { readonly lineId: string; readonly item: null }
    | { readonly lineId: null; readonly item: LedgerItem },
  note: string,
  explainedBy: string,
): Promise<ExplanationView> {
  const { lineId, item } = target;
  const row = await trx
    .insertInto('statement_explanation')
    .values({
      statement_line_id: lineId,
      ...(item === null ? { target_kind: null } : targetColumns(item.kind, item.id)),
      note,
      explained_by: explainedBy,
    })
    .returning(['id', 'explained_at'])
    .executeTakeFirstOrThrow();
  return {
    id: row.id,
    lineId,
    kind: item?.kind ?? null,
    targetId: item?.id ?? null,
    note,
    explainedBy,
    explainedAt: row.explained_at.toISOString(),
  };
}
