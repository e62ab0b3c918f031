/**
 * @module Exact money: decimal.js with precision and rounding set here, explicitly.
 *
 * Amounts enter as strings with at most two decimals and leave as strings with exactly
 * two ("500000.00"). A JavaScript number is never accepted as an amount.
 */
import { Decimal as DecimalJs } from 'decimal.js';

/** Our own Decimal constructor, so no other library's global settings can change ours. */
export const Money = DecimalJs.clone({
  precision: 40,
  rounding: DecimalJs.ROUND_HALF_UP,
  toExpNeg: -40,
  toExpPos: 40,
});
export type Money = InstanceType<typeof Money>;

/** The largest amount accepted anywhere: 15 integer digits keeps sums inside NUMERIC(20,2). */
export const MAX_AMOUNT = new Money('999999999999999.99');
export const ZERO = new Money(0);

const AMOUNT_PATTERN = /^(0|[1-9]\d{0,14})(\.\d{1,2})?$/;

export class AmountError extends Error {
  override readonly name = 'AmountError';
}

export interface AmountRules {
  /** Zero is refused unless allowed; negative amounts are never accepted as input. */
  readonly allowZero?: boolean;
}

/** Parses an amount from its string form, refusing anything that is not plainly money. */
export function parseAmount(input: unknown, rules: AmountRules = {}): Money {
  if (typeof input !== 'string') {
    throw new AmountError(
      typeof input === 'number'
        ? 'amount must be a string such as "1250.00", not a JSON number'
        : 'amount must be a string such as "1250.00"',
    );
  }
  if (!AMOUNT_PATTERN.test(input)) {
    throw new AmountError(
      `amount "${input.length > 40 ? `${input.slice(0, 40)}…` : input}" is not a non-negative decimal with at most two decimals and at most 15 integer digits`,
    );
  }
  const amount = new Money(input);
  if (amount.isZero() && !rules.allowZero)
    throw new AmountError('amount must be greater than zero');
  return amount;
}

/** The one place where a computed amount is rounded to the fen: half-up. */
export function roundToFen(amount: Money): Money {
  return amount.toDecimalPlaces(2, Money.ROUND_HALF_UP);
}

/** The string form used in JSON and SQL: exactly two decimals, no exponent. */
export function formatAmount(amount: Money): string {
  const rounded = roundToFen(amount);
  if (!rounded.eq(amount))
    throw new AmountError(`amount ${amount.toString()} has more than two decimals`);
  return rounded.toFixed(2);
}

export function minAmount(a: Money, b: Money): Money {
  return a.lte(b) ? a : b;
}

export function maxAmount(a: Money, b: Money): Money {
  return a.gte(b) ? a : b;
}

export function sumAmounts(amounts: Iterable<Money>): Money {
  let total = ZERO;
  for (const amount of amounts) total = total.plus(amount);
  return total;
}
