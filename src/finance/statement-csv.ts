/**
 * @module Bank and insurer statements as CSV, parsed into lines — a pure function, no I/O.
 *
 * A statement is the pool account's side of the money: every amount comes out signed,
 * + money into the pool's account, − money out of it. The parser accepts the layouts
 * Chinese and English bank exports actually use (README "Settlement matching (对账)"):
 * a signed amount column, separate debit/credit columns (借方 = out, 贷方 = in, as on a
 * customer's bank statement), or an unsigned amount with a direction column (借贷标志).
 *
 * It never half-accepts a file: the result is either every line or every bad row, each
 * with its line number in the file and the reason. Failures are values, not exceptions.
 * Which columns mean what is in statement-columns.ts, how each cell is read in
 * statement-cells.ts.
 */
import { type CsvError, parse } from 'csv-parse/sync';
import type { Money } from '../ledger/money.ts';
import type { LocalDate } from '../policy/local-date.ts';
import {
  CONTROL,
  clip,
  type Parsed,
  parseDirection,
  parseStatementAmount,
  parseValueDate,
} from './statement-cells.ts';
import {
  type ColumnMap,
  hasDateAndMoney,
  headerKey,
  layoutOf,
  mapColumns,
  type StatementLayout,
} from './statement-columns.ts';

/** Lines one statement may hold; a request body is limited to 64 KB anyway. */
export const MAX_STATEMENT_LINES = 5000;
/** A header is searched for among the first rows: exports put account details above it. */
const HEADER_SEARCH_ROWS = 20;
/** References and counterparties longer than this are not what a bank prints. */
export const MAX_CELL_TEXT = 200;

export interface StatementRow {
  /** The file's line number (1-based) where the row starts, as a text editor shows it. */
  readonly rowNumber: number;
  readonly valueDate: LocalDate;
  /** Signed as the pool's account sees it: + money in, − money out; never zero. */
  readonly amount: Money;
  /** The first non-empty reference cell, by the priority of its column (may be empty). */
  readonly reference: string;
  /** The row's other non-empty reference cells; matching tries them too. */
  readonly otherReferences: readonly string[];
  readonly counterparty: string;
}

export interface RowError {
  /** The file's line number (1-based); the header's for a problem with the columns. */
  readonly row: number;
  readonly reason: string;
}

export type StatementParse =
  | {
      readonly ok: true;
      readonly layout: StatementLayout;
      readonly headerRow: number;
      readonly rows: readonly StatementRow[];
    }
  | { readonly ok: false; readonly errors: readonly RowError[] };

/**
 * The text whose SHA-256 identifies a file: without a byte-order mark, with LF line ends and
 * without trailing blank lines — so the same file sent again through another tool (which
 * may add or drop those) is still recognised as the same file.
 */
export function normaliseStatementText(text: string): string {
  return text
    .replace(/^\uFEFF/, '')
    .replace(/\r\n?/g, '\n')
    .replace(/(\n[ \t]*)+$/, '');
}

// --- Records ------------------------------------------------------------------------------

interface RawRecord {
  readonly line: number;
  readonly cells: readonly string[];
}

/** csv-parse's reasons, in the words a finance officer reads in the error list. */
const CSV_REASONS: Readonly<Record<string, string>> = {
  CSV_QUOTE_NOT_CLOSED: 'a quoted field is never closed',
  CSV_INVALID_CLOSING_QUOTE: 'text follows a closing quote in a field',
  CSV_INVALID_OPENING_QUOTE: 'a quote inside a field that is not quoted',
};

/**
 * Splits text into records with csv-parse (RFC 4180 quoting: "" inside quotes, line breaks
 * inside quotes), each with the file line it starts on. Excel's ="…" (exports use it to keep
 * long digit strings as text) is read as a quoted field. A bad record is an error naming its
 * line, and the rest of the file is still read so every bad row is reported at once.
 */
