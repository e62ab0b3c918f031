/**
 * Races on PostgreSQL: many writers over a pool of real connections contending for the last
 * yuan of one bounded account, for one idempotency key, through group commit, and resolving
 * the same holds at once. The ledger must neither overdraw nor double-record nor deadlock.
 */
import { Kysely, PostgresDialect, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgPool, type DB } from '../../src/db/database.ts';
import type { Database } from '../../src/db/schema.ts';
import { inTransaction } from '../../src/db/transaction.ts';
import { DomainError } from '../../src/domain-error.ts';
import { openAccount } from '../../src/ledger/accounts.ts';
import { accountBalance } from '../../src/ledger/balances.ts';
import { LedgerGroupCommit } from '../../src/ledger/group-commit.ts';
import { type RecordOutcome, recordCommand, recordCommands } from '../../src/ledger/record.ts';
import type { JournalEntry, LedgerCommand, TransferCommand } from '../../src/ledger/types.ts';
import { verifyLedger } from '../../src/ledger/verify.ts';
import { freshPostgres, type TestDatabase } from '../support/database.ts';
import { balanceFromPostings, ledgerProblems } from './invariants.ts';

const POOL_SIZE = 16;

/** A fund (debit-normal, never below zero) with 1000.00 in it, a source and a sink. */
async function openFund(db: DB, prefix: string, amount = '1000.00'): Promise<void> {
  await openAccount(db, {
    code: `${prefix}:fund`,
    name: 'Fund',
    unit: 'CNY',
    normalSide: 'debit',
    lowerBound: '0',
  });
  await openAccount(db, {
    code: `${prefix}:source`,
    name: 'Source',
    unit: 'CNY',
    normalSide: 'credit',
  });
  await openAccount(db, {
    code: `${prefix}:spent`,
    name: 'Spent',
    unit: 'CNY',
    normalSide: 'debit',
  });
  await recordCommand(db, {
    type: 'transfer',
    description: 'fund it',
    postings: [
      { accountCode: `${prefix}:fund`, direction: 'debit', amount },
      { accountCode: `${prefix}:source`, direction: 'credit', amount },
    ],
  });
}

function draw(prefix: string, description: string, amount = '25.00'): TransferCommand {
  return {
    type: 'transfer',
    description,
    postings: [
      { accountCode: `${prefix}:spent`, direction: 'debit', amount },
      { accountCode: `${prefix}:fund`, direction: 'credit', amount },
    ],
  };
}

/** "ok", a DomainError's code, or the text of anything else (which no test expects). */
function outcomeOf(result: PromiseSettledResult<unknown>): string {
  if (result.status === 'fulfilled') return 'ok';
  return result.reason instanceof DomainError
    ? result.reason.code
    : `unexpected ${String(result.reason)}`;
}

function tally(outcomes: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of outcomes) counts[o] = (counts[o] ?? 0) + 1;
  return counts;
}

/**
 * One command, one transaction, no retry: a deadlock or serialization failure surfaces
 * as an error instead of being retried away.
 */
async function recordOnce(db: DB, command: LedgerCommand): Promise<JournalEntry> {
  const [outcome] = await inTransaction(db, (trx) => recordCommands(trx, [command]), {
    attempts: 1,
  });
  if (!outcome) throw new Error('no outcome');
  if (outcome.status === 'rejected') throw outcome.error;
  return outcome.entry;
}

async function expectSoundLedger(db: DB): Promise<void> {
  expect((await ledgerProblems(db)).join('\n')).toBe('');
  const report = await verifyLedger(db);
  expect(report.problems.join('\n')).toBe('');
  expect(report.ok).toBe(true);
}

