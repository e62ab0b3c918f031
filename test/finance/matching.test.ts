/**
 * Settlement matching on PostgreSQL: a statement with matching, missing, extra and
 * mismatched lines gives exactly the expected report; re-importing the same file changes
 * nothing; a bad file writes nothing; hand matches and explanations record who; the
 * database refuses to alter what was confirmed.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../src/access/tokens.ts';
import { inTransaction } from '../../src/db/transaction.ts';
import { DomainError } from '../../src/domain-error.ts';
import { StatementFileError } from '../../src/finance/errors.ts';
import { explainLedgerItem, explainLine, matchByHand } from '../../src/finance/hand-matching.ts';
import type { LedgerItem } from '../../src/finance/ledger-items.ts';
import { countOpenStatementLines } from '../../src/finance/matching.ts';
import { autoMatch, pairMismatches } from '../../src/finance/matching-rules.ts';
import { type StatementReport, statementReport } from '../../src/finance/statement-report.ts';
import { importStatement, type NewStatement } from '../../src/finance/statements.ts';
import { Money } from '../../src/ledger/money.ts';
import { startOfLocalDay } from '../../src/policy/local-date.ts';
import type { Pool } from '../../src/policy/pools.ts';
import { createStaff, type Staff } from '../claims/support.ts';
import { freshPostgres, type TestDatabase } from '../support/database.ts';
import {
  contribution,
  csv,
  financeCounts,
  fundedPool,
  type PaidPayout,
  paidPayouts,
  refund,
  remittance,
  today,
  withSeparators,
} from './support.ts';

let database: TestDatabase;
let staff: Staff;

beforeAll(async () => {
  database = await freshPostgres(6);
  staff = await createStaff(database.db, 'statements');
});
afterAll(() => database.close());

const bankFile = (text: string, overrides: Partial<NewStatement> = {}): NewStatement => ({
  source: 'bank',
  filename: 'boc-statement.csv',
  text,
  tolerance: new Money('0.00'),
  ...overrides,
});

function importAs(poolCode: string, statement: NewStatement, userId = staff.finance) {
  return inTransaction(database.db, (trx) => importStatement(trx, poolCode, statement, userId));
}

/** The report in a form a test can state exactly. */
function compact(report: StatementReport) {
  return {
    summary: report.summary,
    matched: report.matched.map((m) => ({
      row: m.line.rowNumber,
      item: `${m.item.kind}:${m.item.id}`,
      difference: m.difference,
      matchedBy: m.matchedBy,
    })),
    amountMismatches: report.amountMismatches.map((m) => ({
      row: m.line.rowNumber,
      item: `${m.item.kind}:${m.item.id}`,
      statement: m.line.amount,
      ledger: m.item.amount,
      difference: m.difference,
    })),
    unmatchedStatementLines: report.unmatchedStatementLines.map((l) => ({
      row: l.rowNumber,
      amount: l.amount,
      reference: l.reference,
      hint: l.hint === null ? null : 'hint',
    })),
    unmatchedLedgerItems: report.unmatchedLedgerItems.map((i) => ({
      item: `${i.kind}:${i.id}`,
      amount: i.amount,
    })),
  };
}

