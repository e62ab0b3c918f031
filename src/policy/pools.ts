/**
 * @module Pools: created with their first terms and their chart of accounts; each terms
 * version's cap reaches the ledger when its date comes (capacity.ts), the first one too.
 */
import type { DB } from '../db/database.ts';
import { inTransaction, type Tx } from '../db/transaction.ts';
import { DomainError } from '../domain-error.ts';
import { openAccount } from '../ledger/accounts.ts';
import { formatAmount, Money } from '../ledger/money.ts';
import { latestCapacityEvent } from './capacity.ts';
import { localDateOf } from './local-date.ts';
import { periodFigures } from './periods.ts';
import { poolAccountSpecs } from './pool-accounts.ts';
import {
  COUNTY_TERMS,
  insertTermsVersion,
  type PoolTerms,
  type TermsInput,
  termsHistory,
  validateFollows,
  validateTerms,
} from './terms.ts';
import { bringTermsIntoForce, ledgerTerms } from './terms-in-force.ts';

export interface Pool {
  readonly id: string;
  readonly code: string;
  readonly name: string;
  readonly insurer: string;
  readonly policyNumber: string;
  readonly currency: 'CNY';
}

export interface NewPool {
  readonly code: string;
  readonly name: string;
  readonly insurer: string;
  readonly policyNumber: string;
  readonly terms: TermsInput;
}

