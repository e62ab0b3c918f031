/**
 * @module Money recovered for a paid claim (追偿): from the party that caused the loss
 * (subrogation) or by selling what was saved (salvage). It is credited to the pool's fund
 * against a recoveries account, so the pool statement shows it beside contributions and
 * remittances. Whether it also gives cumulative coverage back is a term
 * (`recoveriesReinstateCoverage`, no by default): when it does, consumed coverage moves back
 * to available, never more than the claim consumed. The per-incident cap is not
 * reinstated: the loss event happened once.
 *
 * Money has its date: both entries count from the start of the day the money was received,
 * never from when it was keyed. A day after today, or before the claim had been paid as
 * much, cannot be true and is refused; a day in a closed month is refused naming the close
 * unless finance books it as a late item in the open month (`bookAsLateItem`).
 */
import { sql } from 'kysely';
import type { DB } from '../db/database.ts';
import type { Tx } from '../db/transaction.ts';
import { DomainError } from '../domain-error.ts';
import { openAccount } from '../ledger/accounts.ts';
import { formatAmount, Money, minAmount, ZERO } from '../ledger/money.ts';
import type { JournalEntry } from '../ledger/types.ts';
import { recordAllEffectiveOn } from '../policy/capacity.ts';
import { type LocalDate, localDateOf, startOfLocalDay } from '../policy/local-date.ts';
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
  /** Received in a closed month: book it now, in the open month, as a named late item. */
  readonly bookAsLateItem?: boolean;
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
  /** When the ledger counts it: the start of the day received, or when booked as a late item. */
  readonly effectiveAt: string;
  readonly bookedAsLateItem: boolean;
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

/**
 * The first day from `day` on when this recovery would make more recovered than paid on the
 * claim, both counted by the end of that day: `day` itself, or a later day another recovery
 * was received (paid only grows, so those are the days to look at).
 */
async function dayRecoveredPastPaid(db: Tx, claimId: string, day: LocalDate, amount: Money) {
  const { rows } = await sql<{ day: string; paid: string; recovered: string }>`
    SELECT d.day::text AS day,
      (SELECT coalesce(sum(amount), 0) FROM payout
        WHERE claim_id = ${claimId} AND status = 'paid'
          AND settled_at < ((d.day + 1)::timestamp AT TIME ZONE 'Asia/Shanghai'))::text AS paid,
      (SELECT coalesce(sum(amount), 0) FROM claim_recovery
        WHERE claim_id = ${claimId} AND received_on <= d.day)::text AS recovered
    FROM (
      SELECT ${day}::date AS day
      UNION SELECT received_on FROM claim_recovery WHERE claim_id = ${claimId} AND received_on > ${day}::date
    ) d
    ORDER BY d.day
  `.execute(db);
  return rows.find((r) => new Money(r.recovered).plus(amount).gt(new Money(r.paid)));
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
  const untrue = await dayRecoveredPastPaid(trx, claimId, input.receivedOn, input.amount);
  if (untrue) {
    throw new DomainError(
      'impossible_date',
      `by the end of ${untrue.day} claim ${claimId} had been paid ${formatAmount(new Money(untrue.paid))} and ${formatAmount(new Money(untrue.recovered))} recovered: ${formatAmount(input.amount)} more received on ${input.receivedOn} would be more recovered than paid`,
      { day: untrue.day, paidByDay: formatAmount(new Money(untrue.paid)) },
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
  const description = `${input.kind} recovered from ${input.fromParty} (${input.reference}), received ${input.receivedOn}`;
  let entries: JournalEntry[];
  try {
    // Both entries in one ledger write, on the day received (or, booked late, now).
    ({ entries } = await recordAllEffectiveOn(
      trx,
      [
        {
          idempotencyKey: `recovery:${input.reference}:cash`,
          description,
          references,
          postings: [
            { accountCode: codes.fund, direction: 'debit', amount: input.amount },
            { accountCode: recoveries, direction: 'credit', amount: input.amount },
          ],
        },
        ...(reinstated.gt(ZERO)
          ? [
              {
                idempotencyKey: `recovery:${input.reference}:coverage`,
                description: `cumulative coverage reinstated by recovery ${input.reference} (the terms say recoveries reinstate it)`,
                references,
                postings: [
                  {
                    accountCode: codes.coverageAvailable,
                    direction: 'debit' as const,
                    amount: reinstated,
                  },
                  {
                    accountCode: codes.coverageConsumed,
                    direction: 'credit' as const,
                    amount: reinstated,
                  },
                ],
              },
            ]
          : []),
      ],
      input.receivedOn,
      { lateIfClosed: input.bookAsLateItem === true, now },
    ));
  } catch (error) {
    if (!(error instanceof DomainError) || error.code !== 'period_closed') throw error;
    const month = error.details.month ?? input.receivedOn.slice(0, 7);
    throw new DomainError(
      'period_closed',
      `a recovery received on ${input.receivedOn} falls in ${month}, which finance closed; book it in the open month as a late item with "bookAsLateItem": true`,
      { month },
    );
  }
  const [entry] = entries;
  if (!entry) throw new Error('a recovery recorded no entry');
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
    .returning('id')
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
  const [recorded] = await recoveriesWhere(trx, 'claim_recovery.id', row.id);
  if (!recorded) throw new Error('the recovery just recorded cannot be read');
  return recorded;
}

function recoveriesWhere(
  db: DB | Tx,
  column: 'claim_recovery.id' | 'claim_recovery.claim_id',
  id: string,
): Promise<Recovery[]> {
  return db
    .selectFrom('claim_recovery')
    .innerJoin('journal_entry', 'journal_entry.id', 'claim_recovery.entry_id')
    .selectAll('claim_recovery')
    .select('journal_entry.effective_at')
    .where(column, '=', id)
    .orderBy('claim_recovery.recorded_at')
    .limit(500)
    .execute()
    .then((rows) =>
      rows.map((row) => ({
        id: row.id,
        claimId: row.claim_id,
        kind: row.kind as Recovery['kind'],
        amount: row.amount,
        receivedOn: row.received_on,
        fromParty: row.from_party,
        reference: row.reference,
        coverageReinstated: row.coverage_reinstated,
        entryId: row.entry_id,
        effectiveAt: row.effective_at.toISOString(),
        bookedAsLateItem: row.effective_at.getTime() !== startOfLocalDay(row.received_on).getTime(),
        recordedBy: row.recorded_by,
        recordedAt: row.recorded_at.toISOString(),
      })),
    );
}

/** A claim's recoveries; an unknown claim is not_found, not an empty list. */
export async function claimRecoveries(db: DB | Tx, claimId: string): Promise<Recovery[]> {
  await getClaim(db, claimId);
  return recoveriesWhere(db, 'claim_recovery.claim_id', claimId);
}
