/**
 * @module Group commit: concurrent callers' commands are recorded together, one
 * transaction, one chain-head update and one WAL flush for the whole batch, while each
 * caller still gets its own outcome. Every writer queues on the chain head anyway, so one
 * batch in flight per process loses nothing and saves a commit per command.
 */
import type { DB } from '../db/database.ts';
import { inTransaction } from '../db/transaction.ts';
import type { DomainError } from '../domain-error.ts';
import { IDEMPOTENCY_CONSTRAINT, type RecordOutcome, recordCommands } from './record.ts';
import type { JournalEntry, LedgerCommand } from './types.ts';

interface Waiting {
  readonly command: LedgerCommand;
  readonly resolve: (outcome: RecordOutcome) => void;
  readonly reject: (error: unknown) => void;
}

export interface GroupCommitOptions {
  /** Upper bound on commands in one transaction. */
  readonly maxBatch?: number;
  /** Upper bound on commands waiting; beyond it callers are refused at once. */
  readonly maxQueued?: number;
}

export class LedgerGroupCommit {
  private readonly queue: Waiting[] = [];
  private flushing = false;
  private readonly maxBatch: number;
  private readonly maxQueued: number;

  constructor(
    private readonly db: DB,
    options: GroupCommitOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 500;
    this.maxQueued = options.maxQueued ?? 100_000;
  }

  /**
   * Records one command alongside whatever else is waiting; resolves with its own outcome.
   * A command without an idempotency key gets an internal one: should a batch's COMMIT
   * outcome be lost, re-recording it one by one then finds the entry that did commit
   * instead of posting it twice.
   */
  submit(command: LedgerCommand): Promise<RecordOutcome> {
    if (this.queue.length >= this.maxQueued) {
      return Promise.reject(new Error(`ledger queue is full (${this.maxQueued} commands waiting)`));
    }
    const keyed =
      command.idempotencyKey === undefined
        ? { ...command, idempotencyKey: `group-commit:${crypto.randomUUID()}` }
        : command;
    return new Promise((resolve, reject) => {
      this.queue.push({ command: keyed, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  /** Like submit, but throws the DomainError of a refused command. */
  async record(command: LedgerCommand): Promise<JournalEntry> {
    const outcome = await this.submit(command);
    if (outcome.status === 'rejected') throw outcome.error satisfies DomainError;
    return outcome.entry;
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        // Let the callers just answered submit their next command first; otherwise every
        // batch would hold only half of the waiting clients.
        await new Promise((resolve) => setImmediate(resolve));
        const batch = this.queue.splice(0, this.maxBatch);
        await this.recordBatch(batch);
      }
    } finally {
      this.flushing = false;
    }
  }

  private async recordBatch(batch: readonly Waiting[]): Promise<void> {
    try {
      const outcomes = await inTransaction(
        this.db,
        (trx) =>
          recordCommands(
            trx,
            batch.map((w) => w.command),
          ),
        { retryOnUniqueViolation: [IDEMPOTENCY_CONSTRAINT] },
      );
      batch.forEach((waiting, index) => {
        const outcome = outcomes[index];
        if (outcome) waiting.resolve(outcome);
        else waiting.reject(new Error('batch returned fewer outcomes than commands'));
      });
    } catch (error) {
      // An unexpected failure (the database, not a refused command), perhaps after the COMMIT
      // reached the server: record the batch one by one so that one caller's trouble does
      // not become everyone's. Every command carries a key, so one that did commit is
      // answered with its first entry, never posted again.
      if (batch.length === 1) {
        batch[0]?.reject(error);
        return;
      }
      for (const waiting of batch) await this.recordBatch([waiting]);
    }
  }
}
