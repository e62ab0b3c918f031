/**
 * @module Balances, now (from the maintained account rows: O(1) whatever the history) and
 * as of any past effective moment (the account's latest daily snapshot before it plus at most
 * a day of postings through the covering index, src/ledger/snapshots.ts), the
 * trial balance per unit, and an account's entries page by page.
 */
import { sql } from 'kysely';
import { anyText } from '../db/arrays.ts';
import type { DB } from '../db/database.ts';
import type { Tx } from '../db/transaction.ts';
import { DomainError } from '../domain-error.ts';
import { formatAmount, Money, ZERO } from './money.ts';
import { loadEntries } from './read-entries.ts';
import { sumsAsOf } from './snapshots.ts';
import type { Direction, JournalEntry, Unit } from './types.ts';

export interface AccountBalance {
  readonly accountCode: string;
  readonly unit: Unit;
  readonly normalSide: Direction;
  readonly postedDebits: string;
  readonly postedCredits: string;
  readonly pendingDebits: string;
  readonly pendingCredits: string;
  /** Posted balance on the account's normal side. */
  readonly balance: string;
  /** Held by open holds that would lower the balance if posted. */
  readonly heldAgainst: string;
  /** Held by open holds that would raise it. */
  readonly heldFor: string;
  /** balance − heldAgainst: what is left when every open hold is posted. */
  readonly availableBalance: string;
}

interface RawTotals {
  code: string;
  unit: Unit;
  normal_side: Direction;
  posted_debits: string;
  posted_credits: string;
  pending_debits: string;
  pending_credits: string;
}

export function toAccountBalance(row: RawTotals): AccountBalance {
  const postedDebits = new Money(row.posted_debits);
  const postedCredits = new Money(row.posted_credits);
  const pendingDebits = new Money(row.pending_debits);
  const pendingCredits = new Money(row.pending_credits);
  const debitNormal = row.normal_side === 'debit';
  const balance = debitNormal
    ? postedDebits.minus(postedCredits)
    : postedCredits.minus(postedDebits);
  const heldAgainst = debitNormal ? pendingCredits : pendingDebits;
  const heldFor = debitNormal ? pendingDebits : pendingCredits;
  return {
    accountCode: row.code,
    unit: row.unit,
    normalSide: row.normal_side,
    postedDebits: formatAmount(postedDebits),
    postedCredits: formatAmount(postedCredits),
    pendingDebits: formatAmount(pendingDebits),
    pendingCredits: formatAmount(pendingCredits),
    balance: formatAmount(balance),
    heldAgainst: formatAmount(heldAgainst),
    heldFor: formatAmount(heldFor),
    availableBalance: formatAmount(balance.minus(heldAgainst)),
  };
}

export async function accountBalances(
  db: DB | Tx,
  codes: readonly string[],
  asOf?: Date,
): Promise<Map<string, AccountBalance>> {
  if (codes.length === 0) return new Map();
  const codeList = anyText(codes);
  const rows = asOf
    ? await sql<RawTotals>`
        SELECT a.code, a.unit, a.normal_side,
          t.posted_debits::numeric(20,2)::text AS posted_debits,
          t.posted_credits::numeric(20,2)::text AS posted_credits,
          t.pending_debits::numeric(20,2)::text AS pending_debits,
          t.pending_credits::numeric(20,2)::text AS pending_credits
        FROM ledger_account a
        LEFT JOIN LATERAL (${sumsAsOf(asOf)}) t ON true
        WHERE a.code = ${codeList}
      `
        .execute(db)
        .then((r) => r.rows)
    : await db
        .selectFrom('ledger_account')
        .select([
          'code',
          'unit',
          'normal_side',
          'posted_debits',
          'posted_credits',
          'pending_debits',
          'pending_credits',
        ])
        .where('code', '=', codeList)
        .execute();
  return new Map(rows.map((row) => [row.code, toAccountBalance(row)]));
}

export async function accountBalance(
  db: DB | Tx,
  code: string,
  asOf?: Date,
): Promise<AccountBalance> {
  const balance = (await accountBalances(db, [code], asOf)).get(code);
  if (!balance)
    throw new DomainError('unknown_account', `account "${code}" does not exist`, { account: code });
  return balance;
}

