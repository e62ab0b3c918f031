/**
 * @module The payout's ledger steps, each one transaction and each a transition of the
 * payout life cycle (src/payouts/lifecycle.ts): hold its cash, settle it (post the cash
 * and coverage holds), fail it (release the cash hold), retry, void (release coverage and
 * reverse the payable), and finance's decision on a payout in doubt, with its evidence.
 * Every ledger write carries a key derived from the payout id, so nothing posts twice.
 */

import { sql } from 'kysely';
import { eventCapReturns } from '../claims/loss-events.ts';
import type { PayoutStatus } from '../db/schema.ts';
import type { PayoutEvidenceKind, PayoutResolutionOutcome } from '../db/schema-payouts.ts';
import type { Tx } from '../db/transaction.ts';
import { DomainError } from '../domain-error.ts';
import { accountBalance } from '../ledger/balances.ts';
import { Money } from '../ledger/money.ts';
import {
  recordCommandInTransaction,
  recordCommands,
  recordCommandsInTransaction,
} from '../ledger/record.ts';
import type { JournalEntry, LedgerCommand } from '../ledger/types.ts';
import type { CostCategory } from '../policy/pool-accounts.ts';
import { poolAccountCodes } from '../policy/pool-accounts.ts';
import { cashOwedToOlderWaiting } from './cash-priority.ts';
import { followPayouts } from './claim-status.ts';
import { nextPayoutStatus, type PayoutAction } from './lifecycle.ts';
import { queueForRelay } from './outbox.ts';

export type Outcome = { readonly status: PayoutStatus; readonly detail?: string };

export type LockedPayout = Awaited<ReturnType<typeof lockPayout>>;

/**
 * The service's lock order, enforced here for every payout step: the claim, then its
 * payouts (in id order when several), then — inside the ledger — the accounts in id order
 * and last the chain head. A decision takes the claim first too, so a settlement, a void
 * and a decision on one claim queue in one order and never deadlock.
 */
export async function lockPayout(trx: Tx, payoutId: string) {
  const [payout] = await lockPayouts(trx, [payoutId]);
  if (!payout) throw new DomainError('not_found', `payout ${payoutId} does not exist`);
  return payout;
}

/** Locks the payouts' claims, then the payouts, both in id order; unknown ids are left out. */
export async function lockPayouts(trx: Tx, payoutIds: readonly string[]) {
  if (payoutIds.length === 0) return [];
  // A payout's claim never changes, so reading it before the locks is safe.
  await trx
    .selectFrom('claim')
    .select('id')
    .where(
      'id',
      'in',
      trx
        .selectFrom('payout')
        .select('claim_id')
        .where('id', 'in', [...payoutIds]),
    )
    .orderBy('id')
    .forNoKeyUpdate()
    .execute();
  return trx
    .selectFrom('payout')
    .innerJoin('pool', 'pool.id', 'payout.pool_id')
    .selectAll('payout')
    .select('pool.code as poolCode')
    .where('payout.id', 'in', [...payoutIds])
    .orderBy('payout.id')
    .forNoKeyUpdate('payout')
    .execute();
}

/** Applies one transition of the table to a locked payout, with the columns it changes. */
export async function movePayout(
  trx: Tx,
  payout: LockedPayout,
  action: PayoutAction,
  changes: {
    readonly cash_hold_entry_id?: number | null;
    readonly last_error?: string | null;
    readonly next_attempt_at?: Date;
    readonly settled_at?: Date;
    readonly gateway?: string;
    readonly gateway_reference?: string;
    readonly voided_at?: Date;
    readonly void_reason?: string;
    readonly attempts_before_retry?: number;
  } = {},
): Promise<PayoutStatus> {
  const to = nextPayoutStatus(action, payout.status);
  const stillInDoubt = to === 'in_doubt';
  await trx
    .updateTable('payout')
    .set({
      ...changes,
      status: to,
      in_doubt_since: stillInDoubt ? (payout.in_doubt_since ?? new Date()) : null,
      updated_at: new Date(),
    })
    .where('id', '=', payout.id)
    .execute();
  return to;
}

/** What every ledger entry of a payout names: its pool, incident, claim, itself, its category. */
function payoutReferences(payout: LockedPayout, withCategory: boolean) {
  return {
    poolId: payout.pool_id,
    incidentId: payout.incident_id,
    claimId: payout.claim_id,
    payoutId: payout.id,
    ...(withCategory ? { category: payout.category } : {}),
  };
}

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

