import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domain-error.ts';
import { openAccount } from '../../src/ledger/accounts.ts';
import { accountBalance, accountEntries, trialBalance } from '../../src/ledger/balances.ts';
import { recordCommand } from '../../src/ledger/record.ts';
import { verifyLedger } from '../../src/ledger/verify.ts';
import { type DatabaseKind, freshDatabase, type TestDatabase } from '../support/database.ts';

describe.each<DatabaseKind>(['postgres', 'pglite'])('ledger on %s', (kind) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await freshDatabase(kind);
    const db = database.db;
    await openAccount(db, {
      code: 'cash:fund',
      name: 'Pool fund',
      unit: 'CNY',
      normalSide: 'debit',
      lowerBound: '0',
    });
    await openAccount(db, {
      code: 'cash:contributions',
      name: 'Contributions',
      unit: 'CNY',
      normalSide: 'credit',
    });
    await openAccount(db, {
      code: 'cov:source',
      name: 'Cap source',
      unit: 'COVERAGE',
      normalSide: 'credit',
    });
    await openAccount(db, {
      code: 'cov:available',
      name: 'Available coverage',
      unit: 'COVERAGE',
      normalSide: 'debit',
      lowerBound: '0',
      upperBound: '5000000.00',
    });
    await openAccount(db, {
      code: 'cov:consumed',
      name: 'Consumed',
      unit: 'COVERAGE',
      normalSide: 'debit',
    });
  });
  afterAll(() => database.close());

  const rejection = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (error: unknown) => (error instanceof DomainError ? error.code : String(error)),
    );

  it('records a balanced entry and moves both balances', async () => {
    const entry = await recordCommand(database.db, {
      type: 'transfer',
      description: 'contribution',
      postings: [
        { accountCode: 'cash:fund', direction: 'debit', amount: '30000.00' },
        { accountCode: 'cash:contributions', direction: 'credit', amount: '30000' },
      ],
    });
    expect(entry.postings.map((p) => p.amount)).toEqual(['30000.00', '30000.00']);
    expect((await accountBalance(database.db, 'cash:fund')).balance).toBe('30000.00');
    expect((await accountBalance(database.db, 'cash:contributions')).balance).toBe('30000.00');
  });

  it('refuses an unbalanced entry, an unknown account and a single posting, writing nothing', async () => {
    const before = await database.db
      .selectFrom('journal_entry')
      .select(sql<number>`count(*)`.as('n'))
      .executeTakeFirstOrThrow();
    expect(
      await rejection(
        recordCommand(database.db, {
          type: 'transfer',
          description: 'bad',
          postings: [
            { accountCode: 'cash:fund', direction: 'debit', amount: '10.00' },
            { accountCode: 'cash:contributions', direction: 'credit', amount: '9.99' },
          ],
        }),
      ),
    ).toBe('unbalanced');
    expect(
      await rejection(
        recordCommand(database.db, {
          type: 'transfer',
          description: 'bad',
          postings: [
            { accountCode: 'cash:nowhere', direction: 'debit', amount: '10.00' },
            { accountCode: 'cash:contributions', direction: 'credit', amount: '10.00' },
          ],
        }),
      ),
    ).toBe('unknown_account');
    expect(
      await rejection(
        recordCommand(database.db, {
          type: 'transfer',
          description: 'bad',
          postings: [{ accountCode: 'cash:fund', direction: 'debit', amount: '10.00' }],
        }),
      ),
    ).toBe('invalid_entry');
    expect(
      await rejection(
        recordCommand(database.db, {
          type: 'transfer',
          description: 'mixed units',
          postings: [
            { accountCode: 'cash:fund', direction: 'debit', amount: '10.00' },
            { accountCode: 'cov:source', direction: 'credit', amount: '10.00' },
          ],
        }),
      ),
    ).toBe('unbalanced');
    const after = await database.db
      .selectFrom('journal_entry')
      .select(sql<number>`count(*)`.as('n'))
      .executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
  });

  it('refuses to draw a bounded account below zero and names the account', async () => {
    const error = await recordCommand(database.db, {
      type: 'transfer',
      description: 'overdraw',
      postings: [
        { accountCode: 'cash:contributions', direction: 'debit', amount: '30000.01' },
        { accountCode: 'cash:fund', direction: 'credit', amount: '30000.01' },
      ],
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('limit_exceeded');
    expect((error as DomainError).details.account).toBe('cash:fund');
    expect((await accountBalance(database.db, 'cash:fund')).balance).toBe('30000.00');
  });

  it('counts a hold against the bound at once, posts it in part and releases the rest', async () => {
    await recordCommand(database.db, {
      type: 'transfer',
      description: 'grant',
      postings: [
        { accountCode: 'cov:available', direction: 'debit', amount: '1000.00' },
        { accountCode: 'cov:source', direction: 'credit', amount: '1000.00' },
      ],
    });
    const hold = await recordCommand(database.db, {
      type: 'transfer',
      pending: true,
      description: 'reserve',
      postings: [
        { accountCode: 'cov:consumed', direction: 'debit', amount: '800.00' },
        { accountCode: 'cov:available', direction: 'credit', amount: '800.00' },
      ],
    });
    const available = await accountBalance(database.db, 'cov:available');
    expect(available.balance).toBe('1000.00');
    expect(available.availableBalance).toBe('200.00');
    expect(
      await rejection(
        recordCommand(database.db, {
          type: 'transfer',
          pending: true,
          description: 'second reserve',
          postings: [
            { accountCode: 'cov:consumed', direction: 'debit', amount: '200.01' },
            { accountCode: 'cov:available', direction: 'credit', amount: '200.01' },
          ],
        }),
      ),
    ).toBe('limit_exceeded');

    const posted = await recordCommand(database.db, {
      type: 'post_pending',
      pendingEntryId: hold.id,
      description: 'settle part',
      postings: [
        { accountCode: 'cov:consumed', direction: 'debit', amount: '500.00' },
        { accountCode: 'cov:available', direction: 'credit', amount: '500.00' },
      ],
    });
    expect(posted.kind).toBe('post_pending');
    const after = await accountBalance(database.db, 'cov:available');
    expect(after.balance).toBe('500.00');
    expect(after.heldAgainst).toBe('0.00');
    expect(
      await rejection(
        recordCommand(database.db, {
          type: 'void_pending',
          pendingEntryId: hold.id,
          description: 'void late',
        }),
      ),
    ).toBe('already_resolved');
  });

  it('voids a hold exactly once and gives the coverage back', async () => {
    const hold = await recordCommand(database.db, {
      type: 'transfer',
      pending: true,
      description: 'reserve',
      postings: [
        { accountCode: 'cov:consumed', direction: 'debit', amount: '300.00' },
        { accountCode: 'cov:available', direction: 'credit', amount: '300.00' },
      ],
    });
    expect((await accountBalance(database.db, 'cov:available')).availableBalance).toBe('200.00');
    await recordCommand(database.db, {
      type: 'void_pending',
      pendingEntryId: hold.id,
      description: 'void',
    });
    expect((await accountBalance(database.db, 'cov:available')).availableBalance).toBe('500.00');
    expect(
      await rejection(
        recordCommand(database.db, {
          type: 'post_pending',
          pendingEntryId: hold.id,
          description: 'post late',
        }),
      ),
    ).toBe('already_resolved');
  });

  it('reverses a posted entry once, naming it, and refuses to reverse a hold', async () => {
    const original = await recordCommand(database.db, {
      type: 'transfer',
      description: 'mistaken contribution',
      postings: [
        { accountCode: 'cash:fund', direction: 'debit', amount: '123.45' },
        { accountCode: 'cash:contributions', direction: 'credit', amount: '123.45' },
      ],
    });
    const reversal = await recordCommand(database.db, {
      type: 'reverse',
      entryId: original.id,
      description: 'correction',
    });
    expect(reversal.reversesEntryId).toBe(original.id);
    expect((await accountBalance(database.db, 'cash:fund')).balance).toBe('30000.00');
    expect(
      await rejection(
        recordCommand(database.db, { type: 'reverse', entryId: original.id, description: 'again' }),
      ),
    ).toBe('already_reversed');
    const hold = await recordCommand(database.db, {
      type: 'transfer',
      pending: true,
      description: 'reserve',
      postings: [
        { accountCode: 'cov:consumed', direction: 'debit', amount: '1.00' },
        { accountCode: 'cov:available', direction: 'credit', amount: '1.00' },
      ],
    });
    expect(
      await rejection(
        recordCommand(database.db, { type: 'reverse', entryId: hold.id, description: 'no' }),
      ),
    ).toBe('not_reversible');
  });

  it('replays an idempotency key with the first entry and refuses it for other content', async () => {
    const command = {
      type: 'transfer' as const,
      idempotencyKey: 'contribution-2026-001',
      description: 'contribution',
      postings: [
        { accountCode: 'cash:fund', direction: 'debit' as const, amount: '70000.00' },
        { accountCode: 'cash:contributions', direction: 'credit' as const, amount: '70000.00' },
      ],
    };
    const first = await recordCommand(database.db, command);
    const again = await recordCommand(database.db, command);
    expect(again.id).toBe(first.id);
    expect((await accountBalance(database.db, 'cash:fund')).balance).toBe('100000.00');
    expect(
      await rejection(
        recordCommand(database.db, {
          ...command,
          postings: [
            { accountCode: 'cash:fund', direction: 'debit', amount: '70000.01' },
            { accountCode: 'cash:contributions', direction: 'credit', amount: '70000.01' },
          ],
        }),
      ),
    ).toBe('idempotency_conflict');
  });

  it('answers balances as of a past effective moment', async () => {
    await recordCommand(database.db, {
      type: 'transfer',
      description: 'back-dated contribution',
      effectiveAt: new Date('2026-01-15T02:00:00Z'),
      postings: [
        { accountCode: 'cash:fund', direction: 'debit', amount: '5.00' },
        { accountCode: 'cash:contributions', direction: 'credit', amount: '5.00' },
      ],
    });
    expect(
      (await accountBalance(database.db, 'cash:fund', new Date('2026-01-15T01:59:59Z'))).balance,
    ).toBe('0.00');
    expect(
      (await accountBalance(database.db, 'cash:fund', new Date('2026-01-15T02:00:00Z'))).balance,
    ).toBe('5.00');
    expect((await accountBalance(database.db, 'cash:fund')).balance).toBe('100005.00');
  });

  it('keeps the trial balance at zero per unit, pages entries and verifies', async () => {
    const trial = await trialBalance(database.db);
    expect(trial.balanced).toBe(true);
    expect(trial.totals.CNY?.debit).toBe('100005.00');
    const page = await accountEntries(database.db, 'cash:fund', { limit: 2 });
    expect(page.entries).toHaveLength(2);
    expect(page.nextBefore).not.toBeNull();
    const older = await accountEntries(database.db, 'cash:fund', {
      limit: 2,
      before: page.nextBefore ?? 0,
    });
    expect(older.entries.every((e) => e.id < (page.nextBefore ?? 0))).toBe(true);
    const report = await verifyLedger(database.db);
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
  });
});

