/**
 * @module Dated terms reach the ledger from their date and no earlier: a version is brought into
 * force once, by whichever comes first — the scheduled step, or the first write or read on or
 * after its date — under the pool's row lock, posts its true-up (capacity.ts) and is recorded in
 * `pool_terms_in_force`, with what earlier policy periods carried into its own. Finance sees the
 * versions whose cap came in below what was already committed.
 */
import type { DB } from '../db/database.ts';
import type { TermsBroughtBy } from '../db/schema-coverage.ts';
import { inTransaction, type Tx } from '../db/transaction.ts';
import { formatAmount, Money, ZERO } from '../ledger/money.ts';
import { capacityState, coverageTrueUp, recordEffectiveOn, type TrueUp } from './capacity.ts';
import { type LocalDate, localDateOf, localDateText, startOfLocalDay } from './local-date.ts';
import { poolAccountCodes } from './pool-accounts.ts';
import type { Pool } from './pools.ts';
import { type PoolTerms, termsHistory, termsInForce } from './terms.ts';

export interface TermsBroughtIntoForce {
  readonly version: number;
  readonly inForceOn: LocalDate;
  readonly entryId: number | null;
  readonly overCommitted: string;
}

export async function versionsDue(
  db: DB | Tx,
  poolId: string,
  today: LocalDate,
): Promise<number[]> {
  const rows = await db
    .selectFrom('pool_terms as t')
    .select('t.version')
    .where('t.pool_id', '=', poolId)
    .where('t.effective_from', '<=', today)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('pool_terms_in_force as f')
            .select('f.version')
            .whereRef('f.pool_id', '=', 't.pool_id')
            .whereRef('f.version', '=', 't.version'),
        ),
      ),
    )
    .orderBy('t.version')
    .execute();
  return rows.map((r) => r.version);
}

/**
 * For writers that do not otherwise hold the pool row, and for the transactions readers and
 * the schedule open for due versions: takes the row (before any ledger account, in the
 * service's lock order) only when a version is due, which is one indexed query.
 */
export async function bringTermsIntoForceIfDue(
  trx: Tx,
  pool: Pool,
  today: LocalDate,
  broughtBy: TermsBroughtBy,
  now: Date,
): Promise<TermsBroughtIntoForce[]> {
  if ((await versionsDue(trx, pool.id, today)).length === 0) return [];
  await trx.selectFrom('pool').select('id').where('id', '=', pool.id).forNoKeyUpdate().execute();
  return bringTermsIntoForce(trx, pool, today, broughtBy, now);
}

/**
 * Brings every version whose date has come into force, oldest first. Call with the pool
 * row locked: that lock, the `pool_terms_in_force` key and the entry's idempotency key
 * make it post once however many requests arrive around the moment.
 */
export async function bringTermsIntoForce(
  trx: Tx,
  pool: Pool,
  today: LocalDate,
  broughtBy: TermsBroughtBy,
  /** The caller's clock: a version due in a closed month is posted as a late item at this moment. */
  now: Date,
): Promise<TermsBroughtIntoForce[]> {
  const due = await versionsDue(trx, pool.id, today);
  if (due.length === 0) return [];
  const history = await termsHistory(trx, pool.id);
  const codes = poolAccountCodes(pool.code);
  const brought: TermsBroughtIntoForce[] = [];
  for (const version of due) {
    const terms = history.find((t) => t.version === version);
    if (!terms) throw new Error(`terms version ${version} of pool ${pool.code} vanished`);
    const state = await capacityState(trx, codes);
    const previous = await latestInForce(trx, pool.id);
    // A version that opens a new policy period carries what earlier periods committed, and
    // its cap comes on top: a renewal brings its own cap.
    const carried =
      previous === null
        ? ZERO
        : previous.periodStart === terms.periodStart
          ? previous.carried
          : state.committed;
    const trueUp = coverageTrueUp(
      codes,
      state,
      {
        cap: terms.cumulativeCap.plus(carried),
        ratio: terms.fundingRatio,
        netContributed: state.contributionsCash.plus(state.surplusCash),
      },
      [],
      true,
    );
    const entry =
      trueUp.postings.length === 0
        ? null
        : (
            await recordEffectiveOn(
              trx,
              {
                description: termsDescription(terms, trueUp),
                idempotencyKey: `pool:${pool.id}:terms:${version}:in-force`,
                references: { poolId: pool.id },
                postings: trueUp.postings,
              },
              terms.effectiveFrom,
              { lateIfClosed: true, now },
            )
          ).entry;
    await trx
      .insertInto('pool_terms_in_force')
      .values({
        pool_id: pool.id,
        version,
        in_force_on: terms.effectiveFrom,
        entry_id: entry?.id ?? null,
        over_committed: formatAmount(trueUp.overCommitted),
        carried_committed: formatAmount(carried),
        brought_by: broughtBy,
      })
      .execute();
    brought.push({
      version,
      inForceOn: terms.effectiveFrom,
      entryId: entry?.id ?? null,
      overCommitted: formatAmount(trueUp.overCommitted),
    });
  }
  return brought;
}

