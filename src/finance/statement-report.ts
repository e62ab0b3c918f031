/**
 * @module The matching report of one statement, read from what is stored (matches,
 * explanations) and the ledger as it is now — so a hand match or an explanation shows at
 * once, and so does a ledger item recorded after the import.
 *
 * Every statement line is in exactly one list: matched, amount mismatch, unmatched or
 * explained. The ledger side lists the pool's items dated within the statement's period
 * that no statement matches and nobody explained (items paired in an amount mismatch are
 * shown there, not twice).
 */

import { anyUuid } from '../db/arrays.ts';
import type { DB } from '../db/database.ts';
import type { Tx } from '../db/transaction.ts';
import { formatAmount } from '../ledger/money.ts';
import { type LedgerItem, type LedgerItemKind, ledgerItems, referenceKey } from './ledger-items.ts';
import { lineToMatch } from './matching.ts';
import { itemKey, type LineToMatch, pairMismatches } from './matching-rules.ts';
import { readStatement, type StatementView } from './statements.ts';

export interface LineView {
  readonly id: string;
  readonly rowNumber: number;
  readonly valueDate: string;
  /** Signed: + money in, − money out. */
  readonly amount: string;
  readonly reference: string;
  readonly otherReferences: readonly string[];
  readonly counterparty: string;
}

export interface LedgerItemView {
  readonly kind: LedgerItemKind;
  readonly id: string;
  readonly reference: string;
  readonly references: readonly string[];
  /** Signed as the statement should show it: + money in, − money out. */
  readonly amount: string;
  readonly date: string;
  readonly party: string;
}

export interface Confirmation {
  readonly userId: string;
  readonly name: string;
  readonly at: string;
}

export interface MatchedPair {
  readonly matchId: string;
  readonly line: LineView;
  readonly item: LedgerItemView;
  /** Statement − ledger; "0.00" unless matched within a tolerance or by hand. */
  readonly difference: string;
  readonly matchedBy: 'auto' | 'hand';
  readonly note: string;
  readonly confirmedBy: Confirmation;
}

export interface Mismatch {
  readonly line: LineView;
  readonly item: LedgerItemView;
  readonly difference: string;
}

export interface UnmatchedLine extends LineView {
  /** Why nothing matched, when the ledger knows the reference (matched or explained elsewhere). */
  readonly hint: string | null;
}

export interface Explained<T> {
  readonly subject: T;
  readonly explanationId: string;
  readonly note: string;
  readonly explainedBy: Confirmation;
}

export interface StatementReport {
  readonly statement: StatementView;
  readonly summary: {
    readonly lines: number;
    readonly matched: number;
    readonly amountMismatches: number;
    readonly unmatchedStatementLines: number;
    readonly unmatchedLedgerItems: number;
    readonly explainedStatementLines: number;
    readonly explainedLedgerItems: number;
    /** Nothing left to look at: every line and every item of the period is accounted for. */
    readonly reconciled: boolean;
  };
  readonly matched: readonly MatchedPair[];
  readonly amountMismatches: readonly Mismatch[];
  readonly unmatchedStatementLines: readonly UnmatchedLine[];
  readonly unmatchedLedgerItems: readonly LedgerItemView[];
  readonly explainedStatementLines: readonly Explained<LineView>[];
  readonly explainedLedgerItems: readonly Explained<LedgerItemView>[];
}

type StoredLine = LineToMatch & { readonly view: LineView };

export function itemView(item: LedgerItem): LedgerItemView {
  return {
    kind: item.kind,
    id: item.id,
    reference: item.references[0] ?? '',
    references: item.references,
    amount: formatAmount(item.amount),
    date: item.date,
    party: item.party,
  };
}

async function statementLines(db: DB | Tx, statementId: string): Promise<StoredLine[]> {
  const rows = await db
    .selectFrom('statement_line')
    .select([
      'id',
      'row_number',
      'value_date',
      'amount',
      'reference',
      'other_references',
      'counterparty',
    ])
    .where('statement_id', '=', statementId)
    .orderBy('row_number')
    .execute();
  return rows.map((row) => ({
    ...lineToMatch(row),
    view: {
      id: row.id,
      rowNumber: row.row_number,
      valueDate: row.value_date,
      amount: row.amount,
      reference: row.reference,
      otherReferences: row.other_references,
      counterparty: row.counterparty,
    },
  }));
}

