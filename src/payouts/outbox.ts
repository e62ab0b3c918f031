/**
 * @module The outbox: payouts waiting to be handed to whoever pays them. Rows are claimed
 * with FOR NO KEY UPDATE SKIP LOCKED, so several relays (or runners) never take the same row.
 */
import { sql } from 'kysely';
import type { DB } from '../db/database.ts';
import { inTransaction, type Tx } from '../db/transaction.ts';
import { nextPayoutStatus } from './lifecycle.ts';

export const MAX_RELAY_BATCH = 500;

/** The channel a relay listens on: notified when outbox rows commit, so it need not wait for its poll. */
export const OUTBOX_CHANNEL = 'payout_outbox';

/**
 * Hands payouts to the relay, in the caller's transaction: an outbox row each, and a
 * notification that PostgreSQL delivers to listening relays only when (and if) the
 * transaction commits. A relay that misses it still finds the rows on its next poll.
 */
export async function queueForRelay(trx: Tx, payoutIds: readonly string[]): Promise<void> {
  if (payoutIds.length === 0) return;
  await trx
    .insertInto('payout_outbox')
    .values(payoutIds.map((payoutId) => ({ payout_id: payoutId, relayed_at: null })))
    .execute();
  await sql`SELECT pg_notify(${OUTBOX_CHANNEL}, '')`.execute(trx);
}

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
      .forNoKeyUpdate()
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
 * Puts payouts back into the outbox whose last attempt is over — its lease expired or was
 * released — and that nobody has looked at for `staleMs`: a queue that lost its jobs (Redis
 * restarted without persistence, a job dropped, a job whose own attempts ran out) is thus
 * caught up from the database, and a payout in doubt is asked about again on its schedule.
 * `stillQueued` names the payouts whose last hand-off still has a job in the queue: those
 * are left alone, so a payout never has two jobs waiting. A `sending` payout whose lease
 * expired lost its worker after it may have sent: it is marked in doubt here.
 */
export async function requeueStalePayouts(
  db: DB,
  staleMs: number,
  stillQueued: (lastHandOffs: readonly OutboxRow[]) => Promise<Set<string>>,
  limit = 500,
): Promise<number> {
  return inTransaction(db, async (trx) => {
    const now = new Date();
    const stale = await trx
      .selectFrom('payout')
      .select(['id', 'status', 'lease_token'])
      .select((eb) =>
        eb
          .selectFrom('payout_outbox')
          .select((o) => o.fn.max('payout_outbox.id').as('last'))
          .whereRef('payout_outbox.payout_id', '=', 'payout.id')
          .as('lastOutboxId'),
      )
      .where('status', 'in', ['pending', 'sending', 'in_doubt'])
      .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<', now)]))
      .where('updated_at', '<', new Date(now.getTime() - staleMs))
      .where('next_attempt_at', '<', new Date(now.getTime() - staleMs))
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
      .forNoKeyUpdate()
      .skipLocked()
      .execute();
    if (stale.length === 0) return 0;
    const queued = await stillQueued(
      stale.flatMap((p) =>
        p.lastOutboxId === null ? [] : [{ payoutId: p.id, outboxId: Number(p.lastOutboxId) }],
      ),
    );
    const due = stale.filter((p) => !queued.has(p.id));
    if (due.length === 0) return 0;
    const lost = due.filter((p) => p.status === 'sending' && p.lease_token !== null);
    if (lost.length > 0) {
      await trx
        .updateTable('payout')
        .set({
          status: nextPayoutStatus('lose_answer', 'sending'),
          in_doubt_since: now,
          lease_token: null,
          lease_expires_at: null,
          last_error: 'the attempt that was sending it stopped before it heard an answer',
          updated_at: now,
        })
        .where(
          'id',
          'in',
          lost.map((p) => p.id),
        )
        .execute();
    }
    await trx
      .insertInto('payout_outbox')
      .values(due.map((p) => ({ payout_id: p.id, relayed_at: null })))
      .execute();
    await trx
      .updateTable('payout')
      .set({ next_attempt_at: now })
      .where(
        'id',
        'in',
        due.map((p) => p.id),
      )
      .execute();
    return due.length;
  });
}
