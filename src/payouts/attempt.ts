/**
 * @module Attempts at payouts, in batches: each payout paid once whatever is retried or crashes.
 *
 * Retried, delivered twice or crashed in between, an attempt still pays once; the same code
 * serves the BullMQ worker and the embedded runner. One attempt's steps:
 *
 * 1. begin (one transaction; attempt-begin.ts): take the payout's lease — its attempt number
 *    and a token, claimed under the row lock. A payout leased by a live attempt is left alone;
 *    one still `sending` under an expired lease lost its worker after it may have sent: in doubt.
 * 2. a payout in doubt is first asked about (the gateway's lookup; gateway-calls.ts): paid →
 *    settle; never received → send again (or fail, once the attempts are spent); no answer →
 *    stays in doubt.
 * 3. pay through the gateway (gateway-calls.ts) with the payout's id as idempotency key,
 *    outside any transaction; an answer that never came makes the payout in doubt, never failed.
 * 4. end (one transaction; attempt-end.ts): only while the lease is still ours
 *    (payout-lease.ts) — a stale attempt whose lease another took over writes nothing.
 *
 * Attempts run in batches (processPayouts; processPayout is a batch of one): step 1 is one
 * transaction for the whole batch, its cash held by one ledger write, and step 4 for every
 * payout the gateway paid is one transaction, its holds posted by one ledger write. Each
 * payout keeps its own lease, so what holds for one attempt holds for each of a batch.
 *
 * The database decides who may act; the queue only says when to look.
 */
import type { DB } from '../db/database.ts';
import { inTransaction } from '../db/transaction.ts';
import { DomainError } from '../domain-error.ts';
import { beginAttempts } from './attempt-begin.ts';
import { type Paid, settleUnderLeases } from './attempt-end.ts';
import type { AttemptOptions, PayoutStepResult } from './attempt-policy.ts';
import type { DisbursementGateway } from './gateway.ts';
import { resolveByLookup, sendPayout } from './gateway-calls.ts';

/** Upper bound on payouts in one batch of attempts: one begin, one settlement. */
export const MAX_PAYOUTS_PER_BATCH = 64;

/**
 * One attempt at one payout. `retry` means another attempt may cure it (after the backoff
 * this attempt wrote as next_attempt_at); `done` means nothing is left for this attempt.
 */
export async function processPayout(
  db: DB,
  gateway: DisbursementGateway,
  payoutId: string,
  options: AttemptOptions,
): Promise<PayoutStepResult> {
  const result = (await processPayouts(db, gateway, [payoutId], options)).get(payoutId);
  if (!result) throw new DomainError('not_found', `payout ${payoutId} does not exist`);
  return result;
}

/**
 * One attempt at each of several payouts (at most MAX_PAYOUTS_PER_BATCH), as processPayout
 * makes one, with the database work shared: one transaction begins them all (one ledger
 * write holds their cash), the gateway is called for each at once, and one transaction
 * settles every one it paid. Unknown payouts are left out of the answer.
 */
export async function processPayouts(
  db: DB,
  gateway: DisbursementGateway,
  payoutIds: readonly string[],
  options: AttemptOptions,
): Promise<Map<string, PayoutStepResult>> {
  const unique = [...new Set(payoutIds)];
  if (unique.length > MAX_PAYOUTS_PER_BATCH) {
    throw new Error(`attempt at most ${MAX_PAYOUTS_PER_BATCH} payouts at once`);
  }
  const results = new Map<string, PayoutStepResult>();
  if (unique.length === 0) return results;
  // A batch is already one transaction and one ledger write per step. Grouped with other
  // batches, a later unit would lock accounts while the shared transaction holds the chain
  // head, and give way (after the grouped lock wait) to every approval holding them; alone,
  // each step queues for its locks in the service's order like any other writer.
  const begun = await inTransaction(db, (trx) => beginAttempts(trx, unique, options), {
    grouped: false,
  });
  // Settled: one payout's step that throws must not lose the receipts the others hold.
  const steps = await Promise.allSettled(
    [...begun].map(async ([payoutId, start]): Promise<PayoutStepResult | Paid> => {
      if (start.kind === 'skip') return { kind: 'done', status: start.status };
      if (start.kind === 'ask') {
        const resolved = await resolveByLookup(db, gateway, payoutId, start, options);
        if (resolved !== 'send') return resolved;
      }
      return sendPayout(db, gateway, payoutId, start, options);
    }),
  );
  const paid: Paid[] = [];
  const failures: unknown[] = [];
  [...begun.keys()].forEach((payoutId, index) => {
    const step = steps[index];
    if (!step) throw new Error(`payout ${payoutId} has no step`);
    if (step.status === 'rejected') failures.push(step.reason);
    else if ('receipt' in step.value) paid.push(step.value);
    else results.set(payoutId, step.value);
  });
  for (const [payoutId, result] of await settleUnderLeases(db, gateway.name, paid))
    results.set(payoutId, result);
  // The receipts in hand are settled first; then the batch fails, and each payout it did not
  // settle is attempted alone (batcher.ts), where its own error is its own.
  if (failures.length > 0) throw failures[0];
  return results;
}