function splitRecords(
  text: string,
  delimiter: string,
): { records: RawRecord[]; errors: RowError[] } {
  const records: RawRecord[] = [];
  const errors: RowError[] = [];
  // The line the next record starts on: csv-parse reports the line a record ends on.
  let nextLine = 1;
  const excelText = new RegExp(`(^|[${delimiter === '\t' ? '\\t' : delimiter}\n])="`, 'g');
  let quoteTrouble = false;
  parse(text.replace(excelText, '$1"'), {
    delimiter,
    bom: false,
    relax_column_count: true,
    skip_empty_lines: false,
    skip_records_with_error: true,
    on_skip: (error: CsvError | undefined) => {
      const code = error?.code ?? '';
      // An unclosed quote swallows the rest of the file: one error, where the quote opened.
      // After a bad quote csv-parse may still be inside a quote at the end; that is the same
      // mistake, not a second one.
      if (code === 'CSV_QUOTE_NOT_CLOSED' && quoteTrouble) return;
      if (code.includes('QUOTE')) quoteTrouble = true;
      errors.push({ row: nextLine, reason: CSV_REASONS[code] ?? `unreadable CSV (${code})` });
      if (error && typeof error.lines === 'number') nextLine = error.lines + 1;
    },
    on_record: (cells, context) => {
      records.push({ line: nextLine, cells });
      nextLine = context.lines + 1;
      return cells;
    },
  });
  return { records, errors };
}

const isBlank = (record: RawRecord) => record.cells.every((cell) => cell.trim() === '');

/** Rows a bank prints between or after its lines: totals, balances, "blank below". */
const SUMMARY_LABELS = [
  '合计',
  '总计',
  '小计',
  '本页合计',
  '本期合计',
  '本月合计',
  '累计',
  '期初余额',
  '期末余额',
  '上期余额',
  '以下空白',
  '以下无数据',
  'total',
  'totals',
  'subtotal',
  'openingbalance',
  'closingbalance',
  'balancebroughtforward',
  'balancecarriedforward',
];

function isSummary(record: RawRecord): boolean {
  const first = record.cells.find((cell) => cell.trim() !== '');
  if (first === undefined) return false;
  const key = headerKey(first);
  return SUMMARY_LABELS.some((label) => key.startsWith(label));
}

function amountOf(
  cells: readonly string[],
  layout: StatementLayout,
  map: ColumnMap,
): Parsed<Money> {
  const at = (index: number | undefined) => (index === undefined ? '' : (cells[index] ?? ''));
  if (layout === 'debit_credit') {
    const debit = parseStatementAmount(at(map.debit[0]), { unsigned: true });
    if ('reason' in debit) return debit;
    const credit = parseStatementAmount(at(map.credit[0]), { unsigned: true });
    if ('reason' in credit) return credit;
    const out = debit.value?.isZero() ? null : debit.value;
    const into = credit.value?.isZero() ? null : credit.value;
    if (out && into) return { reason: 'both the debit and the credit column hold an amount' };
    if (!out && !into) return { reason: 'neither the debit nor the credit column holds an amount' };
    return { value: out ? out.negated() : (into as Money) };
  }
  const amount = parseStatementAmount(at(map.amount[0]), {
    unsigned: layout === 'amount_and_direction',
  });
  if ('reason' in amount) return amount;
  if (amount.value === null) return { reason: 'the amount is empty' };
  if (amount.value.isZero()) return { reason: 'the amount is zero' };
  if (layout === 'signed_amount') return { value: amount.value };
  const direction = parseDirection(at(map.direction[0]));
  if ('reason' in direction) return direction;
  return { value: direction.value === 1 ? amount.value : amount.value.negated() };
}

// --- Rows ---------------------------------------------------------------------------------

function textCells(cells: readonly string[], indexes: readonly number[]): string[] {
  const found: string[] = [];
  for (const index of indexes) {
    const text = (cells[index] ?? '').normalize('NFKC').trim();
    if (text !== '' && !found.includes(text)) found.push(text);
  }
  return found;
}

