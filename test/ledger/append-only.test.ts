/**
 * The database itself keeps the journal append-only and balanced, whatever SQL a client
 * sends; and what is changed behind its back (triggers disabled) is caught by verification,
 * from code and from the `ledger:verify` command, naming the first bad entry.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DB } from '../../src/db/database.ts';
import { openAccount } from '../../src/ledger/accounts.ts';
import { recordCommand } from '../../src/ledger/record.ts';
import type { JournalEntry } from '../../src/ledger/types.ts';
import { verifyLedger } from '../../src/ledger/verify.ts';
import { type DatabaseKind, freshDatabase, type TestDatabase } from '../support/database.ts';
import { type LedgerSnapshot, ledgerSnapshot } from './invariants.ts';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Runs `npx tsx src/ledger/verify-cli.ts` against the database and reports how it ended. */
function runVerifyCli(url: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'npx',
      ['tsx', 'src/ledger/verify-cli.ts'],
      { cwd: REPO_ROOT, env: { ...process.env, DATABASE_URL: url }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** The error a statement fails with; fails the test if it succeeds. */
async function refusal(work: Promise<unknown>): Promise<string> {
  try {
    await work;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  throw new Error('the statement was accepted');
}

/** Changes rows behind the triggers' back, as someone with the owner's rights could. */
async function tamper(db: DB, table: 'posting' | 'journal_entry', change: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`ALTER TABLE ${sql.raw(table)} DISABLE TRIGGER USER`.execute(trx);
    await sql.raw(change).execute(trx);
    await sql`ALTER TABLE ${sql.raw(table)} ENABLE TRIGGER USER`.execute(trx);
  });
}

describe.each<DatabaseKind>(['postgres', 'pglite'])('append-only journal on %s', (kind) => {
  let database: TestDatabase;
  let db: DB;
  const entries: JournalEntry[] = [];
  let clean: LedgerSnapshot;

  beforeAll(async () => {
    database = await freshDatabase(kind);
    db = database.db;
    await openAccount(db, {
      code: 'ao:fund',
      name: 'Fund',
      unit: 'CNY',
      normalSide: 'debit',
      lowerBound: '0',
    });
    await openAccount(db, { code: 'ao:source', name: 'Source', unit: 'CNY', normalSide: 'credit' });
    await openAccount(db, { code: 'ao:spent', name: 'Spent', unit: 'CNY', normalSide: 'debit' });
    await openAccount(db, { code: 'ao:other', name: 'Other', unit: 'CNY', normalSide: 'debit' });
    const move = (description: string, from: string, to: string, amount: string) =>
      recordCommand(db, {
        type: 'transfer',
        description,
        postings: [
          { accountCode: to, direction: 'debit', amount },
          { accountCode: from, direction: 'credit', amount },
        ],
      });
    entries.push(await move('contribution', 'ao:source', 'ao:fund', '1000.00'));
    entries.push(await move('claim paid', 'ao:fund', 'ao:spent', '250.00'));
    entries.push(await move('second claim', 'ao:fund', 'ao:spent', '100.00'));
    entries.push(await move('other', 'ao:source', 'ao:other', '5.00'));
    clean = await ledgerSnapshot(db);
  });
  afterAll(() => database.close());

  const entry = (index: number): JournalEntry => {
    const found = entries[index];
    if (!found) throw new Error(`no entry ${index}`);
    return found;
  };

  it('refuses UPDATE, DELETE and TRUNCATE on postings', async () => {
    const id = entry(1).id;
    expect(
      await refusal(sql`UPDATE posting SET amount = amount + 1 WHERE entry_id = ${id}`.execute(db)),
    ).toMatch(/posting is append-only: UPDATE refused/);
    expect(
      await refusal(
        sql`UPDATE posting SET account_id = account_id WHERE entry_id = ${id}`.execute(db),
      ),
    ).toMatch(/append-only/);
    expect(await refusal(sql`DELETE FROM posting WHERE entry_id = ${id}`.execute(db))).toMatch(
      /posting is append-only: DELETE refused/,
    );
    expect(await refusal(sql`DELETE FROM posting`.execute(db))).toMatch(/append-only/);
    expect(await refusal(sql`TRUNCATE posting`.execute(db))).toMatch(
      /posting is append-only: TRUNCATE refused/,
    );
    expect(await ledgerSnapshot(db)).toEqual(clean);
  });

  it('refuses UPDATE, DELETE and TRUNCATE on journal entries', async () => {
    const id = entry(1).id;
    expect(
      await refusal(
        sql`UPDATE journal_entry SET description = 'nothing to see' WHERE id = ${id}`.execute(db),
      ),
    ).toMatch(/journal_entry is append-only: UPDATE refused/);
    expect(await refusal(sql`DELETE FROM journal_entry WHERE id = ${id}`.execute(db))).toMatch(
      /journal_entry is append-only: DELETE refused/,
    );
    expect(await refusal(sql`TRUNCATE journal_entry`.execute(db))).toMatch(
      /append-only: TRUNCATE refused|foreign key/,
    );
    expect(await refusal(sql`TRUNCATE journal_entry CASCADE`.execute(db))).toMatch(
      /append-only: TRUNCATE refused/,
    );
    // Refused by the trigger, or first by tables that reference the journal.
    expect(await refusal(sql`TRUNCATE posting, journal_entry`.execute(db))).toMatch(
      /append-only: TRUNCATE refused|foreign key/,
    );
    expect(await ledgerSnapshot(db)).toEqual(clean);
  });

  it('refuses a posting added later to an existing entry', async () => {
    const { id } = entry(2);
    const other = await db
      .selectFrom('ledger_account')
      .select('id')
      .where('code', '=', 'ao:other')
      .executeTakeFirstOrThrow();
    const add = (rows: readonly [number, 'debit' | 'credit'][]) =>
      sql`
        INSERT INTO posting (entry_id, seq, account_id, direction, phase, amount, effective_at)
        SELECT e.id, x.seq, ${other.id}::bigint, x.direction, 'posted', 7.00, e.effective_at
        FROM journal_entry e,
          jsonb_to_recordset(${JSON.stringify(rows.map(([seq, direction]) => ({ seq, direction })))}::jsonb)
            AS x(seq smallint, direction text)
        WHERE e.id = ${id}
      `.execute(db);
    // One more posting, a balanced pair of them, or one that reuses a number: all refused.
    expect(await refusal(add([[3, 'debit']]))).toMatch(/all its postings in one statement/);
    expect(
      await refusal(
        add([
          [3, 'debit'],
          [4, 'credit'],
        ]),
      ),
    ).toMatch(/all its postings in one statement/);
    expect(
      await refusal(
        add([
          [1, 'debit'],
          [2, 'credit'],
        ]),
      ),
    ).toMatch(/duplicate key|posting_pkey/);
    expect(await ledgerSnapshot(db)).toEqual(clean);
  });

  it('refuses an unbalanced, a phase-mixed, a split or an empty entry inserted by hand', async () => {
    const accounts = await db
      .selectFrom('ledger_account')
      .select(['id', 'code'])
      .where('code', 'in', ['ao:fund', 'ao:spent'])
      .execute();
    const idOf = (code: string) => accounts.find((a) => a.code === code)?.id ?? 0;
    const nextId = clean.lastEntryId + 1;
    const insertEntry = (trx: DB) =>
      sql`
        INSERT INTO journal_entry (id, kind, command_hash, description, effective_at, recorded_at,
          posting_count, prev_hash, hash)
        VALUES (${nextId}, 'posted', 'by hand', 'by hand', '2026-03-01T00:00:00Z', now(), 2,
          ${clean.lastHash}, ${`by-hand-${nextId}`})
      `.execute(trx);
    const insertPostings = (
      trx: DB,
      postings: readonly {
        seq: number;
        code: string;
        direction: string;
        phase: string;
        amount: string;
      }[],
    ) =>
      sql`
        INSERT INTO posting (entry_id, seq, account_id, direction, phase, amount, effective_at)
        SELECT ${nextId}::bigint, x.seq, x.account_id, x.direction, x.phase, x.amount,
          '2026-03-01T00:00:00Z'::timestamptz
        FROM jsonb_to_recordset(${JSON.stringify(postings.map((p) => ({ ...p, account_id: idOf(p.code) })))}::jsonb)
          AS x(seq smallint, account_id bigint, direction text, phase text, amount numeric(20,2))
      `.execute(trx);
    const byHand = (work: (trx: DB) => Promise<unknown>) =>
      refusal(db.transaction().execute((trx) => work(trx)));

    expect(
      await byHand(async (trx) => {
        await insertEntry(trx);
        await insertPostings(trx, [
          { seq: 1, code: 'ao:spent', direction: 'debit', phase: 'posted', amount: '10.00' },
          { seq: 2, code: 'ao:fund', direction: 'credit', phase: 'posted', amount: '9.99' },
        ]);
      }),
    ).toMatch(new RegExp(`journal entry ${nextId} does not balance`));
    expect(
      await byHand(async (trx) => {
        await insertEntry(trx);
        await insertPostings(trx, [
          { seq: 1, code: 'ao:spent', direction: 'debit', phase: 'posted', amount: '10.00' },
          { seq: 2, code: 'ao:fund', direction: 'credit', phase: 'pending', amount: '10.00' },
        ]);
      }),
    ).toMatch(new RegExp(`journal entry ${nextId} does not balance`));
    expect(
      await byHand(async (trx) => {
        await insertEntry(trx);
        await insertPostings(trx, [
          { seq: 1, code: 'ao:spent', direction: 'debit', phase: 'posted', amount: '10.00' },
        ]);
        await insertPostings(trx, [
          { seq: 2, code: 'ao:fund', direction: 'credit', phase: 'posted', amount: '10.00' },
        ]);
      }),
    ).toMatch(/all its postings in one statement/);
    expect(await byHand((trx) => insertEntry(trx))).toMatch(
      new RegExp(`journal entry ${nextId} has no postings`),
    );
    expect(await ledgerSnapshot(db)).toEqual(clean);
    const report = await verifyLedger(db);
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it.runIf(kind === 'postgres')(
    'passes `ledger:verify` on the untouched ledger (exit 0)',
    async () => {
      const result = await runVerifyCli(database.url ?? '');
      expect(result.stderr).not.toMatch(/first bad entry/);
      expect(result.stdout).toMatch(/ledger verified/);
      expect(result.code).toBe(0);
    },
    60_000,
  );

  it('names the account whose cached balance was changed directly', async () => {
    await sql`UPDATE ledger_account SET posted_debits = posted_debits + 0.01 WHERE code = 'ao:other'`.execute(
      db,
    );
    const report = await verifyLedger(db);
    expect(report.ok).toBe(false);
    expect(report.firstBadEntryId).toBeNull();
    expect(report.problems).toEqual([
      'account ao:other: its reported balance differs from the sum of its postings',
    ]);
    await sql`UPDATE ledger_account SET posted_debits = posted_debits - 0.01 WHERE code = 'ao:other'`.execute(
      db,
    );
    expect((await verifyLedger(db)).ok).toBe(true);
  });

  it('names the first altered entry when a posting amount is changed behind the triggers', async () => {
    const altered = entry(2);
    await tamper(
      db,
      'posting',
      `UPDATE posting SET amount = amount + 0.01 WHERE entry_id = ${altered.id} AND seq = 1`,
    );
    const report = await verifyLedger(db);
    expect(report.ok).toBe(false);
    expect(report.firstBadEntryId).toBe(altered.id);
    expect(report.problems).toContain(`entry ${altered.id} does not balance in CNY/posted`);
    expect(report.problems).toContain(
      `entry ${altered.id} has been altered: its hash does not match its content`,
    );
    // No other entry is blamed; the accounts it touched no longer match their postings.
    expect(
      report.problems.filter((p) => /^entry /.test(p) && !p.startsWith(`entry ${altered.id} `)),
    ).toEqual([]);
    expect(report.problems).toContain(
      'account ao:spent: its reported balance differs from the sum of its postings',
    );
    // The triggers are back on.
    expect(
      await refusal(
        sql`UPDATE posting SET amount = amount WHERE entry_id = ${altered.id}`.execute(db),
      ),
    ).toMatch(/append-only/);
  });

  it('names the earlier entry when a balanced change is made to it too', async () => {
    const earlier = entry(1);
    // Both sides changed alike: it still balances, but its hash no longer matches.
    await tamper(
      db,
      'posting',
      `UPDATE posting SET amount = amount + 1.00 WHERE entry_id = ${earlier.id}`,
    );
    await tamper(
      db,
      'journal_entry',
      `UPDATE journal_entry SET description = 'other text' WHERE id = ${entry(3).id}`,
    );
    const report = await verifyLedger(db);
    expect(report.ok).toBe(false);
    expect(report.firstBadEntryId).toBe(earlier.id);
    expect(report.problems).not.toContain(`entry ${earlier.id} does not balance in CNY/posted`);
    expect(report.problems).toContain(
      `entry ${earlier.id} has been altered: its hash does not match its content`,
    );
    expect(report.problems).toContain(
      `entry ${entry(3).id} has been altered: its hash does not match its content`,
    );
  });

  it.runIf(kind === 'postgres')(
    'fails `ledger:verify` on the tampered ledger (exit 1), naming the first bad entry',
    async () => {
      const result = await runVerifyCli(database.url ?? '');
      expect(result.stderr).toContain(`first bad entry: ${entry(1).id}\n`);
      expect(result.stderr).toContain(`entry ${entry(2).id} does not balance`);
      expect(result.code).toBe(1);
    },
    60_000,
  );
});
