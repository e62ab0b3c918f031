/**
 * @module Amounts as the console shows them: the API's decimal string with thousands
 * separators and two decimals, then 元. Pure string work — the figure is never turned
 * into a number, so what the page shows is exactly what the API said.
 */

const AMOUNT = /^(-?)(\d+)(?:\.(\d{1,2}))?$/;

/** "1234567.5" → "1,234,567.50 元"; anything that is not an amount is shown as it came. */
export function formatMoney(amount: string): string {
  const match = AMOUNT.exec(amount);
  if (!match) return amount;
  const [, sign = '', whole = '0', fraction = ''] = match;
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}${grouped}.${fraction.padEnd(2, '0')} 元`;
}

/** "62.50" → "62.50 %": the API's percentage, unchanged. */
export function formatPercent(percent: string): string {
  return `${percent} %`;
}
