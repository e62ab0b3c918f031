/**
 * @module The one refusal every domain module raises (ledger, policy, claims, finance,
 * payouts, exemption): a stable machine code, a message for people, and facts a caller may
 * show. The HTTP layer turns it into a problem in one place (`toProblem`).
 */
export type DomainErrorCode =
  // Shared by every module.
  | 'not_found'
  | 'conflict'
  | 'validation_failed'
  | 'illegal_transition'
  | 'limit_exceeded'
  /** A date that cannot be true: in the future, before the pool existed, a refund before its money. */
  | 'impossible_date'
  /** Money received, or a change dated, in a month finance has closed. */
  | 'period_closed'
  // Claims.
  | 'eligibility_failed'
  | 'four_eyes_required'
  /** A line's required document is neither attached nor waived; `facts.documents` names it. */
  | 'required_document_missing'
  // Policy: pools, contributions, registry, filing, calendar, exemption.
  /** A working day asked about in a year the calendar holds no official schedule for. */
  | 'calendar_year_unknown'
  /** The same person may not take both of two steps the scheme gives to different hands. */
  | 'separation_of_duties'
  /**
   * Money or terms dated before a capacity event already posted (terms in force, another
   * movement): the figures of the days in between would contradict the formula.
   */
  | 'later_capacity_event'
  /** An imported filing registered on or after the day the service went live. */
  | 'registered_after_go_live'
  // Ledger.
  | 'invalid_entry'
  | 'unbalanced'
  | 'unknown_account'
  | 'idempotency_conflict'
  | 'entry_not_found'
  | 'not_pending'
  | 'already_resolved'
  | 'exceeds_pending'
  | 'not_reversible'
  | 'already_reversed'
  | 'account_conflict'
  /** The ledger could not take its locks in time; the caller may retry with the same key. */
  | 'contention'
  // Finance.
  /** A statement file with bad rows, refused as a whole. */
  | 'statement_file_invalid';

export class DomainError extends Error {
  override readonly name: string = 'DomainError';
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    /** Facts a caller may show: the account code, the amounts, the cap involved. */
    readonly details: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}
