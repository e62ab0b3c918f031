/**
 * @module The ledger side of settlement matching: every movement of the pool's account that
 * a bank or insurer statement should show, as one shape.
 *
 * | kind         | sign | reference(s)                          | date                      |
 * |--------------|------|---------------------------------------|---------------------------|
 * | contribution |  +   | bank_reference                        | received_on               |
 * | remittance   |  +   | reference                             | received_on               |
 * | refund       |  −   | bank_reference (of the refund)        | refunded_on               |
 * | payout       |  −   | gateway_reference, then the payout id | settled_at, local date    |
 *
 * Only paid payouts are ledger items: a payout that has not left the account cannot be on
 * a statement. The payout id is a reference too because it is the idempotency key sent to
 * the gateway, which banks commonly print in the remittance information.
 */
import { sql } from 'kysely';
import { anyText, anyUuid } from '../db/arrays.ts';
import type { DB } from '../db/database.ts';
import type { Tx } from '../db/transaction.ts';
import { DomainError } from '../domain-error.ts';
import { Money } from '../ledger/money.ts';
import { endOfLocalDay, type LocalDate, startOfLocalDay } from '../policy/local-date.ts';

export const LEDGER_ITEM_KINDS = ['payout', 'contribution', 'remittance', 'refund'] as const;
export type LedgerItemKind = (typeof LEDGER_ITEM_KINDS)[number];

export interface LedgerItem {
  readonly kind: LedgerItemKind;
  readonly id: string;
  /** Every reference the item may appear under on a statement, the one to show first. */
  readonly references: readonly string[];
  /** Signed as the pool's account shows it: + money in, − money out. */
  readonly amount: Money;
  readonly date: LocalDate;
  /** Who paid or was paid: the payer, the payee, the insurer. */
  readonly party: string;
}

/** Which items to read: by id, by reference, or dated within a period (inclusive). */
export type LedgerItemFilter =
  | { readonly ids: readonly string[] }
  | { readonly references: readonly string[] }
  | { readonly period: { readonly from: LocalDate; readonly to: LocalDate } };

/**
 * Items read per kind in one query. A statement period holding more is refused rather than
 * reconciled against part of the ledger: shorter periods then.
 */
export const MAX_LEDGER_ITEMS_PER_KIND = 10_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The form in which references are compared: exactly as written, except that a UUID (a
 * payout id) is compared without regard to case, since banks print it upper-cased.
 */
export function referenceKey(reference: string): string {
  return UUID.test(reference) ? reference.toLowerCase() : reference;
}

interface ItemRow {
  readonly id: string;
  readonly amount: string;
  readonly date: string;
  readonly party: string;
}

function checkBound(kind: LedgerItemKind, rows: readonly unknown[]): void {
  if (rows.length > MAX_LEDGER_ITEMS_PER_KIND) {
    throw new DomainError(
      'validation_failed',
      `more than ${MAX_LEDGER_ITEMS_PER_KIND} ${kind} items fall in the statement's period; import statements for shorter periods`,
    );
  }
}

async function payouts(db: DB | Tx, poolId: string, filter: LedgerItemFilter) {
  let query = db
    .selectFrom('payout')
    .select([
      'id',
      'amount',
      'payee as party',
      'gateway_reference',
      sql<string>`to_char(settled_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')`.as('date'),
    ])
    .where('pool_id', '=', poolId)
    .where('status', '=', 'paid');
  if ('ids' in filter) query = query.where('id', '=', anyUuid(filter.ids));
  else if ('references' in filter) {
    const keys = filter.references.map(referenceKey);
    query = query.where((eb) =>
      eb.or([
        eb('gateway_reference', '=', anyText(filter.references)),
        eb(sql<string>`id::text`, '=', anyText(keys)),
      ]),
    );
  } else {
    query = query
      .where('settled_at', '>=', startOfLocalDay(filter.period.from))
      .where('settled_at', '<', endOfLocalDay(filter.period.to));
  }
  const rows = await query
    .orderBy('settled_at')
    .limit(MAX_LEDGER_ITEMS_PER_KIND + 1)
    .execute();
  checkBound('payout', rows);
  return rows.map(
    (row): LedgerItem => ({
      kind: 'payout',
      id: row.id,
      references: row.gateway_reference ? [row.gateway_reference, row.id] : [row.id],
      amount: new Money(row.amount).negated(),
      date: row.date,
      party: row.party,
    }),
  );
}

