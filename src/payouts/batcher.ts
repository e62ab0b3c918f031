/**
 * @module Batches of attempts. Payouts handed in at about the same moment — the jobs a
 * BullMQ worker runs at once, a runner's due payouts — are attempted together
 * (processPayouts): one transaction begins them all and holds their cash in one ledger
 * write, one settles them all. Each caller still gets its own payout's result or error.
 */
import type { DB } from '../db/database.ts';
import { DomainError } from '../domain-error.ts';
import { MAX_PAYOUTS_PER_BATCH, processPayouts } from './attempt.ts';
import type { AttemptOptions, PayoutStepResult } from './attempt-policy.ts';
import type { DisbursementGateway } from './gateway.ts';

export type AttemptAnswer =
  | { readonly ok: true; readonly result: PayoutStepResult }
  | { readonly ok: false; readonly error: unknown };

/**
 * One attempt at each payout (at most MAX_PAYOUTS_PER_BATCH), as a batch. Should the batch
 * fail as a whole, each payout is attempted again alone, so one payout that keeps failing
 * never holds back the others. That is safe whenever the batch failed: an attempt that got
 * as far as the gateway still holds its lease, so the payout is left alone until the lease
 * is over, and then asked about (in doubt), never sent blind.
 */
export async function attemptBatch(
  db: DB,
  gateway: DisbursementGateway,
  payoutIds: readonly string[],
  options: AttemptOptions,
): Promise<Map<string, AttemptAnswer>> {
  const unique = [...new Set(payoutIds)];
  const answers = new Map<string, AttemptAnswer>();
  try {
    const results = await processPayouts(db, gateway, unique, options);
    for (const payoutId of unique) answers.set(payoutId, answerFor(payoutId, results));
    return answers;
  } catch (error) {
    if (unique.length === 1) {
      answers.set(unique[0] ?? '', { ok: false, error });
      return answers;
    }
  }
  for (const payoutId of unique) {
    const alone = await attemptBatch(db, gateway, [payoutId], options);
    answers.set(payoutId, alone.get(payoutId) ?? { ok: false, error: notFound(payoutId) });
  }
  return answers;
}

function answerFor(payoutId: string, results: Map<string, PayoutStepResult>): AttemptAnswer {
  const result = results.get(payoutId);
  return result ? { ok: true, result } : { ok: false, error: notFound(payoutId) };
}

const notFound = (payoutId: string) =>
  new DomainError('not_found', `payout ${payoutId} does not exist`);

interface Waiting {
  readonly payoutId: string;
  readonly resolve: (result: PayoutStepResult) => void;
  readonly reject: (error: unknown) => void;
}

/** How long the first payout handed in waits for others to join its batch. */
export const DEFAULT_LINGER_MS = 2;

/**
 * Gathers the payouts handed in within `lingerMs` of the first (or until a batch is full)
 * into one attemptBatch. Batches run side by side; each is bounded, and what waits is
 * bounded by the callers (a worker's concurrency).
 */
export class PayoutBatcher {
  private waiting: Waiting[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly db: DB,
    private readonly gateway: DisbursementGateway,
    private readonly options: AttemptOptions,
    private readonly lingerMs = DEFAULT_LINGER_MS,
  ) {}

  attempt(payoutId: string): Promise<PayoutStepResult> {
    return new Promise<PayoutStepResult>((resolve, reject) => {
      this.waiting.push({ payoutId, resolve, reject });
      if (this.waiting.length >= MAX_PAYOUTS_PER_BATCH) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.lingerMs);
    });
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.waiting.splice(0, MAX_PAYOUTS_PER_BATCH);
    if (this.waiting.length > 0) this.timer = setTimeout(() => this.flush(), this.lingerMs);
    void this.run(batch);
  }

  private async run(batch: readonly Waiting[]): Promise<void> {
    try {
      const answers = await attemptBatch(
        this.db,
        this.gateway,
        batch.map((w) => w.payoutId),
        this.options,
      );
      for (const waiting of batch) {
        const answer = answers.get(waiting.payoutId);
        if (answer?.ok) waiting.resolve(answer.result);
        else waiting.reject(answer?.error ?? notFound(waiting.payoutId));
      }
    } catch (error) {
      for (const waiting of batch) waiting.reject(error);
    }
  }
}