/** Matches and explanations naming any of `items`, keyed kind:id, with where and by whom. */
async function itemSettlements(db: DB | Tx, items: readonly LedgerItem[]) {
  const ids = items.map((item) => item.id);
  const matched = new Map<string, string>();
  const explained = new Map<string, Omit<Explained<never>, 'subject'>>();
  if (ids.length === 0) return { matched, explained };
  const matchRows = await db
    .selectFrom('statement_match')
    .innerJoin('statement_line', 'statement_line.id', 'statement_match.statement_line_id')
    .innerJoin('bank_statement', 'bank_statement.id', 'statement_line.statement_id')
    .select([
      'statement_match.target_kind as kind',
      'statement_match.target_id as id',
      'statement_line.row_number',
      'bank_statement.filename',
      'bank_statement.id as statement_id',
    ])
    .where('statement_match.target_id', '=', anyUuid(ids))
    .execute();
  for (const row of matchRows) {
    matched.set(
      itemKey(row),
      `matched to row ${row.row_number} of ${row.filename} (statement ${row.statement_id})`,
    );
  }
  const explanationRows = await db
    .selectFrom('statement_explanation')
    .innerJoin('app_user', 'app_user.id', 'statement_explanation.explained_by')
    .select([
      'statement_explanation.id',
      'statement_explanation.target_kind',
      'statement_explanation.target_id',
      'statement_explanation.note',
      'statement_explanation.explained_by',
      'statement_explanation.explained_at',
      'app_user.name',
    ])
    .where('statement_explanation.target_id', '=', anyUuid(ids))
    .execute();
  for (const row of explanationRows) {
    if (row.target_kind === null || row.target_id === null) continue;
    explained.set(itemKey({ kind: row.target_kind, id: row.target_id }), {
      explanationId: row.id,
      note: row.note,
      explainedBy: { userId: row.explained_by, name: row.name, at: row.explained_at.toISOString() },
    });
  }
  return { matched, explained };
}

