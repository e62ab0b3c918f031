/**
 * Settlement matching through the API, on PostgreSQL: finance imports a Chinese
 * debit/credit export, reads the report, matches and explains by hand; the same file again
 * answers 200 and changes nothing; a bad file is a 422 naming each row and writes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pool } from '../../src/policy/pools.ts';
import type { Staff } from '../claims/support.ts';
import {
  call,
  createTestApp,
  expectProblem,
  readJson,
  type TestApp,
  tableCounts,
} from '../http/support.ts';
import { contribution, csv, financeCounts, fundedPool, remittance, today } from './support.ts';

let t: TestApp;
let staff: Staff;
let pool: Pool;

beforeAll(async () => {
  t = await createTestApp();
  staff = {
    intake: t.intake.id,
    handler: t.users.insurer.id,
    checker: t.users.insurer.id,
    finance: t.users.finance.id,
    office: t.users.reform_office.id,
  };
  pool = await fundedPool(t.database.db, 'api-recon', staff);
});
afterAll(() => t.close());

const asFinance = (method: string, path: string, json?: unknown, idempotencyKey?: string) =>
  call(t.app, method, path, {
    token: t.users.finance.token,
    ...(json === undefined ? {} : { json }),
    ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
  });

interface ReportBody {
  alreadyImported?: boolean;
  statement: { id: string; lineCount: number; layout: string; importedBy: string };
  summary: Record<string, number | boolean>;
  matched: {
    line: { rowNumber: number };
    item: { kind: string; id: string };
    confirmedBy: { userId: string; name: string };
  }[];
  amountMismatches: {
    line: { id: string; rowNumber: number };
    item: { id: string };
    difference: string;
  }[];
  unmatchedStatementLines: {
    id: string;
    rowNumber: number;
    amount: string;
    counterparty: string;
  }[];
  unmatchedLedgerItems: { kind: string; id: string; amount: string }[];
}

describe('POST /finance/pools/{pool}/statements', () => {
  let file: string;
  let report: ReportBody;
  let ids: { matched: string; mismatched: string; missing: string };

  beforeAll(async () => {
    const matched = await contribution(t.database.db, pool, staff, '30000.00', 'API-C1');
    const mismatched = await remittance(t.database.db, pool, staff, '80000.00', 'API-R1');
    const missing = await contribution(t.database.db, pool, staff, '500.00', 'API-C2');
    ids = { matched: matched.id, mismatched: mismatched.id, missing: missing.id };
    const day = today().replaceAll('-', '');
    file = `\uFEFF${csv([
      ['账号', '="6222020200001234567"'],
      ['记账日期', '借方发生额', '贷方发生额', '余额', '对方户名', '附言'],
      [day, '', '30,000.00', '130,000.00', '县财政局', 'API-C1'],
      [day, '', '79,990.00', '209,990.00', '样本人寿', 'API-R1'],
      [day, '12.00', '', '209,978.00', '', '手续费'],
      ['合计', '12.00', '109,990.00', '', '', ''],
    ])}`;
    const response = await asFinance('POST', `/finance/pools/${pool.code}/statements`, {
      source: 'bank',
      filename: '中国银行对账单-本月.csv',
      csv: file,
    });
    expect(response.status, await response.clone().text()).toBe(201);
    report = (await response.json()) as ReportBody;
  });

  it('imports, matches and answers with the report', () => {
    expect(report.alreadyImported).toBe(false);
    expect(report.statement).toMatchObject({
      lineCount: 3,
      layout: 'debit_credit',
      importedBy: t.users.finance.id,
    });
    expect(report.summary).toMatchObject({
      lines: 3,
      matched: 1,
      amountMismatches: 1,
      unmatchedStatementLines: 1,
      unmatchedLedgerItems: 1,
      reconciled: false,
    });
    expect(report.matched).toMatchObject([
      {
        line: { rowNumber: 3 },
        item: { kind: 'contribution', id: ids.matched },
        confirmedBy: { userId: t.users.finance.id, name: t.users.finance.name },
      },
    ]);
    expect(report.amountMismatches).toMatchObject([
      { line: { rowNumber: 4 }, item: { id: ids.mismatched }, difference: '-10.00' },
    ]);
    expect(report.unmatchedStatementLines).toMatchObject([
      { rowNumber: 5, amount: '-12.00', counterparty: '' },
    ]);
    expect(report.unmatchedLedgerItems).toEqual([
      expect.objectContaining({ kind: 'contribution', id: ids.missing, amount: '500.00' }),
    ]);
  });

  it('answers the same file again with 200 and the first import, changing nothing', async () => {
    const before = await financeCounts(t.database.db);
    const response = await asFinance('POST', `/finance/pools/${pool.code}/statements`, {
      source: 'insurer',
      filename: 'copy.csv',
      csv: file.replace(/^\uFEFF/, '').replaceAll('\n', '\r\n'),
      tolerance: '100.00',
    });
    expect(response.status).toBe(200);
    const again = (await response.json()) as ReportBody;
    expect(again.alreadyImported).toBe(true);
    expect(again.statement.id).toBe(report.statement.id);
    expect(again.summary).toEqual(report.summary);
    expect(await financeCounts(t.database.db)).toEqual(before);
  });

  it('refuses a bad file with 422 naming each row, and writes nothing', async () => {
    const before = await tableCounts(t.database);
    const bad = csv([
      ['交易日期', '交易金额', '摘要'],
      [today(), '1,000.00', 'OK'],
      [today(), '1,00.00', 'BAD'],
      ['2026-02-30', '5.00', 'BAD-DATE'],
    ]);
    const response = await asFinance('POST', `/finance/pools/${pool.code}/statements`, {
      source: 'bank',
      filename: 'bad.csv',
      csv: bad,
    });
    const problem = await expectProblem(response, 422, 'validation_failed');
    expect(problem.rows).toEqual([
      { row: 3, reason: expect.stringMatching(/"1,00.00" is not a decimal amount/) },
      { row: 4, reason: expect.stringMatching(/not a calendar date/) },
    ]);
    expect(problem.errors?.map((e) => e.field)).toEqual(['json.csv.row.3', 'json.csv.row.4']);
    expect(problem.rowErrorCount).toBe(2);
    expect(await tableCounts(t.database)).toEqual(before);
  });

  it('matches and explains by hand, recording who, and lists the statement', async () => {
    const mismatch = report.amountMismatches[0];
    const fee = report.unmatchedStatementLines[0];
    if (!mismatch || !fee) throw new Error('report lines expected');
    const matched = await asFinance('POST', `/finance/statement-lines/${mismatch.line.id}/match`, {
      kind: 'remittance',
      targetId: ids.mismatched,
      note: '汇费 10.00 由银行扣除',
    });
    expect(matched.status).toBe(201);
    expect(await readJson(matched)).toMatchObject({
      matchedBy: 'hand',
      difference: '-10.00',
      confirmedBy: t.users.finance.id,
    });
    const again = await asFinance('POST', `/finance/statement-lines/${mismatch.line.id}/match`, {
      kind: 'remittance',
      targetId: ids.mismatched,
      note: 'again',
    });
    await expectProblem(again, 409, 'conflict');

    const explainedLine = await asFinance('POST', `/finance/statement-lines/${fee.id}/explain`, {
      note: '银行手续费',
    });
    expect(explainedLine.status).toBe(201);
    const explainedItem = await asFinance(
      'POST',
      `/finance/pools/${pool.code}/ledger-items/contribution/${ids.missing}/explain`,
      { note: 'arrives next month' },
    );
    expect(explainedItem.status).toBe(201);
    expect(await readJson(explainedItem)).toMatchObject({
      kind: 'contribution',
      targetId: ids.missing,
      explainedBy: t.users.finance.id,
    });

    const read = await call(t.app, 'GET', `/finance/statements/${report.statement.id}/report`, {
      token: t.users.admin.token,
    });
    expect(read.status).toBe(200);
    const final = (await read.json()) as ReportBody;
    expect(final.summary).toMatchObject({
      matched: 2,
      amountMismatches: 0,
      unmatchedStatementLines: 0,
      unmatchedLedgerItems: 0,
      explainedStatementLines: 1,
      explainedLedgerItems: 1,
      reconciled: true,
    });

    const list = await call(t.app, 'GET', `/finance/pools/${pool.code}/statements`, {
      token: t.users.finance.token,
    });
    expect(await readJson(list)).toMatchObject({
      statements: [{ id: report.statement.id, filename: '中国银行对账单-本月.csv' }],
    });
  });

  it('keeps a replay of the same request under the same key to the first answer', async () => {
    const key = `statement-${crypto.randomUUID()}`;
    const body = {
      source: 'bank',
      filename: 'small.csv',
      csv: csv([
        ['Date', 'Amount', 'Reference'],
        [today(), '1.00', 'REPLAY-1'],
      ]),
    };
    const first = await asFinance('POST', `/finance/pools/${pool.code}/statements`, body, key);
    expect(first.status).toBe(201);
    const replay = await asFinance('POST', `/finance/pools/${pool.code}/statements`, body, key);
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
  });

  it('answers an unknown statement, line or pool with 404', async () => {
    await expectProblem(
      await asFinance('GET', `/finance/statements/${crypto.randomUUID()}/report`),
      404,
      'not_found',
    );
    await expectProblem(
      await asFinance('POST', `/finance/statement-lines/${crypto.randomUUID()}/explain`, {
        note: 'x',
      }),
      404,
      'not_found',
    );
    await expectProblem(
      await asFinance('POST', '/finance/pools/nowhere/statements', {
        source: 'bank',
        filename: 'x.csv',
        csv: 'Date,Amount,Reference\n2026-03-01,1.00,A',
      }),
      404,
      'not_found',
    );
  });
});
