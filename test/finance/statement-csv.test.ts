/**
 * The statement parser on the layouts banks and insurers export: Chinese and English
 * headers, a signed amount, debit/credit columns, an amount with a direction column,
 * thousands separators, a BOM, quoting, preambles and totals — and bad rows reported with
 * their line numbers, the file refused as a whole.
 */
import { describe, expect, it } from 'vitest';
import { parseStatementAmount, parseValueDate } from '../../src/finance/statement-cells.ts';
import {
  normaliseStatementText,
  parseStatementCsv,
  type StatementParse,
} from '../../src/finance/statement-csv.ts';

/** The rows as plain values: amounts as two-decimal strings. */
function rowsOf(parse: StatementParse) {
  if (!parse.ok) throw new Error(`expected rows, got ${JSON.stringify(parse.errors)}`);
  return parse.rows.map((row) => ({
    row: row.rowNumber,
    date: row.valueDate,
    amount: row.amount.toFixed(2),
    reference: row.reference,
    counterparty: row.counterparty,
  }));
}

function errorsOf(parse: StatementParse) {
  if (parse.ok) throw new Error('expected the file to be refused');
  return parse.errors;
}

describe('layouts', () => {
  it('reads Chinese headers with a signed amount, quoted thousands separators and a BOM', () => {
    const csv = [
      '\uFEFF交易日期,交易金额,对方户名,摘要',
      '2026-03-01,"30,000.00",县财政局,BOC-001',
      '2026/03/05,"-1,234,567.89","Appraiser, C",SIM-1',
      '20260306,+12.5,,REM-7',
    ].join('\r\n');
    const parse = parseStatementCsv(csv);
    expect(parse.ok && parse.layout).toBe('signed_amount');
    expect(rowsOf(parse)).toEqual([
      {
        row: 2,
        date: '2026-03-01',
        amount: '30000.00',
        reference: 'BOC-001',
        counterparty: '县财政局',
      },
      {
        row: 3,
        date: '2026-03-05',
        amount: '-1234567.89',
        reference: 'SIM-1',
        counterparty: 'Appraiser, C',
      },
      { row: 4, date: '2026-03-06', amount: '12.50', reference: 'REM-7', counterparty: '' },
    ]);
  });

  it('reads debit/credit columns (借方 money out, 贷方 money in) below an account preamble', () => {
    const csv = [
      '账号:,="6222020200001234567"',
      '户名:,县改革创新风险池',
      '',
      '记账日期,借方金额（元）,贷方金额（元）,余额,对方账户名称,附言,交易流水号',
      '2026年3月1日,,"30,000.00","30,000.00",县财政局,BOC-001,2026030100001',
      '2026-3-2 10:15:00,"5,000.00",-,"25,000.00",Law firm B,,2026030200002',
      '合计,"5,000.00","30,000.00",,,,',
    ].join('\n');
    const parse = parseStatementCsv(csv);
    expect(parse.ok && parse.layout).toBe('debit_credit');
    expect(parse.ok && parse.headerRow).toBe(4);
    expect(rowsOf(parse)).toEqual([
      {
        row: 5,
        date: '2026-03-01',
        amount: '30000.00',
        reference: 'BOC-001',
        counterparty: '县财政局',
      },
      // No 附言: the serial number is the reference.
      {
        row: 6,
        date: '2026-03-02',
        amount: '-5000.00',
        reference: '2026030200002',
        counterparty: 'Law firm B',
      },
    ]);
    if (!parse.ok) return;
    expect(parse.rows[0]?.otherReferences).toEqual(['2026030100001']);
  });

  it('reads 支出/收入 and English Debit/Credit headers', () => {
    const chinese = parseStatementCsv(
      '日期,支出,收入,备注\n2026-03-01,100.00,,FEE-1\n2026-03-02,,200.00,IN-1',
    );
    expect(rowsOf(chinese).map((r) => r.amount)).toEqual(['-100.00', '200.00']);
    const english = parseStatementCsv(
      'Value Date,Description,Debit,Credit,Counterparty\n2026-03-01,PAY-1,"1,000.00",,Farm A\n2026-03-02,CON-1,,"2,500.00",County',
    );
    expect(rowsOf(english)).toEqual([
      {
        row: 2,
        date: '2026-03-01',
        amount: '-1000.00',
        reference: 'PAY-1',
        counterparty: 'Farm A',
      },
      { row: 3, date: '2026-03-02', amount: '2500.00', reference: 'CON-1', counterparty: 'County' },
    ]);
  });

  it('reads an unsigned amount with a direction column (借贷标志)', () => {
    const csv =
      '交易日期,借贷标志,交易金额,交易参考号\n2026-03-01,贷,"1,000.00",A\n2026-03-02,借,50.00,B';
    const parse = parseStatementCsv(csv);
    expect(parse.ok && parse.layout).toBe('amount_and_direction');
    expect(rowsOf(parse).map((r) => r.amount)).toEqual(['1000.00', '-50.00']);
  });

  it('reads a tab-separated export and full-width digits', () => {
    const parse = parseStatementCsv('Date\tAmount\tReference\n2026-03-01\t１，２３４．５０\tX-1');
    expect(rowsOf(parse).map((r) => r.amount)).toEqual(['1234.50']);
  });

  it('keeps line numbers of the file when a quoted field spans lines', () => {
    const parse = parseStatementCsv(
      'Date,Amount,Reference,Memo\n2026-03-01,1.00,A,"two\nlines"\n2026-03-02,2.00,B,',
    );
    expect(rowsOf(parse).map((r) => r.row)).toEqual([2, 4]);
  });
});