export interface TrialBalanceLine {
  readonly accountCode: string;
  readonly accountName: string;
  readonly unit: Unit;
  /** The posted balance shown on the side it falls: one of the two is "0.00". */
  readonly debit: string;
  readonly credit: string;
}

export interface TrialBalance {
  readonly asOf: string | null;
  readonly lines: readonly TrialBalanceLine[];
  /** Per unit: total debits, total credits; they are equal in a sound ledger. */
  readonly totals: Readonly<Record<string, { readonly debit: string; readonly credit: string }>>;
  readonly balanced: boolean;
}

export async function trialBalance(
  db: DB | Tx,
  options: { asOf?: Date; unit?: Unit } = {},
): Promise<TrialBalance> {
  const { asOf, unit } = options;
  const rows = asOf
    ? await sql<{ code: string; name: string; unit: Unit; debits: string; credits: string }>`
        SELECT a.code, a.name, a.unit, t.posted_debits::numeric(20,2)::text AS debits,
          t.posted_credits::numeric(20,2)::text AS credits
        FROM ledger_account a LEFT JOIN LATERAL (${sumsAsOf(asOf)}) t ON true
        ORDER BY a.unit, a.code
      `
        .execute(db)
        .then((r) => r.rows)
    : await db
        .selectFrom('ledger_account')
        .select(['code', 'name', 'unit', 'posted_debits as debits', 'posted_credits as credits'])
        .orderBy('unit')
        .orderBy('code')
        .execute();
  const lines: TrialBalanceLine[] = [];
  const totals = new Map<string, { debit: Money; credit: Money }>();
  for (const row of rows) {
    if (unit && row.unit !== unit) continue;
    const debits = new Money(row.debits);
    const credits = new Money(row.credits);
    if (debits.isZero() && credits.isZero()) continue;
    const net = debits.minus(credits);
    const debit = net.gt(ZERO) ? net : ZERO;
    const credit = net.lt(ZERO) ? net.neg() : ZERO;
    lines.push({
      accountCode: row.code,
      accountName: row.name,
      unit: row.unit,
      debit: formatAmount(debit),
      credit: formatAmount(credit),
    });
    const total = totals.get(row.unit) ?? { debit: ZERO, credit: ZERO };
    totals.set(row.unit, { debit: total.debit.plus(debit), credit: total.credit.plus(credit) });
  }
  return {
    asOf: asOf?.toISOString() ?? null,
    lines,
    totals: Object.fromEntries(
      [...totals].map(([u, t]) => [
        u,
        { debit: formatAmount(t.debit), credit: formatAmount(t.credit) },
      ]),
    ),
    balanced: [...totals.values()].every((t) => t.debit.eq(t.credit)),
  };
}

export const MAX_PAGE_SIZE = 200;

export interface EntryPage {
  readonly entries: readonly JournalEntry[];
  /** Pass as `before` to get the next (older) page; null on the last page. */
  readonly nextBefore: number | null;
}

/** An account's entries, newest first, at most MAX_PAGE_SIZE at a time. */
export async function accountEntries(
  db: DB | Tx,
  code: string,
  options: { limit?: number; before?: number } = {},
): Promise<EntryPage> {
  const limit = Math.min(Math.max(options.limit ?? 50, 1), MAX_PAGE_SIZE);
  let query = db
    .selectFrom('posting')
    .innerJoin('ledger_account', 'ledger_account.id', 'posting.account_id')
    .select('posting.entry_id')
    .distinct()
    .where('ledger_account.code', '=', code)
    .orderBy('posting.entry_id', 'desc')
    .limit(limit + 1);
  if (options.before !== undefined) query = query.where('posting.entry_id', '<', options.before);
  const ids = (await query.execute()).map((row) => row.entry_id);
  const pageIds = ids.slice(0, limit);
  const entries = (await loadEntries(db, pageIds)).reverse();
  return { entries, nextBefore: ids.length > limit ? (pageIds[pageIds.length - 1] ?? null) : null };
}
