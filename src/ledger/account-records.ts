/**
 * @module Accounts in the chain. Opening an account writes a record of its code, unit, side
 * and bounds into a hash chain of its own (the journal's write path stays as it is); a
 * checkpoint names the chain's head, and verification proves the chain, that every account
 * is what its latest record says, and that the chain still extends every seal.
 */
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { DB } from '../db/database.ts';
import type { Tx } from '../db/transaction.ts';
import { GENESIS_HASH } from './hash.ts';
import type { SealFile } from './seal.ts';

export type AccountRecordAction = 'open' | 'bounds';

export interface AccountRecordFields {
  readonly id: number;
  readonly action: AccountRecordAction;
  readonly accountId: number;
  readonly code: string;
  readonly unit: string;
  readonly normalSide: string;
  /** "500000.00" text, as NUMERIC(20,2) reads back, or null. */
  readonly lowerBound: string | null;
  readonly upperBound: string | null;
  /** As toISOString writes it. */
  readonly recordedAt: string;
}

export function accountRecordHash(prevHash: string, record: AccountRecordFields): string {
  const canonical = JSON.stringify([
    record.id,
    record.action,
    record.accountId,
    record.code,
    record.unit,
    record.normalSide,
    record.lowerBound,
    record.upperBound,
    record.recordedAt,
  ]);
  return createHash('sha256').update(`${prevHash}\n${canonical}`).digest('hex');
}

/** One writer at a time extends the chain; taken only where accounts open, which is rare. */
const CHAIN_LOCK = sql`SELECT pg_advisory_xact_lock(hashtext('ledger_account_record'))`;

/** What makes an account the account it is: its code, unit, normal side and bounds. */
export interface AccountIdentity {
  readonly id: number;
  readonly code: string;
  readonly unit: string;
  readonly normalSide: string;
  readonly lowerBound: string | null;
  readonly upperBound: string | null;
}

/** Appends the account's record to the chain, in the caller's transaction. */
export async function recordAccount(
  trx: Tx,
  action: AccountRecordAction,
  account: AccountIdentity,
  now: Date = new Date(),
): Promise<void> {
  await CHAIN_LOCK.execute(trx);
  const head = await trx
    .selectFrom('ledger_account_record')
    .select(['id', 'hash'])
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  const fields: AccountRecordFields = {
    id: (head?.id ?? 0) + 1,
    action,
    accountId: account.id,
    code: account.code,
    unit: account.unit,
    normalSide: account.normalSide,
    lowerBound: account.lowerBound,
    upperBound: account.upperBound,
    recordedAt: now.toISOString(),
  };
  const prevHash = head?.hash ?? GENESIS_HASH;
  await trx
    .insertInto('ledger_account_record')
    .values({
      id: fields.id,
      account_id: fields.accountId,
      action,
      code: fields.code,
      unit: fields.unit,
      normal_side: fields.normalSide,
      lower_bound: fields.lowerBound,
      upper_bound: fields.upperBound,
      recorded_at: fields.recordedAt,
      prev_hash: prevHash,
      hash: accountRecordHash(prevHash, fields),
    })
    .execute();
}

export interface AccountRecordHead {
  readonly lastRecordId: number;
  readonly hash: string;
}

export async function accountRecordHead(db: DB | Tx): Promise<AccountRecordHead> {
  const head = await db
    .selectFrom('ledger_account_record')
    .select(['id', 'hash'])
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return { lastRecordId: head?.id ?? 0, hash: head?.hash ?? GENESIS_HASH };
}

/** What is wrong with the account records and the accounts, each naming its account. */
export async function verifyAccountRecords(db: Tx, seals: readonly SealFile[]): Promise<string[]> {
  const problems: string[] = [];
  const { rows: records } = await sql<{
    id: number | string;
    account_id: number | string;
    action: AccountRecordAction;
    code: string;
    unit: string;
    normal_side: string;
    lower_bound: string | null;
    upper_bound: string | null;
    recorded_at: string;
    prev_hash: string;
    hash: string;
  }>`
    SELECT id, account_id, action, code, unit, normal_side, lower_bound::text, upper_bound::text,
      to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS recorded_at,
      prev_hash, hash
    FROM ledger_account_record ORDER BY id
  `.execute(db);
  const { rows: accounts } = await sql<{
    id: number | string;
    code: string;
    unit: string;
    normal_side: string;
    lower_bound: string | null;
    upper_bound: string | null;
  }>`SELECT id, code, unit, normal_side, lower_bound::text, upper_bound::text FROM ledger_account ORDER BY id`.execute(
    db,
  );
  const hashById = new Map<number, string>([[0, GENESIS_HASH]]);
  const latest = new Map<number, (typeof records)[number]>();
  let prev = GENESIS_HASH;
  let expected = 1;
  for (const record of records) {
    const id = Number(record.id);
    const accountId = Number(record.account_id);
    const name = `account record ${id} (account ${record.code})`;
    if (id !== expected) problems.push(`account record ids jump from ${expected - 1} to ${id}`);
    if (record.prev_hash !== prev) problems.push(`${name} does not link to the record before it`);
    const recomputed = accountRecordHash(record.prev_hash, {
      id,
      action: record.action,
      accountId,
      code: record.code,
      unit: record.unit,
      normalSide: record.normal_side,
      lowerBound: record.lower_bound,
      upperBound: record.upper_bound,
      recordedAt: record.recorded_at,
    });
    if (recomputed !== record.hash)
      problems.push(`${name} has been altered: its hash does not match its content`);
    hashById.set(id, record.hash);
    latest.set(accountId, record);
    prev = record.hash;
    expected = id + 1;
  }
  for (const account of accounts) {
    const record = latest.get(Number(account.id));
    if (!record) {
      problems.push(`account ${account.code} has no record in the account chain`);
      continue;
    }
    if (
      record.code !== account.code ||
      record.unit !== account.unit ||
      record.normal_side !== account.normal_side ||
      record.lower_bound !== account.lower_bound ||
      record.upper_bound !== account.upper_bound
    )
      problems.push(
        `account ${account.code} differs from its account record ${record.id} (${record.code}): code, unit, side or bounds changed`,
      );
  }
  for (const seal of seals) {
    const sealed = seal.checkpoint.accountRecords;
    if (!sealed) continue;
    const stored = hashById.get(sealed.lastRecordId);
    if (stored === undefined)
      problems.push(
        `account records ${prev === GENESIS_HASH ? 1 : expected}–${sealed.lastRecordId} are covered by the seal of checkpoint ${seal.checkpoint.id} but missing`,
      );
    else if (stored !== sealed.hash)
      problems.push(
        `the account chain at record ${sealed.lastRecordId} differs from the seal of checkpoint ${seal.checkpoint.id}`,
      );
  }
  return problems;
}
