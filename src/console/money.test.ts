import { describe, expect, it } from 'vitest';
import { formatMoney } from './money.ts';

describe('formatMoney', () => {
  it('groups thousands and always shows two decimals and 元', () => {
    expect(formatMoney('5000000.00')).toBe('5,000,000.00 元');
    expect(formatMoney('1234.5')).toBe('1,234.50 元');
    expect(formatMoney('999')).toBe('999.00 元');
    expect(formatMoney('-1234567.89')).toBe('-1,234,567.89 元');
    expect(formatMoney('0.00')).toBe('0.00 元');
  });

  it('keeps digits the API sent exactly, beyond what a double can hold', () => {
    expect(formatMoney('123456789012345678.01')).toBe('123,456,789,012,345,678.01 元');
  });

  it('leaves text that is not an amount alone', () => {
    expect(formatMoney('n/a')).toBe('n/a');
  });
});
