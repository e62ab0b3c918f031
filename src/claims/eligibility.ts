/**
 * @module Eligibility as a list of coded findings: the automatic ones the service computes
 * from facts, and the ones a handler attests. Approving needs every finding to pass for
 * every line that is paid anything.
 */
import type { FindingRow } from '../db/schema.ts';

export const AUTOMATIC_FINDINGS = [
  'RISK_POINT_FILED_BEFORE_INCIDENT',
  'WITHIN_POLICY_PERIOD',
  'CATEGORY_COVERED',
  'CAPS_NOT_EXHAUSTED',
  'NO_DUPLICATE',
  'NO_UNRESOLVED_DUPLICATE_INCIDENT',
] as const;

/**
 * The insurer attests only its own claim standards. Whether the officials acted as filed,
 * the cause and the lists are the special group's findings in the investigation; where the
 * terms require them, eligibility reads them from the case (EXEMPTION_CONDITIONS_MET).
 */
export const ATTESTED_FINDINGS = ['MEETS_CLAIM_STANDARDS'] as const;

export const CASE_FINDING = 'EXEMPTION_CONDITIONS_MET';

export type AttestedFindingCode = (typeof ATTESTED_FINDINGS)[number];

/** Coded reasons a denial may give: every finding code, and these three. */
export const DENIAL_REASONS = [
  ...AUTOMATIC_FINDINGS,
  ...ATTESTED_FINDINGS,
  CASE_FINDING,
  'NOT_AN_ECONOMIC_LOSS',
  'INSUFFICIENT_EVIDENCE',
  'OTHER',
] as const;
export type DenialReason = (typeof DENIAL_REASONS)[number];

export type Finding = FindingRow;

export interface EligibilityFacts {
  readonly riskPointRegisteredOn: string | null;
  readonly occurredOn: string;
  readonly periodStart: string;
  readonly periodEnd: string;
  /** Categories of the lines that would be paid, and whether the terms cover each. */
  readonly lineCategories: readonly { readonly category: string; readonly covered: boolean }[];
  readonly incidentRemaining: string;
  readonly poolRemaining: string;
  readonly duplicateLines: number;
  /** Incidents flagged as possibly the same loss event that no handler has linked or separated. */
  readonly unresolvedDuplicateIncidents: number;
}

const isZero = (amount: string) => /^0(\.0+)?$/.test(amount);

export function automaticFindings(facts: EligibilityFacts): Finding[] {
  const filed =
    facts.riskPointRegisteredOn !== null && facts.riskPointRegisteredOn < facts.occurredOn;
  const inPeriod = facts.occurredOn >= facts.periodStart && facts.occurredOn <= facts.periodEnd;
  const uncovered = facts.lineCategories
    .filter((line) => !line.covered)
    .map((line) => line.category);
  const exhausted = isZero(facts.incidentRemaining) || isZero(facts.poolRemaining);
  return [
    {
      code: 'RISK_POINT_FILED_BEFORE_INCIDENT',
      kind: 'automatic',
      result: filed ? 'pass' : 'fail',
      note: facts.riskPointRegisteredOn
        ? `registered ${facts.riskPointRegisteredOn}, incident ${facts.occurredOn}`
        : 'the risk point is not registered',
    },
    {
      code: 'WITHIN_POLICY_PERIOD',
      kind: 'automatic',
      result: inPeriod ? 'pass' : 'fail',
      note: `policy period ${facts.periodStart} – ${facts.periodEnd}, incident ${facts.occurredOn}`,
    },
    {
      code: 'CATEGORY_COVERED',
      kind: 'automatic',
      result: uncovered.length === 0 ? 'pass' : 'fail',
      note:
        uncovered.length === 0
          ? 'every category is covered'
          : `not covered: ${[...new Set(uncovered)].join(', ')}`,
    },
    {
      code: 'CAPS_NOT_EXHAUSTED',
      kind: 'automatic',
      result: exhausted ? 'fail' : 'pass',
      note: `incident cap left ${facts.incidentRemaining}, pool coverage left ${facts.poolRemaining}`,
    },
    {
      code: 'NO_DUPLICATE',
      kind: 'automatic',
      result: facts.duplicateLines === 0 ? 'pass' : 'fail',
      note:
        facts.duplicateLines === 0
          ? 'no evidence claimed before'
          : `${facts.duplicateLines} line(s) name evidence claimed before`,
    },
    {
      code: 'NO_UNRESOLVED_DUPLICATE_INCIDENT',
      kind: 'automatic',
      result: facts.unresolvedDuplicateIncidents === 0 ? 'pass' : 'fail',
      note:
        facts.unresolvedDuplicateIncidents === 0
          ? 'no other report of this loss event is waiting to be linked or separated'
          : `${facts.unresolvedDuplicateIncidents} incident(s) on the same risk point may be this loss event: link them as one event or record why they are separate`,
    },
  ];
}

export interface Attestation {
  readonly code: AttestedFindingCode;
  readonly result: 'pass' | 'fail';
  readonly note: string;
}

/** The handler's attestations, checked to be exactly the attested findings, each once. */
export function attestedFindings(attestations: readonly Attestation[]): {
  findings: Finding[];
  missing: string[];
} {
  const byCode = new Map(attestations.map((a) => [a.code, a]));
  const missing = ATTESTED_FINDINGS.filter((code) => !byCode.has(code));
  const findings = ATTESTED_FINDINGS.flatMap((code) => {
    const attestation = byCode.get(code);
    return attestation
      ? [{ code, kind: 'attested' as const, result: attestation.result, note: attestation.note }]
      : [];
  });
  return { findings, missing };
}