/** The version the ledger holds now, with what its period carried from earlier ones. */
export interface LedgerTerms {
  readonly terms: PoolTerms;
  readonly periodStart: LocalDate;
  readonly carried: Money;
  /** The cap the ledger holds: the version's cumulative cap on top of what was carried. */
  readonly ledgerCap: Money;
}

export function withCarried(terms: PoolTerms, carriedCommitted: string): LedgerTerms {
  const carried = new Money(carriedCommitted);
  return {
    terms,
    periodStart: terms.periodStart,
    carried,
    ledgerCap: terms.cumulativeCap.plus(carried),
  };
}

export async function latestInForce(db: DB | Tx, poolId: string): Promise<LedgerTerms | null> {
  const row = await db
    .selectFrom('pool_terms_in_force')
    .select(['version', 'carried_committed'])
    .where('pool_id', '=', poolId)
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!row) return null;
  const terms = (await termsHistory(db, poolId)).find((t) => t.version === row.version);
  if (!terms) throw new Error(`terms version ${row.version} is in force but not recorded`);
  return withCarried(terms, row.carried_committed);
}

/** The terms in force on a day, with what their period carried (0 before they reached the ledger). */
export async function termsWithCarriedOn(
  db: DB | Tx,
  pool: Pool,
  day: LocalDate,
): Promise<LedgerTerms> {
  const terms = await termsInForce(db, pool.id, day);
  const row = await db
    .selectFrom('pool_terms_in_force')
    .select('carried_committed')
    .where('pool_id', '=', pool.id)
    .where('version', '=', terms.version)
    .executeTakeFirst();
  return withCarried(terms, row?.carried_committed ?? '0');
}

/** The terms the ledger holds now; a pool always has its first version once created. */
export async function ledgerTerms(db: DB | Tx, pool: Pool): Promise<LedgerTerms> {
  const latest = await latestInForce(db, pool.id);
  if (!latest) throw new Error(`pool ${pool.code} has no terms in force yet`);
  return latest;
}

export function termsDescription(terms: PoolTerms, trueUp: TrueUp): string {
  const parts = [
    `terms version ${terms.version} in force from ${terms.effectiveFrom}: cap ${formatAmount(terms.cumulativeCap)}, ratio 1:${terms.fundingRatio.toFixed(2)}`,
  ];
  if (trueUp.surplusChange.lt(ZERO))
    parts.push(`${formatAmount(trueUp.surplusChange.neg())} of surplus now buys coverage`);
  if (trueUp.overCommitted.gt(ZERO))
    parts.push(`over-committed by ${formatAmount(trueUp.overCommitted)}`);
  return parts.join('; ');
}

/**
 * For readers: brings due versions into force in a transaction of its own, only when one
 * is due (the check is one indexed query), so a read on or after a date sees its terms.
 */
export async function ensureTermsInForce(
  db: DB,
  pool: Pool,
  today: LocalDate,
  now: Date = startOfLocalDay(today),
): Promise<void> {
  if ((await versionsDue(db, pool.id, today)).length === 0) return;
  await inTransaction(db, (trx) => bringTermsIntoForceIfDue(trx, pool, today, 'read', now));
}

/** The scheduled step: every pool's due versions, each pool in its own transaction. */
export async function bringAllDueTermsIntoForce(db: DB, now: Date): Promise<number> {
  const today = localDateOf(now);
  const pools = await db
    .selectFrom('pool')
    .select(['id', 'code', 'name', 'insurer', 'policy_number as policyNumber', 'currency'])
    .orderBy('code')
    .limit(500)
    .execute();
  let count = 0;
  for (const pool of pools) {
    if ((await versionsDue(db, pool.id, today)).length === 0) continue;
    const brought = await inTransaction(db, (trx) =>
      bringTermsIntoForceIfDue(trx, pool, today, 'schedule', now),
    );
    count += brought.length;
  }
  return count;
}

export interface OverCommitment {
  readonly version: number;
  readonly inForceOn: LocalDate;
  readonly amount: string;
}

/** Versions whose cap came into force below what was already committed: finance sees these. */
export async function overCommitments(db: DB | Tx, poolId: string): Promise<OverCommitment[]> {
  const rows = await db
    .selectFrom('pool_terms_in_force')
    .select(['version', localDateText('in_force_on').as('inForceOn'), 'over_committed as amount'])
    .where('pool_id', '=', poolId)
    .where('over_committed', '>', '0')
    .orderBy('version')
    .execute();
  return rows;
}