/**
 * The money left: post the cash hold and the line's coverage hold (reserved → consumed),
 * mark the payout paid, and let the claim follow. Settling a paid payout again is a no-op.
 */
export async function settlePayout(
  trx: Tx,
  payoutId: string,
  gateway: string,
  reference: string,
): Promise<Outcome> {
  const [settled] = await settlePayouts(trx, [payoutId], gateway, () => reference);
  if (!settled) throw new DomainError('not_found', `payout ${payoutId} does not exist`);
  return { status: settled.status };
}

/** Upper bound on payouts settled by one ledger write. */
export const MAX_PAYOUTS_PER_SETTLEMENT = 200;

/**
 * Settles several payouts whose money left, in one transaction: their claims and payouts
 * locked in the service's order, every cash and coverage hold posted by ONE ledger write
 * (one turn at the chain head), one update of the payouts, then each claim follows once.
 */
export async function settlePayouts(
  trx: Tx,
  payoutIds: readonly string[],
  gateway: string,
  referenceOf: (payoutId: string) => string,
): Promise<{ readonly payoutId: string; readonly status: PayoutStatus }[]> {
  if (payoutIds.length > MAX_PAYOUTS_PER_SETTLEMENT) {
    throw new Error(`settle at most ${MAX_PAYOUTS_PER_SETTLEMENT} payouts at once`);
  }
  return settleLockedPayouts(trx, await lockPayouts(trx, payoutIds), gateway, referenceOf);
}

/** settlePayouts for payouts this transaction has already locked (lockPayouts). */
export async function settleLockedPayouts(
  trx: Tx,
  locked: readonly LockedPayout[],
  gateway: string,
  referenceOf: (payoutId: string) => string,
): Promise<{ readonly payoutId: string; readonly status: PayoutStatus }[]> {
  if (locked.length > MAX_PAYOUTS_PER_SETTLEMENT) {
    throw new Error(`settle at most ${MAX_PAYOUTS_PER_SETTLEMENT} payouts at once`);
  }
  const toSettle = locked.filter((payout) => payout.status !== 'paid');
  for (const payout of toSettle) {
    nextPayoutStatus('confirm_paid', payout.status);
    if (payout.cash_hold_entry_id === null) {
      throw new Error(`payout ${payout.id} is ${payout.status} without a cash hold`);
    }
  }
  // The payouts and their claims first, the ledger last: its write takes the chain head,
  // which every writer queues on, so nothing else is done while holding it.
  await markPaid(trx, toSettle, gateway, referenceOf);
  for (const claimId of new Set(toSettle.map((payout) => payout.claim_id))) {
    await followPayouts(trx, claimId, await systemActor(trx, claimId));
  }
  await recordCommandsInTransaction(
    trx,
    toSettle.flatMap((payout): LedgerCommand[] => [
      {
        type: 'post_pending',
        pendingEntryId: payout.cash_hold_entry_id ?? 0,
        idempotencyKey: `payout:${payout.id}:cash`,
        description: `paid ${payout.payee} (${referenceOf(payout.id)})`,
        references: payoutReferences(payout, true),
      },
      ...(payout.coverage_hold_entry_id === null
        ? []
        : [
            {
              type: 'post_pending' as const,
              pendingEntryId: payout.coverage_hold_entry_id,
              idempotencyKey: `payout:${payout.id}:coverage`,
              description: `coverage consumed by payout ${payout.id}`,
              references: payoutReferences(payout, false),
            },
          ]),
    ]),
  );
  return locked.map((payout) => ({ payoutId: payout.id, status: 'paid' as const }));
}

/** confirm_paid for every one of these locked payouts, in one statement. */
async function markPaid(
  trx: Tx,
  payouts: readonly LockedPayout[],
  gateway: string,
  referenceOf: (payoutId: string) => string,
): Promise<void> {
  if (payouts.length === 0) return;
  const now = new Date();
  const references = payouts.map((payout) => ({
    id: payout.id,
    reference: referenceOf(payout.id),
  }));
  await sql`
    UPDATE payout SET status = ${nextPayoutStatus('confirm_paid', 'sending')}, settled_at = ${now},
      gateway = ${gateway}, gateway_reference = x.reference, last_error = NULL,
      in_doubt_since = NULL, updated_at = ${now}
    FROM jsonb_to_recordset(${JSON.stringify(references)}::jsonb) AS x(id uuid, reference text)
    WHERE payout.id = x.id
  `.execute(trx);
}

