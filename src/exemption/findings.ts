/**
 * @module The exemption test as coded findings, and the proposal it makes. Pure.
 *
 * The scheme exempts (直接认定免于追责) when the risk was filed before the incident, the
 * risk control was carried out as filed, the cause was non-subjective or force majeure, a
 * positive-list situation applies and no negative-list one does. The latest finding of
 * each code counts; a missing one is not met.
 */
import type { ExemptionFindingCode, ExemptionOutcome } from '../db/schema-exemption.ts';

export const EXEMPTION_CONDITIONS: readonly ExemptionFindingCode[] = [
  'FILED_BEFORE_INCIDENT',
  'CONTROLLED_AS_FILED',
  'NON_SUBJECTIVE_OR_FORCE_MAJEURE',
  'POSITIVE_LIST_APPLIES',
  'NO_NEGATIVE_LIST_SITUATION',
];

/** Attested by the group; the first is automatic, from the registry. */
export const ATTESTED_CONDITIONS = EXEMPTION_CONDITIONS.filter(
  (code) => code !== 'FILED_BEFORE_INCIDENT',
);

/** Conditions the group may only find met on the strength of evidence in the case. */
export const NEEDS_EVIDENCE: readonly ExemptionFindingCode[] = [
  'CONTROLLED_AS_FILED',
  'NON_SUBJECTIVE_OR_FORCE_MAJEURE',
];

export interface CaseFinding {
  readonly code: ExemptionFindingCode;
  readonly kind: 'automatic' | 'attested';
  readonly met: boolean;
  readonly note: string;
  readonly listItemCode: string | null;
  readonly listItemVersion: number | null;
  readonly evidenceIds: readonly string[];
  readonly recordedAt: Date;
  readonly recordedBy: string | null;
}

export interface ConditionState {
  readonly code: ExemptionFindingCode;
  /** null: not yet found. */
  readonly met: boolean | null;
  readonly finding: CaseFinding | null;
}

/** The latest finding of each condition, in the order of the test. */
export function conditionStates(findings: readonly CaseFinding[]): ConditionState[] {
  return EXEMPTION_CONDITIONS.map((code) => {
    const latest = findings.filter((f) => f.code === code).at(-1) ?? null;
    return { code, met: latest?.met ?? null, finding: latest };
  });
}

/** "exempt" when every condition holds (直接认定), else no proposal. */
export function proposedOutcome(states: readonly ConditionState[]): 'exempt' | 'not_proposed' {
  return states.length === EXEMPTION_CONDITIONS.length && states.every((s) => s.met === true)
    ? 'exempt'
    : 'not_proposed';
}

/**
 * Which outcomes the findings allow: full exemption only when every condition holds; none
 * at all where a negative-list situation applies or the risk was not filed before.
 */
export function allowedOutcomes(states: readonly ConditionState[]): ExemptionOutcome[] {
  const met = (code: ExemptionFindingCode) => states.find((s) => s.code === code)?.met;
  if (met('NO_NEGATIVE_LIST_SITUATION') === false || met('FILED_BEFORE_INCIDENT') !== true) {
    return ['not_exempt'];
  }
  return proposedOutcome(states) === 'exempt'
    ? ['exempt', 'partly_exempt', 'not_exempt']
    : ['partly_exempt', 'not_exempt'];
}
