/**
 * @module What happened to a payout in doubt, decided on evidence and kept, then settled or failed.
 */
import type { PayoutEvidenceKind, PayoutResolutionOutcome } from '../db/schema-payouts.ts';
import type { Tx } from '../db/transaction.ts';
import { DomainError } from '../domain-error.ts';
import { Money } from '../ledger/money.ts';
import { nextPayoutStatus } from './lifecycle.ts';
import { type LockedPayout, lockPayout, type Outcome } from './locked-payout.ts';
import { failPayout } from './payout-failure.ts';
import { settlePayout } from './settlement.ts';

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
