/**
 * @module How far a payout's attempts go: the retries, the lease, and what an attempt answers.
 */
import type { PayoutStatus } from '../db/schema.ts';

export interface RetryPolicy {
  readonly attempts: number;
  readonly backoffMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, backoffMs: 1000 };
/** An attempt not finished within this long is taken as lost (its worker died in it). */
export const DEFAULT_LEASE_MS = 60_000;

export interface AttemptOptions {
  readonly retry: RetryPolicy;
  /** How long an attempt may run before it is taken as lost and another may begin. */
  readonly leaseMs: number;
  /** How long a payout in doubt, its attempts spent, waits before it is asked about again. */
  readonly recheckMs?: number;
}

/** Asking again about a payout in doubt whose attempts are spent: every five minutes. */
export const IN_DOUBT_RECHECK_MS = 5 * 60 * 1000;

export type PayoutStepResult =
  | { readonly kind: 'done'; readonly status: PayoutStatus }
  | { readonly kind: 'retry'; readonly status: PayoutStatus; readonly error: string };

/** Whether the payout has used its budget of attempts since finance last retried it. */
export const attemptsSpent = (
  payout: { attempts: number; attempts_before_retry: number },
  retry: RetryPolicy,
) => payout.attempts - payout.attempts_before_retry >= retry.attempts;