describe('a statement with matching, missing, extra and mismatched lines', () => {
  let pool: Pool;
  let payouts: PaidPayout[];
  let ids: Record<string, string>;
  let text: string;
  let statementId: string;

  beforeAll(async () => {
    pool = await fundedPool(database.db, 'recon', staff);
    const c1 = await contribution(database.db, pool, staff, '30000.00', 'BOC-C1');
    const c2 = await contribution(database.db, pool, staff, '12345.67', 'BOC-C2');
    const r1 = await remittance(database.db, pool, staff, '250000.00', 'INS-R1');
    const r2 = await remittance(database.db, pool, staff, '5000.00', 'INS-R2');
    const f1 = await refund(database.db, c1.id, staff, '1000.00', 'BOC-F1');
    payouts = await paidPayouts(database.db, pool, staff, [
      { category: 'property_loss', amount: '20000.00', payee: 'Farm A' },
      { category: 'appraisal', amount: '12345.67', payee: 'Appraiser C' },
      { category: 'lawyer_fees', amount: '5000.00', payee: 'Law firm B' },
    ]);
    const [p1, p3, p2] = payouts;
    if (!p1 || !p2 || !p3) throw new Error('three payouts expected');
    ids = {
      c1: c1.id,
      c2: c2.id,
      r1: r1.id,
      r2: r2.id,
      f1: f1.id,
      p1: p1.id,
      p2: p2.id,
      p3: p3.id,
    };
    const day = today();
    text = `\uFEFF${csv(
      [
        ['交易日期', '交易金额', '对方户名', '摘要'],
        [day, withSeparators('30000.00'), '县财政局', 'BOC-C1'], // 2 matched: contribution
        [day, withSeparators('250000.00'), 'Sample Life', 'INS-R1'], // 3 matched: remittance
        [day, withSeparators('4990.00'), 'Sample Life', 'INS-R2'], // 4 mismatch: 10.00 fee taken
        [day, '-20,000.00', 'Farm A', p1.gatewayReference], // 5 matched: payout by bank ref
        [day, '-5,000.00', 'Law firm B', p2.id.toUpperCase()], // 6 matched: payout by its id
        [day, '-1,000.00', '县财政局', 'BOC-F1'], // 7 matched: refund
        [day, '-15.00', '', 'FEE-MARCH'], // 8 extra: bank charges
        [day, withSeparators('30000.00'), '县财政局', 'BOC-C1'], // 9 extra: printed twice
      ],
      '\r\n',
    )}\r\n`;
    // Missing from the statement: contribution C2 and payout P3 (12,345.67 each).
    const outcome = await importAs(pool.code, bankFile(text));
    expect(outcome.alreadyImported).toBe(false);
    statementId = outcome.statement.id;
  });

  it('gives exactly the expected report', async () => {
    const report = await statementReport(database.db, statementId);
    expect(report.statement).toMatchObject({
      poolId: pool.id,
      source: 'bank',
      layout: 'signed_amount',
      lineCount: 8,
      totalIn: '314990.00',
      totalOut: '26015.00',
      tolerance: '0.00',
      periodFrom: today(),
      periodTo: today(),
      importedBy: staff.finance,
    });
    expect(compact(report)).toEqual({
      summary: {
        lines: 8,
        matched: 5,
        amountMismatches: 1,
        unmatchedStatementLines: 2,
        unmatchedLedgerItems: 2,
        explainedStatementLines: 0,
        explainedLedgerItems: 0,
        reconciled: false,
      },
      matched: [
        { row: 2, item: `contribution:${ids.c1}`, difference: '0.00', matchedBy: 'auto' },
        { row: 3, item: `remittance:${ids.r1}`, difference: '0.00', matchedBy: 'auto' },
        { row: 5, item: `payout:${ids.p1}`, difference: '0.00', matchedBy: 'auto' },
        { row: 6, item: `payout:${ids.p2}`, difference: '0.00', matchedBy: 'auto' },
        { row: 7, item: `refund:${ids.f1}`, difference: '0.00', matchedBy: 'auto' },
      ],
      amountMismatches: [
        {
          row: 4,
          item: `remittance:${ids.r2}`,
          statement: '4990.00',
          ledger: '5000.00',
          difference: '-10.00',
        },
      ],
      unmatchedStatementLines: [
        { row: 8, amount: '-15.00', reference: 'FEE-MARCH', hint: null },
        { row: 9, amount: '30000.00', reference: 'BOC-C1', hint: 'hint' },
      ],
      // Same date: payouts before contributions; the fundedPool's January contribution is
      // outside the statement's period and not listed.
      unmatchedLedgerItems: [
        { item: `payout:${ids.p3}`, amount: '-12345.67' },
        { item: `contribution:${ids.c2}`, amount: '12345.67' },
      ],
    });
    expect(report.unmatchedStatementLines[1]?.hint).toMatch(
      /already matched to row 2 of boc-statement\.csv/,
    );
    // Automatic matches are confirmed by the user who imported the statement.
    for (const match of report.matched) {
      expect(match.confirmedBy).toMatchObject({
        userId: staff.finance,
        name: 'finance statements',
      });
    }
  });

  it('recognises the same file again and changes nothing', async () => {
    const before = await financeCounts(database.db);
    // The same file as another tool saves it: no BOM, LF line ends, no final newline.
    const resaved = text
      .replace(/^\uFEFF/, '')
      .replaceAll('\r\n', '\n')
      .trimEnd();
    const again = await importAs(
      pool.code,
      bankFile(resaved, { filename: 'again.csv' }),
      staff.handler,
    );
    expect(again.alreadyImported).toBe(true);
    expect(again.statement.id).toBe(statementId);
    expect(again.statement.filename).toBe('boc-statement.csv');
    expect(again.statement.importedBy).toBe(staff.finance);
    expect(await financeCounts(database.db)).toEqual(before);
  });

  it('records hand matches and explanations with who confirmed them, and the report follows', async () => {
    const checker = await createUser(database.db, 'Finance checker Zhao', 'finance', null);
    const report = await statementReport(database.db, statementId);
    const mismatch = report.amountMismatches[0];
    const fee = report.unmatchedStatementLines[0];
    const duplicate = report.unmatchedStatementLines[1];
    if (!mismatch || !fee || !duplicate) throw new Error('report lines expected');

    const match = await inTransaction(database.db, (trx) =>
      matchByHand(
        trx,
        mismatch.line.id,
        { kind: 'remittance', targetId: ids.r2 ?? '', note: ' insurer bank took a 10.00 fee ' },
        checker.id,
      ),
    );
    expect(match).toMatchObject({
      statementId,
      rowNumber: 4,
      kind: 'remittance',
      targetId: ids.r2,
      statementAmount: '4990.00',
      ledgerAmount: '5000.00',
      difference: '-10.00',
      matchedBy: 'hand',
      note: 'insurer bank took a 10.00 fee',
      confirmedBy: checker.id,
    });
    await inTransaction(database.db, (trx) =>
      explainLine(trx, fee.id, 'bank charges for the month', checker.id),
    );
    await inTransaction(database.db, (trx) =>
      explainLine(
        trx,
        duplicate.id,
        'the bank printed row 2 twice; confirmed by phone',
        checker.id,
      ),
    );
    await inTransaction(database.db, (trx) =>
      explainLedgerItem(
        trx,
        pool.code,
        'contribution',
        ids.c2 ?? '',
        'arrived on the April statement',
        checker.id,
      ),
    );

    const after = await statementReport(database.db, statementId);
    expect(after.summary).toEqual({
      lines: 8,
      matched: 6,
      amountMismatches: 0,
      unmatchedStatementLines: 0,
      unmatchedLedgerItems: 1,
      explainedStatementLines: 2,
      explainedLedgerItems: 1,
      reconciled: false,
    });
    expect(after.matched.find((m) => m.line.rowNumber === 4)).toMatchObject({
      matchedBy: 'hand',
      difference: '-10.00',
      note: 'insurer bank took a 10.00 fee',
      confirmedBy: { userId: checker.id, name: 'Finance checker Zhao' },
    });
    expect(
      after.explainedStatementLines.map((e) => [e.subject.rowNumber, e.explainedBy.userId]),
    ).toEqual([
      [8, checker.id],
      [9, checker.id],
    ]);
    expect(after.explainedLedgerItems).toMatchObject([
      { subject: { kind: 'contribution', id: ids.c2 }, note: 'arrived on the April statement' },
    ]);
    expect(after.unmatchedLedgerItems.map((i) => i.id)).toEqual([ids.p3]);

    await inTransaction(database.db, (trx) =>
      explainLedgerItem(
        trx,
        pool.code,
        'payout',
        ids.p3 ?? '',
        'paid from the old account',
        checker.id,
      ),
    );
    expect((await statementReport(database.db, statementId)).summary.reconciled).toBe(true);
  });

  it('refuses to match or explain twice, across directions or pools', async () => {
    const report = await statementReport(database.db, statementId);
    const matchedLine = report.matched[0]?.line.id ?? '';
    const expectPolicy = async (work: Promise<unknown>, code: string, message: RegExp) => {
      const error = await work.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DomainError);
      expect((error as DomainError).code).toBe(code);
      expect((error as DomainError).message).toMatch(message);
    };
    const run = <T>(work: Parameters<typeof inTransaction<T>>[1]) =>
      inTransaction(database.db, work);
    await expectPolicy(
      run((trx) =>
        matchByHand(
          trx,
          matchedLine,
          { kind: 'payout', targetId: ids.p3 ?? '', note: 'x' },
          staff.finance,
        ),
      ),
      'conflict',
      /row 2 of boc-statement.csv is already matched to contribution/,
    );
    await expectPolicy(
      run((trx) => explainLine(trx, matchedLine, 'x', staff.finance)),
      'conflict',
      /already matched/,
    );
    await expectPolicy(
      run((trx) => explainLedgerItem(trx, pool.code, 'payout', ids.p1 ?? '', 'x', staff.finance)),
      'conflict',
      /already matched to row 5/,
    );
    await expectPolicy(
      run((trx) =>
        explainLedgerItem(trx, pool.code, 'contribution', ids.c2 ?? '', 'again', staff.finance),
      ),
      'conflict',
      /already explained/,
    );
    await expectPolicy(
      run((trx) =>
        explainLedgerItem(trx, pool.code, 'payout', crypto.randomUUID(), 'x', staff.finance),
      ),
      'not_found',
      /payout .* of this pool does not exist/,
    );
    await expectPolicy(
      run((trx) =>
        matchByHand(
          trx,
          crypto.randomUUID(),
          { kind: 'payout', targetId: ids.p3 ?? '', note: 'x' },
          staff.finance,
        ),
      ),
      'not_found',
      /statement line .* does not exist/,
    );
    // An item of another pool is not found from this pool's statement.
    const other = await fundedPool(database.db, 'recon-other', staff);
    const foreign = await contribution(database.db, other, staff, '10.00', 'OTHER-1');
    const fresh = await importAs(
      pool.code,
      bankFile(
        csv([
          ['Date', 'Amount', 'Reference'],
          [today(), '-10.00', 'NOTHING'],
          [today(), '10.00', 'NOTHING-2'],
        ]),
      ),
    );
    const freshReport = await statementReport(database.db, fresh.statement.id);
    const [outLine, inLine] = freshReport.unmatchedStatementLines;
    await expectPolicy(
      run((trx) =>
        matchByHand(
          trx,
          inLine?.id ?? '',
          { kind: 'contribution', targetId: foreign.id, note: 'x' },
          staff.finance,
        ),
      ),
      'not_found',
      /contribution .* of this pool does not exist/,
    );
    // Money out is never matched to money in.
    const open = await contribution(database.db, pool, staff, '10.00', 'BOC-OPEN');
    await expectPolicy(
      run((trx) =>
        matchByHand(
          trx,
          outLine?.id ?? '',
          { kind: 'contribution', targetId: open.id, note: 'x' },
          staff.finance,
        ),
      ),
      'validation_failed',
      /money out but contribution .* is money in/,
    );
  });

  it('has the database refuse to alter or delete what was confirmed', async () => {
    for (const statement of [
      sql`UPDATE statement_match SET note = 'changed'`,
      sql`UPDATE statement_match SET confirmed_by = ${staff.handler}`,
      sql`DELETE FROM statement_match`,
      sql`UPDATE statement_explanation SET note = 'changed'`,
      sql`DELETE FROM statement_explanation`,
      sql`UPDATE statement_line SET amount = 1`,
      sql`UPDATE bank_statement SET tolerance = 1000`,
      sql`DELETE FROM bank_statement`,
    ]) {
      await expect(statement.execute(database.db)).rejects.toThrow(/append-only/);
    }
    // And matching one item twice is refused by the unique key, whatever the code does.
    const line = await database.db
      .selectFrom('statement_line')
      .select('id')
      .where('statement_id', '=', statementId)
      .where('row_number', '=', 9)
      .executeTakeFirstOrThrow();
    await expect(
      database.db
        .insertInto('statement_match')
        .values({
          statement_line_id: line.id,
          target_kind: 'contribution',
          payout_id: null,
          contribution_id: ids.c1 ?? '',
          remittance_id: null,
          refund_id: null,
          ledger_amount: '30000.00',
          difference: '0.00',
          matched_by: 'hand',
          note: 'twice',
          confirmed_by: staff.finance,
        })
        .execute(),
    ).rejects.toThrow(/duplicate key/);
  });
});

