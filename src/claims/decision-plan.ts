/**
 * @module What a decision does, from facts alone: which lines it pays and how much, which
 * cap cut what, the findings, whether its documents are there, and whether it needs a
 * second insurer user. Pure, like src/ledger/engine.ts is for the ledger: the executor
 * (adjudication.ts) reads the facts under the locks that keep them true, calls
 * `planDecision` and writes what it says. Every refusal a decision can meet is raised here.
 *
 * Authority cannot be split around: the decider's limit is compared with the cumulative
 * payable of the claim and of the incident's loss event (every decision that took effect or
 * awaits a checker, this one included), so two small claims or a reopened claim with late
 * lines pass it as one big claim would. The user who submitted the claim may not decide it.
 *
 * A supplementary decision revises lines of an earlier one: each line's new approved total
 * is compared with what the line already stands at, and only the raise is cut by the caps,
 * held and paid. A line cannot be lowered below what was paid on it: that money has left,
 * and coming back is a recovery.
 */
import type { FindingRow } from '../db/schema.ts';
import { DomainError } from '../domain-error.ts';
import { formatAmount, type Money, sumAmounts, ZERO } from '../ledger/money.ts';
import type { CostCategory } from '../policy/pool-accounts.ts';
import {
  type DocumentKind,
  type DocumentRequirement,
  missingRequirements,
} from '../policy/required-documents.ts';
import {
  type Attestation,
  attestedFindings,
  automaticFindings,
  type DenialReason,
} from './eligibility.ts';
import { type CapName, computePayable, type Payable } from './payable.ts';

export type DecisionRequest =
  | {
      readonly decision: 'approve';
      readonly lines: readonly { readonly lineId: string; readonly approved: Money }[];
      readonly attestations: readonly Attestation[];
      readonly note: string;
    }
  | {
      readonly decision: 'deny';
      readonly reasons: readonly DenialReason[];
      readonly attestations: readonly Attestation[];
      readonly note: string;
    };

export interface LineFacts {
  readonly id: string;
  readonly lineNo: number;
  readonly category: CostCategory;
  readonly amountClaimed: Money;
  /** What the line already stands at (paid or on its way); 0.00 for an undecided line. */
  readonly previousPayable: Money;
  readonly namesEvidenceClaimedBefore: boolean;
  readonly requiredDocuments: readonly DocumentRequirement[];
  readonly attachedDocuments: readonly DocumentKind[];
  readonly waivedRequirements: readonly string[];
  readonly covered: boolean;
  readonly countsAgainstCaps: boolean;
}

export interface DecisionFacts {
  readonly request: DecisionRequest;
  readonly kind: 'original' | 'supplementary';
  /** The lines this decision is about: the undecided ones, or those a supplement revises. */
  readonly lines: readonly LineFacts[];
  readonly eligibility: {
    readonly riskPointRegisteredOn: string | null;
    readonly occurredOn: string;
    readonly periodStart: string;
    readonly periodEnd: string;
    /** Other incidents flagged as possibly the same loss event, not yet linked or separated. */
    readonly unresolvedDuplicateIncidents: number;
  };
  /** The special group's finding, where the terms make compensation wait for it. */
  readonly caseFinding: FindingRow | null;
  /** What is left under each cap (the incident's event, the project, the pool). */
  readonly left: { readonly incident: Money; readonly project: Money | null; readonly pool: Money };
  readonly authority: {
    readonly deciderId: string;
    readonly submitterId: string;
    /** The decider's authority limit. */
    readonly limit: Money;
    /** Cumulative payable of this claim's decisions so far. */
    readonly claimPayable: Money;
    /** Cumulative payable of every claim on the incident's loss event so far. */
    readonly incidentPayable: Money;
  };
}

export interface PlannedLine {
  readonly lineId: string;
  readonly category: CostCategory;
  readonly approved: Money;
  /** The line's total payable after this decision. */
  readonly payable: Money;
  readonly previousPayable: Money;
  /** What this decision adds: held as coverage (when it counts against the caps) and paid out. */
  readonly change: Money;
  readonly held: Money;
  readonly cutBy: CapName | null;
}

export interface DecisionPlan {
  readonly outcome: 'approved' | 'partly_approved' | 'denied';
  readonly findings: readonly FindingRow[];
  readonly denialReasons: readonly string[];
  readonly approvedTotal: Money;
  readonly incidentCapCut: Money;
  readonly projectLimitCut: Money;
  readonly poolCapCut: Money;
  /** The total payable of the decision's lines (for a supplement: what they now stand at). */
  readonly payable: Money;
  /** What this decision adds to the claim's payable. */
  readonly change: Money;
  readonly lines: readonly PlannedLine[];
  /** Why a second insurer user must confirm; null when the decider's authority covers it. */
  readonly needsChecker: string | null;
}

