/**
 * @module What a decision pays: each approved line, in order (earlier lines are paid
 * first), is paid min(approved, what is left of the incident's cap, what is left of the
 * pool's coverage). This is the one computation of cuts: a line's `cuts` and `cutBy` and
 * the decision's totals are all read from it.
 *
 * Attribution, when a line is cut: the per-incident cap takes off what it alone would
 * (approved − incident left); the cumulative cap takes off the rest down to the payable.
 * `cutBy` names the binding cap — the one whose remaining figure set the payable — so a
 * line cut by both names the cumulative cap when the pool had less left than the incident.
 * Both remaining figures go down by what is actually held, never by what one cap alone
 * would have allowed.
 * Pure: the caller reads the remaining figures under the locks that keep them true.
 */
import { type Money, minAmount, sumAmounts, ZERO } from '../ledger/money.ts';

export type CapName = 'per_incident_cap' | 'cumulative_cap';

export interface LineToPay {
  readonly lineId: string;
  readonly category: string;
  readonly approved: Money;
  /** Categories that do not count against the caps are paid as approved. */
  readonly countsAgainstCaps: boolean;
}

export interface CapCut {
  readonly cap: CapName;
  readonly amount: Money;
}

export interface PaidLine {
  readonly lineId: string;
  readonly category: string;
  readonly approved: Money;
  readonly payable: Money;
  /** The part of payable drawn on the caps, held as coverage until paid. */
  readonly held: Money;
  /** What each cap took off this line, per-incident first; empty when none did. */
  readonly cuts: readonly CapCut[];
  /** The binding cap: the one whose remaining figure set the payable; null when uncut. */
  readonly cutBy: CapName | null;
}

export interface Payable {
  readonly lines: readonly PaidLine[];
  readonly approvedTotal: Money;
  readonly incidentCapCut: Money;
  readonly poolCapCut: Money;
  readonly payable: Money;
  /** The part of payable that draws on the caps (and is held as coverage). */
  readonly cappedPayable: Money;
}

/** One line under both caps: the payable, each cap's cut and the binding cap. */
export function cutLine(
  approved: Money,
  incidentLeft: Money,
  poolLeft: Money,
): { payable: Money; cuts: CapCut[]; cutBy: CapName | null } {
  const withinIncident = minAmount(approved, incidentLeft);
  const payable = minAmount(withinIncident, poolLeft);
  const cuts: CapCut[] = [
    { cap: 'per_incident_cap' as const, amount: approved.minus(withinIncident) },
    { cap: 'cumulative_cap' as const, amount: withinIncident.minus(payable) },
  ].filter((cut) => cut.amount.gt(ZERO));
  const cutBy: CapName | null = payable.eq(approved)
    ? null
    : poolLeft.lt(withinIncident)
      ? 'cumulative_cap'
      : 'per_incident_cap';
  return { payable, cuts, cutBy };
}

const cutOf = (lines: readonly PaidLine[], cap: CapName) =>
  sumAmounts(lines.flatMap((l) => l.cuts.filter((c) => c.cap === cap).map((c) => c.amount)));

export function computePayable(
  lines: readonly LineToPay[],
  incidentRemaining: Money,
  poolRemaining: Money,
): Payable {
  let incidentLeft = incidentRemaining;
  let poolLeft = poolRemaining;
  const paid = lines.map((line): PaidLine => {
    if (!line.countsAgainstCaps)
      return { ...line, payable: line.approved, held: ZERO, cuts: [], cutBy: null };
    const { payable, cuts, cutBy } = cutLine(line.approved, incidentLeft, poolLeft);
    incidentLeft = incidentLeft.minus(payable);
    poolLeft = poolLeft.minus(payable);
    return { ...line, payable, held: payable, cuts, cutBy };
  });
  return {
    lines: paid,
    approvedTotal: sumAmounts(lines.map((l) => l.approved)),
    incidentCapCut: cutOf(paid, 'per_incident_cap'),
    poolCapCut: cutOf(paid, 'cumulative_cap'),
    payable: sumAmounts(paid.map((l) => l.payable)),
    cappedPayable: sumAmounts(paid.map((l) => l.held)),
  };
}