describe('bad rows', () => {
  it('reports every bad row with its line number and reason, and no rows at all', () => {
    const csv = [
      '交易日期,交易金额,摘要',
      '2026-03-01,100.00,OK-1',
      '03/01/2026,100.00,BAD-DATE',
      '2026-02-30,100.00,NO-SUCH-DAY',
      '2026-03-02,"12,34.00",BAD-SEPARATOR',
      '2026-03-02,1.234,TOO-PRECISE',
      '2026-03-02,0.00,ZERO',
      '2026-03-02,,EMPTY',
      '2026-03-02,1,234.00,UNQUOTED',
      '2026-03-02,abc,LETTERS',
    ].join('\n');
    const errors = errorsOf(parseStatementCsv(csv));
    expect(errors.map((e) => e.row)).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
    expect(errors[0]?.reason).toMatch(/year first/);
    expect(errors[1]?.reason).toMatch(/not a calendar date/);
    expect(errors[2]?.reason).toMatch(/"12,34.00" is not a decimal amount/);
    expect(errors[3]?.reason).toMatch(/more than two decimals/);
    expect(errors[4]?.reason).toBe('the amount is zero');
    expect(errors[5]?.reason).toBe('the amount is empty');
    expect(errors[6]?.reason).toMatch(/has 4 fields but the header has 3.*quote amounts/);
    expect(errors[7]?.reason).toMatch(/"abc" is not a decimal amount/);
  });

  it('refuses a row with both or neither of debit and credit, and signs in those columns', () => {
    const csv =
      'Date,Debit,Credit,Reference\n2026-03-01,1.00,2.00,A\n2026-03-01,,,B\n2026-03-01,-1.00,,C';
    expect(errorsOf(parseStatementCsv(csv))).toEqual([
      { row: 2, reason: 'both the debit and the credit column hold an amount' },
      { row: 3, reason: 'neither the debit nor the credit column holds an amount' },
      { row: 4, reason: 'amount "-1.00" has a sign, but its column already says the direction' },
    ]);
  });

  it('refuses a file without a recognisable header, reference column or lines', () => {
    expect(errorsOf(parseStatementCsv('a,b,c\n1,2,3'))[0]).toMatchObject({
      row: 1,
      reason: expect.stringMatching(/no header row/),
    });
    expect(errorsOf(parseStatementCsv('Date,Amount\n2026-03-01,1.00'))).toEqual([
      { row: 1, reason: expect.stringMatching(/no reference column/) },
    ]);
    expect(
      errorsOf(parseStatementCsv('Date,Debit,Reference\n2026-03-01,1.00,A'))[0]?.reason,
    ).toMatch(/not both/);
    expect(errorsOf(parseStatementCsv('Date,Amount,Reference\n'))).toEqual([
      { row: 1, reason: 'the statement has no lines below its header' },
    ]);
  });

  it('refuses an unclosed quote, text after a closing quote, a bad direction and NUL', () => {
    expect(
      errorsOf(parseStatementCsv('Date,Amount,Reference\n2026-03-01,"1.00,A\n2026-03-02,2.00,B')),
    ).toEqual([{ row: 2, reason: 'a quoted field is never closed' }]);
    expect(errorsOf(parseStatementCsv('Date,Amount,Reference\n2026-03-01,"1.00"x,A'))).toEqual([
      { row: 2, reason: 'text follows a closing quote in a field' },
    ]);
    expect(
      errorsOf(parseStatementCsv('Date,Direction,Amount,Reference\n2026-03-01,sideways,1.00,A'))[0]
        ?.reason,
    ).toMatch(/neither money in/);
    expect(
      errorsOf(parseStatementCsv('Date,Amount,Reference\n2026-03-01,1.00,A\u0000'))[0]?.reason,
    ).toMatch(/control character/);
  });
});

