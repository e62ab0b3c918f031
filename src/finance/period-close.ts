/**
 * @module Month-end close. Closing a month forbids any entry effective inside it (the
 * ledger checks under its chain-head lock, which closing also takes, so no posting slips in
 * between). Closing is refused while payouts are still in flight (in doubt included) or statement lines are
 * unmatched, unless an admin forces it with a reason; reopening is a separate admin action.
 */
import { sql } from 'kysely';
import type { DB } from '../db/database.ts';
import type { Tx } from '../db/transaction.ts';
import { DomainError } from '../domain-error.ts';
import { takeCheckpoint } from '../ledger/seal.ts';
import { takeSnapshotsThrough } from '../ledger/snapshots.ts';
import { IN_FLIGHT } from '../payouts/lifecycle.ts';
import { startOfLocalDay } from '../policy/local-date.ts';
import { countOpenStatementLines } from './matching.ts';

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** The instants a local month spans: [first day 00:00, first day of next month 00:00) in Shanghai. */
export function monthBounds(month: string): { startsAt: Date; endsAt: Date } {
  const match = MONTH.exec(month);
  if (!match)
    throw new DomainError('validation_failed', `"${month}" is not a month written YYYY-MM`);
  const year = Number.parseInt(match[1] ?? '', 10);
  const monthNumber = Number.parseInt(match[2] ?? '', 10);
  const first = `${match[1]}-${match[2]}-01`;
  const next =
    monthNumber === 12
      ? `${year + 1}-01-01`
      : `${year}-${String(monthNumber + 1).padStart(2, '0')}-01`;
  return { startsAt: startOfLocalDay(first), endsAt: startOfLocalDay(next) };
}

export interface CloseBlockers {
  readonly payoutsInFlight: number;
  readonly unmatchedStatementLines: number;
}

export interface PeriodState {
  readonly month: string;
  readonly closed: boolean;
  readonly closedAt: string | null;
  readonly closedBy: string | null;
  readonly history: readonly {
    action: string;
    forced: boolean;
    reason: string;
    actorUserId: string;
    recordedAt: string;
  }[];
}

async function blockers(trx: Tx, endsAt: Date): Promise<CloseBlockers> {
  const payouts = await trx
    .selectFrom('payout')
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .where('status', 'in', [...IN_FLIGHT])
    .where('created_at', '<', endsAt)
    .executeTakeFirstOrThrow();
  return {
    payoutsInFlight: Number(payouts.count),
    unmatchedStatementLines: await countOpenStatementLines(trx, endsAt),
  };
}

export async function closeMonth(
  trx: Tx,
  month: string,
  actorId: string,
  force: { readonly reason: string } | null,
  now: Date = new Date(),
): Promise<PeriodState> {
  const { startsAt, endsAt } = monthBounds(month);
  if (endsAt > now) throw new DomainError('illegal_transition', `${month} has not ended yet`);
  // Serialise with every posting: once this commits, the ledger sees the month as closed.
  await sql`SELECT 1 FROM ledger_chain FOR UPDATE`.execute(trx);
  const existing = await trx
    .selectFrom('ledger_closed_period')
    .select('month')
    .where('month', '=', month)
    .executeTakeFirst();
  if (existing) throw new DomainError('illegal_transition', `${month} is already closed`);
  const open = await blockers(trx, endsAt);
  if ((open.payoutsInFlight > 0 || open.unmatchedStatementLines > 0) && !force) {
    throw new DomainError(
      'conflict',
      `${month} cannot be closed: ${open.payoutsInFlight} payout(s) in flight and ${open.unmatchedStatementLines} statement line(s) unmatched; an admin may force the close with a reason`,
      {
        payoutsInFlight: String(open.payoutsInFlight),
        unmatchedStatementLines: String(open.unmatchedStatementLines),
      },
    );
  }
  if (force && force.reason.trim() === '')
    throw new DomainError('validation_failed', 'a forced close needs a reason');
  await trx
    .insertInto('ledger_closed_period')
    .values({ month, starts_at: startsAt, ends_at: endsAt, closed_by: actorId })
    .execute();
  await trx
    .insertInto('period_event')
    .values({
      month,
      action: 'close',
      forced: force !== null,
      reason: force?.reason ?? '',
      actor_user_id: actorId,
    })
    .execute();
  // Under the chain-head lock taken above, so the checkpoint is the month's last word;
  // finance signs it with `npm run ledger:seal -- --month YYYY-MM`.
  await takeCheckpoint(trx, monthCloseCheckpointReason(month), actorId);
  // A closed month cannot change, so its closing balances are snapshotted with it (and every
  // day's before it): as-of reads in and after it sum at most a day of postings.
  await takeSnapshotsThrough(trx, endsAt);
  return periodState(trx, month);
}

export const monthCloseCheckpointReason = (month: string) => `month close ${month}`;

export async function reopenMonth(
  trx: Tx,
  month: string,
  actorId: string,
  reason: string,
): Promise<PeriodState> {
  monthBounds(month);
  if (reason.trim() === '')
    throw new DomainError('validation_failed', 'reopening a month needs a reason');
  await sql`SELECT 1 FROM ledger_chain FOR UPDATE`.execute(trx);
  const removed = await trx
    .deleteFrom('ledger_closed_period')
    .where('month', '=', month)
    .returning('month')
    .executeTakeFirst();
  if (!removed) throw new DomainError('illegal_transition', `${month} is not closed`);
  await trx
    .insertInto('period_event')
    .values({ month, action: 'reopen', reason, actor_user_id: actorId })
    .execute();
  return periodState(trx, month);
}

export async function periodState(db: DB | Tx, month: string): Promise<PeriodState> {
  monthBounds(month);
  const closed = await db
    .selectFrom('ledger_closed_period')
    .selectAll()
    .where('month', '=', month)
    .executeTakeFirst();
  const history = await db
    .selectFrom('period_event')
    .selectAll()
    .where('month', '=', month)
    .orderBy('id')
    .execute();
  return {
    month,
    closed: closed !== undefined,
    closedAt: closed?.closed_at.toISOString() ?? null,
    closedBy: closed?.closed_by ?? null,
    history: history.map((e) => ({
      action: e.action,
      forced: e.forced,
      reason: e.reason,
      actorUserId: e.actor_user_id,
      recordedAt: e.recorded_at.toISOString(),
    })),
  };
}

export async function closedMonths(db: DB | Tx): Promise<string[]> {
  return (
    await db.selectFrom('ledger_closed_period').select('month').orderBy('month').execute()
  ).map((r) => r.month);
}