async function contributions(db: DB | Tx, poolId: string, filter: LedgerItemFilter) {
  let query = db
    .selectFrom('contribution')
    .select([
      'id',
      'amount',
      'payer as party',
      'bank_reference as reference',
      'received_on as date',
    ])
    .where('pool_id', '=', poolId);
  if ('ids' in filter) query = query.where('id', '=', anyUuid(filter.ids));
  else if ('references' in filter)
    query = query.where('bank_reference', '=', anyText(filter.references));
  else
    query = query
      .where('received_on', '>=', filter.period.from)
      .where('received_on', '<=', filter.period.to);
  const rows = await query
    .orderBy('received_on')
    .limit(MAX_LEDGER_ITEMS_PER_KIND + 1)
    .execute();
  checkBound('contribution', rows);
  return rows.map((row) => item('contribution', row, row.reference, 1));
}

async function remittances(db: DB | Tx, poolId: string, filter: LedgerItemFilter) {
  let query = db
    .selectFrom('remittance')
    .innerJoin('pool', 'pool.id', 'remittance.pool_id')
    .select([
      'remittance.id',
      'remittance.amount',
      'pool.insurer as party',
      'remittance.reference',
      'remittance.received_on as date',
    ])
    .where('remittance.pool_id', '=', poolId);
  if ('ids' in filter) query = query.where('remittance.id', '=', anyUuid(filter.ids));
  else if ('references' in filter)
    query = query.where('remittance.reference', '=', anyText(filter.references));
  else
    query = query
      .where('remittance.received_on', '>=', filter.period.from)
      .where('remittance.received_on', '<=', filter.period.to);
  const rows = await query
    .orderBy('remittance.received_on')
    .limit(MAX_LEDGER_ITEMS_PER_KIND + 1)
    .execute();
  checkBound('remittance', rows);
  return rows.map((row) => item('remittance', row, row.reference, 1));
}

async function refunds(db: DB | Tx, poolId: string, filter: LedgerItemFilter) {
  let query = db
    .selectFrom('contribution_refund as refund')
    .innerJoin('contribution', 'contribution.id', 'refund.contribution_id')
    .select([
      'refund.id',
      'refund.amount',
      'contribution.payer as party',
      'refund.bank_reference as reference',
      'refund.refunded_on as date',
    ])
    .where('contribution.pool_id', '=', poolId);
  if ('ids' in filter) query = query.where('refund.id', '=', anyUuid(filter.ids));
  else if ('references' in filter)
    query = query.where('refund.bank_reference', '=', anyText(filter.references));
  else
    query = query
      .where('refund.refunded_on', '>=', filter.period.from)
      .where('refund.refunded_on', '<=', filter.period.to);
  const rows = await query
    .orderBy('refund.refunded_on')
    .limit(MAX_LEDGER_ITEMS_PER_KIND + 1)
    .execute();
  checkBound('refund', rows);
  return rows.map((row) => item('refund', row, row.reference, -1));
}

function item(kind: LedgerItemKind, row: ItemRow, reference: string, sign: 1 | -1): LedgerItem {
  const amount = new Money(row.amount);
  return {
    kind,
    id: row.id,
    references: [reference],
    amount: sign === 1 ? amount : amount.negated(),
    date: row.date,
    party: row.party,
  };
}

const READERS: Record<
  LedgerItemKind,
  (db: DB | Tx, poolId: string, filter: LedgerItemFilter) => Promise<LedgerItem[]>
> = { payout: payouts, contribution: contributions, remittance: remittances, refund: refunds };

/** The pool's ledger items of the given kinds (all by default), by date, kind and id. */
export async function ledgerItems(
  db: DB | Tx,
  poolId: string,
  filter: LedgerItemFilter,
  kinds: readonly LedgerItemKind[] = LEDGER_ITEM_KINDS,
): Promise<LedgerItem[]> {
  const empty =
    ('ids' in filter && filter.ids.length === 0) ||
    ('references' in filter && filter.references.length === 0);
  if (empty) return [];
  const found: LedgerItem[] = [];
  for (const kind of kinds) found.push(...(await READERS[kind](db, poolId, filter)));
  return found.sort(
    (a, b) =>
      a.date.localeCompare(b.date) ||
      LEDGER_ITEM_KINDS.indexOf(a.kind) - LEDGER_ITEM_KINDS.indexOf(b.kind) ||
      a.id.localeCompare(b.id),
  );
}

/** One item of the pool; not_found names what was asked for (also an item of another pool). */
export async function findLedgerItem(
  db: DB | Tx,
  poolId: string,
  kind: LedgerItemKind,
  id: string,
): Promise<LedgerItem> {
  const [found] = await ledgerItems(db, poolId, { ids: [id] }, [kind]);
  if (found) return found;
  if (kind === 'payout') {
    const payout = await db
      .selectFrom('payout')
      .select('status')
      .where('id', '=', id)
      .where('pool_id', '=', poolId)
      .executeTakeFirst();
    if (payout) {
      throw new DomainError(
        'conflict',
        `payout ${id} is ${payout.status}; only a paid payout can be on a statement`,
      );
    }
  }
  throw new DomainError('not_found', `${kind} ${id} of this pool does not exist`);
}
