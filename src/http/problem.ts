/**
 * @module Problem details (RFC 9457): the one error type of the HTTP layer, and the one
 * place (`toProblem`) where any error becomes a response. No stack, SQL or internal name
 * ever reaches a client.
 */

import { databaseErrorCode, RetriesExhaustedError } from '../db/transaction.ts';
import { DomainError, type DomainErrorCode } from '../domain-error.ts';
import { StatementFileError } from '../finance/errors.ts';
import { AmountError } from '../ledger/money.ts';

export type ProblemCode =
  | 'validation_failed'
  | 'malformed_json'
  | 'unsupported_media_type'
  | 'payload_too_large'
  | 'idempotency_key_required'
  | 'idempotency_key_reused'
  | 'not_found'
  | 'method_not_allowed'
  | 'conflict'
  | 'illegal_transition'
  | 'limit_exceeded'
  | 'unauthenticated'
  | 'forbidden'
  | 'busy'
  | 'too_many_requests'
  | 'headers_too_large'
  | 'bad_request'
  | 'internal_error';

export interface InvalidField {
  readonly field: string;
  readonly reason: string;
}

export interface ProblemBody {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: ProblemCode | string;
  readonly detail: string;
  readonly instance?: string;
  readonly requestId?: string;
  readonly errors?: readonly InvalidField[];
  readonly [extension: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export class ProblemError extends Error {
  override readonly name = 'ProblemError';
  constructor(
    readonly status: number,
    readonly code: ProblemCode | string,
    readonly detail: string,
    readonly extensions: Readonly<Record<string, unknown>> = {},
  ) {
    super(detail);
  }
}

export function validationProblem(
  errors: readonly InvalidField[],
  detail = 'the request is not valid',
): ProblemError {
  return new ProblemError(422, 'validation_failed', detail, { errors });
}

export const notFound = (what: string) =>
  new ProblemError(404, 'not_found', `${what} does not exist`);

/**
 * Each domain code's HTTP status, and the public code where the ledger's own vocabulary is
 * narrower than a client needs (an unbalanced entry is, to a client, invalid input).
 */
const DOMAIN_STATUS: Record<DomainErrorCode, readonly [number, ProblemCode | DomainErrorCode]> = {
  not_found: [404, 'not_found'],
  conflict: [409, 'conflict'],
  validation_failed: [422, 'validation_failed'],
  illegal_transition: [409, 'illegal_transition'],
  limit_exceeded: [409, 'limit_exceeded'],
  impossible_date: [422, 'impossible_date'],
  period_closed: [409, 'period_closed'],
  eligibility_failed: [422, 'eligibility_failed'],
  four_eyes_required: [409, 'four_eyes_required'],
  required_document_missing: [422, 'required_document_missing'],
  calendar_year_unknown: [422, 'calendar_year_unknown'],
  separation_of_duties: [403, 'separation_of_duties'],
  later_capacity_event: [422, 'later_capacity_event'],
  registered_after_go_live: [422, 'registered_after_go_live'],
  invalid_entry: [422, 'validation_failed'],
  unbalanced: [422, 'validation_failed'],
  unknown_account: [404, 'not_found'],
  idempotency_conflict: [409, 'idempotency_key_reused'],
  entry_not_found: [404, 'not_found'],
  not_pending: [409, 'illegal_transition'],
  already_resolved: [409, 'illegal_transition'],
  exceeds_pending: [422, 'validation_failed'],
  not_reversible: [409, 'illegal_transition'],
  already_reversed: [409, 'illegal_transition'],
  account_conflict: [409, 'conflict'],
  contention: [503, 'busy'],
  statement_file_invalid: [422, 'validation_failed'],
};

/** Turns any thrown value into a problem; unknown errors become a bare 500. */
export function toProblem(error: unknown): ProblemError {
  if (error instanceof ProblemError) return error;
  if (error instanceof StatementFileError) {
    // Each bad row of a statement file, as a field of the body's csv and as rows to fix.
    const rows = error.reportedRows;
    return new ProblemError(422, 'validation_failed', error.message, {
      errors: rows.map((r) => ({ field: `json.csv.row.${r.row}`, reason: r.reason })),
      rows,
      rowErrorCount: error.rows.length,
    });
  }
  if (error instanceof DomainError) {
    const [status, code] = DOMAIN_STATUS[error.code];
    const facts = Object.keys(error.details).length ? { facts: error.details } : {};
    return new ProblemError(status, code, error.message, facts);
  }
  if (error instanceof AmountError)
    return validationProblem([{ field: 'amount', reason: error.message }], error.message);
  if (error instanceof RetriesExhaustedError) {
    return new ProblemError(
      503,
      'busy',
      'the service is busy with conflicting changes; retry with the same Idempotency-Key',
    );
  }
  // The database refused a value our validation let through (a NUL character, a value out
  // of a column's range, a duplicate): the client's input, so a 4xx — without the SQL.
  const sqlState = databaseErrorCode(error);
  if (sqlState?.startsWith('22') || sqlState === '23514') {
    return validationProblem(
      [],
      'a value in the request cannot be stored (for example a NUL character or an out-of-range number)',
    );
  }
  if (sqlState === '23505') {
    return new ProblemError(
      409,
      'conflict',
      'a record with the same identifying values already exists',
    );
  }
  return new ProblemError(
    500,
    'internal_error',
    'an unexpected error occurred; it has been logged',
  );
}

export function problemBody(
  problem: ProblemError,
  instance: string,
  requestId: string,
): ProblemBody {
  const core = {
    type: `urn:problem:${problem.code}`,
    title: TITLES[problem.status] ?? 'Error',
    status: problem.status,
    code: problem.code,
    detail: problem.detail,
    instance,
    requestId,
  };
  // No extension may overwrite a member the RFC defines (status must stay the HTTP status)
  // or the code clients switch on.
  const extensions = Object.entries(problem.extensions).filter(([name]) => !(name in core));
  return { ...core, ...Object.fromEntries(extensions) };
}