describe('cells', () => {
  it('reads amounts exactly, with separators, signs, parentheses and currency marks', () => {
    const read = (cell: string) => {
      const parsed = parseStatementAmount(cell);
      return 'value' in parsed ? (parsed.value?.toFixed(2) ?? null) : parsed.reason;
    };
    expect(read('1,234.50')).toBe('1234.50');
    expect(read('-0.01')).toBe('-0.01');
    expect(read('(1,000.00)')).toBe('-1000.00');
    expect(read('¥ 88.8')).toBe('88.80');
    expect(read('88.80元')).toBe('88.80');
    expect(read('−5.00')).toBe('-5.00');
    expect(read('—')).toBeNull();
    expect(read('999,999,999,999,999.99')).toBe('999999999999999.99');
    expect(read('1,000,000,000,000,000.00')).toMatch(/more than 15 integer digits/);
    expect(read('1e3')).toMatch(/not a decimal amount/);
    expect(read('1,23')).toMatch(/not a decimal amount/);
    // Exact decimals: 0.1 + 0.2 is 0.30, not 0.30000000000000004.
    const a = parseStatementAmount('0.10');
    const b = parseStatementAmount('0.20');
    if (!('value' in a) || !('value' in b) || !a.value || !b.value) throw new Error('unparsed');
    expect(a.value.plus(b.value).toFixed(2)).toBe('0.30');
  });

  it('reads dates year first only', () => {
    const read = (cell: string) => {
      const parsed = parseValueDate(cell);
      return 'value' in parsed ? parsed.value : 'refused';
    };
    expect(read('2026-03-01')).toBe('2026-03-01');
    expect(read('2026.3.1')).toBe('2026-03-01');
    expect(read('2026年03月01日')).toBe('2026-03-01');
    expect(read('20260301 08:30:00')).toBe('2026-03-01');
    expect(read('2026-03-01T08:30:00')).toBe('2026-03-01');
    expect(read('01/03/2026')).toBe('refused');
    expect(read('2026-13-01')).toBe('refused');
  });

  it('normalises what transport changes, so the same file hashes alike', () => {
    expect(normaliseStatementText('\uFEFFa,b\r\n1,2\r\n\r\n')).toBe('a,b\n1,2');
    expect(normaliseStatementText('a,b\n1,2\n')).toBe('a,b\n1,2');
  });
});
