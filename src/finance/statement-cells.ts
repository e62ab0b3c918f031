/**
 * @module A statement's cells read one by one: value dates in the forms banks print, amounts
 * (signed or not, with or without thousands separators, never more than two decimals or fifteen
 * integer digits) and the direction a cell names. Each returns a value or the reason it is none,
 * in the words a finance officer reads.
 */
import { Money } from '../ledger/money.ts';
import { isLocalDate, type LocalDate } from '../policy/local-date.ts';
import { headerKey } from './statement-columns.ts';

/** 15 integer digits, as everywhere else (src/ledger/money.ts). */
const MAX_INTEGER_DIGITS = 15;

export type Parsed<T> = { readonly value: T } | { readonly reason: string };

const YEAR_FIRST =
  /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$/;

const COMPACT = /^(\d{4})(\d{2})(\d{2})(?:[ T]?\d{2}:?\d{2}(?::?\d{2})?)?$/;

export function parseValueDate(cell: string): Parsed<LocalDate> {
  const text = cell.normalize('NFKC').trim();
  if (text === '') return { reason: 'the value date is empty' };
  const parts = YEAR_FIRST.exec(text) ?? COMPACT.exec(text);
  if (!parts) {
    return {
      reason: `value date "${clip(text)}" is not a date written year first (2026-03-01, 2026/3/1, 20260301 or 2026年3月1日)`,
    };
  }
  const date = `${parts[1]}-${(parts[2] ?? '').padStart(2, '0')}-${(parts[3] ?? '').padStart(2, '0')}`;
  if (!isLocalDate(date)) return { reason: `value date "${clip(text)}" is not a calendar date` };
  return { value: date };
}

const SEPARATED = /^[1-9]\d{0,2}(,\d{3})+(\.\d+)?$/;

const PLAIN = /^(0|[1-9]\d*)(\.\d+)?$/;

const EMPTY_AMOUNT = new Set(['', '-', '--', '—', '/']);

/**
 * A money cell: optional sign (+, -, −) or accounting parentheses, optional ¥/￥/CNY/RMB/元,
 * thousands separators only where they belong ("1,234.50", never "12,34.50"), at most two
 * decimals. `unsigned` refuses a sign (debit/credit columns say the direction themselves).
 * Returns null for an empty cell ("", "-", "—").
 */
export function parseStatementAmount(
  cell: string,
  options: { readonly unsigned?: boolean } = {},
): Parsed<Money | null> {
  let text = cell
    .normalize('NFKC')
    .trim()
    .replace(/\u2212/g, '-');
  if (EMPTY_AMOUNT.has(text)) return { value: null };
  let negative = false;
  let signed = false;
  const parenthesised = /^\((.*)\)$/.exec(text);
  if (parenthesised) {
    text = (parenthesised[1] ?? '').trim();
    negative = true;
    signed = true;
  }
  if (/^[+-]/.test(text)) {
    negative = text.startsWith('-');
    signed = true;
    text = text.slice(1).trim();
  }
  text = text
    .replace(/^(¥|cny|rmb)\s*/i, '')
    .replace(/\s*(元|cny|rmb)$/i, '')
    .trim();
  const shown = clip(cell.trim());
  if (!SEPARATED.test(text) && !PLAIN.test(text)) {
    return {
      reason: `amount "${shown}" is not a decimal amount such as 1234.50 or "1,234.50"`,
    };
  }
  const [integer = '', decimals = ''] = text.replaceAll(',', '').split('.');
  if (decimals.length > 2) return { reason: `amount "${shown}" has more than two decimals` };
  if (integer.length > MAX_INTEGER_DIGITS) {
    return { reason: `amount "${shown}" has more than ${MAX_INTEGER_DIGITS} integer digits` };
  }
  if (signed && options.unsigned) {
    return { reason: `amount "${shown}" has a sign, but its column already says the direction` };
  }
  const amount = new Money(`${integer}.${decimals || '0'}`);
  return { value: negative ? amount.negated() : amount };
}

const MONEY_IN = new Set([
  '贷',
  '贷方',
  '收',
  '收入',
  '入',
  '存入',
  '转入',
  '来账',
  'c',
  'cr',
  'credit',
  'in',
  '+',
]);

const MONEY_OUT = new Set([
  '借',
  '借方',
  '支',
  '支出',
  '出',
  '付',
  '付出',
  '转出',
  '往账',
  'd',
  'dr',
  'debit',
  'out',
  '-',
]);

export function parseDirection(cell: string): Parsed<1 | -1> {
  const key = headerKey(cell);
  if (MONEY_IN.has(key)) return { value: 1 };
  if (MONEY_OUT.has(key)) return { value: -1 };
  return {
    reason: `direction "${clip(cell.trim())}" is neither money in (贷/收入/Credit/C) nor money out (借/支出/Debit/D)`,
  };
}

export function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/** Control characters (NUL above all) cannot be stored and are never part of a statement. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
export const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
