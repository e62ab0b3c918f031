/**
 * @module The filing loop (备案) as rules: which step may follow which status, who takes
 * it, the review's outcome from its scores, and the 7-working-day clock from application to
 * registration. Pure: no database here.
 *
 *   draft ─submit→ submitted ─pass_preliminary_review→ preliminary_review_passed
 *                            ─fail_preliminary_review→ preliminary_review_failed
 *   preliminary_review_passed ─record_review→ reviewed
 *   reviewed ─give_feedback→ feedback_given                 (the review passed)
 *            ─give_conditional_feedback→ awaiting_answers   (passed on conditions)
 *   awaiting_answers ─answer_conditions→ feedback_given     (the department answers)
 *   feedback_given ─register→ registered                                   (terminal)
 *   any open status but draft and returned ─return→ returned ─submit→ submitted
 *                                          ─reject→ rejected                (terminal)
 *
 * A failed preliminary review or a failed review can only be returned or rejected. The
 * department submits and answers; the reform office takes every other step.
 *
 * The clock runs while the reform office holds the filing and pauses while the department
 * does (returned for amendment, or answering conditions); working days used before a pause
 * carry over when it resumes, and it stops at registration (or rejection).
 */
import type { FilingStatus, FilingStep } from '../db/schema-registry.ts';
import { DomainError } from '../domain-error.ts';
import { addWorkingDays, type WorkingCalendar, workingDaysBetween } from './calendar.ts';
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
  'awaiting_answers',
  'registered',
  'returned',
  'rejected',
];

/** Statuses in which the office owes the applicant an answer. */
export const AWAITING_ANSWER: readonly FilingStatus[] = [
  'submitted',
  'preliminary_review_passed',
  'preliminary_review_failed',
  'reviewed',
];

/** Statuses in which the reform office holds the filing: the clock runs. */
export const CLOCK_RUNS: readonly FilingStatus[] = [...AWAITING_ANSWER, 'feedback_given'];

/** Open statuses a filing can be returned or rejected from. */
const RETURNABLE: readonly FilingStatus[] = [...CLOCK_RUNS, 'awaiting_answers'];

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
  give_conditional_feedback: { from: ['reviewed'], to: 'awaiting_answers' },
  answer_conditions: { from: ['awaiting_answers'], to: 'feedback_given' },
  register: { from: ['feedback_given'], to: 'registered' },
  return: { from: RETURNABLE, to: 'returned' },
  reject: { from: RETURNABLE, to: 'rejected' },
};

/** The steps the filing department takes; the reform office takes all the others. */
export const DEPARTMENT_STEPS: readonly FilingTransitionStep[] = ['submit', 'answer_conditions'];

export const FILING_TRANSITION_STEPS = Object.keys(FILING_TRANSITIONS) as FilingTransitionStep[];

