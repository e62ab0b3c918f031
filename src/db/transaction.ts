/**
 * @module Transactions with an explicit isolation level and a bounded retry on the
 * failures PostgreSQL asks clients to retry: serialization failures, deadlocks, a lock
 * that did not come within the connection's lock_timeout, and a unique-key race the caller
 * names as retryable. When the attempts are spent the caller gets RetriesExhaustedError,
 * which the HTTP layer answers with 503 busy.
 *
 * A unit of work may also be *grouped*: units submitted at the same moment share one
 * transaction and one COMMIT (one WAL flush, one turn at the ledger's chain head), each in
 * its own savepoint, so each caller still gets its own result or its own error.
 */
import { sql, type Transaction } from 'kysely';
import type { DB } from './database.ts';
import type { Database } from './schema.ts';

export type Tx = Transaction<Database>;

export interface TransactionOptions {
  readonly isolation?: 'read committed' | 'repeatable read' | 'serializable';
  /** Attempts in all, first included. */
  readonly attempts?: number;
  /** Unique constraints whose violation means "someone else just did it: run again and see". */
  readonly retryOnUniqueViolation?: readonly string[];
  /**
   * Share a transaction with other grouped units waiting at the same moment (read committed
   * only). The unit must not care which other units commit beside it: it sees their writes
   * as if they had committed just before it, and its own result is returned only after the
   * shared COMMIT.
   */
  readonly grouped?: boolean;
}

const SERIALIZATION_FAILURE = '40001';
const DEADLOCK_DETECTED = '40P01';
const LOCK_NOT_AVAILABLE = '55P03';
const UNIQUE_VIOLATION = '23505';
const DEFAULT_ATTEMPTS = 5;
/** A journal entry's idempotency key taken by a concurrent writer: the retry replays it. */
const LEDGER_IDEMPOTENCY_CONSTRAINT = 'journal_entry_idempotency_key_key';

interface DatabaseErrorShape {
  code?: unknown;
  constraint?: unknown;
}

export function databaseErrorCode(error: unknown): string | undefined {
  const code = (error as DatabaseErrorShape | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function isRetryable(error: unknown, uniqueConstraints: readonly string[] = []): boolean {
  const code = databaseErrorCode(error);
  if (code === SERIALIZATION_FAILURE || code === DEADLOCK_DETECTED || code === LOCK_NOT_AVAILABLE)
    return true;
  if (code !== UNIQUE_VIOLATION) return false;
  const constraint = (error as DatabaseErrorShape).constraint;
  const text = error instanceof Error ? error.message : '';
  return [LEDGER_IDEMPOTENCY_CONSTRAINT, ...uniqueConstraints].some(
    (name) => constraint === name || text.includes(name),
  );
}

export class RetriesExhaustedError extends Error {
  override readonly name = 'RetriesExhaustedError';
}

const backoff = (attempt: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * 2 ** attempt));

export async function inTransaction<T>(
  db: DB,
  work: (trx: Tx) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  if (options.grouped && (options.isolation ?? 'read committed') === 'read committed') {
    return unitGroupOf(db).submit(work, options);
  }
  return alone(db, work, options);
}

async function alone<T>(
  db: DB,
  work: (trx: Tx) => Promise<T>,
  options: TransactionOptions,
  firstAttempt = 1,
): Promise<T> {
  const attempts = options.attempts ?? DEFAULT_ATTEMPTS;
  for (let attempt = firstAttempt; ; attempt++) {
    try {
      return await db
        .transaction()
        .setIsolationLevel(options.isolation ?? 'read committed')
        .execute(work);
    } catch (error) {
      if (!isRetryable(error, options.retryOnUniqueViolation)) throw error;
      if (attempt >= attempts) {
        throw new RetriesExhaustedError(
          `transaction still conflicting after ${attempts} attempts`,
          { cause: error },
        );
      }
      await backoff(attempt);
    }
  }
}

interface Unit {
  readonly work: (trx: Tx) => Promise<unknown>;
  readonly options: TransactionOptions;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  attempt: number;
  /** Times this unit gave way to another transaction's locks as a later unit of a group. */
  deferrals: number;
}

type UnitResult =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: unknown };

/** Upper bounds: units in one shared transaction, and units waiting for one. */
const MAX_UNITS_PER_TRANSACTION = 64;
const MAX_UNITS_WAITING = 10_000;
/** How long a unit that is not first in its group waits for a row lock before giving way. */
const LATER_UNIT_LOCK_WAIT_MS = 100;
/** A unit goes first in the next group when it gave way; this bounds how often. */
const MAX_DEFERRALS = 10;

const groups = new WeakMap<DB, UnitGroup>();

function unitGroupOf(db: DB): UnitGroup {
  let group = groups.get(db);
  if (!group) {
    group = new UnitGroup(db);
    groups.set(db, group);
  }
  return group;
}

