/**
 * Balance snapshots are a shortcut, never a second truth: whatever order postings arrive in
 * (backdated into days already snapshotted, exactly on a boundary, a millisecond before it),
 * an as-of balance read through the snapshots equals the sum of every posting from the start.
 * A month close snapshots its days; money for a closed month is booked later as a late item,
 * and a reopened month's new entries reach the snapshots after it.
 */
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DB } from '../../src/db/database.ts';
import { inTransaction } from '../../src/db/transaction.ts';
import { closeMonth, reopenMonth } from '../../src/finance/period-close.ts';
import { openAccount } from '../../src/ledger/accounts.ts';
import { accountBalances } from '../../src/ledger/balances.ts';
import { recordCommand } from '../../src/ledger/record.ts';
import { takeSnapshotsThrough } from '../../src/ledger/snapshots.ts';
import { verifyLedger } from '../../src/ledger/verify.ts';
import { recordEffectiveOn } from '../../src/policy/capacity.ts';
import { addCalendarDays, startOfLocalDay } from '../../src/policy/local-date.ts';
import { freshPostgres, type TestDatabase } from '../support/database.ts';

let database: TestDatabase;
let db: DB;
const CODES = ['snap:fund', 'snap:source', 'snap:other'] as const;
const FIRST_DAY = '2026-01-01';
const DAYS = 40;

beforeAll(async () => {
  database = await freshPostgres();
  db = database.db;
  await openAccount(db, { code: CODES[0], name: 'Fund', unit: 'CNY', normalSide: 'debit' });
  await openAccount(db, { code: CODES[1], name: 'Source', unit: 'CNY', normalSide: 'credit' });
  await openAccount(db, { code: CODES[2], name: 'Other', unit: 'CNY', normalSide: 'debit' });
});
afterAll(() => database.close());

/** The plain truth: every posting effective at or before the moment, summed from the start. */
async function summedFromStart(asOf: Date): Promise<Map<string, string[]>> {
  const { rows } = await sql<{ code: string; pd: string; pc: string; nd: string; nc: string }>`
    SELECT a.code,
      coalesce(sum(p.amount) FILTER (WHERE p.phase = 'posted' AND p.direction = 'debit'), 0)::numeric(20,2)::text AS pd,
      coalesce(sum(p.amount) FILTER (WHERE p.phase = 'posted' AND p.direction = 'credit'), 0)::numeric(20,2)::text AS pc,
      coalesce(sum(CASE p.phase WHEN 'pending' THEN p.amount WHEN 'release' THEN -p.amount END)
        FILTER (WHERE p.direction = 'debit'), 0)::numeric(20,2)::text AS nd,
      coalesce(sum(CASE p.phase WHEN 'pending' THEN p.amount WHEN 'release' THEN -p.amount END)
        FILTER (WHERE p.direction = 'credit'), 0)::numeric(20,2)::text AS nc
    FROM ledger_account a LEFT JOIN posting p ON p.account_id = a.id AND p.effective_at <= ${asOf.toISOString()}::timestamptz
    WHERE a.code LIKE 'snap:%' GROUP BY a.code
  `.execute(db);
  return new Map(rows.map((r) => [r.code, [r.pd, r.pc, r.nd, r.nc]]));
}

async function expectSnapshotsExact(moments: readonly Date[]): Promise<void> {
  for (const asOf of moments) {
    const truth = await summedFromStart(asOf);
    const read = await accountBalances(db, CODES, asOf);
    for (const code of CODES) {
      const b = read.get(code);
      expect(
        [b?.postedDebits, b?.postedCredits, b?.pendingDebits, b?.pendingCredits],
        `${code} as of ${asOf.toISOString()}`,
      ).toEqual(truth.get(code));
    }
  }
}

/** Every boundary, a millisecond either side, and midday, over the days the test uses. */
function momentsToCheck(): Date[] {
  const moments: Date[] = [];
  for (let day = 0; day <= DAYS + 1; day++) {
    const start = startOfLocalDay(addCalendarDays(FIRST_DAY, day)).getTime();
    moments.push(
      new Date(start - 1),
      new Date(start),
      new Date(start + 1),
      new Date(start + 12 * 3_600_000),
    );
  }
  return moments;
}

const step = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('post' as const),
      day: fc.integer({ min: 0, max: DAYS }),
      at: fc.constantFrom('midnight', 'just before midnight', 'midday'),
      fen: fc.integer({ min: 1, max: 10_000_000 }),
      to: fc.constantFrom(CODES[0], CODES[2]),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('snapshot' as const),
      day: fc.integer({ min: 0, max: DAYS + 1 }),
    }),
  },
);

