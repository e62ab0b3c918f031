/**
 * @module The policy layer's refusals (pools, contributions, registry, filing), each with a
 * stable machine code the HTTP layer maps to a problem.
 */
export type PolicyErrorCode =
  | 'illegal_transition'
  | 'not_found'
  | 'conflict'
  | 'validation_failed'
  | 'limit_exceeded';

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
