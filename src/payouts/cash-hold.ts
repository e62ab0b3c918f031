/**
 * @module A payout's cash hold on its pool's fund, oldest payout first, or its wait for funds.
 */
import { sql } from 'kysely';
import type { Tx } from '../db/transaction.ts';
import { DomainError } from '../domain-error.ts';
import { accountBalance } from '../ledger/balances.ts';
import { Money } from '../ledger/money.ts';
import { recordCommandInTransaction, recordCommands } from '../ledger/record.ts';
import type { JournalEntry, LedgerCommand } from '../ledger/types.ts';
import { poolAccountCodes } from '../policy/pool-accounts.ts';
import { cashOwedToOlderWaiting } from './cash-priority.ts';
import { nextPayoutStatus } from './lifecycle.ts';
import { type LockedPayout, movePayout, type Outcome, payoutReferences } from './locked-payout.ts';

/**
 * Holds the payout's amount on the pool's account (claims payable → fund, pending) and
 * moves it to sending. When the account cannot cover it — after what older waiting payouts
 * are owed, so cash goes to the oldest first — it waits as awaiting_funds.
 */
export async function holdCash(trx: Tx, payout: LockedPayout): Promise<Outcome> {
  const codes = poolAccountCodes(payout.poolCode);
  const owedToOlder = await cashOwedToOlderWaiting(trx, payout);
  try {
    if (owedToOlder.gt(0)) {
      const available = new Money((await accountBalance(trx, codes.fund)).availableBalance);
      if (available.minus(owedToOlder).lt(new Money(payout.amount))) {
        await movePayout(trx, payout, 'wait_for_funds');
        return { status: 'awaiting_funds', detail: 'older payouts are waiting for this cash' };
      }
    }
    const hold = await recordCommandInTransaction(trx, cashHoldCommand(payout));
    return { status: await movePayout(trx, payout, 'hold_funds', { cash_hold_entry_id: hold.id }) };
  } catch (error) {
    if (
      !(error instanceof DomainError) ||
      error.code !== 'limit_exceeded' ||
      error.details.account !== codes.fund
    )
      throw error;
    await movePayout(trx, payout, 'wait_for_funds');
    return { status: 'awaiting_funds', detail: error.message };
  }
}

/**
 * holdCash for several payouts at once. When no payout of their pools waits for funds, all
 * their holds go into ONE ledger write (one turn at the chain head); should the fund not
 * cover every one, that write is rolled back and each is held alone, oldest first, by
 * holdCash — so cash still goes to the oldest first and a younger payout never jumps ahead.
 */
export async function holdCashForMany(
  trx: Tx,
  payouts: readonly LockedPayout[],
): Promise<Map<string, Outcome>> {
  const oldestFirst = [...payouts].sort(
    (a, b) => a.created_at.getTime() - b.created_at.getTime() || (a.id < b.id ? -1 : 1),
  );
  const outcomes = new Map<string, Outcome>();
  if (oldestFirst.length > 1 && !(await anyAwaitingFunds(trx, oldestFirst))) {
    await sql`SAVEPOINT payout_cash_holds`.execute(trx);
    const recorded = await recordCommands(
      trx,
      oldestFirst.map((payout) => cashHoldCommand(payout)),
    );
    const entries = recorded.flatMap((outcome) =>
      outcome.status === 'rejected' ? [] : [outcome.entry],
    );
    if (entries.length === oldestFirst.length) {
      await markHeld(trx, oldestFirst, entries);
      for (const payout of oldestFirst) outcomes.set(payout.id, { status: 'sending' });
      return outcomes;
    }
    await sql`ROLLBACK TO SAVEPOINT payout_cash_holds`.execute(trx);
  }
  for (const payout of oldestFirst) outcomes.set(payout.id, await holdCash(trx, payout));
  return outcomes;
}

/** Whether any payout of these payouts' pools waits for funds (then cash priority decides). */
async function anyAwaitingFunds(trx: Tx, payouts: readonly LockedPayout[]): Promise<boolean> {
  const waiting = await trx
    .selectFrom('payout')
    .select('id')
    .where('pool_id', 'in', [...new Set(payouts.map((payout) => payout.pool_id))])
    .where('status', '=', 'awaiting_funds')
    .limit(1)
    .executeTakeFirst();
  return waiting !== undefined;
}

function cashHoldCommand(payout: LockedPayout): LedgerCommand {
  const codes = poolAccountCodes(payout.poolCode);
  return {
    type: 'transfer',
    pending: true,
    idempotencyKey: `payout:${payout.id}:cash-hold:${payout.attempts}`,
    description: `payout ${payout.id} to ${payout.payee}`,
    references: payoutReferences(payout, true),
    postings: [
      { accountCode: codes.claimsPayable, direction: 'debit', amount: payout.amount },
      { accountCode: codes.fund, direction: 'credit', amount: payout.amount },
    ],
  };
}

/** hold_funds for each of these locked payouts with its cash hold entry, in one statement. */
async function markHeld(
  trx: Tx,
  payouts: readonly LockedPayout[],
  entries: readonly JournalEntry[],
): Promise<void> {
  const holds = payouts.map((payout, index) => {
    nextPayoutStatus('hold_funds', payout.status);
    const entry = entries[index];
    if (!entry) throw new Error(`payout ${payout.id} has no cash hold entry`);
    return { id: payout.id, entry: entry.id };
  });
  await sql`
    UPDATE payout SET status = ${nextPayoutStatus('hold_funds', 'pending')},
      cash_hold_entry_id = x.entry, in_doubt_since = NULL, updated_at = ${new Date()}
    FROM jsonb_to_recordset(${JSON.stringify(holds)}::jsonb) AS x(id uuid, entry bigint)
    WHERE payout.id = x.id
  `.execute(trx);
}
