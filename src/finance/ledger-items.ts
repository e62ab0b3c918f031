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
import { type RawBuilder, sql } from 'kysely';
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

/**
 * Contributions, remittances and refunds are read alike: an amount, a party, one bank
 * reference and a day. Each kind names its columns once; one reader serves all three.
 */
interface DatedKind {
  readonly from: RawBuilder<unknown>;
  readonly party: string;
  readonly reference: string;
  readonly date: string;
  readonly pool: string;
  readonly sign: 1 | -1;
}

const DATED_KINDS: Record<Exclude<LedgerItemKind, 'payout'>, DatedKind> = {
  contribution: {
    from: sql`contribution item`,
    party: 'item.payer',
    reference: 'item.bank_reference',
    date: 'item.received_on',
    pool: 'item.pool_id',
    sign: 1,
  },
  remittance: {
    from: sql`remittance item JOIN pool ON pool.id = item.pool_id`,
    party: 'pool.insurer',
    reference: 'item.reference',
    date: 'item.received_on',
    pool: 'item.pool_id',
    sign: 1,
  },
  refund: {
    from: sql`contribution_refund item JOIN contribution ON contribution.id = item.contribution_id`,
    party: 'contribution.payer',
    reference: 'item.bank_reference',
    date: 'item.refunded_on',
    pool: 'contribution.pool_id',
    sign: -1,
  },
};

function datedItems(kind: Exclude<LedgerItemKind, 'payout'>) {
  const k = DATED_KINDS[kind];
  const column = sql.raw;
  return async (db: DB | Tx, poolId: string, filter: LedgerItemFilter) => {
    const which =
      'ids' in filter
        ? sql`item.id = ${anyUuid(filter.ids)}`
        : 'references' in filter
          ? sql`${column(k.reference)} = ${anyText(filter.references)}`
          : sql`${column(k.date)} BETWEEN ${filter.period.from} AND ${filter.period.to}`;
    const { rows } = await sql<ItemRow & { reference: string }>`
      SELECT item.id, item.amount::text AS amount, ${column(k.party)} AS party,
        ${column(k.reference)} AS reference, ${column(k.date)}::text AS date
      FROM ${k.from}
      WHERE ${column(k.pool)} = ${poolId} AND ${which}
      ORDER BY ${column(k.date)}
      LIMIT ${MAX_LEDGER_ITEMS_PER_KIND + 1}
    `.execute(db);
    checkBound(kind, rows);
    return rows.map((row) => item(kind, row, row.reference, k.sign));
  };
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
> = {
  payout: payouts,
  contribution: datedItems('contribution'),
  remittance: datedItems('remittance'),
  refund: datedItems('refund'),
};

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
