/**
 * @module Production payouts on BullMQ: a relay moves outbox rows into the queue (job id
 * derived from the payout id and its outbox row, so a relay that crashed after adding adds
 * nothing twice), and workers run the shared attempt code (src/payouts/attempt.ts). BullMQ
 * only says when to look: the payout's lease in the database decides who may act, so a
 * job delivered twice, or a stale one, does nothing.
 */
import { type Job, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { DB } from '../db/database.ts';
import { MAX_PAYOUTS_PER_BATCH } from './attempt.ts';
import { DEFAULT_LEASE_MS, DEFAULT_RETRY, type RetryPolicy } from './attempt-policy.ts';
import { PayoutBatcher } from './batcher.ts';
import type { DisbursementGateway } from './gateway.ts';
import { MAX_RELAY_BATCH, type OutboxRow, relayOutbox, requeueStalePayouts } from './outbox.ts';

export const PAYOUT_QUEUE = 'payouts';
/**
 * Jobs one worker runs at once (PAYOUT_CONCURRENCY): an attempt mostly waits on the database
 * and the gateway, and the jobs running together are attempted as one batch.
 */
export const DEFAULT_PAYOUT_CONCURRENCY = MAX_PAYOUTS_PER_BATCH;

interface PayoutJob {
  readonly payoutId: string;
}

export function redisConnection(url: string): Redis {
  // BullMQ's blocking commands need maxRetriesPerRequest: null; reconnection is endless so
  // a Redis restart is ridden out rather than fatal.
  return new Redis(url, {
    maxRetriesPerRequest: null,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
}

/** `queueName` lets several deployments (or test runs) share one Redis without sharing jobs. */
export function createPayoutQueue(
  connection: Redis,
  retry: RetryPolicy = DEFAULT_RETRY,
  queueName: string = PAYOUT_QUEUE,
): Queue<PayoutJob> {
  return new Queue<PayoutJob>(queueName, {
    connection,
    defaultJobOptions: {
      attempts: retry.attempts,
      backoff: { type: 'exponential', delay: retry.backoffMs },
      removeOnComplete: { age: 24 * 3600, count: 100_000 },
      removeOnFail: { age: 7 * 24 * 3600 },
    },
  });
}

const jobId = (row: OutboxRow) => `${row.payoutId}-${row.outboxId}`;

export function enqueue(queue: Queue<PayoutJob>) {
  return async (rows: OutboxRow[]) => {
    await queue.addBulk(
      rows.map((row) => ({
        name: 'pay',
        data: { payoutId: row.payoutId },
        opts: { jobId: jobId(row) },
      })),
    );
  };
}

// An `active` job is not counted: the sweep only looks at payouts whose lease is over, so
// an active job for one belongs to a worker that died (or stalled) in its attempt.
const STILL_QUEUED = new Set(['waiting', 'delayed', 'prioritized', 'waiting-children']);

/** Which of these last hand-offs still have a job waiting or running in the queue. */
export function stillQueued(queue: Queue<PayoutJob>) {
  return async (rows: readonly OutboxRow[]): Promise<Set<string>> => {
    const states = await Promise.all(rows.map((row) => queue.getJobState(jobId(row))));
    return new Set(rows.filter((_, n) => STILL_QUEUED.has(states[n] ?? '')).map((r) => r.payoutId));
  };
}

export function createPayoutWorker(
  db: DB,
  gateway: DisbursementGateway,
  connection: Redis,
  options: {
    concurrency: number;
    retry?: RetryPolicy;
    queueName?: string;
    /** How long one attempt may run before another may take the payout over. */
    leaseMs?: number;
  },
): Worker<PayoutJob> {
  // The jobs running at once are attempted as batches: one transaction begins them, one
  // ledger write holds their cash, one settles them.
  const batcher = new PayoutBatcher(db, gateway, {
    retry: options.retry ?? DEFAULT_RETRY,
    leaseMs: options.leaseMs ?? DEFAULT_LEASE_MS,
  });
  return new Worker<PayoutJob>(
    options.queueName ?? PAYOUT_QUEUE,
    async (job: Job<PayoutJob>) => {
      const result = await batcher.attempt(job.data.payoutId);
      if (result.kind === 'done') return result.status;
      // The payout itself counts its attempts and gives up; the job only waits and looks
      // again. Should the job's own attempts run out first, the sweep hands it back.
      throw new Error(result.error);
    },
    { connection, concurrency: options.concurrency, autorun: true },
  );
}

/**
 * The relay and the stale-payout sweep, polling until stopped; `wake` runs a pass at once
 * (when the outbox is notified), and the sweep runs at most once per poll interval. Several
 * relays may run at once.
 */
export class PayoutRelay {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private passing = false;
  private wokenDuringPass = false;
  private lastSweepAt = 0;
  private inFlight: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: DB,
    private readonly queue: Queue<PayoutJob>,
    private readonly options: {
      pollMs: number;
      staleMs: number;
      onError: (error: unknown) => void;
    },
  ) {}

  start(): void {
    this.tick();
  }

  /** A pass now, or right after the one in flight: new outbox rows have committed. */
  wake(): void {
    if (this.stopped) return;
    if (this.passing) {
      this.wokenDuringPass = true;
      return;
    }
    clearTimeout(this.timer);
    this.tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.inFlight;
  }

  async runOnce(): Promise<number> {
    this.lastSweepAt = Date.now();
    await requeueStalePayouts(this.db, this.options.staleMs, stillQueued(this.queue));
    return this.relay();
  }

  private async relay(): Promise<number> {
    let relayed = 0;
    for (let pass = 0; pass < 20; pass++) {
      const moved = await relayOutbox(this.db, enqueue(this.queue), MAX_RELAY_BATCH);
      relayed += moved;
      if (moved < MAX_RELAY_BATCH) break;
    }
    return relayed;
  }

  private tick(): void {
    if (this.stopped) return;
    this.passing = true;
    const sweepDue = Date.now() - this.lastSweepAt >= this.options.pollMs;
    this.inFlight = (sweepDue ? this.runOnce() : this.relay())
      .then(() => undefined)
      .catch(this.options.onError)
      .finally(() => {
        this.passing = false;
        if (this.stopped) return;
        if (this.wokenDuringPass) {
          this.wokenDuringPass = false;
          this.tick();
        } else {
          this.timer = setTimeout(() => this.tick(), this.options.pollMs);
        }
      });
  }
}
