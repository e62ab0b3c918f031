/**
 * @module Problem details (RFC 9457): the one error type of the HTTP layer, and the one
 * place (`toProblem`) where any error becomes a response. No stack, SQL or internal name
 * ever reaches a client.
 */

import { RetriesExhaustedError } from '../db/transaction.ts';
import { LedgerError, type LedgerErrorCode } from '../ledger/errors.ts';
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

const LEDGER_STATUS: Record<LedgerErrorCode, [number, ProblemCode | LedgerErrorCode]> = {
  invalid_entry: [422, 'validation_failed'],
  unbalanced: [422, 'validation_failed'],
  unknown_account: [404, 'not_found'],
  limit_exceeded: [409, 'limit_exceeded'],
  idempotency_conflict: [409, 'idempotency_key_reused'],
  entry_not_found: [404, 'not_found'],
  not_pending: [409, 'illegal_transition'],
  already_resolved: [409, 'illegal_transition'],
  exceeds_pending: [422, 'validation_failed'],
  not_reversible: [409, 'illegal_transition'],
  already_reversed: [409, 'illegal_transition'],
  account_conflict: [409, 'conflict'],
  contention: [503, 'busy'],
};

/** Turns any thrown value into a problem; unknown errors become a bare 500. */
export function toProblem(error: unknown): ProblemError {
  if (error instanceof ProblemError) return error;
  if (error instanceof LedgerError) {
    const [status, code] = LEDGER_STATUS[error.code];
    return new ProblemError(
      status,
      code,
      error.message,
      Object.keys(error.details).length ? { facts: error.details } : {},
    );
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
  return {
    type: `urn:problem:${problem.code}`,
    title: TITLES[problem.status] ?? 'Error',
    status: problem.status,
    code: problem.code,
    detail: problem.detail,
    instance,
    requestId,
    ...problem.extensions,
  };
}