/**
 * The money certainly did not leave: a definite refusal, or an answer that the gateway never
 * received the order. The cash hold is released; the payout waits for finance.
 */
export async function failPayout(
  trx: Tx,
  payout: LockedPayout,
  action: 'refuse' | 'confirm_not_paid',
  reason: string,
): Promise<Outcome> {
  nextPayoutStatus(action, payout.status);
  if (payout.cash_hold_entry_id !== null) {
    await recordCommandInTransaction(trx, {
      type: 'void_pending',
      pendingEntryId: payout.cash_hold_entry_id,
      idempotencyKey: `payout:${payout.id}:cash-release:${payout.attempts}`,
      description: `payout ${payout.id} failed: ${reason.slice(0, 200)}`,
      references: payoutReferences(payout, false),
    });
  }
  const status = await movePayout(trx, payout, action, {
    cash_hold_entry_id: null,
    last_error: reason.slice(0, 2000),
  });
  await followPayouts(trx, payout.claim_id, await systemActor(trx, payout.claim_id));
  return { status, detail: reason };
}

/** Finance: send a failed payout again, with a fresh budget of attempts. */
export async function retryPayout(trx: Tx, payoutId: string, actorId: string): Promise<Outcome> {
  const payout = await lockPayout(trx, payoutId);
  const status = await movePayout(trx, payout, 'retry', {
    next_attempt_at: new Date(),
    attempts_before_retry: payout.attempts,
  });
  await queueForRelay(trx, [payoutId]);
  await followPayouts(trx, payout.claim_id, actorId);
  return { status };
}

/** Whether the payout sits in a payment file the treasury has neither paid nor returned. */
async function inOpenPaymentFile(trx: Tx, payoutId: string): Promise<string | null> {
  const row = await trx
    .selectFrom('payment_instruction')
    .innerJoin('payment_file', 'payment_file.id', 'payment_instruction.payment_file_id')
    .select('payment_file.id')
    .where('payment_instruction.payout_id', '=', payoutId)
    .where('payment_instruction.returned_at', 'is', null)
    .where('payment_file.confirmed_at', 'is', null)
    .executeTakeFirst();
  return row?.id ?? null;
}

/**
 * Finance: void a payout whose money certainly did not leave (pending, awaiting funds,
 * failed — never sending or in doubt, never in an open payment file). Its coverage hold is
 * released and the payable reversed against the claims expense it came from.
 */
export async function voidPayout(
  trx: Tx,
  payoutId: string,
  reason: string,
  actorId: string,
): Promise<Outcome> {
  const payout = await lockPayout(trx, payoutId);
  nextPayoutStatus('void', payout.status);
  const file = await inOpenPaymentFile(trx, payoutId);
  if (file) {
    throw new DomainError(
      'illegal_transition',
      `payout ${payoutId} is in payment file ${file}, which the treasury has not returned`,
      { paymentFileId: file },
    );
  }
  if (payout.cash_hold_entry_id !== null) {
    throw new Error(`payout ${payoutId} is ${payout.status} but still holds cash`);
  }
  const codes = poolAccountCodes(payout.poolCode);
  // Both entries in one ledger write: one turn at the chain head, all accounts locked first.
  await recordCommandsInTransaction(trx, [
    ...(payout.coverage_hold_entry_id === null
      ? []
      : [
          {
            type: 'void_pending' as const,
            pendingEntryId: payout.coverage_hold_entry_id,
            idempotencyKey: `payout:${payout.id}:coverage-release`,
            description: `coverage released: payout ${payout.id} voided`,
            references: payoutReferences(payout, false),
          },
        ]),
    ...(payout.coverage_hold_entry_id === null
      ? []
      : await eventCapReturns(trx, [payout.coverage_hold_entry_id])),
    {
      type: 'transfer',
      idempotencyKey: `payout:${payout.id}:payable-reversal`,
      description: `payable reversed: payout ${payout.id} voided (${reason.slice(0, 200)})`,
      references: payoutReferences(payout, true),
      postings: [
        { accountCode: codes.claimsPayable, direction: 'debit', amount: payout.amount },
        {
          accountCode: codes.claimsExpense(payout.category as CostCategory),
          direction: 'credit',
          amount: payout.amount,
        },
      ],
    },
  ]);
  await movePayout(trx, payout, 'void', { voided_at: new Date(), void_reason: reason });
  const claim = await trx
    .selectFrom('claim')
    .select('status')
    .where('id', '=', payout.claim_id)
    .executeTakeFirstOrThrow();
  await trx
    .insertInto('claim_event')
    .values({
      claim_id: payout.claim_id,
      from_status: claim.status,
      to_status: claim.status,
      action: 'void_payout',
      note: reason,
      actor_user_id: actorId,
    })
    .execute();
  await followPayouts(trx, payout.claim_id, actorId);
  return { status: 'void' };
}