export const COUNTY_POOL: NewPool = {
  code: 'county',
  name: 'County reform-innovation risk pool',
  insurer: 'Sample Life Insurance Co. (sample name)',
  policyNumber: 'RP-2026-0001',
  terms: COUNTY_TERMS,
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const POOL_COLUMNS = [
  'id',
  'code',
  'name',
  'insurer',
  'policy_number as policyNumber',
  'currency',
] as const;

/**
 * Pools found outside a transaction, remembered per database handle: a pool row never
 * changes once created (its terms are rows of their own), so every request that names a
 * pool need not read it again. Bounded; a pool not found is never remembered.
 */
const poolCaches = new WeakMap<DB, Map<string, Pool>>();
const MAX_CACHED_POOLS = 500;

/** Finds a pool by its id or its code (e.g. "county"). */
export async function findPool(db: DB | Tx, idOrCode: string): Promise<Pool> {
  if (db.isTransaction) return readPool(db, idOrCode);
  let cache = poolCaches.get(db);
  if (!cache) {
    cache = new Map();
    poolCaches.set(db, cache);
  }
  const cached = cache.get(idOrCode);
  if (cached) return cached;
  const pool = await readPool(db, idOrCode);
  if (cache.size >= MAX_CACHED_POOLS) cache.clear();
  cache.set(pool.id, pool);
  cache.set(pool.code, pool);
  return pool;
}

async function readPool(db: DB | Tx, idOrCode: string): Promise<Pool> {
  const pool = await db
    .selectFrom('pool')
    .select(POOL_COLUMNS)
    .where(UUID.test(idOrCode) ? 'id' : 'code', '=', idOrCode)
    .executeTakeFirst();
  if (!pool) throw new DomainError('not_found', `pool ${idOrCode} does not exist`);
  return pool;
}

export async function listPools(db: DB | Tx): Promise<Pool[]> {
  return db.selectFrom('pool').select(POOL_COLUMNS).orderBy('code').limit(500).execute();
}

/** Locks the pool row: contributions, refunds and term changes on one pool run one at a time. */
export async function lockPool(trx: Tx, idOrCode: string): Promise<Pool> {
  const pool = await trx
    .selectFrom('pool')
    .select(POOL_COLUMNS)
    .where(UUID.test(idOrCode) ? 'id' : 'code', '=', idOrCode)
    .forNoKeyUpdate()
    .executeTakeFirst();
  if (!pool) throw new DomainError('not_found', `pool ${idOrCode} does not exist`);
  return pool;
}

export async function createPool(
  trx: Tx,
  input: NewPool,
  createdBy: string | null,
  now: Date = new Date(),
): Promise<Pool> {
  const clash = await trx
    .selectFrom('pool')
    .select('code')
    .where((eb) =>
      eb.or([eb('code', '=', input.code), eb('policy_number', '=', input.policyNumber)]),
    )
    .executeTakeFirst();
  if (clash)
    throw new DomainError(
      'conflict',
      `a pool with code ${input.code} or policy ${input.policyNumber} exists`,
    );
  const pool = await trx
    .insertInto('pool')
    .values({
      code: input.code,
      name: input.name,
      insurer: input.insurer,
      policy_number: input.policyNumber,
      // The injected clock's moment: the day the pool went live decides which filings
      // may be imported as registered before it (filing-import.ts).
      created_at: now,
      created_by: createdBy,
    })
    .returning(POOL_COLUMNS)
    .executeTakeFirstOrThrow();
  await insertTermsVersion(trx, pool.id, 1, input.terms, createdBy);
  for (const spec of poolAccountSpecs(pool.code, pool.name)) await openAccount(trx, spec);
  await bringTermsIntoForce(trx, pool, localDateOf(now), 'write', now);
  return pool;
}

/** The county's pool, created once; later calls return it unchanged. */
export async function seedCountyPool(db: DB): Promise<Pool> {
  return inTransaction(db, async (trx) => {
    const existing = await trx
      .selectFrom('pool')
      .select(POOL_COLUMNS)
      .where('code', '=', COUNTY_POOL.code)
      .executeTakeFirst();
    return existing ?? createPool(trx, COUNTY_POOL, null);
  });
}

/**
 * Records a new version of the terms. It changes nothing before its date: on that date
 * (or now, when the date has come) capacity.ts posts the difference it makes. A cap below
 * what is already committed is refused; one that falls below what is committed by the
 * time it takes effect is recorded there as an over-commitment.
 */
export async function changeTerms(
  trx: Tx,
  poolRef: string,
  terms: TermsInput,
  recordedBy: string,
  now: Date = new Date(),
): Promise<PoolTerms> {
  const pool = await lockPool(trx, poolRef);
  const history = await termsHistory(trx, pool.id);
  const latest = history[history.length - 1];
  if (!latest) throw new DomainError('not_found', `pool ${pool.code} has no terms`);
  if (history.some((t) => t.effectiveFrom >= terms.effectiveFrom)) {
    throw new DomainError(
      'conflict',
      `new terms must take effect after ${latest.effectiveFrom}, the latest version's date`,
    );
  }
  validateTerms(terms);
  validateFollows(latest, terms);
  // Terms dated before today post their difference on their date from today's balances:
  // true only if nothing moved the formula's inputs since that date.
  const today = localDateOf(now);
  if (terms.effectiveFrom < today) {
    const later = await latestCapacityEvent(trx, pool.id);
    if (later && later.day > terms.effectiveFrom) {
      throw new DomainError(
        'later_capacity_event',
        `terms effective from ${terms.effectiveFrom} (before today, ${today}) cannot be back-dated past ${later.what} on ${later.day}, already posted; give an effectiveFrom of ${later.day} or later`,
        { effectiveFrom: terms.effectiveFrom, laterEvent: later.what, laterEventOn: later.day },
      );
    }
  }
  // Within the period in force, the cap may not go below what it has committed already; a
  // renewal's cap comes on top of what earlier periods committed, so it is not compared.
  const inForce = await ledgerTerms(trx, pool);
  const current = (await periodFigures(trx, pool)).find((p) => p.current);
  const committed = new Money(current?.committed ?? '0');
  if (inForce.periodStart === terms.periodStart && terms.cumulativeCap.lt(committed)) {
    throw new DomainError(
      'limit_exceeded',
      `the cumulative cap cannot go below the ${formatAmount(committed)} of coverage already committed (reserved + consumed)`,
      { committed: formatAmount(committed) },
    );
  }
  const version = await insertTermsVersion(trx, pool.id, latest.version + 1, terms, recordedBy);
  await bringTermsIntoForce(trx, pool, today, 'write', now);
  return version;
}
