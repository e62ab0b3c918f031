/**
 * @module Transactions with an explicit isolation level and a bounded retry on the
 * failures PostgreSQL asks clients to retry: serialization failures and deadlocks, and a
 * unique-key race the caller names as retryable.
 */
import type { Transaction } from 'kysely';
import type { DB } from './database.ts';
import type { Database } from './schema.ts';

export type Tx = Transaction<Database>;

export interface TransactionOptions {
  readonly isolation?: 'read committed' | 'repeatable read' | 'serializable';
  /** Attempts in all, first included. */
  readonly attempts?: number;
  /** Unique constraints whose violation means "someone else just did it: run again and see". */
  readonly retryOnUniqueViolation?: readonly string[];
}

const SERIALIZATION_FAILURE = '40001';
const DEADLOCK_DETECTED = '40P01';
const UNIQUE_VIOLATION = '23505';

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
  if (code === SERIALIZATION_FAILURE || code === DEADLOCK_DETECTED) return true;
  if (code !== UNIQUE_VIOLATION) return false;
  const constraint = (error as DatabaseErrorShape).constraint;
  const text = error instanceof Error ? error.message : '';
  return uniqueConstraints.some((name) => constraint === name || text.includes(name));
}

export class RetriesExhaustedError extends Error {
  override readonly name = 'RetriesExhaustedError';
}

export async function inTransaction<T>(
  db: DB,
  work: (trx: Tx) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  const attempts = options.attempts ?? 5;
  for (let attempt = 1; ; attempt++) {
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
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * 2 ** attempt));
    }
  }
}