/** The status a step leads to from `from`, or an `illegal_transition` refusal. */
export function nextFilingStatus(from: FilingStatus, step: FilingTransitionStep): FilingStatus {
  const transition = FILING_TRANSITIONS[step];
  if (!transition.from.includes(from)) {
    const allowed = legalSteps(from);
    throw new DomainError(
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

export type DeadlineState =
  | 'on_track'
  | 'near'
  | 'overdue'
  | 'paused'
  | 'met'
  | 'missed'
  | 'calendar_unknown';

export interface FilingDeadline {
  /** The first application: the clock starts here. */
  readonly submittedOn: LocalDate;
  /** Registration is due by the end of this day, while the clock runs; else null. */
  readonly dueOn: LocalDate | null;
  readonly state: DeadlineState;
  /** Working days the clock has run so far (up to today while it runs). */
  readonly workingDaysUsed: number | null;
  /** Working days after today up to and including dueOn, while the clock runs; else null. */
  readonly workingDaysLeft: number | null;
  /** The local date the clock stopped (registration or rejection), once it has. */
  readonly closedOn: LocalDate | null;
}

/** One move of the filing, as its step history records it. */
export interface ClockEvent {
  readonly toStatus: FilingStatus;
  readonly at: Date;
}

interface ClockRun {
  readonly firstSubmittedOn: LocalDate | null;
  /** Working days in the running segments that have ended. */
  readonly used: number;
  /** The local date the current running segment started, while the clock runs. */
  readonly runningSince: LocalDate | null;
  readonly closedOn: LocalDate | null;
}

/**
 * Replays the history: each running segment counts the working days in (start, end], so
 * the day of an application or resubmission never counts, as the submission day never did.
 */
function replayClock(calendar: WorkingCalendar, events: readonly ClockEvent[]): ClockRun {
  let firstSubmittedOn: LocalDate | null = null;
  let used = 0;
  let runningSince: LocalDate | null = null;
  let closedOn: LocalDate | null = null;
  for (const event of events) {
    const day = localDateOf(event.at);
    const runs = CLOCK_RUNS.includes(event.toStatus);
    if (event.toStatus === 'submitted' && firstSubmittedOn === null) firstSubmittedOn = day;
    if (runningSince !== null && !runs) {
      used += workingDaysBetween(calendar, runningSince, day);
      runningSince = null;
    } else if (runningSince === null && runs) {
      runningSince = day;
    }
    if (event.toStatus === 'registered' || event.toStatus === 'rejected') closedOn = day;
  }
  return { firstSubmittedOn, used, runningSince, closedOn };
}

/** Where a filing stands against its clock on `today`; null before its first application. */
export function filingDeadline(
  calendar: WorkingCalendar,
  events: readonly ClockEvent[],
  today: LocalDate,
): FilingDeadline | null {
  let run: ClockRun;
  try {
    run = replayClock(calendar, events);
  } catch (error) {
    if (!(error instanceof DomainError) || error.code !== 'calendar_year_unknown') throw error;
    const first = events.find((event) => event.toStatus === 'submitted');
    if (!first) return null;
    return {
      submittedOn: localDateOf(first.at),
      dueOn: null,
      state: 'calendar_unknown',
      workingDaysUsed: null,
      workingDaysLeft: null,
      closedOn: null,
    };
  }
  if (run.firstSubmittedOn === null) return null;
  const submittedOn = run.firstSubmittedOn;
  const limit = FILING_DEADLINE_WORKING_DAYS;
  if (run.closedOn !== null) {
    const state = run.used <= limit ? 'met' : 'missed';
    const closedOn = run.closedOn;
    return {
      submittedOn,
      dueOn: null,
      state,
      workingDaysUsed: run.used,
      workingDaysLeft: null,
      closedOn,
    };
  }
  if (run.runningSince === null) {
    return {
      submittedOn,
      dueOn: null,
      state: 'paused',
      workingDaysUsed: run.used,
      workingDaysLeft: limit - run.used,
      closedOn: null,
    };
  }
  return runningDeadline(calendar, { ...run, runningSince: run.runningSince, submittedOn }, today);
}

function runningDeadline(
  calendar: WorkingCalendar,
  run: ClockRun & { readonly runningSince: LocalDate; readonly submittedOn: LocalDate },
  today: LocalDate,
): FilingDeadline {
  try {
    const limit = FILING_DEADLINE_WORKING_DAYS;
    const dueOn = addWorkingDays(calendar, run.runningSince, Math.max(0, limit - run.used));
    const sinceResumed =
      today > run.runningSince ? workingDaysBetween(calendar, run.runningSince, today) : 0;
    const workingDaysLeft = workingDaysBetween(calendar, today, dueOn);
    const state =
      today > dueOn
        ? 'overdue'
        : workingDaysLeft <= NEAR_DEADLINE_WORKING_DAYS
          ? 'near'
          : 'on_track';
    return {
      submittedOn: run.submittedOn,
      dueOn,
      state,
      workingDaysUsed: run.used + sinceResumed,
      workingDaysLeft,
      closedOn: null,
    };
  } catch (error) {
    if (!(error instanceof DomainError) || error.code !== 'calendar_year_unknown') throw error;
    return {
      submittedOn: run.submittedOn,
      dueOn: null,
      state: 'calendar_unknown',
      workingDaysUsed: null,
      workingDaysLeft: null,
      closedOn: null,
    };
  }
}
