/**
 * @module Matching statement lines to ledger items: the automatic pass at import, what is
 * already settled, and which lines are still open. The rule itself (pure) is in
 * matching-rules.ts; matching by hand and explanations in hand-matching.ts.
 *
 * The rule: a line and an item match when one of the line's references equals one of the
 * item's (src/finance/ledger-items.ts), they move money the same way, and the amounts are
 * equal — as decimals, never floats — or differ by no more than the statement's tolerance
 * (0.00 unless the import said otherwise). Where a reference agrees but the amount does
 * not, the report shows an amount mismatch; nothing is matched by guessing. A line with
 * several candidates is matched only when exactly one has the very amount.
 *
 * Matches and explanations are append-only rows that name who confirmed them; an automatic
 * match is confirmed by the user who imported the statement. Each line and each item is
 * matched or explained at most once, across every statement of the pool (the database's
 * unique keys say so too). Every write here first locks the pool row, so two imports or
 * hand matches on one pool never race for the same item.
 */
import { anyUuid } from '../db/arrays.ts';
import type { DB } from '../db/database.ts';
import type { Tx } from '../db/transaction.ts';
import { formatAmount, Money } from '../ledger/money.ts';
import { localDateOf } from '../policy/local-date.ts';
import { lockPool } from '../policy/pools.ts';
import { type LedgerItem, type LedgerItemKind, ledgerItems } from './ledger-items.ts';
import { autoMatch, itemKey, type LineToMatch } from './matching-rules.ts';

// --- What is already settled ----------------------------------------------------------------

/** The four target columns of a match or explanation row, only the item's one set. */
export function targetColumns(kind: LedgerItemKind, id: string) {
  return {
    target_kind: kind,
    payout_id: kind === 'payout' ? id : null,
    contribution_id: kind === 'contribution' ? id : null,
    remittance_id: kind === 'remittance' ? id : null,
    refund_id: kind === 'refund' ? id : null,
  };
}

/** Items (kind:id) that are matched or explained anywhere. */
export async function settledItemKeys(trx: Tx, items: readonly LedgerItem[]): Promise<Set<string>> {
  if (items.length === 0) return new Set();
  const ids = items.map((item) => item.id);
  const matched = await trx
    .selectFrom('statement_match')
    .select(['target_kind as kind', 'target_id as id'])
    .where('target_id', '=', anyUuid(ids))
    .execute();
  const explained = await trx
    .selectFrom('statement_explanation')
    .select(['target_kind as kind', 'target_id as id'])
    .where('target_id', '=', anyUuid(ids))
    .execute();
  const keys = new Set<string>();
  for (const row of [...matched, ...explained]) {
    if (row.kind !== null && row.id !== null) keys.add(itemKey({ kind: row.kind, id: row.id }));
  }
  return keys;
}

// --- Automatic matching at import ---------------------------------------------------------

export interface StatementToMatch {
  readonly id: string;
  readonly poolId: string;
  readonly tolerance: Money;
}

/** Matches what it can of a statement's open lines; returns how many matches it made. */
export async function autoMatchStatement(
  trx: Tx,
  statement: StatementToMatch,
  confirmedBy: string,
): Promise<number> {
  await lockPool(trx, statement.poolId);
  const rows = await openStatementLines(trx)
    .select([
      'statement_line.id',
      'statement_line.row_number',
      'statement_line.amount',
      'statement_line.reference',
      'statement_line.other_references',
    ])
    .where('statement_line.statement_id', '=', statement.id)
    .orderBy('statement_line.row_number')
    .execute();
  const lines = rows.map((row) => lineToMatch(row));
  const references = lines.flatMap((line) => line.references).filter((r) => r !== '');
  const candidates = await ledgerItems(trx, statement.poolId, { references });
  const settled = await settledItemKeys(trx, candidates);
  const open = candidates.filter((item) => !settled.has(itemKey(item)));
  const pairs = autoMatch(lines, open, statement.tolerance);
  if (pairs.length === 0) return 0;
  await trx
    .insertInto('statement_match')
    .values(
      pairs.map((pair) => ({
        statement_line_id: pair.line.id,
        ...targetColumns(pair.item.kind, pair.item.id),
        ledger_amount: formatAmount(pair.item.amount),
        difference: formatAmount(pair.difference),
        matched_by: 'auto' as const,
        confirmed_by: confirmedBy,
      })),
    )
    .execute();
  return pairs.length;
}

export function lineToMatch(row: {
  id: string;
  row_number: number;
  amount: string;
  reference: string;
  other_references: readonly string[];
}): LineToMatch & { readonly id: string } {
  return {
    id: row.id,
    rowNumber: row.row_number,
    amount: new Money(row.amount),
    references: [row.reference, ...row.other_references],
  };
}

/**
 * Statement lines of any pool valued before `endsAt` (a local day's start) that are neither
 * matched nor explained — what month-end close asks before it closes a month.
 */
export async function countOpenStatementLines(db: DB | Tx, endsAt: Date): Promise<number> {
  const row = await openStatementLines(db)
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .where('statement_line.value_date', '<', localDateOf(endsAt))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/**
 * Statement lines neither matched nor explained: the one definition of "open" that matching
 * at import and month-end close both ask.
 */
function openStatementLines(db: DB | Tx) {
  return db
    .selectFrom('statement_line')
    .leftJoin('statement_match', 'statement_match.statement_line_id', 'statement_line.id')
    .leftJoin(
      'statement_explanation',
      'statement_explanation.statement_line_id',
      'statement_line.id',
    )
    .where('statement_match.id', 'is', null)
    .where('statement_explanation.id', 'is', null);
}