export function planDecision(facts: DecisionFacts): DecisionPlan {
  const { request, authority } = facts;
  if (authority.deciderId === authority.submitterId) {
    throw new DomainError(
      'separation_of_duties',
      'the insurer user who submitted a claim cannot decide it',
      { rule: 'submitter_cannot_decide' },
    );
  }
  if (facts.lines.length === 0) {
    throw new DomainError(
      'validation_failed',
      facts.kind === 'original'
        ? 'every line of this claim is already decided'
        : 'a supplementary decision revises at least one line',
    );
  }
  const approved = request.decision === 'approve' ? approvedByLine(facts) : null;
  if (
    facts.kind === 'supplementary' &&
    facts.lines.every((l) => (approved?.get(l.id) ?? l.previousPayable).eq(l.previousPayable))
  ) {
    throw new DomainError(
      'validation_failed',
      'a supplementary decision changes at least one line: every approved amount equals what its line already stands at',
    );
  }
  const paidLines = facts.lines.filter((l) => (approved?.get(l.id) ?? ZERO).gt(l.previousPayable));
  const findings = [
    ...automaticFindings({
      riskPointRegisteredOn: facts.eligibility.riskPointRegisteredOn,
      occurredOn: facts.eligibility.occurredOn,
      periodStart: facts.eligibility.periodStart,
      periodEnd: facts.eligibility.periodEnd,
      lineCategories: (approved ? paidLines : facts.lines).map((l) => ({
        category: l.category,
        covered: l.covered,
      })),
      incidentRemaining: formatAmount(facts.left.incident),
      poolRemaining: formatAmount(facts.left.pool),
      duplicateLines: (approved ? paidLines : facts.lines).filter(
        (l) => l.namesEvidenceClaimedBefore,
      ).length,
      unresolvedDuplicateIncidents: facts.eligibility.unresolvedDuplicateIncidents,
    }),
  ];
  const attested = attestedFindings(request.attestations);
  findings.push(...attested.findings);
  if (facts.caseFinding) findings.push(facts.caseFinding);

  if (request.decision === 'deny' || approved === null) {
    if (request.decision !== 'deny' || request.reasons.length === 0)
      throw new DomainError('validation_failed', 'a denial needs at least one coded reason');
    return denial(facts, findings, request.reasons);
  }
  if (attested.missing.length > 0) {
    throw new DomainError(
      'validation_failed',
      `an approval needs the handler's findings: ${attested.missing.join(', ')}`,
    );
  }
  const failing = findings.filter((f) => f.result === 'fail' && f.code !== 'CAPS_NOT_EXHAUSTED');
  if (failing.length > 0) {
    throw new DomainError(
      'eligibility_failed',
      `cannot approve: ${failing.map((f) => `${f.code} (${f.note})`).join('; ')}`,
      { failing: failing.map((f) => f.code).join(',') },
    );
  }
  assertDocuments(paidLines);

  const raises = computePayable(
    facts.lines.map((l) => ({
      lineId: l.id,
      category: l.category,
      approved: (approved.get(l.id) ?? ZERO).minus(l.previousPayable),
      countsAgainstCaps: l.countsAgainstCaps,
    })),
    facts.left.incident,
    facts.left.pool,
    facts.left.project,
  );
  const lines = facts.lines.map((l, index): PlannedLine => {
    const raise = raises.lines[index];
    if (!raise) throw new Error(`line ${l.lineNo} lost its payable`);
    return {
      lineId: l.id,
      category: l.category,
      approved: approved.get(l.id) ?? ZERO,
      payable: l.previousPayable.plus(raise.payable),
      previousPayable: l.previousPayable,
      change: raise.payable,
      held: raise.held,
      cutBy: raise.cutBy,
    };
  });
  const approvedTotal = sumAmounts(lines.map((l) => l.approved));
  const payable = sumAmounts(lines.map((l) => l.payable));
  const target =
    facts.kind === 'original' ? sumAmounts(facts.lines.map((l) => l.amountClaimed)) : approvedTotal;
  return {
    // An approval the caps cut to nothing is still an approval: payable 0.00, the cap named
    // in its cuts. It is never a denial, which would say an eligibility check failed.
    outcome: payable.eq(target) ? 'approved' : 'partly_approved',
    findings,
    denialReasons: [],
    approvedTotal,
    ...cutsOf(raises),
    payable,
    change: raises.payable,
    lines,
    needsChecker: checkerReason(authority, raises.payable),
  };
}

