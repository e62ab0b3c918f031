/**
 * @module The filing loop (备案) as rules: which step may follow which status, and the
 * 7-working-day deadline from submission to result feedback. Pure: no database here.
 *
 *   draft ─submit→ submitted ─pass_preliminary_review→ preliminary_review_passed
 *                            ─fail_preliminary_review→ preliminary_review_failed
 *   preliminary_review_passed ─record_review→ reviewed ─give_feedback→ feedback_given
 *   feedback_given ─register→ registered                                   (terminal)
 *   submitted | preliminary_review_passed | preliminary_review_failed | reviewed
 *                 ─return→ returned ─submit→ submitted (a resubmission)
 *                 ─reject→ rejected                                        (terminal)
 *
 * A failed preliminary review can only be returned or rejected: an inadmissible project
 * is never reviewed. Giving feedback, returning and rejecting each answer the applicant,
 * which stops the deadline clock; a resubmission starts a new clock.
 */
import type { FilingStatus, FilingStep } from '../db/schema-registry.ts';
import { addWorkingDays, type WorkingCalendar, workingDaysBetween } from './calendar.ts';
import { PolicyError } from './errors.ts';
import { type LocalDate, localDateOf } from './local-date.ts';

/** Every step but 'create', which starts a filing rather than moving one. */
export type FilingTransitionStep = Exclude<FilingStep, 'create'>;

export const FILING_STATUSES: readonly FilingStatus[] = [
  'draft',
  'submitted',
  'preliminary_review_passed',
  'preliminary_review_failed',
  'reviewed',
  'feedback_given',
  'registered',
  'returned',
  'rejected',
];

/** Statuses in which the office owes the applicant an answer: the deadline clock runs. */
export const AWAITING_ANSWER: readonly FilingStatus[] = [
  'submitted',
  'preliminary_review_passed',
  'preliminary_review_failed',
  'reviewed',
];

export const FILING_TRANSITIONS: Readonly<
  Record<
    FilingTransitionStep,
    { readonly from: readonly FilingStatus[]; readonly to: FilingStatus }
  >
> = {
  submit: { from: ['draft', 'returned'], to: 'submitted' },
  pass_preliminary_review: { from: ['submitted'], to: 'preliminary_review_passed' },
  fail_preliminary_review: { from: ['submitted'], to: 'preliminary_review_failed' },
  record_review: { from: ['preliminary_review_passed'], to: 'reviewed' },
  give_feedback: { from: ['reviewed'], to: 'feedback_given' },
  register: { from: ['feedback_given'], to: 'registered' },
  return: { from: AWAITING_ANSWER, to: 'returned' },
  reject: { from: AWAITING_ANSWER, to: 'rejected' },
};

export const FILING_TRANSITION_STEPS = Object.keys(FILING_TRANSITIONS) as FilingTransitionStep[];

/** The status a step leads to from `from`, or an `illegal_transition` refusal. */
export function nextFilingStatus(from: FilingStatus, step: FilingTransitionStep): FilingStatus {
  const transition = FILING_TRANSITIONS[step];
  if (!transition.from.includes(from)) {
    const allowed = legalSteps(from);
    throw new PolicyError(
      'illegal_transition',
      `a filing that is ${from} cannot take the step "${step}"; ${
        allowed.length > 0 ? `it can take: ${allowed.join(', ')}` : 'it is closed'
      }`,
      { status: from, step },
    );
  }
  return transition.to;
}

/** The steps a filing in `status` may take next (none once registered or rejected). */
export function legalSteps(status: FilingStatus): FilingTransitionStep[] {
  return FILING_TRANSITION_STEPS.filter((step) => FILING_TRANSITIONS[step].from.includes(status));
}

/**
 * The admission rule of the preliminary review: every criterion must pass (a project must
 * be a reform and be breakthrough, leading and innovative). Kept in one place so a county
 * that adopts a looser rule changes only this.
 */
export function isAdmitted(criteria: readonly { readonly passed: boolean }[]): boolean {
  return criteria.length > 0 && criteria.every((criterion) => criterion.passed);
}

export const FILING_DEADLINE_WORKING_DAYS = 7;
/** A filing with this many working days left, or fewer, is listed as near its deadline. */
export const NEAR_DEADLINE_WORKING_DAYS = 2;

export type DeadlineState = 'on_track' | 'near' | 'overdue' | 'met' | 'missed';

export interface FilingDeadline {
  readonly submittedOn: LocalDate;
  /** Result feedback is due by the end of this day. */
  readonly dueOn: LocalDate;
  readonly state: DeadlineState;
  /** Working days after today up to and including dueOn, while the clock runs; else null. */
  readonly workingDaysLeft: number | null;
  /** The local date the office answered (feedback, return or rejection), once it has. */
  readonly answeredOn: LocalDate | null;
}

export interface DeadlineFacts {
  readonly status: FilingStatus;
  readonly submittedOn: LocalDate | null;
  readonly answeredAt: Date | null;
}

/**
 * The deadline rule: due on the 7th working day after the (latest) submission date; the
 * submission date never counts, whatever the hour (a filing submitted on Wednesday
 * 2026-09-30 is due Thursday 2026-10-15: Oct 8, 9, 10 (make-up Saturday), 12, 13, 14, 15).
 */
export function filingDueOn(calendar: WorkingCalendar, submittedOn: LocalDate): LocalDate {
  return addWorkingDays(calendar, submittedOn, FILING_DEADLINE_WORKING_DAYS);
}

/** Where a filing stands against its deadline on `today`; null before its first submission. */
export function filingDeadline(
  calendar: WorkingCalendar,
  facts: DeadlineFacts,
  today: LocalDate,
): FilingDeadline | null {
  if (facts.submittedOn === null) return null;
  const dueOn = filingDueOn(calendar, facts.submittedOn);
  const submittedOn = facts.submittedOn;
  if (facts.answeredAt !== null) {
    const answeredOn = localDateOf(facts.answeredAt);
    const state = answeredOn <= dueOn ? 'met' : 'missed';
    return { submittedOn, dueOn, state, workingDaysLeft: null, answeredOn };
  }
  if (!AWAITING_ANSWER.includes(facts.status)) {
    throw new Error(`a submitted ${facts.status} filing must be awaiting an answer or answered`);
  }
  const workingDaysLeft = workingDaysBetween(calendar, today, dueOn);
  const state =
    today > dueOn ? 'overdue' : workingDaysLeft <= NEAR_DEADLINE_WORKING_DAYS ? 'near' : 'on_track';
  return { submittedOn, dueOn, state, workingDaysLeft, answeredOn: null };
}
