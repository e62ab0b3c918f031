/**
 * @module What a decision pays: each approved line, in order (earlier lines are paid
 * first), is paid min(approved, what is left of the incident's cap, of the project's
 * limit when the terms set one, of the pool's coverage). This is the one computation of
 * cuts: a line's `cuts` and `cutBy` and the decision's totals are all read from it.
 *
 * Attribution, when a line is cut: the caps take their turn narrowest first (per-incident,
 * per-project, cumulative), each taking off what it alone would from what the previous
 * left. `cutBy` names the binding cap — the one with the least left, whose figure set the
 * payable — so a line cut by both caps names the cumulative cap when the pool had less
 * left than the incident.
 * Both remaining figures go down by what is actually held, never by what one cap alone
 * would have allowed.
 * Pure: the caller reads the remaining figures under the locks that keep them true.
 */
import { type Money, minAmount, sumAmounts, ZERO } from '../ledger/money.ts';

export type CapName = 'per_incident_cap' | 'per_project_limit' | 'cumulative_cap';

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
  /** What each cap took off this line, narrowest cap first; empty when none did. */
  readonly cuts: readonly CapCut[];
  /** The binding cap: the one whose remaining figure set the payable; null when uncut. */
  readonly cutBy: CapName | null;
}

export interface Payable {
  readonly lines: readonly PaidLine[];
  readonly approvedTotal: Money;
  readonly incidentCapCut: Money;
  readonly projectLimitCut: Money;
  readonly poolCapCut: Money;
  readonly payable: Money;
  /** The part of payable that draws on the caps (and is held as coverage). */
  readonly cappedPayable: Money;
}

/** What is left under each cap, narrowest first; a project limit only when the terms set one. */
export interface CapsLeft {
  readonly incident: Money;
  readonly project: Money | null;
  readonly pool: Money;
}

const capOrder = (left: CapsLeft): { cap: CapName; left: Money }[] => [
  { cap: 'per_incident_cap', left: left.incident },
  ...(left.project === null ? [] : [{ cap: 'per_project_limit' as const, left: left.project }]),
  { cap: 'cumulative_cap', left: left.pool },
];

/** One line under every cap: the payable, each cap's cut and the binding cap. */
export function cutLine(
  approved: Money,
  left: CapsLeft,
): { payable: Money; cuts: CapCut[]; cutBy: CapName | null } {
  let payable = approved;
  const cuts: CapCut[] = [];
  let binding: { cap: CapName; left: Money } | null = null;
  for (const cap of capOrder(left)) {
    const within = minAmount(payable, cap.left);
    if (within.lt(payable)) cuts.push({ cap: cap.cap, amount: payable.minus(within) });
    payable = within;
    if (cap.left.lt(approved) && (binding === null || cap.left.lt(binding.left))) binding = cap;
  }
  return { payable, cuts, cutBy: payable.eq(approved) ? null : (binding?.cap ?? null) };
}

const cutOf = (lines: readonly PaidLine[], cap: CapName) =>
  sumAmounts(lines.flatMap((l) => l.cuts.filter((c) => c.cap === cap).map((c) => c.amount)));

export function computePayable(
  lines: readonly LineToPay[],
  incidentRemaining: Money,
  poolRemaining: Money,
  projectRemaining: Money | null = null,
): Payable {
  let left: CapsLeft = {
    incident: incidentRemaining,
    project: projectRemaining,
    pool: poolRemaining,
  };
  const paid = lines.map((line): PaidLine => {
    if (!line.countsAgainstCaps)
      return { ...line, payable: line.approved, held: ZERO, cuts: [], cutBy: null };
    const { payable, cuts, cutBy } = cutLine(line.approved, left);
    left = {
      incident: left.incident.minus(payable),
      project: left.project === null ? null : left.project.minus(payable),
      pool: left.pool.minus(payable),
    };
    return { ...line, payable, held: payable, cuts, cutBy };
  });
  return {
    lines: paid,
    approvedTotal: sumAmounts(lines.map((l) => l.approved)),
    incidentCapCut: cutOf(paid, 'per_incident_cap'),
    projectLimitCut: cutOf(paid, 'per_project_limit'),
    poolCapCut: cutOf(paid, 'cumulative_cap'),
    payable: sumAmounts(paid.map((l) => l.payable)),
    cappedPayable: sumAmounts(paid.map((l) => l.held)),
  };
}
