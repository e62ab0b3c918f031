/**
 * @module The policy layer's refusals (pools, contributions, registry, filing), each with a
 * stable machine code the HTTP layer maps to a problem.
 */
export type PolicyErrorCode =
  | 'illegal_transition'
  | 'not_found'
  | 'conflict'
  | 'validation_failed'
  | 'limit_exceeded'
  /** A working day asked about in a year the calendar holds no official schedule for. */
  | 'calendar_year_unknown'
  /** The same person may not take both of two steps the scheme gives to different hands. */
  | 'separation_of_duties'
  /** A date that cannot be true: in the future, before the pool existed, a refund before its money. */
  | 'impossible_date'
  /** Money received in a month finance has closed. */
  | 'period_closed'
  /**
   * Money or terms dated before a capacity event already posted (terms in force, another
   * movement): the figures of the days in between would contradict the formula.
   */
  | 'later_capacity_event'
  /** An imported filing registered on or after the day the service went live. */
  | 'registered_after_go_live';

export class PolicyError extends Error {
  override readonly name = 'PolicyError';
  constructor(
    readonly code: PolicyErrorCode,
    message: string,
    readonly details: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}
