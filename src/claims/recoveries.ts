/**
 * @module Money recovered for a paid claim (追偿): from the party that caused the loss
 * (subrogation) or by selling what was saved (salvage). It is credited to the pool's fund
 * against a recoveries account, so the pool statement shows it beside contributions and
 * remittances. Whether it also gives cumulative coverage back is a term
 * (`recoveriesReinstateCoverage`, no by default): when it does, consumed coverage moves back
 * to available, never more than the claim consumed. The per-incident cap is not
 * reinstated: the loss event happened once.
 */

import type { Selectable } from 'kysely';
import { sql } from 'kysely';
import type { DB } from '../db/database.ts';
import type { Database } from '../db/schema.ts';
import type { Tx } from '../db/transaction.ts';
import { DomainError } from '../domain-error.ts';
import { openAccount } from '../ledger/accounts.ts';
import { formatAmount, Money, minAmount, ZERO } from '../ledger/money.ts';
import { recordCommandInTransaction } from '../ledger/record.ts';
import { type LocalDate, localDateOf } from '../policy/local-date.ts';
import { poolAccountCodes } from '../policy/pool-accounts.ts';
import { lockPool } from '../policy/pools.ts';
import { termsInForce } from '../policy/terms.ts';
import { getClaim, lockClaim, recordEvent } from './claims.ts';

export interface NewRecovery {
  readonly kind: 'subrogation' | 'salvage';
  readonly amount: Money;
  readonly receivedOn: LocalDate;
  readonly fromParty: string;
  readonly reference: string;
}

export interface Recovery {
  readonly id: string;
  readonly claimId: string;
  readonly kind: 'subrogation' | 'salvage';
  readonly amount: string;
  readonly receivedOn: string;
  readonly fromParty: string;
  readonly reference: string;
  readonly coverageReinstated: string;
  readonly entryId: number;
  readonly recordedBy: string;
  readonly recordedAt: string;
}

/** Paid on the claim, and recovered and reinstated for it so far. */
async function claimFigures(db: DB | Tx, claimId: string) {
  const row = await sql<{ paid: string; recovered: string; reinstated: string }>`
    SELECT
      (SELECT coalesce(sum(amount), 0) FROM payout WHERE claim_id = ${claimId} AND status = 'paid')::text AS paid,
      (SELECT coalesce(sum(amount), 0) FROM claim_recovery WHERE claim_id = ${claimId})::text AS recovered,
      (SELECT coalesce(sum(coverage_reinstated), 0) FROM claim_recovery WHERE claim_id = ${claimId})::text AS reinstated
  `.execute(db);
  const figures = row.rows[0];
  if (!figures) throw new Error('claim figures query returned nothing');
  return {
    paid: new Money(figures.paid),
    recovered: new Money(figures.recovered),
    reinstated: new Money(figures.reinstated),
  };
}

