/**
 * @module Embedded mode's payout runner: drains the same outbox in-process and runs the same
 * attempts as the BullMQ workers (src/payouts/attempt.ts). Each attempt writes when the next
 * one is due, so the runner only asks the database which payouts are due and not leased, and
 * attempts them in batches (src/payouts/batcher.ts).
 */
import type { DB } from '../db/database.ts';
import { MAX_PAYOUTS_PER_BATCH } from './attempt.ts';
import { DEFAULT_LEASE_MS, DEFAULT_RETRY, type RetryPolicy } from './attempt-policy.ts';
import { attemptBatch } from './batcher.ts';
import type { DisbursementGateway } from './gateway.ts';
import { relayOutbox } from './outbox.ts';

// The runner's callers (src/main.ts, tests) configure it with the attempts' own policy.
export { DEFAULT_RETRY, type RetryPolicy } from './attempt-policy.ts';

export class InProcessPayoutRunner {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;

  constructor(
    private readonly db: DB,
    private readonly gateway: DisbursementGateway,
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
    private readonly pollMs = 500,
    private readonly onError: (error: unknown) => void = () => undefined,
    private readonly leaseMs = DEFAULT_LEASE_MS,
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops polling and waits for the pass in flight to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** One pass: move the outbox into due work, then make one attempt at every due payout. */
  async runOnce(): Promise<number> {
    await relayOutbox(this.db, async () => undefined, 500);
    const now = new Date();
    const due = await this.db
      .selectFrom('payout')
      .select('id')
      .where('status', 'in', ['pending', 'sending', 'in_doubt'])
      .where('next_attempt_at', '<=', now)
      .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<', now)]))
      .orderBy('created_at')
      .limit(100)
      .execute();
    for (let start = 0; start < due.length; start += MAX_PAYOUTS_PER_BATCH) {
      // One payout that keeps throwing must not starve the ones beside it (attemptBatch then
      // tries each alone); its lease expires and a later pass tries it again.
      const batch = due.slice(start, start + MAX_PAYOUTS_PER_BATCH).map((payout) => payout.id);
      const answers = await attemptBatch(this.db, this.gateway, batch, {
        retry: this.retry,
        leaseMs: this.leaseMs,
      });
      for (const answer of answers.values()) if (!answer.ok) this.onError(answer.error);
    }
    return due.length;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.runOnce()
        .then(() => undefined)
        .catch(this.onError)
        .finally(() => this.schedule(this.pollMs));
    }, delayMs);
  }
}
