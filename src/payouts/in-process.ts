/**
 * @module Embedded mode's payout runner: drains the same outbox in-process and pays with
 * the same settlement code as the BullMQ workers. Retries back off exponentially up to a
 * bounded number of attempts; then the payout is parked as failed for finance.
 */
import type { DB } from '../db/database.ts';
import type { DisbursementGateway } from './gateway.ts';
import { relayOutbox } from './outbox.ts';
import { giveUpPayout, processPayout } from './settlement.ts';

export interface RetryPolicy {
  readonly attempts: number;
  readonly backoffMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, backoffMs: 1000 };

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

  /** One pass: move the outbox into due work, then pay every payout that is due. */
  async runOnce(): Promise<number> {
    await relayOutbox(this.db, async () => undefined, 500);
    const due = await this.db
      .selectFrom('payout')
      .select(['id', 'attempts'])
      .where('status', 'in', ['pending', 'sending'])
      .where('next_attempt_at', '<=', new Date())
      .orderBy('created_at')
      .limit(100)
      .execute();
    for (const payout of due) {
      // One payout that keeps throwing must not starve the ones behind it.
      const result = await processPayout(this.db, this.gateway, payout.id).catch(
        (error: unknown) => ({
          kind: 'retry' as const,
          error: error instanceof Error ? error.message : String(error),
        }),
      );
      if (result.kind === 'retry') await this.scheduleRetry(payout.id, result.error);
    }
    return due.length;
  }

  private async scheduleRetry(payoutId: string, error: string): Promise<void> {
    const { attempts } = await this.db
      .selectFrom('payout')
      .select('attempts')
      .where('id', '=', payoutId)
      .executeTakeFirstOrThrow();
    if (attempts >= this.retry.attempts) {
      await giveUpPayout(
        this.db,
        this.gateway,
        payoutId,
        `gave up after ${attempts} attempts: ${error}`,
      );
      return;
    }
    const delay = this.retry.backoffMs * 2 ** (attempts - 1);
    await this.db
      .updateTable('payout')
      .set({ next_attempt_at: new Date(Date.now() + delay) })
      .where('id', '=', payoutId)
      .execute();
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