export async function recordRecovery(
  trx: Tx,
  claimId: string,
  input: NewRecovery,
  actorId: string,
  now: Date = new Date(),
): Promise<Recovery> {
  const claim = await lockClaim(trx, claimId);
  const incident = await trx
    .selectFrom('incident')
    .select(['id', 'pool_id', 'occurred_on'])
    .where('id', '=', claim.incidentId)
    .executeTakeFirstOrThrow();
  const pool = await lockPool(trx, incident.pool_id);
  const today = localDateOf(now);
  if (input.receivedOn > today) {
    throw new DomainError(
      'impossible_date',
      `money cannot have been received on ${input.receivedOn}, after today (${today}, Asia/Shanghai)`,
    );
  }
  if (input.amount.lte(ZERO))
    throw new DomainError('validation_failed', 'a recovery is a positive amount');
  const figures = await claimFigures(trx, claimId);
  const recoverable = figures.paid.minus(figures.recovered);
  if (input.amount.gt(recoverable)) {
    throw new DomainError(
      'limit_exceeded',
      `claim ${claimId} was paid ${formatAmount(figures.paid)} and ${formatAmount(figures.recovered)} is already recovered: at most ${formatAmount(recoverable)} can be recovered for it`,
      { paid: formatAmount(figures.paid), recovered: formatAmount(figures.recovered) },
    );
  }
  const duplicate = await trx
    .selectFrom('claim_recovery')
    .select('id')
    .where('reference', '=', input.reference)
    .executeTakeFirst();
  if (duplicate)
    throw new DomainError(
      'conflict',
      `reference ${input.reference} is already recorded as recovery ${duplicate.id}`,
    );
  // The terms in force on the day the money came decide whether it reinstates coverage.
  const terms = await termsInForce(trx, pool.id, input.receivedOn);
  const codes = poolAccountCodes(pool.code);
  const recoveries = codes.recoveries;
  await openAccount(trx, {
    code: recoveries,
    name: `${pool.name}: recoveries (subrogation, salvage)`,
    unit: 'CNY',
    normalSide: 'credit',
  });
  const reinstated = terms.recoveriesReinstateCoverage
    ? minAmount(input.amount, figures.paid.minus(figures.reinstated))
    : ZERO;
  const references = { poolId: pool.id, incidentId: incident.id, claimId };
  const entry = await recordCommandInTransaction(trx, {
    type: 'transfer',
    idempotencyKey: `recovery:${input.reference}:cash`,
    description: `${input.kind} recovered from ${input.fromParty} (${input.reference}), received ${input.receivedOn}`,
    references,
    postings: [
      { accountCode: codes.fund, direction: 'debit', amount: input.amount },
      { accountCode: recoveries, direction: 'credit', amount: input.amount },
    ],
  });
  if (reinstated.gt(ZERO)) {
    await recordCommandInTransaction(trx, {
      type: 'transfer',
      idempotencyKey: `recovery:${input.reference}:coverage`,
      description: `cumulative coverage reinstated by recovery ${input.reference} (the terms say recoveries reinstate it)`,
      references,
      postings: [
        { accountCode: codes.coverageAvailable, direction: 'debit', amount: reinstated },
        { accountCode: codes.coverageConsumed, direction: 'credit', amount: reinstated },
      ],
    });
  }
  const row = await trx
    .insertInto('claim_recovery')
    .values({
      claim_id: claimId,
      kind: input.kind,
      amount: formatAmount(input.amount),
      received_on: input.receivedOn,
      from_party: input.fromParty,
      reference: input.reference,
      coverage_reinstated: formatAmount(reinstated),
      entry_id: entry.id,
      recorded_by: actorId,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordEvent(
    trx,
    claimId,
    claim.status,
    claim.status,
    'record_recovery',
    `${input.kind} ${formatAmount(input.amount)} from ${input.fromParty} (${input.reference}); coverage reinstated ${formatAmount(reinstated)}`,
    actorId,
  );
  return toRecovery(row);
}

type RecoveryRow = Selectable<Database['claim_recovery']>;

function toRecovery(row: RecoveryRow): Recovery {
  return {
    id: row.id,
    claimId: row.claim_id,
    kind: row.kind,
    amount: row.amount,
    receivedOn: row.received_on,
    fromParty: row.from_party,
    reference: row.reference,
    coverageReinstated: row.coverage_reinstated,
    entryId: row.entry_id,
    recordedBy: row.recorded_by,
    recordedAt: row.recorded_at.toISOString(),
  };
}

/** A claim's recoveries; an unknown claim is not_found, not an empty list. */
export async function claimRecoveries(db: DB | Tx, claimId: string): Promise<Recovery[]> {
  await getClaim(db, claimId);
  const rows = await db
    .selectFrom('claim_recovery')
    .selectAll()
    .where('claim_id', '=', claimId)
    .orderBy('recorded_at')
    .limit(500)
    .execute();
  return rows.map(toRecovery);
}