function parseRow(
  record: RawRecord,
  layout: StatementLayout,
  map: ColumnMap,
  width: number,
): Parsed<StatementRow> {
  const { cells } = record;
  if (cells.some((cell) => CONTROL.test(cell))) {
    return { reason: 'the row holds a control character (such as NUL)' };
  }
  // Exports drop trailing empty cells, so a short row is fine; a long one usually means an
  // amount with a thousands separator that was not quoted.
  if (cells.slice(width).some((cell) => cell.trim() !== '')) {
    return {
      reason: `the row has ${cells.length} fields but the header has ${width} (quote amounts that contain commas: "1,234.50")`,
    };
  }
  const date = parseValueDate(cells[map.date[0] ?? -1] ?? '');
  if ('reason' in date) return date;
  const amount = amountOf(cells, layout, map);
  if ('reason' in amount) return amount;
  const [reference = '', ...otherReferences] = textCells(cells, map.reference);
  const [counterparty = ''] = textCells(cells, map.counterparty);
  const long = [reference, ...otherReferences, counterparty].find((t) => t.length > MAX_CELL_TEXT);
  if (long !== undefined) {
    return { reason: `"${clip(long)}" is longer than ${MAX_CELL_TEXT} characters` };
  }
  return {
    value: {
      rowNumber: record.line,
      valueDate: date.value,
      amount: amount.value,
      reference,
      otherReferences,
      counterparty,
    },
  };
}

const NO_HEADER =
  'no header row found in the first 20 rows: it needs a date column (日期, 交易日期, 记账日期, Date, Value date), ' +
  'an amount column (金额, 交易金额, Amount) or debit and credit columns (借方金额 and 贷方金额, 支出 and 收入, Debit and Credit), ' +
  'and a reference column (摘要, 附言, 备注, 交易参考号, 流水号, Reference)';

function findHeader(records: readonly RawRecord[]): number {
  return records
    .slice(0, HEADER_SEARCH_ROWS)
    .findIndex((record) => hasDateAndMoney(mapColumns(record.cells)));
}

/** Parses a statement's text (the file decoded to a string; see normaliseStatementText). */
export function parseStatementCsv(text: string): StatementParse {
  const normalised = normaliseStatementText(text);
  // Comma first; a tab-separated export is recognised by finding its header with tabs.
  let split = splitRecords(normalised, ',');
  let records = split.records.filter((record) => !isBlank(record));
  let headerIndex = findHeader(records);
  if (headerIndex < 0) {
    const tabbed = splitRecords(normalised, '\t');
    const tabRecords = tabbed.records.filter((record) => !isBlank(record));
    const tabHeader = findHeader(tabRecords);
    if (tabHeader >= 0) {
      split = tabbed;
      records = tabRecords;
      headerIndex = tabHeader;
    }
  }
  const header = records[headerIndex];
  if (header === undefined) {
    return { ok: false, errors: [...split.errors, { row: 1, reason: NO_HEADER }] };
  }
  const map = mapColumns(header.cells);
  const layout = layoutOf(map);
  if ('reason' in layout)
    return { ok: false, errors: [{ row: header.line, reason: layout.reason }] };
  if (map.reference.length === 0) {
    return {
      ok: false,
      errors: [
        {
          row: header.line,
          reason:
            'the header has no reference column (交易参考号, 附言, 摘要, 备注, 流水号, Reference, Memo, Description)',
        },
      ],
    };
  }
  const errors = split.errors.filter((error) => error.row > header.line);
  const rows: StatementRow[] = [];
  for (const record of records.slice(headerIndex + 1)) {
    if (isSummary(record)) continue;
    if (rows.length + errors.length >= MAX_STATEMENT_LINES) {
      errors.push({
        row: record.line,
        reason: `a statement holds at most ${MAX_STATEMENT_LINES} lines; split the file by period`,
      });
      break;
    }
    const row = parseRow(record, layout.value, map, header.cells.length);
    if ('reason' in row) errors.push({ row: record.line, reason: row.reason });
    else rows.push(row.value);
  }
  if (errors.length > 0) {
    return { ok: false, errors: errors.sort((a, b) => a.row - b.row) };
  }
  if (rows.length === 0) {
    return {
      ok: false,
      errors: [{ row: header.line, reason: 'the statement has no lines below its header' }],
    };
  }
  return { ok: true, layout: layout.value, headerRow: header.line, rows };
}
