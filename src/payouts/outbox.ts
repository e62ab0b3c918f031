/**
 * @module The outbox: payouts waiting to be handed to whoever pays them. Rows are claimed
 * with FOR UPDATE SKIP LOCKED, so several relays (or runners) never take the same row.
 */
import type { DB } from '../db/database.ts';
import { inTransaction } from '../db/transaction.ts';

export const MAX_RELAY_BATCH = 500;

/**
 * Claims up to `limit` unrelayed rows, hands their payout ids to `deliver` inside the same
 * transaction, and marks them relayed only if delivery succeeded: a crash or a failed
 * delivery leaves them for the next pass (delivery must therefore be idempotent).
 */
export interface OutboxRow {
  readonly outboxId: number;
  readonly payoutId: string;
}

export async function relayOutbox(
  db: DB,
  deliver: (rows: OutboxRow[]) => Promise<void>,
  limit = 100,
): Promise<number> {
  return inTransaction(db, async (trx) => {
    const rows = await trx
      .selectFrom('payout_outbox')
      .select(['id', 'payout_id'])
      .where('relayed_at', 'is', null)
      .orderBy('id')
      .limit(Math.min(limit, MAX_RELAY_BATCH))
      .forUpdate()
      .skipLocked()
      .execute();
    if (rows.length === 0) return 0;
    await deliver(rows.map((r) => ({ outboxId: r.id, payoutId: r.payout_id })));
    await trx
      .updateTable('payout_outbox')
      .set({ relayed_at: new Date() })
      .where(
        'id',
        'in',
        rows.map((r) => r.id),
      )
      .execute();
    return rows.length;
  });
}

/**
 * Puts payouts that have sat unfinished for `staleMs` back into the outbox. A queue that
 * lost its jobs (Redis restarted without persistence, a job dropped) is thus caught up
 * from the database; paying is idempotent, so an extra hand-off costs one no-op.
 */
export async function requeueStalePayouts(db: DB, staleMs: number, limit = 500): Promise<number> {
  return inTransaction(db, async (trx) => {
    const stale = await trx
      .selectFrom('payout')
      .select('id')
      .where('status', 'in', ['pending', 'sending'])
      .where('updated_at', '<', new Date(Date.now() - staleMs))
      .where('next_attempt_at', '<', new Date(Date.now() - staleMs))
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('payout_outbox')
              .select('id')
              .whereRef('payout_outbox.payout_id', '=', 'payout.id')
              .where('relayed_at', 'is', null),
          ),
        ),
      )
      .orderBy('created_at')
      .limit(Math.min(limit, MAX_RELAY_BATCH))
      .forUpdate()
      .skipLocked()
      .execute();
    if (stale.length === 0) return 0;
    await trx
      .insertInto('payout_outbox')
      .values(stale.map((p) => ({ payout_id: p.id, relayed_at: null })))
      .execute();
    await trx
      .updateTable('payout')
      .set({ next_attempt_at: new Date() })
      .where(
        'id',
        'in',
        stale.map((p) => p.id),
      )
      .execute();
    return stale.length;
  });
}