export interface InDoubtDecision {
  readonly outcome: PayoutResolutionOutcome;
  readonly evidence:
    | { readonly kind: 'statement_line'; readonly statementLineId: string }
    | { readonly kind: 'bank_confirmation'; readonly reference: string };
  readonly note: string;
}

/** What a statement line says about a payout: it must be money out, for the very amount. */
async function statementLineEvidence(trx: Tx, payout: LockedPayout, lineId: string) {
  const line = await trx
    .selectFrom('statement_line')
    .innerJoin('bank_statement', 'bank_statement.id', 'statement_line.statement_id')
    .select(['statement_line.id', 'statement_line.amount', 'statement_line.reference'])
    .where('statement_line.id', '=', lineId)
    .where('bank_statement.pool_id', '=', payout.pool_id)
    .executeTakeFirst();
  if (!line) throw new DomainError('not_found', `statement line ${lineId} is not on this pool`);
  if (!new Money(line.amount).negated().eq(new Money(payout.amount))) {
    throw new DomainError(
      'validation_failed',
      `statement line ${lineId} moved ${line.amount}, not -${payout.amount}`,
      { lineAmount: line.amount, payoutAmount: payout.amount },
    );
  }
  return line.reference || `statement line ${lineId}`;
}

/**
 * Finance says what happened to a payout in doubt, with its evidence (a statement line of
 * the pool's account that shows the money leaving, or a confirmation the bank gave). Paid
 * settles it; not paid fails it, for a retry or a void. The decision is kept.
 */
export async function decideInDoubt(
  trx: Tx,
  payoutId: string,
  decision: InDoubtDecision,
  actorId: string,
): Promise<Outcome> {
  const payout = await lockPayout(trx, payoutId);
  nextPayoutStatus(
    decision.outcome === 'paid' ? 'confirm_paid' : 'confirm_not_paid',
    payout.status,
  );
  if (decision.evidence.kind === 'statement_line' && decision.outcome === 'not_paid') {
    throw new DomainError(
      'validation_failed',
      'a statement line shows money that left; it cannot show that a payout was not paid',
    );
  }
  const reference =
    decision.evidence.kind === 'statement_line'
      ? await statementLineEvidence(trx, payout, decision.evidence.statementLineId)
      : decision.evidence.reference;
  await recordResolution(trx, payoutId, {
    outcome: decision.outcome,
    kind: decision.evidence.kind,
    reference,
    statementLineId:
      decision.evidence.kind === 'statement_line' ? decision.evidence.statementLineId : null,
    note: decision.note,
    decidedBy: actorId,
  });
  if (decision.outcome === 'paid') return settlePayout(trx, payoutId, 'finance', reference);
  return failPayout(trx, payout, 'confirm_not_paid', `finance: not paid (${reference})`);
}

export async function recordResolution(
  trx: Tx,
  payoutId: string,
  resolution: {
    readonly outcome: PayoutResolutionOutcome;
    readonly kind: PayoutEvidenceKind;
    readonly reference: string;
    readonly statementLineId: string | null;
    readonly note: string;
    readonly decidedBy: string | null;
  },
): Promise<void> {
  await trx
    .insertInto('payout_resolution')
    .values({
      payout_id: payoutId,
      outcome: resolution.outcome,
      evidence_kind: resolution.kind,
      evidence_reference: resolution.reference.slice(0, 200),
      statement_line_id: resolution.statementLineId,
      note: resolution.note,
      decided_by: resolution.decidedBy,
    })
    .execute();
}

/** Automatic steps are recorded under the user who submitted the claim's decision. */
async function systemActor(trx: Tx, claimId: string): Promise<string> {
  const decision = await trx
    .selectFrom('claim_decision')
    .select(['decided_by', 'confirmed_by'])
    .where('claim_id', '=', claimId)
    .where('state', '=', 'effective')
    .orderBy('decided_at', 'desc')
    .executeTakeFirstOrThrow();
  return decision.confirmed_by ?? decision.decided_by;
}
