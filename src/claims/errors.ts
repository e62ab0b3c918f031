/**
 * @module The claims layer's refusals, each with a stable machine code.
 */
export type ClaimErrorCode =
  | 'illegal_transition'
  | 'not_found'
  | 'conflict'
  | 'validation_failed'
  | 'eligibility_failed'
  | 'four_eyes_required'
  /** A date that cannot be true, such as an incident after today. */
  | 'impossible_date';

export class ClaimError extends Error {
  override readonly name = 'ClaimError';
  constructor(
    readonly code: ClaimErrorCode,
    message: string,
    readonly details: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}
