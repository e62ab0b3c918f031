/**
 * @module What a decision pays: the approved lines, cut first by what is left of the
 * incident's per-incident cap, then by the pool's available coverage. Cuts fall on the
 * lines in their order (earlier lines are paid first), and each cut line names its cap.
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

export interface PaidLine {
  readonly lineId: string;
  readonly category: string;
  readonly approved: Money;
  readonly payable: Money;
  /** The part of payable drawn on the caps, held as coverage until paid. */
  readonly held: Money;
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

export function computePayable(
  lines: readonly LineToPay[],
  incidentRemaining: Money,
  poolRemaining: Money,
): Payable {
  let incidentLeft = incidentRemaining;
  let poolLeft = poolRemaining;
  let incidentCapCut = ZERO;
  let poolCapCut = ZERO;
  let cappedPayable = ZERO;
  const paid = lines.map((line): PaidLine => {
    if (!line.countsAgainstCaps)
      return { ...line, payable: line.approved, held: ZERO, cutBy: null };
    const withinIncident = minAmount(line.approved, incidentLeft);
    const withinPool = minAmount(withinIncident, poolLeft);
    const incidentCut = line.approved.minus(withinIncident);
    const poolCut = withinIncident.minus(withinPool);
    incidentLeft = incidentLeft.minus(withinIncident);
    poolLeft = poolLeft.minus(withinPool);
    incidentCapCut = incidentCapCut.plus(incidentCut);
    poolCapCut = poolCapCut.plus(poolCut);
    cappedPayable = cappedPayable.plus(withinPool);
    const cutBy: CapName | null = incidentCut.gt(ZERO)
      ? 'per_incident_cap'
      : poolCut.gt(ZERO)
        ? 'cumulative_cap'
        : null;
    return { ...line, payable: withinPool, held: withinPool, cutBy };
  });
  return {
    lines: paid,
    approvedTotal: sumAmounts(lines.map((l) => l.approved)),
    incidentCapCut,
    poolCapCut,
    payable: sumAmounts(paid.map((l) => l.payable)),
    cappedPayable,
  };
}