describe('ledger under concurrency on postgres', () => {
  let database: TestDatabase;
  let db: DB;
  beforeAll(async () => {
    database = await freshPostgres(1);
    if (!database.url) throw new Error('a postgres test database has a url');
    // A pool of our own, so it can be closed and its backends seen gone before the test
    // database is dropped: pg's Pool.end() resolves before its connections have closed,
    // and dropping the database under 16 closing connections makes them raise errors.
    db = new Kysely<Database>({
      dialect: new PostgresDialect({ pool: createPgPool(database.url, POOL_SIZE) }),
    });
  });
  afterAll(async () => {
    await db.destroy();
    for (let attempt = 0; attempt < 100; attempt++) {
      const others = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid()
      `.execute(database.db);
      if (others.rows[0]?.n === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await database.close();
  });

  it('lets exactly the draws that fit through when 64 race for one bounded account', async () => {
    await openFund(db, 'race');
    const results = await Promise.allSettled(
      Array.from({ length: 64 }, (_, i) => recordCommand(db, draw('race', `draw ${i}`))),
    );
    expect(tally(results.map(outcomeOf))).toEqual({ ok: 40, limit_exceeded: 24 });
    const entries = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    expect(new Set(entries.map((e) => e.id)).size).toBe(40);
    for (const result of results) {
      if (result.status === 'rejected' && result.reason instanceof DomainError) {
        expect(result.reason.details.account).toBe('race:fund');
      }
    }
    expect((await accountBalance(db, 'race:fund')).balance).toBe('0.00');
    expect(await balanceFromPostings(db, 'race:fund')).toBe('0.00');
    expect((await accountBalance(db, 'race:spent')).balance).toBe('1000.00');
    // The race really ran over many connections at once.
    const connections = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database()
    `.execute(db);
    expect(connections.rows[0]?.n).toBeGreaterThan(POOL_SIZE / 2);
    await expectSoundLedger(db);
  });

  it('lets exactly the holds that fit through when 64 race for the last coverage', async () => {
    await openAccount(db, {
      code: 'holds:cap',
      name: 'Cap',
      unit: 'COVERAGE',
      normalSide: 'credit',
    });
    await openAccount(db, {
      code: 'holds:available',
      name: 'Available',
      unit: 'COVERAGE',
      normalSide: 'debit',
      lowerBound: '0',
      upperBound: '1000.00',
    });
    await openAccount(db, {
      code: 'holds:reserved',
      name: 'Reserved',
      unit: 'COVERAGE',
      normalSide: 'debit',
    });
    await recordCommand(db, {
      type: 'transfer',
      description: 'grant',
      postings: [
        { accountCode: 'holds:available', direction: 'debit', amount: '1000.00' },
        { accountCode: 'holds:cap', direction: 'credit', amount: '1000.00' },
      ],
    });
    const results = await Promise.allSettled(
      Array.from({ length: 64 }, (_, i) =>
        recordCommand(db, {
          type: 'transfer',
          pending: true,
          description: `approve ${i}`,
          postings: [
            { accountCode: 'holds:reserved', direction: 'debit', amount: '25.00' },
            { accountCode: 'holds:available', direction: 'credit', amount: '25.00' },
          ],
        }),
      ),
    );
    expect(tally(results.map(outcomeOf))).toEqual({ ok: 40, limit_exceeded: 24 });
    const available = await accountBalance(db, 'holds:available');
    expect(available.balance).toBe('1000.00');
    expect(available.heldAgainst).toBe('1000.00');
    expect(available.availableBalance).toBe('0.00');
    await expectSoundLedger(db);
  });

  it('records one entry when the same idempotency key arrives 20 times at once', async () => {
    await openFund(db, 'idem');
    const command: TransferCommand = {
      ...draw('idem', 'pay claim 7', '100.00'),
      idempotencyKey: 'idem:claim-7',
    };
    const entries = await Promise.all(
      Array.from({ length: 20 }, () => recordCommand(db, { ...command })),
    );
    const ids = new Set(entries.map((e) => e.id));
    expect(ids.size).toBe(1);
    const stored = await db
      .selectFrom('journal_entry')
      .select(['id'])
      .where('idempotency_key', '=', 'idem:claim-7')
      .execute();
    expect(stored.map((row) => row.id)).toEqual([...ids]);
    expect((await accountBalance(db, 'idem:fund')).balance).toBe('900.00');
    await expectSoundLedger(db);
  });

  it('records one entry when one key races with two contents, refusing the other content', async () => {
    const contents = [
      { ...draw('idem', 'pay claim 8', '10.00'), idempotencyKey: 'idem:claim-8' },
      { ...draw('idem', 'pay claim 8', '20.00'), idempotencyKey: 'idem:claim-8' },
    ];
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => recordCommand(db, contents[i % 2] as TransferCommand)),
    );
    const stored = await db
      .selectFrom('journal_entry')
      .select(['id'])
      .where('idempotency_key', '=', 'idem:claim-8')
      .execute();
    expect(stored).toHaveLength(1);
    const winnerId = stored[0]?.id;
    const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i % 2] : []));
    // Every caller with the winning content got the entry; every other caller was refused.
    expect(winners).toHaveLength(10);
    expect(new Set(winners).size).toBe(1);
    for (const result of results) {
      if (result.status === 'fulfilled') expect(result.value.id).toBe(winnerId);
      else expect(outcomeOf(result)).toBe('idempotency_conflict');
    }
    const moved = winners[0] === 0 ? '890.00' : '880.00';
    expect((await accountBalance(db, 'idem:fund')).balance).toBe(moved);
    await expectSoundLedger(db);
  });

  it('gives each group-commit caller its own outcome, and only the draws that fit succeed', async () => {
    await openFund(db, 'group');
    const ledger = new LedgerGroupCommit(db);
    // 64 draws of 25.00 on 1000.00, with 8 bad commands between them: 7 unbalanced, and one
    // naming a claim by something that is not a UUID (which the database would refuse).
    const commands: LedgerCommand[] = [];
    for (let i = 0; i < 72; i++) {
      const bad = i % 9 === 4;
      commands.push(
        !bad
          ? draw('group', `draw ${i}`)
          : i === 40
            ? { ...draw('group', `bad ${i}`), references: { claimId: 'CLAIM-2026-007' } }
            : {
                ...draw('group', `bad ${i}`),
                postings: [
                  { accountCode: 'group:spent', direction: 'debit', amount: '25.00' },
                  { accountCode: 'group:fund', direction: 'credit', amount: '24.99' },
                ],
              },
      );
    }
    const outcomes = await Promise.all(commands.map((c) => ledger.submit(c)));
    const status = (o: RecordOutcome) => (o.status === 'rejected' ? o.error.code : o.status);
    expect(tally(outcomes.map(status))).toEqual({
      recorded: 40,
      limit_exceeded: 24,
      unbalanced: 7,
      invalid_entry: 1,
    });
    outcomes.forEach((outcome, i) => {
      const command = commands[i];
      if (outcome.status === 'rejected') {
        const expected = !command?.description.startsWith('bad')
          ? 'limit_exceeded'
          : i === 40
            ? 'invalid_entry'
            : 'unbalanced';
        expect(outcome.error.code).toBe(expected);
      } else {
        // The caller's own entry, not a neighbour's.
        expect(outcome.entry.description).toBe(command?.description);
      }
    });
    // One writer, so first come, first served: the first 40 draws are the ones that fit.
    const drawOutcomes = outcomes.filter((_, i) => !commands[i]?.description.startsWith('bad'));
    expect(drawOutcomes.map(status)).toEqual([
      ...Array<string>(40).fill('recorded'),
      ...Array<string>(24).fill('limit_exceeded'),
    ]);
    expect((await accountBalance(db, 'group:fund')).balance).toBe('0.00');
    expect(await balanceFromPostings(db, 'group:fund')).toBe('0.00');
    await expectSoundLedger(db);
  });

  it('stays exact when two group committers (two processes) race with direct writers', async () => {
    await openFund(db, 'group2');
    const first = new LedgerGroupCommit(db);
    const second = new LedgerGroupCommit(db, { maxBatch: 7 });
    const calls = Array.from({ length: 96 }, (_, i) => {
      const command = draw('group2', `draw ${i}`);
      if (i % 3 === 0) return first.record(command);
      if (i % 3 === 1) return second.record(command);
      return recordCommand(db, command);
    });
    const results = await Promise.allSettled(calls);
    expect(tally(results.map(outcomeOf))).toEqual({ ok: 40, limit_exceeded: 56 });
    // The same key through both committers and directly: one entry, one id for everyone.
    const keyed: TransferCommand = {
      ...draw('group2', 'refund', '5.00'),
      postings: [
        { accountCode: 'group2:fund', direction: 'debit', amount: '5.00' },
        { accountCode: 'group2:spent', direction: 'credit', amount: '5.00' },
      ],
      idempotencyKey: 'group2:refund-1',
    };
    const same = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        i % 3 === 0
          ? first.record(keyed)
          : i % 3 === 1
            ? second.record(keyed)
            : recordCommand(db, keyed),
      ),
    );
    expect(new Set(same.map((e) => e.id)).size).toBe(1);
    expect((await accountBalance(db, 'group2:fund')).balance).toBe('5.00');
    expect(await balanceFromPostings(db, 'group2:fund')).toBe('5.00');
    await expectSoundLedger(db);
  });

  it('resolves each hold exactly once when posts, voids and new holds race, without deadlock', async () => {
    const code = (name: string) => `mix:${name}`;
    for (const [name, normalSide, bounds] of [
      ['cap', 'credit', {}],
      ['available', 'debit', { lowerBound: '0' }],
      ['reserved', 'debit', { lowerBound: '0' }],
      ['consumed', 'debit', { lowerBound: '0', upperBound: '600.00' }],
      ['incident', 'debit', { lowerBound: '0' }],
    ] as const) {
      await openAccount(db, {
        code: code(name),
        name,
        unit: 'COVERAGE',
        normalSide,
        ...bounds,
      });
    }
    await recordCommand(db, {
      type: 'transfer',
      description: 'grant',
      postings: [
        { accountCode: code('available'), direction: 'debit', amount: '1000.00' },
        { accountCode: code('incident'), direction: 'debit', amount: '800.00' },
        { accountCode: code('cap'), direction: 'credit', amount: '1800.00' },
      ],
    });
    // An approval reserves from the pool and from the incident's limit at once.
    const approve = (i: number, amount: string): TransferCommand => ({
      type: 'transfer',
      pending: true,
      description: `approve ${i}`,
      postings: [
        { accountCode: code('consumed'), direction: 'debit', amount },
        { accountCode: code('available'), direction: 'credit', amount },
        { accountCode: code('reserved'), direction: 'debit', amount },
        { accountCode: code('incident'), direction: 'credit', amount },
      ],
    });
    const holds = await Promise.all(
      Array.from({ length: 30 }, (_, i) => recordOnce(db, approve(i, '20.00'))),
    );

    // For every hold, a post and a void race; new approvals and plain transfers run beside them.
    const work: Promise<string>[] = [];
    const settle = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (error: unknown) =>
          error instanceof DomainError ? error.code : `unexpected ${String(error)}`,
      );
    holds.forEach((hold, i) => {
      const post: LedgerCommand =
        i % 2 === 0
          ? { type: 'post_pending', pendingEntryId: hold.id, description: `settle ${i}` }
          : {
              type: 'post_pending',
              pendingEntryId: hold.id,
              description: `settle part of ${i}`,
              postings: [
                { accountCode: code('consumed'), direction: 'debit', amount: '12.34' },
                { accountCode: code('available'), direction: 'credit', amount: '12.34' },
                { accountCode: code('reserved'), direction: 'debit', amount: '12.34' },
                { accountCode: code('incident'), direction: 'credit', amount: '12.34' },
              ],
            };
      const voidIt: LedgerCommand = {
        type: 'void_pending',
        pendingEntryId: hold.id,
        description: `void ${i}`,
      };
      const pair = i % 4 < 2 ? [post, voidIt] : [voidIt, post];
      for (const command of pair) work.push(settle(recordOnce(db, command)));
      work.push(settle(recordOnce(db, approve(100 + i, '30.00'))));
      work.push(
        settle(
          recordOnce(db, {
            type: 'transfer',
            description: `shuffle ${i}`,
            postings: [
              {
                accountCode: code(i % 2 ? 'available' : 'incident'),
                direction: 'debit',
                amount: '1.00',
              },
              {
                accountCode: code(i % 2 ? 'incident' : 'available'),
                direction: 'credit',
                amount: '1.00',
              },
            ],
          }),
        ),
      );
    });
    const outcomes = await Promise.all(work);
    const unexpected = outcomes.filter((o) => o.startsWith('unexpected'));
    expect(unexpected).toEqual([]);
    expect(outcomes.every((o) => ['ok', 'already_resolved', 'limit_exceeded'].includes(o))).toBe(
      true,
    );

    // Exactly one resolution per hold, and the other attempt was told it was too late.
    const resolutions = await db
      .selectFrom('journal_entry')
      .select(['pending_entry_id', sql<number>`count(*)::int`.as('n')])
      .where(
        'pending_entry_id',
        'in',
        holds.map((h) => h.id),
      )
      .groupBy('pending_entry_id')
      .execute();
    expect(resolutions).toHaveLength(30);
    expect(resolutions.every((r) => r.n === 1)).toBe(true);
    expect(outcomes.filter((o) => o === 'already_resolved')).toHaveLength(30);
    await expectSoundLedger(db);
  });
});
