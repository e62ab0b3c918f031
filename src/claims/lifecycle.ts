/**
 * @module A claim's life cycle as a table: which action moves a claim from which status to
 * which. Everything else is an illegal transition, refused with a clear error.
 *
 * submitted → under_review → (awaiting_confirmation →) approved | partly_approved | denied
 * approved | partly_approved → payout_pending ⇄ payout_failed → paid | closed (every payout
 * voided) — the status follows the claim's payouts (src/payouts/claim-status.ts)
 * submitted | under_review → withdrawn;  approved | partly_approved | denied | paid | closed → reopened
 * partly_approved → paid when the caps cut the approval to 0.00: nothing to pay, no payout
 */
import type { ClaimStatus } from '../db/schema.ts';
import { DomainError } from '../domain-error.ts';

export type ClaimAction =
  | 'start_review'
  | 'withdraw'
  | 'decide'
  | 'confirm'
  | 'reject_decision'
  | 'request_payout'
  | 'settle'
  | 'close_nothing_to_pay'
  | 'fail_payout'
  | 'retry_payout'
  | 'close'
  | 'reopen';

const DECIDED: readonly ClaimStatus[] = ['approved', 'partly_approved', 'denied'];

const TRANSITIONS: Readonly<
  Record<ClaimAction, { from: readonly ClaimStatus[]; to: readonly ClaimStatus[] }>
> = {
  start_review: { from: ['submitted'], to: ['under_review'] },
  withdraw: { from: ['submitted', 'under_review'], to: ['withdrawn'] },
  decide: { from: ['under_review', 'reopened'], to: ['awaiting_confirmation', ...DECIDED] },
  confirm: { from: ['awaiting_confirmation'], to: DECIDED },
  // A rejected supplement goes back where supplements are made: the reopened claim.
  reject_decision: { from: ['awaiting_confirmation'], to: ['under_review', 'reopened'] },
  request_payout: { from: ['approved', 'partly_approved'], to: ['payout_pending'] },
  settle: { from: ['payout_pending', 'payout_failed'], to: ['paid'] },
  // An approval with payable 0.00 has nothing to pay out: it ends where a paid claim ends.
  close_nothing_to_pay: { from: ['partly_approved'], to: ['paid'] },
  fail_payout: { from: ['payout_pending'], to: ['payout_failed'] },
  retry_payout: { from: ['payout_failed'], to: ['payout_pending'] },
  close: { from: ['payout_pending', 'payout_failed'], to: ['closed'] },
  reopen: { from: ['approved', 'partly_approved', 'denied', 'paid', 'closed'], to: ['reopened'] },
};

/** Throws unless `action` may move a claim in `from` to `to`. */
export function assertTransition(action: ClaimAction, from: ClaimStatus, to: ClaimStatus): void {
  const rule = TRANSITIONS[action];
  if (!rule.from.includes(from) || !rule.to.includes(to)) {
    throw new DomainError(
      'illegal_transition',
      `a claim that is ${from} cannot ${action.replace('_', ' ')}${rule.from.includes(from) ? ` to ${to}` : ''}; allowed from: ${rule.from.join(', ')}`,
      { from, action },
    );
  }
}

export function canTake(action: ClaimAction, from: ClaimStatus): boolean {
  return TRANSITIONS[action].from.includes(from);
}
