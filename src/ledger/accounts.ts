/**
 * @module Ledger accounts: opened once by code, with a unit, a normal side and optional bounds.
 */
import { sql } from 'kysely';
import type { DB } from '../db/database.ts';
import type { Tx } from '../db/transaction.ts';
import { DomainError } from '../domain-error.ts';
import { recordAccount } from './account-records.ts';
import { formatAmount, Money, parseAmount } from './money.ts';
import type { AccountBounds, Direction, Unit } from './types.ts';

export interface AccountSpec extends AccountBounds {
  readonly code: string;
  readonly name: string;
  readonly unit: Unit;
  readonly normalSide: Direction;
}

export interface Account {
  readonly id: number;
  readonly code: string;
  readonly name: string;
  readonly unit: Unit;
  readonly normalSide: Direction;
  readonly lowerBound: string | null;
  readonly upperBound: string | null;
}

function boundText(bound: Money | string | null | undefined): string | null {
  if (bound === null || bound === undefined) return null;
  return formatAmount(typeof bound === 'string' ? parseAmount(bound, { allowZero: true }) : bound);
}

/**
 * Opens the account, or returns it when it is already open with the same terms. The same
 * code with other terms is refused: an account's unit, side and bounds never change silently.
 */
export async function openAccount(db: DB | Tx, spec: AccountSpec): Promise<Account> {
  // The opening is a record in the account chain, committed with the account or not at all.
  if (!db.isTransaction) return (db as DB).transaction().execute((trx) => openAccount(trx, spec));
  const wanted = {
    code: spec.code,
    name: spec.name,
    unit: spec.unit,
    normal_side: spec.normalSide,
    lower_bound: boundText(spec.lowerBound),
    upper_bound: boundText(spec.upperBound),
  };
  const opened = await db
    .insertInto('ledger_account')
    .values(wanted)
    .onConflict((oc) => oc.column('code').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (opened)
    await recordAccount(db as Tx, 'open', {
      id: opened.id,
      code: wanted.code,
      unit: wanted.unit,
      normalSide: wanted.normal_side,
      lowerBound: wanted.lower_bound,
      upperBound: wanted.upper_bound,
    });
  const account = await findAccount(db, spec.code);
  if (!account) throw new Error(`account ${spec.code} vanished after it was opened`);
  const same =
    account.unit === wanted.unit &&
    account.normalSide === wanted.normal_side &&
    account.lowerBound === wanted.lower_bound &&
    account.upperBound === wanted.upper_bound;
  if (!same) {
    throw new DomainError(
      'account_conflict',
      `account ${spec.code} is already open with other terms`,
      {
        account: spec.code,
      },
    );
  }
  return account;
}

export async function findAccount(db: DB | Tx, code: string): Promise<Account | undefined> {
  const row = await db
    .selectFrom('ledger_account')
    .select(['id', 'code', 'name', 'unit', 'normal_side', 'lower_bound', 'upper_bound'])
    .where('code', '=', code)
    .executeTakeFirst();
  return row && toAccount(row);
}

export async function listAccounts(db: DB | Tx, codePrefix?: string): Promise<Account[]> {
  let query = db
    .selectFrom('ledger_account')
    .select(['id', 'code', 'name', 'unit', 'normal_side', 'lower_bound', 'upper_bound'])
    .orderBy('code');
  if (codePrefix) query = query.where(sql<boolean>`starts_with(code, ${codePrefix})`);
  return (await query.execute()).map(toAccount);
}

function toAccount(row: {
  id: number;
  code: string;
  name: string;
  unit: Unit;
  normal_side: Direction;
  lower_bound: string | null;
  upper_bound: string | null;
}): Account {
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    unit: row.unit,
    normalSide: row.normal_side,
    lowerBound: row.lower_bound === null ? null : new Money(row.lower_bound).toFixed(2),
    upperBound: row.upper_bound === null ? null : new Money(row.upper_bound).toFixed(2),
  };
}
