/**
 * @module The matching rule, pure: a statement line and a ledger item match when they share a
 * reference, move money the same way and differ by no more than the tolerance; a line with several
 * candidates only when exactly one has the very amount. What stays paired by reference alone is an
 * amount mismatch.
 */
import type { Money } from '../ledger/money.ts';
import { type LedgerItem, type LedgerItemKind, referenceKey } from './ledger-items.ts';

export interface LineToMatch {
  readonly id: string;
  readonly rowNumber: number;
  readonly amount: Money;
  /** The line's reference first, then its other reference cells. */
  readonly references: readonly string[];
}

export interface Pairing<L extends LineToMatch> {
  readonly line: L;
  readonly item: LedgerItem;
  /** Statement amount − ledger amount. */
  readonly difference: Money;
}

export const itemKey = (item: { kind: LedgerItemKind; id: string }) => `${item.kind}:${item.id}`;

export function sharesReference(line: LineToMatch, item: LedgerItem): boolean {
  const keys = new Set(line.references.filter((r) => r !== '').map(referenceKey));
  return item.references.some((reference) => keys.has(referenceKey(reference)));
}

export const sameDirection = (a: Money, b: Money) => a.isNegative() === b.isNegative();

/**
 * Pairs lines (in row order) with items that share a reference, move money the same way
 * and differ by at most `tolerance`. Each item is used once. `items` must already exclude
 * what is matched or explained.
 */
export function autoMatch<L extends LineToMatch>(
  lines: readonly L[],
  items: readonly LedgerItem[],
  tolerance: Money,
): Pairing<L>[] {
  const used = new Set<string>();
  const pairs: Pairing<L>[] = [];
  for (const line of [...lines].sort((a, b) => a.rowNumber - b.rowNumber)) {
    const candidates = items.filter(
      (item) =>
        !used.has(itemKey(item)) &&
        sharesReference(line, item) &&
        sameDirection(line.amount, item.amount) &&
        line.amount.minus(item.amount).abs().lte(tolerance),
    );
    const exact = candidates.filter((item) => item.amount.eq(line.amount));
    const chosen =
      candidates.length === 1 ? candidates[0] : exact.length === 1 ? exact[0] : undefined;
    if (chosen === undefined) continue;
    used.add(itemKey(chosen));
    pairs.push({ line, item: chosen, difference: line.amount.minus(chosen.amount) });
  }
  return pairs;
}

/**
 * Amount mismatches: each open line paired with the first open item that shares one of its
 * references (whatever the amounts). Run after `autoMatch`, on what it left.
 */
export function pairMismatches<L extends LineToMatch>(
  lines: readonly L[],
  items: readonly LedgerItem[],
): Pairing<L>[] {
  const used = new Set<string>();
  const pairs: Pairing<L>[] = [];
  for (const line of [...lines].sort((a, b) => a.rowNumber - b.rowNumber)) {
    const item = items.find((i) => !used.has(itemKey(i)) && sharesReference(line, i));
    if (item === undefined) continue;
    used.add(itemKey(item));
    pairs.push({ line, item, difference: line.amount.minus(item.amount) });
  }
  return pairs;
}
