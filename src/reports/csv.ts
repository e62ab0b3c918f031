/**
 * @module CSV that Excel and WPS open correctly: UTF-8 with a BOM (or Chinese text turns to
 * mojibake), CRLF line ends, quoted cells where needed, and cells that would run as a
 * formula (= + - @ not followed by a number) defused with a leading apostrophe.
 */
export interface CsvColumn<Row> {
  readonly key: keyof Row;
  readonly english: string;
  readonly chinese: string;
}

export type CsvHeaders = 'english' | 'chinese';

function cell(value: unknown): string {
  const text = value === null || value === undefined ? '' : String(value);
  const safe = /^[=+\-@]/.test(text) && !/^-?\d/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export function toCsv<Row>(
  columns: readonly CsvColumn<Row>[],
  rows: readonly Row[],
  headers: CsvHeaders,
): string {
  const header = columns.map((c) => cell(c[headers])).join(',');
  const body = rows.map((row) => columns.map((c) => cell(row[c.key])).join(','));
  return `\uFEFF${[header, ...body].join('\r\n')}\r\n`;
}
