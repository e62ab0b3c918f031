/**
 * @module A payout's life cycle as one table: which action moves a payout from which status
 * to which. Everything else is refused. The rule the table encodes: once the gateway may
 * have paid (`sending`, `in_doubt`), only a definite answer moves the payout — a receipt,
 * the gateway's lookup, a matched statement line or a finance decision with its evidence —
 * and `void` is reachable only from states where the money certainly did not leave.
 *
 * pending ──hold_funds──▶ sending ──confirm_paid──▶ paid
 *    │  └─wait_for_funds─▶ awaiting_funds ──release_funds──▶ pending
 * sending ──lose_answer──▶ in_doubt ──confirm_paid──▶ paid
 * sending ──refuse──▶ failed ◀──confirm_not_paid── in_doubt ──resend──▶ sending
 * failed ──retry──▶ pending;   pending | awaiting_funds | failed ──void──▶ void
 */

import type { PayoutStatus } from '../db/schema.ts';
import { DomainError } from '../domain-error.ts';

export type PayoutAction =
  | 'hold_funds'
  | 'wait_for_funds'
  | 'release_funds'
  | 'resend'
  | 'lose_answer'
  | 'confirm_paid'
  | 'refuse'
  | 'confirm_not_paid'
  | 'retry'
  | 'void';

export const PAYOUT_STATUSES = [
  'pending',
  'awaiting_funds',
  'sending',
  'in_doubt',
  'paid',
  'failed',
  'void',
] as const satisfies readonly PayoutStatus[];

const TRANSITIONS: Readonly<
  Record<PayoutAction, { from: readonly PayoutStatus[]; to: PayoutStatus }>
> = {
  hold_funds: { from: ['pending'], to: 'sending' },
  wait_for_funds: { from: ['pending'], to: 'awaiting_funds' },
  release_funds: { from: ['awaiting_funds'], to: 'pending' },
  // Sent again: after a definite "not sent" (the bank was unavailable), or from in doubt
  // once the lookup says the bank never received it. The idempotency key stays the same.
  resend: { from: ['sending', 'in_doubt'], to: 'sending' },
  lose_answer: { from: ['sending', 'in_doubt'], to: 'in_doubt' },
  confirm_paid: { from: ['sending', 'in_doubt'], to: 'paid' },
  // A definite refusal from the gateway, or a payment file the treasury returned.
  refuse: { from: ['sending'], to: 'failed' },
  confirm_not_paid: { from: ['in_doubt'], to: 'failed' },
  retry: { from: ['failed'], to: 'pending' },
  void: { from: ['pending', 'awaiting_funds', 'failed'], to: 'void' },
};

/** Payouts not yet ended either way: they block a month close. */
export const IN_FLIGHT: readonly PayoutStatus[] = [
  'pending',
  'awaiting_funds',
  'sending',
  'in_doubt',
];

export function canTakePayout(action: PayoutAction, from: PayoutStatus): boolean {
  return TRANSITIONS[action].from.includes(from);
}

/** The status `action` leads to from `from`; throws a clear illegal_transition otherwise. */
export function nextPayoutStatus(action: PayoutAction, from: PayoutStatus): PayoutStatus {
  const rule = TRANSITIONS[action];
  if (!rule.from.includes(from)) {
    throw new DomainError(
      'illegal_transition',
      `a payout that is ${from} cannot ${action.replaceAll('_', ' ')}; allowed from: ${rule.from.join(', ')}`,
      { from, action },
    );
  }
  return rule.to;
}
