/**
 * @module Matching statement lines to ledger items: the rules (pure), the automatic pass at
 * import, matching by hand and explaining what stays unmatched.
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
import { DomainError } from '../domain-error.ts';
import { formatAmount, Money } from '../ledger/money.ts';
import { localDateOf } from '../policy/local-date.ts';
import { lockPool } from '../policy/pools.ts';
import {
  findLedgerItem,
  type LedgerItem,
  type LedgerItemKind,
  ledgerItems,
  referenceKey,
} from './ledger-items.ts';

// --- The rules ----------------------------------------------------------------------------

export interface LineToMatch {
  readonly id: string;
  readonly rowNumber: number;
  readonly amount: Money;
  /** The line's reference first, then its other reference cells. */
  readonly references: readonly string[];
}

export interface Pairing<L extends LineToMatch> {
  readonly line: L;
  readonly item: LedgerItem;
  /** Statement amount − ledger amount. */
  readonly difference: Money;
}

export const itemKey = (item: { kind: LedgerItemKind; id: string }) => `${item.kind}:${item.id}`;

function sharesReference(line: LineToMatch, item: LedgerItem): boolean {
  const keys = new Set(line.references.filter((r) => r !== '').map(referenceKey));
  return item.references.some((reference) => keys.has(referenceKey(reference)));
}

const sameDirection = (a: Money, b: Money) => a.isNegative() === b.isNegative();

/**
 * Pairs lines (in row order) with items that share a reference, move money the same way
 * and differ by at most `tolerance`. Each item is used once. `items` must already exclude
 * what is matched or explained.
 */
export function autoMatch<L extends LineToMatch>(
  lines: readonly L[],
  items: readonly LedgerItem[],
  tolerance: Money,
): Pairing<L>[] {
  const used = new Set<string>();
  const pairs: Pairing<L>[] = [];
  for (const line of [...lines].sort((a, b) => a.rowNumber - b.rowNumber)) {
    const candidates = items.filter(
      (item) =>
        !used.has(itemKey(item)) &&
        sharesReference(line, item) &&
        sameDirection(line.amount, item.amount) &&
        line.amount.minus(item.amount).abs().lte(tolerance),
    );
    const exact = candidates.filter((item) => item.amount.eq(line.amount));
    const chosen =
      candidates.length === 1 ? candidates[0] : exact.length === 1 ? exact[0] : undefined;
    if (chosen === undefined) continue;
    used.add(itemKey(chosen));
    pairs.push({ line, item: chosen, difference: line.amount.minus(chosen.amount) });
  }
  return pairs;
}

/**
 * Amount mismatches: each open line paired with the first open item that shares one of its
 * references (whatever the amounts). Run after `autoMatch`, on what it left.
 */
export function pairMismatches<L extends LineToMatch>(
  lines: readonly L[],
  items: readonly LedgerItem[],
): Pairing<L>[] {
  const used = new Set<string>();
  const pairs: Pairing<L>[] = [];
  for (const line of [...lines].sort((a, b) => a.rowNumber - b.rowNumber)) {
    const item = items.find((i) => !used.has(itemKey(i)) && sharesReference(line, i));
    if (item === undefined) continue;
    used.add(itemKey(item));
    pairs.push({ line, item, difference: line.amount.minus(item.amount) });
  }
  return pairs;
}

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

// --- By hand ------------------------------------------------------------------------------

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

interface LineRecord {
  readonly id: string;
  readonly statementId: string;
  readonly poolId: string;
  readonly rowNumber: number;
  readonly amount: Money;
  readonly filename: string;
}

/** The line with its statement's pool, after locking that pool. */
async function lockLine(trx: Tx, lineId: string): Promise<LineRecord> {
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
async function assertLineOpen(trx: Tx, line: LineRecord): Promise<void> {
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

async function assertItemOpen(trx: Tx, item: LedgerItem): Promise<void> {
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

function requireNote(note: string): string {
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
  const row = await trx
    .insertInto('statement_explanation')
    .values({
      statement_line_id: line.id,
      target_kind: null,
      note: text,
      explained_by: explainedBy,
    })
    .returning(['id', 'explained_at'])
    .executeTakeFirstOrThrow();
  return {
    id: row.id,
    lineId: line.id,
    kind: null,
    targetId: null,
    note: text,
    explainedBy,
    explainedAt: row.explained_at.toISOString(),
  };
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
  const row = await trx
    .insertInto('statement_explanation')
    .values({
      statement_line_id: null,
      ...targetColumns(item.kind, item.id),
      note: text,
      explained_by: explainedBy,
    })
    .returning(['id', 'explained_at'])
    .executeTakeFirstOrThrow();
  return {
    id: row.id,
    lineId: null,
    kind: item.kind,
    targetId: item.id,
    note: text,
    explainedBy,
    explainedAt: row.explained_at.toISOString(),
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
