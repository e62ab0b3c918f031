/**
 * `ledger:verify` split across worker threads: the ranges join at their edges, so a clean
 * ledger passes and an entry altered at a range's first or last place is named; and the
 * accounts are in a chain of their own, so an account row or its record changed behind the
 * triggers (as the schema's owner could) is named too.
 */
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DB } from '../../src/db/database.ts';
import { openAccount } from '../../src/ledger/accounts.ts';
import { recordCommand } from '../../src/ledger/record.ts';
import { generateSealKey, signCheckpoint, takeCheckpointNow } from '../../src/ledger/seal.ts';
import { verifyLedger } from '../../src/ledger/verify.ts';
import { freshPostgres, type TestDatabase } from '../support/database.ts';

let database: TestDatabase;
let db: DB;

async function move(amount: string): Promise<void> {
  await recordCommand(db, {
    type: 'transfer',
    description: `move ${amount}`,
    postings: [
      { accountCode: 'w:fund', direction: 'debit', amount },
      { accountCode: 'w:source', direction: 'credit', amount },
    ],
  });
}

/** Work done with every trigger off, as the schema's owner could. */
function behindTheTriggers(work: (trx: DB) => Promise<void>): Promise<void> {
  return db.transaction().execute(async (trx) => {
    await sql`SET LOCAL session_replication_role = replica`.execute(trx);
    await work(trx as unknown as DB);
  });
}

const onThreads = () => ({
  connectionString: database.url ?? '',
  workers: 2,
  entriesPerRange: 10,
});

beforeEach(async () => {
  database = await freshPostgres();
  db = database.db;
  await openAccount(db, { code: 'w:fund', name: 'Fund', unit: 'CNY', normalSide: 'debit' });
  await openAccount(db, {
    code: 'w:source',
    name: 'Source',
    unit: 'CNY',
    normalSide: 'credit',
    upperBound: '1000000.00',
  });
  for (let i = 1; i <= 45; i++) await move(`${i}.00`);
});
afterEach(() => database.close());

describe('verification on worker threads', () => {
  it('passes a clean ledger, every entry and posting checked once', async () => {
    const report = await verifyLedger(db, onThreads());
    expect(report.problems).toEqual([]);
    expect(report.entriesChecked).toBe(45);
    expect(report.postingsChecked).toBe(90);
  });

  it('names an entry altered at the edge of a range', async () => {
    await behindTheTriggers(async (trx) => {
      await sql`UPDATE posting SET amount = amount + 1 WHERE entry_id = 21`.execute(trx);
    });
    const report = await verifyLedger(db, onThreads());
    expect(report.ok).toBe(false);
    expect(report.firstBadEntryId).toBe(21);
    expect(report.problems.join('\n')).toContain('entry 21 has been altered');
  });

  it('names an entry whose link to the range before it is broken', async () => {
    await behindTheTriggers(async (trx) => {
      await sql`UPDATE journal_entry SET prev_hash = ${'a'.repeat(64)} WHERE id = 31`.execute(trx);
    });
    const report = await verifyLedger(db, onThreads());
    expect(report.firstBadEntryId).toBe(31);
    expect(report.problems.join('\n')).toContain('entry 31 does not link to the hash before it');
  });

  it('verified against a seal hashes only what came after it', async () => {
    const key = await generateSealKey();
    const seal = await signCheckpoint(
      db,
      await takeCheckpointNow(db, 'on demand', null),
      key.privateJwk,
    );
    for (let i = 1; i <= 5; i++) await move(`${i}.50`);
    const report = await verifyLedger(db, {
      ...onThreads(),
      seals: [seal],
      publicKey: key.publicKey,
    });
    expect(report.problems).toEqual([]);
    expect(report.startedAfterEntryId).toBe(45);
    expect(report.entriesChecked).toBe(5);
  });
});

describe('accounts in the chain', () => {
  it('names an account whose bounds were changed behind the triggers', async () => {
    expect((await verifyLedger(db)).problems).toEqual([]);
    await behindTheTriggers(async (trx) => {
      await sql`UPDATE ledger_account SET upper_bound = NULL WHERE code = 'w:source'`.execute(trx);
    });
    const report = await verifyLedger(db);
    expect(report.ok).toBe(false);
    expect(report.problems.join('\n')).toContain(
      'account w:source differs from its account record 2',
    );
  });

  it('names an account record altered to match, and one that is deleted', async () => {
    await behindTheTriggers(async (trx) => {
      await sql`UPDATE ledger_account SET upper_bound = NULL WHERE code = 'w:source'`.execute(trx);
      await sql`UPDATE ledger_account_record SET upper_bound = NULL WHERE code = 'w:source'`.execute(
        trx,
      );
    });
    const altered = await verifyLedger(db);
    expect(altered.problems.join('\n')).toContain(
      'account record 2 (account w:source) has been altered',
    );
    await behindTheTriggers(async (trx) => {
      await sql`DELETE FROM ledger_account_record WHERE code = 'w:fund'`.execute(trx);
    });
    const deleted = await verifyLedger(db);
    expect(deleted.problems.join('\n')).toContain(
      'account w:fund has no record in the account chain',
    );
  });

  it('a seal names an account chain rewritten from its start', async () => {
    const key = await generateSealKey();
    const seal = await signCheckpoint(
      db,
      await takeCheckpointNow(db, 'on demand', null),
      key.privateJwk,
    );
    expect(seal.checkpoint.accountRecords?.lastRecordId).toBe(2);
    await behindTheTriggers(async (trx) => {
      await sql`DELETE FROM ledger_account_record`.execute(trx);
    });
    const report = await verifyLedger(db, { seals: [seal], publicKey: key.publicKey });
    expect(report.problems.join('\n')).toContain('are covered by the seal of checkpoint');
  });

  it('account records are append-only: no update, delete or truncate', async () => {
    await expect(
      sql`UPDATE ledger_account_record SET code = 'x' WHERE id = 1`.execute(db),
    ).rejects.toThrow(/append-only/);
    await expect(sql`DELETE FROM ledger_account_record`.execute(db)).rejects.toThrow(/append-only/);
    await expect(sql`TRUNCATE ledger_account_record`.execute(db)).rejects.toThrow(/append-only/);
  });
});