describe('balance snapshots', () => {
  it('equal the sums from the start, whatever the order of postings and snapshots', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 3, maxLength: 14 }), async (steps) => {
        for (const s of steps) {
          const dayStart = startOfLocalDay(addCalendarDays(FIRST_DAY, s.day));
          if (s.kind === 'snapshot') {
            await takeSnapshotsThrough(db, dayStart);
            continue;
          }
          const offset =
            s.at === 'midnight' ? 0 : s.at === 'midday' ? 12 * 3_600_000 : 86_400_000 - 1;
          const amount = (s.fen / 100).toFixed(2);
          await recordCommand(db, {
            type: 'transfer',
            description: `move ${amount}`,
            effectiveAt: new Date(dayStart.getTime() + offset),
            postings: [
              { accountCode: s.to, direction: 'debit', amount },
              { accountCode: CODES[1], direction: 'credit', amount },
            ],
          });
        }
        await expectSnapshotsExact(momentsToCheck());
      }),
      { numRuns: 12 },
    );
    const runs = await db.selectFrom('ledger_snapshot_run').select('boundary').execute();
    expect(runs.length).toBeGreaterThan(0);
  }, 300_000);

  it('a month close snapshots its days; late money is a late item, a reopened month reaches them', async () => {
    const admin = await db
      .insertInto('app_user')
      .values({ name: 'snapshot-admin', role: 'admin' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const move = (amount: string, effectiveAt: Date) =>
      recordCommand(db, {
        type: 'transfer',
        description: `march ${amount}`,
        effectiveAt,
        postings: [
          { accountCode: CODES[0], direction: 'debit', amount },
          { accountCode: CODES[1], direction: 'credit', amount },
        ],
      });
    await move('10.00', startOfLocalDay('2026-03-10'));
    await move('20.00', startOfLocalDay('2026-04-01'));
    await inTransaction(db, (trx) => closeMonth(trx, '2026-03', admin.id, { reason: 'test' }));
    const boundary = await db
      .selectFrom('ledger_snapshot_run')
      .select((eb) => eb.fn.max('boundary').as('latest'))
      .executeTakeFirstOrThrow();
    expect(boundary.latest?.toISOString()).toBe(startOfLocalDay('2026-04-01').toISOString());

    const late = await inTransaction(db, (trx) =>
      recordEffectiveOn(
        trx,
        {
          description: 'contribution received in March',
          references: { poolId: '00000000-0000-4000-8000-000000000001' },
          postings: [
            { accountCode: CODES[0], direction: 'debit', amount: '5.00' },
            { accountCode: CODES[1], direction: 'credit', amount: '5.00' },
          ],
        },
        '2026-03-20',
        { lateIfClosed: true, now: new Date() },
      ),
    );
    expect(late.bookedAsLateItem).toBe(true);

    await inTransaction(db, (trx) => reopenMonth(trx, '2026-03', admin.id, 'a missed transfer'));
    await move('7.00', startOfLocalDay('2026-03-31'));
    const moments = ['2026-03-09', '2026-03-20', '2026-03-31', '2026-04-01', '2026-04-02'].flatMap(
      (day) => {
        const start = startOfLocalDay(day).getTime();
        return [new Date(start - 1), new Date(start), new Date(start + 1)];
      },
    );
    await expectSnapshotsExact([...moments, new Date()]);
  }, 120_000);

  it('are proven by ledger:verify: a snapshot that no longer sums its postings is named', async () => {
    await takeSnapshotsThrough(db, new Date());
    expect(await verifyLedger(db)).toMatchObject({ ok: true, problems: [] });
    const row = await db
      .selectFrom('ledger_balance_snapshot')
      .innerJoin('ledger_account', 'ledger_account.id', 'ledger_balance_snapshot.account_id')
      .select(['account_id', 'boundary', 'code'])
      .where('code', '=', CODES[0])
      .orderBy('boundary')
      .executeTakeFirstOrThrow();
    const raise = (fen: string) => sql`
      UPDATE ledger_balance_snapshot SET posted_debits = posted_debits + ${fen}::numeric
      WHERE account_id = ${row.account_id} AND boundary = ${row.boundary.toISOString()}::timestamptz
    `;
    await raise('0.01').execute(db);
    try {
      const report = await verifyLedger(db);
      expect(report.ok).toBe(false);
      expect(report.problems).toEqual([
        `account ${CODES[0]}: its balance snapshot at ${row.boundary.toISOString()} differs from the sum of its postings before then (as-of figures read through it would be untrue)`,
      ]);
    } finally {
      await raise('-0.01').execute(db);
    }
    expect((await verifyLedger(db)).ok).toBe(true);
  });
});