describe('importing', () => {
  it('writes nothing for a file with bad rows, and names every one', async () => {
    const pool = await fundedPool(database.db, 'recon-bad', staff);
    await contribution(database.db, pool, staff, '30000.00', 'BAD-C1');
    const before = await financeCounts(database.db);
    const file = csv([
      ['Date', 'Debit', 'Credit', 'Reference'],
      [today(), '', '30,000.00', 'BAD-C1'],
      ['yesterday', '', '1.00', 'X'],
      [today(), '1.00', '1.00', 'Y'],
    ]);
    const error = await importAs(pool.code, bankFile(file)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StatementFileError);
    expect((error as StatementFileError).rows).toEqual([
      { row: 3, reason: expect.stringMatching(/value date "yesterday"/) },
      { row: 4, reason: 'both the debit and the credit column hold an amount' },
    ]);
    expect(await financeCounts(database.db)).toEqual(before);
  });

  it('refuses lines outside a stated period, and an unknown pool', async () => {
    const pool = await fundedPool(database.db, 'recon-period', staff);
    const file = csv([
      ['Date', 'Amount', 'Reference'],
      ['2026-03-31', '1.00', 'A'],
      ['2026-04-01', '2.00', 'B'],
    ]);
    const error = await importAs(
      pool.code,
      bankFile(file, { periodFrom: '2026-03-01', periodTo: '2026-03-31' }),
    ).catch((e: unknown) => e);
    expect((error as StatementFileError).rows).toEqual([
      {
        row: 3,
        reason: "value date 2026-04-01 is outside the statement's period 2026-03-01 to 2026-03-31",
      },
    ]);
    const unknown = await importAs('no-such-pool', bankFile(file)).catch((e: unknown) => e);
    expect((unknown as DomainError).code).toBe('not_found');
  });

  it('matches within a configured tolerance, and only then', async () => {
    const pool = await fundedPool(database.db, 'recon-tolerance', staff);
    const within = await remittance(database.db, pool, staff, '1000.00', 'TOL-1');
    const beyond = await remittance(database.db, pool, staff, '2000.00', 'TOL-2');
    const file = csv([
      ['Date', 'Amount', 'Reference'],
      [today(), '995.00', 'TOL-1'],
      [today(), '1,994.99', 'TOL-2'],
    ]);
    const outcome = await importAs(pool.code, bankFile(file, { tolerance: new Money('5.00') }));
    const report = await statementReport(database.db, outcome.statement.id);
    expect(compact(report).matched).toEqual([
      { row: 2, item: `remittance:${within.id}`, difference: '-5.00', matchedBy: 'auto' },
    ]);
    expect(compact(report).amountMismatches).toEqual([
      {
        row: 3,
        item: `remittance:${beyond.id}`,
        statement: '1994.99',
        ledger: '2000.00',
        difference: '-5.01',
      },
    ]);
    expect(report.statement.tolerance).toBe('5.00');
  });
});