export async function statementReport(db: DB | Tx, statementId: string): Promise<StatementReport> {
  const statement = await readStatement(db, statementId);
  const lines = await statementLines(db, statementId);
  const lineIds = lines.map((line) => line.id);

  const matchRows = await db
    .selectFrom('statement_match')
    .innerJoin('app_user', 'app_user.id', 'statement_match.confirmed_by')
    .select([
      'statement_match.id',
      'statement_match.statement_line_id',
      'statement_match.target_kind',
      'statement_match.target_id',
      'statement_match.difference',
      'statement_match.matched_by',
      'statement_match.note',
      'statement_match.confirmed_by',
      'statement_match.confirmed_at',
      'app_user.name',
    ])
    .where('statement_match.statement_line_id', '=', anyUuid(lineIds))
    .execute();
  const lineExplanations = await db
    .selectFrom('statement_explanation')
    .innerJoin('app_user', 'app_user.id', 'statement_explanation.explained_by')
    .select([
      'statement_explanation.id',
      'statement_explanation.statement_line_id',
      'statement_explanation.note',
      'statement_explanation.explained_by',
      'statement_explanation.explained_at',
      'app_user.name',
    ])
    .where('statement_explanation.statement_line_id', '=', anyUuid(lineIds))
    .execute();

  const matchedItems = await ledgerItems(db, statement.poolId, {
    ids: matchRows.map((m) => m.target_id),
  });
  const itemsByKey = new Map(matchedItems.map((item) => [itemKey(item), item]));
  const lineById = new Map(lines.map((line) => [line.id, line]));
  const matched: MatchedPair[] = [];
  for (const row of matchRows) {
    const line = lineById.get(row.statement_line_id);
    const item = itemsByKey.get(itemKey({ kind: row.target_kind, id: row.target_id }));
    // The foreign keys make both exist, and only paid payouts can have been matched.
    if (!line || !item) throw new Error(`match ${row.id} names a line or item that is gone`);
    matched.push({
      matchId: row.id,
      line: line.view,
      item: itemView(item),
      difference: row.difference,
      matchedBy: row.matched_by,
      note: row.note,
      confirmedBy: { userId: row.confirmed_by, name: row.name, at: row.confirmed_at.toISOString() },
    });
  }
  matched.sort((a, b) => a.line.rowNumber - b.line.rowNumber);

  const settledLines = new Set([
    ...matchRows.map((m) => m.statement_line_id),
    ...lineExplanations.map((e) => e.statement_line_id ?? ''),
  ]);
  const openLines = lines.filter((line) => !settledLines.has(line.id));
  const referenced = await ledgerItems(db, statement.poolId, {
    references: openLines.flatMap((line) => line.references).filter((r) => r !== ''),
  });
  const inPeriod = await ledgerItems(db, statement.poolId, {
    period: { from: statement.periodFrom, to: statement.periodTo },
  });
  const settlements = await itemSettlements(db, [...referenced, ...inPeriod]);
  const isOpen = (item: LedgerItem) =>
    !settlements.matched.has(itemKey(item)) && !settlements.explained.has(itemKey(item));

  const mismatches = pairMismatches(openLines, referenced.filter(isOpen));
  const mismatchedLines = new Set(mismatches.map((pair) => pair.line.id));
  const mismatchedItems = new Set(mismatches.map((pair) => itemKey(pair.item)));

  const unmatchedStatementLines = openLines
    .filter((line) => !mismatchedLines.has(line.id))
    .map((line) => ({ ...line.view, hint: hintFor(line, referenced, settlements) }));
  const unmatchedLedgerItems = inPeriod
    .filter((item) => isOpen(item) && !mismatchedItems.has(itemKey(item)))
    .map(itemView);
  const explainedStatementLines = lineExplanations
    .flatMap((row) => {
      const line = lineById.get(row.statement_line_id ?? '');
      if (!line) return [];
      const explainedBy = {
        userId: row.explained_by,
        name: row.name,
        at: row.explained_at.toISOString(),
      };
      return [{ subject: line.view, explanationId: row.id, note: row.note, explainedBy }];
    })
    .sort((a, b) => a.subject.rowNumber - b.subject.rowNumber);
  const explainedLedgerItems = inPeriod.flatMap((item) => {
    const explanation = settlements.explained.get(itemKey(item));
    return explanation ? [{ subject: itemView(item), ...explanation }] : [];
  });
  const amountMismatches = mismatches.map((pair) => ({
    line: pair.line.view,
    item: itemView(pair.item),
    difference: formatAmount(pair.difference),
  }));

  return {
    statement,
    summary: {
      lines: lines.length,
      matched: matched.length,
      amountMismatches: amountMismatches.length,
      unmatchedStatementLines: unmatchedStatementLines.length,
      unmatchedLedgerItems: unmatchedLedgerItems.length,
      explainedStatementLines: explainedStatementLines.length,
      explainedLedgerItems: explainedLedgerItems.length,
      reconciled:
        amountMismatches.length === 0 &&
        unmatchedStatementLines.length === 0 &&
        unmatchedLedgerItems.length === 0,
    },
    matched,
    amountMismatches,
    unmatchedStatementLines,
    unmatchedLedgerItems,
    explainedStatementLines,
    explainedLedgerItems,
  };
}

function hintFor(
  line: StoredLine,
  referenced: readonly LedgerItem[],
  settlements: Awaited<ReturnType<typeof itemSettlements>>,
): string | null {
  const keys = new Set(line.references.filter((r) => r !== '').map(referenceKey));
  for (const item of referenced) {
    if (!item.references.some((r) => keys.has(referenceKey(r)))) continue;
    const where = settlements.matched.get(itemKey(item));
    if (where) return `${item.kind} ${item.id} with this reference is already ${where}`;
    const explanation = settlements.explained.get(itemKey(item));
    if (explanation) {
      return `${item.kind} ${item.id} with this reference is explained: ${explanation.note}`;
    }
  }
  return null;
}