/**
 * One shared transaction in flight per database handle. Units run one after another on its
 * connection, each after a SAVEPOINT of its own; a unit that fails is rolled back to its
 * savepoint (its locks released with it) and answered with its error, or queued again when
 * the error is one to retry, within its attempts. Nothing is answered before the COMMIT.
 */
class UnitGroup {
  private readonly queue: Unit[] = [];
  private flushing = false;

  constructor(private readonly db: DB) {}

  submit<T>(work: (trx: Tx) => Promise<T>, options: TransactionOptions): Promise<T> {
    if (this.queue.length >= MAX_UNITS_WAITING) {
      return Promise.reject(
        new RetriesExhaustedError(`${MAX_UNITS_WAITING} units of work are already waiting`),
      );
    }
    return new Promise<T>((resolve, reject) => {
      this.queue.push({
        work,
        options,
        resolve: resolve as (value: unknown) => void,
        reject,
        attempt: 1,
        deferrals: 0,
      });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        // Let the callers just answered submit their next unit first.
        await new Promise((resolve) => setImmediate(resolve));
        const batch = this.queue.splice(0, MAX_UNITS_PER_TRANSACTION);
        await this.run(batch);
      }
    } finally {
      this.flushing = false;
    }
  }

  private async run(batch: readonly Unit[]): Promise<void> {
    const [only] = batch;
    if (batch.length === 1 && only) {
      // Alone, a unit needs no savepoint: the plain path, with the attempts it has left.
      await alone(this.db, only.work, only.options, only.attempt).then(only.resolve, only.reject);
      return;
    }
    let results: UnitResult[];
    try {
      results = await this.db
        .transaction()
        .setIsolationLevel('read committed')
        .execute(async (trx) => {
          const done: UnitResult[] = [];
          for (const [index, unit] of batch.entries()) {
            if (index === 1) {
              // From the second unit on, the transaction already holds the first's locks
              // (perhaps the chain head), so waiting here would invert the lock order against
              // other processes: a unit that cannot have its rows at once waits for the next
              // transaction instead, where it goes first.
              await sql`SELECT set_config('lock_timeout', ${`${LATER_UNIT_LOCK_WAIT_MS}ms`}, true)`.execute(
                trx,
              );
            }
            done.push(await inSavepoint(trx, unit.work));
          }
          return done;
        });
    } catch (error) {
      // The shared transaction failed as a whole. When the server said so (an error with a
      // code), nothing of it committed: each unit runs again alone, so one unit's trouble does
      // not become everyone's. Without a code (a lost connection) the COMMIT may have landed,
      // and running again could do a unit twice: every caller hears the error instead.
      if (databaseErrorCode(error) === undefined) {
        for (const unit of batch) unit.reject(error);
        return;
      }
      await Promise.all(
        batch.map((unit) =>
          alone(this.db, unit.work, unit.options, unit.attempt).then(unit.resolve, unit.reject),
        ),
      );
      return;
    }
    const deferred: Unit[] = [];
    batch.forEach((unit, index) => {
      const result = results[index];
      const lockedOut =
        index > 0 &&
        result?.ok === false &&
        databaseErrorCode(result.error) === LOCK_NOT_AVAILABLE &&
        unit.deferrals < MAX_DEFERRALS;
      if (lockedOut) {
        unit.deferrals++;
        deferred.push(unit);
      } else {
        this.answer(unit, result);
      }
    });
    this.queue.unshift(...deferred);
  }

  private answer(unit: Unit, result: UnitResult | undefined): void {
    if (!result) {
      unit.reject(new Error('a grouped transaction lost a unit'));
    } else if (result.ok) {
      unit.resolve(result.value);
    } else if (!isRetryable(result.error, unit.options.retryOnUniqueViolation)) {
      unit.reject(result.error);
    } else if (unit.attempt >= (unit.options.attempts ?? DEFAULT_ATTEMPTS)) {
      unit.reject(
        new RetriesExhaustedError(`transaction still conflicting after ${unit.attempt} attempts`, {
          cause: result.error,
        }),
      );
    } else {
      unit.attempt++;
      this.queue.push(unit);
    }
  }
}

/**
 * Each unit opens a savepoint of the same name and never releases it: ROLLBACK TO names the
 * newest one, which is this unit's, and a release would cost a round trip per unit. The
 * stack is at most MAX_UNITS_PER_TRANSACTION deep and ends with the transaction.
 */
async function inSavepoint(trx: Tx, work: (trx: Tx) => Promise<unknown>): Promise<UnitResult> {
  await sql`SAVEPOINT grouped_unit`.execute(trx);
  try {
    return { ok: true, value: await work(trx) };
  } catch (error) {
    // If even this fails the connection is gone: the whole shared transaction fails.
    await sql`ROLLBACK TO SAVEPOINT grouped_unit`.execute(trx);
    return { ok: false, error };
  }
}