describe('month-end close', () => {
  it('counts statement lines valued before a month end that are neither matched nor explained', async () => {
    const pool = await fundedPool(database.db, 'recon-close', staff);
    const aprilFirst = startOfLocalDay('2026-04-01');
    const before = await countOpenStatementLines(database.db, aprilFirst);
    const outcome = await importAs(
      pool.code,
      bankFile(
        csv([
          ['Date', 'Amount', 'Reference'],
          ['2026-03-30', '-8.00', 'FEE-CLOSE'],
          ['2026-04-01', '-9.00', 'FEE-APRIL'],
        ]),
      ),
    );
    expect(await countOpenStatementLines(database.db, aprilFirst)).toBe(before + 1);
    const report = await statementReport(database.db, outcome.statement.id);
    const march = report.unmatchedStatementLines.find((l) => l.rowNumber === 2);
    await inTransaction(database.db, (trx) =>
      explainLine(trx, march?.id ?? '', 'bank charges', staff.finance),
    );
    expect(await countOpenStatementLines(database.db, aprilFirst)).toBe(before);
  });
});

describe('the matching rules', () => {
  const item = (
    kind: LedgerItem['kind'],
    id: string,
    amount: string,
    ...references: string[]
  ): LedgerItem => ({
    kind,
    id,
    references,
    amount: new Money(amount),
    date: '2026-03-01',
    party: 'x',
  });
  const line = (id: string, amount: string, ...references: string[]) => ({
    id,
    rowNumber: Number(id),
    amount: new Money(amount),
    references,
  });

  it('compares amounts as decimals, exactly, and never across directions', () => {
    const items = [item('contribution', 'c', '0.30', 'R'), item('payout', 'p', '-0.30', 'P')];
    const lines = [line('1', '0.30', 'R'), line('2', '0.30', 'P')];
    const pairs = autoMatch(lines, items, new Money('0.00'));
    expect(pairs.map((p) => [p.line.id, p.item.id])).toEqual([['1', 'c']]);
    expect(autoMatch([line('1', '0.31', 'R')], items, new Money('0.00'))).toEqual([]);
  });

  it('leaves an ambiguous line alone unless exactly one candidate has the very amount', () => {
    const twins = [
      item('contribution', 'c', '100.00', 'X'),
      item('remittance', 'r', '100.00', 'X'),
    ];
    expect(autoMatch([line('1', '100.00', 'X')], twins, new Money('0.00'))).toEqual([]);
    const near = [item('contribution', 'c', '100.00', 'X'), item('remittance', 'r', '99.00', 'X')];
    expect(
      autoMatch([line('1', '100.00', 'X')], near, new Money('1.00')).map((p) => p.item.id),
    ).toEqual(['c']);
  });

  it('uses each item once, first row first, and tries every reference of a line', () => {
    const items = [item('payout', 'p', '-5.00', 'BANK-9', 'aaaaaaaa-0000-4000-8000-000000000001')];
    const lines = [
      line('2', '-5.00', 'memo', 'AAAAAAAA-0000-4000-8000-000000000001'),
      line('1', '-5.00', 'BANK-9'),
    ];
    expect(autoMatch(lines, items, new Money('0.00')).map((p) => p.line.id)).toEqual(['1']);
    expect(
      pairMismatches([line('3', '-6.00', 'BANK-9')], items).map((p) => p.difference.toFixed(2)),
    ).toEqual(['-1.00']);
  });
});
