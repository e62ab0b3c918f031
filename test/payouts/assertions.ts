/**
 * The end state every fault test asserts: each payout of the pool paid exactly once (one
 * bank transfer, one cash post, its three ledger entries), every claim paid, the pool's
 * figures settled and the ledger verified.
 */
import { expect } from 'vitest';
import type { DB } from '../../src/db/database.ts';
import { verifyLedger } from '../../src/ledger/verify.ts';
import type { Pool } from '../../src/policy/pools.ts';
import {
  bankTransferCount,
  notPaidExactlyOnce,
  payoutStatusCounts,
  payoutTrails,
  poolFigures,
} from './support.ts';

export async function expectEveryPayoutPaidOnce(
  db: DB,
  pool: Pool,
  payoutCount: number,
): Promise<void> {
  expect(await payoutStatusCounts(db, pool)).toEqual({ paid: payoutCount });
  const trails = await payoutTrails(db, pool);
  expect(trails).toHaveLength(payoutCount);
  expect(notPaidExactlyOnce(trails)).toEqual([]);
  // Each payout's ledger trail is its cash hold, its cash post and its coverage post.
  expect(trails.filter((t) => t.entries !== 3)).toEqual([]);
  expect(await bankTransferCount(db)).toBe(payoutCount);
}

export async function expectRunSettled(
  db: DB,
  pool: Pool,
  claimIds: readonly string[],
  paidTotal: number,
): Promise<void> {
  const unpaidClaims = await db
    .selectFrom('claim')
    .select(['id', 'status'])
    .where('id', 'in', [...claimIds])
    .where('status', '!=', 'paid')
    .execute();
  expect(unpaidClaims).toEqual([]);
  expect(await poolFigures(db, pool)).toMatchObject({
    coverageReserved: '0.00',
    coverageConsumed: paidTotal.toFixed(2),
    fundBalance: (100_000 - paidTotal).toFixed(2),
    claimsPayable: '0.00',
  });
  const verification = await verifyLedger(db);
  expect(verification.problems).toEqual([]);
  expect(verification.ok).toBe(true);
}
