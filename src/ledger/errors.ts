/**
 * @module The ledger's refusals, each with a stable machine code.
 */
export type LedgerErrorCode =
  | 'invalid_entry'
  | 'unbalanced'
  | 'unknown_account'
  | 'limit_exceeded'
  | 'idempotency_conflict'
  | 'entry_not_found'
  | 'not_pending'
  | 'already_resolved'
  | 'exceeds_pending'
  | 'not_reversible'
  | 'already_reversed'
  | 'account_conflict'
  | 'period_closed'
  | 'contention';

export class LedgerError extends Error {
  override readonly name = 'LedgerError';
  constructor(
    readonly code: LedgerErrorCode,
    message: string,
    /** Facts a caller may show: the account code and the amounts involved. */
    readonly details: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}