function approvedByLine(facts: DecisionFacts): Map<string, Money> {
  if (facts.request.decision !== 'approve') return new Map();
  const given = facts.request.lines;
  const byLine = new Map(given.map((entry) => [entry.lineId, entry.approved]));
  const unknown = [...byLine.keys()].filter((id) => !facts.lines.some((l) => l.id === id));
  const missing = facts.lines.filter((l) => !byLine.has(l.id)).map((l) => l.lineNo);
  const what =
    facts.kind === 'original' ? 'undecided lines of this claim' : 'lines of the revised decision';
  if (unknown.length > 0 || missing.length > 0 || byLine.size !== given.length) {
    throw new DomainError(
      'validation_failed',
      `give an approved amount for each of the ${what} exactly once${missing.length ? `; missing line(s) ${missing.join(', ')}` : ''}${unknown.length ? `; not ${what}: ${unknown.join(', ')}` : ''}`,
    );
  }
  for (const line of facts.lines) {
    const amount = byLine.get(line.id) ?? ZERO;
    if (amount.gt(line.amountClaimed)) {
      throw new DomainError(
        'validation_failed',
        `line ${line.lineNo}: approved ${formatAmount(amount)} exceeds the ${formatAmount(line.amountClaimed)} claimed`,
      );
    }
    if (amount.lt(line.previousPayable)) {
      throw new DomainError(
        'validation_failed',
        `line ${line.lineNo}: ${formatAmount(line.previousPayable)} was already paid on it; approving less (${formatAmount(amount)}) cannot bring money back — record a recovery instead`,
        { line: String(line.lineNo), paid: formatAmount(line.previousPayable) },
      );
    }
  }
  return byLine;
}

/** A line paid anything needs each required document attached, or waived with a reason. */
function assertDocuments(lines: readonly LineFacts[]): void {
  const missing = lines.flatMap((l) =>
    missingRequirements(l.requiredDocuments, l.attachedDocuments, l.waivedRequirements).map(
      (requirement) => ({ lineNo: l.lineNo, category: l.category, requirement }),
    ),
  );
  if (missing.length === 0) return;
  throw new DomainError(
    'required_document_missing',
    `cannot approve: ${missing.map((m) => `line ${m.lineNo} (${m.category}) lacks ${m.requirement}`).join('; ')} — attach it, or have a handler waive it with a reason`,
    {
      documents: [...new Set(missing.map((m) => m.requirement))].join(','),
      lines: [...new Set(missing.map((m) => String(m.lineNo)))].join(','),
    },
  );
}

function checkerReason(authority: DecisionFacts['authority'], change: Money): string | null {
  const limit = formatAmount(authority.limit);
  const claim = authority.claimPayable.plus(change);
  const incident = authority.incidentPayable.plus(change);
  if (claim.gt(authority.limit))
    return `the claim's cumulative payable ${formatAmount(claim)} passes the decider's authority limit ${limit}`;
  if (incident.gt(authority.limit))
    return `the incident's cumulative payable ${formatAmount(incident)} passes the decider's authority limit ${limit}`;
  return null;
}

function cutsOf(payable: Payable) {
  return {
    incidentCapCut: payable.incidentCapCut,
    projectLimitCut: payable.projectLimitCut,
    poolCapCut: payable.poolCapCut,
  };
}

function denial(
  facts: DecisionFacts,
  findings: FindingRow[],
  reasons: readonly DenialReason[],
): DecisionPlan {
  const lines = facts.lines.map(
    (l): PlannedLine => ({
      lineId: l.id,
      category: l.category,
      approved: l.previousPayable,
      payable: l.previousPayable,
      previousPayable: l.previousPayable,
      change: ZERO,
      held: ZERO,
      cutBy: null,
    }),
  );
  return {
    outcome: 'denied',
    findings,
    denialReasons: [...reasons],
    approvedTotal: sumAmounts(lines.map((l) => l.approved)),
    incidentCapCut: ZERO,
    projectLimitCut: ZERO,
    poolCapCut: ZERO,
    payable: sumAmounts(lines.map((l) => l.payable)),
    change: ZERO,
    lines,
    needsChecker: null,
  };
}