describe('verification while the service writes', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await freshDatabase('postgres');
    await openAccount(database.db, {
      code: 'cash:fund',
      name: 'Pool fund',
      unit: 'CNY',
      normalSide: 'debit',
    });
    await openAccount(database.db, {
      code: 'cash:contributions',
      name: 'Contributions',
      unit: 'CNY',
      normalSide: 'credit',
    });
  });
  afterAll(() => database.close());

  it('reads one snapshot, so entries committed mid-run are never reported as tampering', async () => {
    const contribution = (n: number) =>
      recordCommand(database.db, {
        type: 'transfer',
        description: `contribution ${n}`,
        postings: [
          { accountCode: 'cash:fund', direction: 'debit', amount: '10.00' },
          { accountCode: 'cash:contributions', direction: 'credit', amount: '10.00' },
        ],
      });
    // Enough history that a run takes long enough for the writer to commit during it.
    for (let batch = 0; batch < 3; batch++)
      await Promise.all(Array.from({ length: 500 }, (_, i) => contribution(batch * 500 + i)));
    let writing = true;
    const writer = (async () => {
      for (let n = 0; writing && n < 5000; n++) await contribution(100_000 + n);
    })();
    const reports = [];
    try {
      for (let run = 0; run < 4; run++) reports.push(await verifyLedger(database.db));
    } finally {
      writing = false;
      await writer;
    }
    for (const report of reports) {
      expect(report.problems).toEqual([]);
      expect(report.entriesChecked).toBeGreaterThanOrEqual(1500);
    }
    // The writer really did commit while the runs read.
    const last = reports[reports.length - 1]?.entriesChecked ?? 0;
    expect(last).toBeGreaterThan(reports[0]?.entriesChecked ?? 0);
  }, 120_000);
});
