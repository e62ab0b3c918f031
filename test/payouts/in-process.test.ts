/**
 * Embedded mode: InProcessPayoutRunner drains the outbox and pays through the simulated bank
 * with the shared settlement code. Every payout's money leaves once — the bank's own record
 * and the ledger's cash postings both say so — whatever the bank does in between.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getClaim } from '../../src/claims/claims.ts';
import { confirmAndOrder } from '../../src/claims/decisions.ts';
import { inTransaction } from '../../src/db/transaction.ts';
import { DomainError } from '../../src/domain-error.ts';
import { Money } from '../../src/ledger/money.ts';
import { verifyLedger } from '../../src/ledger/verify.ts';
import type { RetryPolicy } from '../../src/payouts/attempt-policy.ts';
import { releaseWaitingPayouts } from '../../src/payouts/cash-priority.ts';
import { InProcessPayoutRunner } from '../../src/payouts/in-process.ts';
import { shortfall } from '../../src/payouts/orders.ts';
import { retryPayout } from '../../src/payouts/payout-failure.ts';
import { voidPayout } from '../../src/payouts/payout-void.ts';
import { SimulatedBank } from '../../src/payouts/simulated-bank.ts';
import { recordRemittance } from '../../src/policy/contributions.ts';
import type { Pool } from '../../src/policy/pools.ts';
import { createStaff, fundedPool, type Staff } from '../claims/support.ts';
import { freshPostgres, type TestDatabase } from '../support/database.ts';
import {
  approveClaims,
  bankTransferCount,
  claimLine,
  incidentOn,
  minus,
  notPaidExactlyOnce,
  payoutRow as payoutRowOf,
  payoutTrails,
  plus,
  poolFigures,
  sleep,
} from './support.ts';

let database: TestDatabase;
let staff: Staff;

const QUICK_RETRY: RetryPolicy = { attempts: 3, backoffMs: 1 };

beforeAll(async () => {
  database = await freshPostgres(8);
  staff = await createStaff(database.db, 'payouts-in-process');
});
afterAll(() => database.close());

const payoutRow = (payoutId: string) => payoutRowOf(database.db, payoutId);

async function claimStatus(claimId: string) {
  return (await getClaim(database.db, claimId)).status;
}

/** Runs passes until the payout reaches `status` (or gives up after `passes`). */
async function runUntil(
  runner: InProcessPayoutRunner,
  payoutId: string,
  status: string,
  passes = 200,
): Promise<string> {
  for (let pass = 0; pass < passes; pass++) {
    await runner.runOnce();
    const current = (await payoutRow(payoutId)).status;
    if (current === status) return current;
    await sleep(5);
  }
  return (await payoutRow(payoutId)).status;
}

const fundedPoolWithoutFourEyes = (code: string) =>
  fundedPool(database.db, code, staff, { fourEyesThreshold: '1000000.00' });

function onlyPayout(claims: readonly { payoutIds: readonly string[] }[], index = 0): string {
  const id = claims[index]?.payoutIds[0];
  if (!id) throw new Error(`claim ${index} ordered no payout`);
  return id;
}

describe('paying approved claims in-process', () => {
  it('pays every line once, consumes the coverage it reserved and takes the cash from the fund', async () => {
    const pool = await fundedPoolWithoutFourEyes('inproc-paid');
    const incident = await incidentOn(database.db, pool.code, staff);
    const claims = await approveClaims(database.db, staff, incident, [
      [
        claimLine('property_loss', '20000.00', 'Farm A'),
        claimLine('lawyer_fees', '5000.00', 'Law firm B'),
      ],
      [claimLine('appraisal', '12345.67', 'Appraiser C')],
      [claimLine('litigation_arbitration', '30000.00', 'Court D')],
    ]);
    const payoutIds = claims.flatMap((c) => c.payoutIds);
    expect(payoutIds).toHaveLength(4);
    const total = '67345.67';
    const before = await poolFigures(database.db, pool);
    expect(before).toMatchObject({
      coverageReserved: total,
      coverageConsumed: '0.00',
      fundBalance: '100000.00',
      claimsPayable: total,
    });
    for (const claim of claims) expect(await claimStatus(claim.claimId)).toBe('payout_pending');

    const transfersBefore = await bankTransferCount(database.db);
    const runner = new InProcessPayoutRunner(database.db, new SimulatedBank(database.db));
    expect(await runner.runOnce()).toBe(4);
    expect(await bankTransferCount(database.db)).toBe(transfersBefore + 4);

    const trails = await payoutTrails(database.db, pool);
    expect(notPaidExactlyOnce(trails)).toEqual([]);
    // Cash hold, cash post, coverage post: nothing more, nothing twice.
    expect(trails.map((t) => t.entries)).toEqual([3, 3, 3, 3]);
    for (const claim of claims) expect(await claimStatus(claim.claimId)).toBe('paid');
    const after = await poolFigures(database.db, pool);
    expect(after).toMatchObject({
      coverageReserved: '0.00',
      coverageConsumed: total,
      coverageAvailable: before.coverageAvailable,
      fundBalance: minus('100000.00', total),
      fundAvailable: minus('100000.00', total),
      claimsPayable: '0.00',
    });
    for (const id of payoutIds) {
      const payout = await payoutRow(id);
      expect(payout.gateway).toBe('simulated-bank');
      expect(payout.gateway_reference).toMatch(/^SIM-/);
      expect(payout.settled_at).not.toBeNull();
    }

    // Another pass finds nothing to do and changes nothing.
    expect(await runner.runOnce()).toBe(0);
    expect(await payoutTrails(database.db, pool)).toEqual(trails);
    expect(await bankTransferCount(database.db)).toBe(transfersBefore + 4);
    expect((await verifyLedger(database.db)).ok).toBe(true);
  });

  it('pays a four-eyes approval only once a second insurer user confirms it', async () => {
    const pool = await fundedPool(database.db, 'inproc-four-eyes', staff, {
      fourEyesThreshold: '10000.00',
    });
    const incident = await incidentOn(database.db, pool.code, staff);
    const runner = new InProcessPayoutRunner(database.db, new SimulatedBank(database.db));
    const [claim] = await approveClaims(database.db, staff, incident, [
      [claimLine('property_loss', '15000.00', 'Farm E')],
    ]);
    if (!claim) throw new Error('no claim approved');
    expect(claim.payoutIds).toEqual([]);
    expect(await claimStatus(claim.claimId)).toBe('awaiting_confirmation');
    await runner.runOnce();
    expect(await payoutTrails(database.db, pool)).toEqual([]);

    await inTransaction(database.db, (trx) => confirmAndOrder(trx, claim.claimId, staff.checker));
    await runner.runOnce();
    const trails = await payoutTrails(database.db, pool);
    expect(trails).toHaveLength(1);
    expect(notPaidExactlyOnce(trails)).toEqual([]);
    expect(await claimStatus(claim.claimId)).toBe('paid');
    expect((await poolFigures(database.db, pool)).coverageConsumed).toBe('15000.00');
  });
});

describe('a bank that pays and then times out', () => {
  it('is asked again under the same key, pays nothing more, and the payout settles once', async () => {
    const pool = await fundedPoolWithoutFourEyes('inproc-timeout');
    const incident = await incidentOn(database.db, pool.code, staff);
    const claims = await approveClaims(database.db, staff, incident, [
      [claimLine('property_loss', '8000.00', 'Farm F')],
    ]);
    const payoutId = onlyPayout(claims);
    const bank = new SimulatedBank(database.db, { timeoutAfterPayRate: 1 });
    const runner = new InProcessPayoutRunner(database.db, bank, { attempts: 5, backoffMs: 1 });
    const transfersBefore = await bankTransferCount(database.db);

    await runner.runOnce();
    expect(await bankTransferCount(database.db)).toBe(transfersBefore + 1);
    const inDoubt = await payoutRow(payoutId);
    expect(inDoubt.status).toBe('in_doubt');
    expect(inDoubt.last_error).toBe('the bank did not answer in time');
    const [sent] = await payoutTrails(database.db, pool);
    // The bank has paid; the ledger holds the cash but has not posted it.
    expect(sent).toMatchObject({ bankTransfers: 1, cashPosts: 0, entries: 1 });
    expect(await poolFigures(database.db, pool)).toMatchObject({
      fundBalance: '100000.00',
      fundAvailable: '92000.00',
    });

    bank.behaviour.timeoutAfterPayRate = 0;
    expect(await runUntil(runner, payoutId, 'paid')).toBe('paid');
    expect(await bankTransferCount(database.db)).toBe(transfersBefore + 1);
    const trails = await payoutTrails(database.db, pool);
    expect(notPaidExactlyOnce(trails)).toEqual([]);
    expect(trails[0]?.entries).toBe(3);
    const paid = await payoutRow(payoutId);
    expect(paid.attempts).toBe(2);
    const transfer = await database.db
      .selectFrom('bank_transfer')
      .select('id')
      .where('idempotency_key', '=', payoutId)
      .executeTakeFirstOrThrow();
    expect(paid.gateway_reference).toBe(`SIM-${transfer.id}`);
    expect(await claimStatus(claims[0]?.claimId ?? '')).toBe('paid');
    expect((await poolFigures(database.db, pool)).fundBalance).toBe('92000.00');
    expect((await verifyLedger(database.db)).ok).toBe(true);
  });
  it('settles a payout whose every answer was a timeout: the next attempt asks the bank first', async () => {
    const pool = await fundedPoolWithoutFourEyes('inproc-in-doubt');
    const incident = await incidentOn(database.db, pool.code, staff);
    const claims = await approveClaims(database.db, staff, incident, [
      [claimLine('lawyer_fees', '4500.00', 'Law firm L')],
    ]);
    const payoutId = onlyPayout(claims);
    const bank = new SimulatedBank(database.db, { timeoutAfterPayRate: 1 });
    const runner = new InProcessPayoutRunner(database.db, bank, QUICK_RETRY);
    const transfersBefore = await bankTransferCount(database.db);

    // The bank paid on the first call and never answered; before parking the payout as
    // failed (where finance could void money that has left) the runner asks the bank.
    expect(await runUntil(runner, payoutId, 'paid')).toBe('paid');
    expect(await bankTransferCount(database.db)).toBe(transfersBefore + 1);
    expect(notPaidExactlyOnce(await payoutTrails(database.db, pool))).toEqual([]);
    expect(await claimStatus(claims[0]?.claimId ?? '')).toBe('paid');
    expect((await poolFigures(database.db, pool)).fundBalance).toBe('95500.00');
    expect((await verifyLedger(database.db)).ok).toBe(true);
  });
});

describe('a payout the bank keeps refusing', () => {
  let pool: Pool;
  let incident: string;
  let bank: SimulatedBank;
  let runner: InProcessPayoutRunner;

  beforeAll(async () => {
    pool = await fundedPoolWithoutFourEyes('inproc-failing');
    incident = await incidentOn(database.db, pool.code, staff);
    bank = new SimulatedBank(database.db, { failureRate: 1 });
    runner = new InProcessPayoutRunner(database.db, bank, QUICK_RETRY);
  });

  it('backs off, gives up after the last attempt and parks it as failed with the bank’s error', async () => {
    const claims = await approveClaims(database.db, staff, incident, [
      [claimLine('property_loss', '7000.00', 'Farm G')],
    ]);
    const payoutId = onlyPayout(claims);
    await runner.runOnce();
    const backingOff = await payoutRow(payoutId);
    expect(backingOff.status).toBe('sending');
    expect(backingOff.attempts).toBe(1);
    expect(backingOff.next_attempt_at.getTime()).toBeGreaterThan(backingOff.updated_at.getTime());

    expect(await runUntil(runner, payoutId, 'failed')).toBe('failed');
    const failed = await payoutRow(payoutId);
    expect(failed.attempts).toBe(QUICK_RETRY.attempts);
    expect(failed.last_error).toBe('gave up after 3 attempts: the bank is unavailable');
    expect(failed.cash_hold_entry_id).toBeNull();
    expect(await claimStatus(claims[0]?.claimId ?? '')).toBe('payout_failed');
    const [trail] = await payoutTrails(database.db, pool, [payoutId]);
    expect(trail).toMatchObject({ bankTransfers: 0, cashPosts: 0, entries: 2 });
    // The cash hold is released; the coverage stays reserved until finance decides.
    expect(await poolFigures(database.db, pool)).toMatchObject({
      fundBalance: '100000.00',
      fundAvailable: '100000.00',
      coverageReserved: '7000.00',
      claimsPayable: '7000.00',
    });
    // Parked means parked: further passes leave it alone.
    await runner.runOnce();
    expect((await payoutRow(payoutId)).attempts).toBe(QUICK_RETRY.attempts);
  });

  it('voids a failed payout: its coverage is available again and the payable is reversed', async () => {
    const [failed] = await database.db
      .selectFrom('payout')
      .select('id')
      .where('pool_id', '=', pool.id)
      .where('status', '=', 'failed')
      .execute();
    if (!failed) throw new Error('the previous test left no failed payout');
    const before = await poolFigures(database.db, pool);
    await inTransaction(database.db, (trx) =>
      voidPayout(trx, failed.id, 'payee account closed', staff.finance),
    );
    const after = await poolFigures(database.db, pool);
    expect(after.coverageAvailable).toBe(plus(before.coverageAvailable, '7000.00'));
    expect(after.coverageReserved).toBe(minus(before.coverageReserved, '7000.00'));
    expect(after.claimsPayable).toBe(minus(before.claimsPayable, '7000.00'));
    expect(after.fundBalance).toBe(before.fundBalance);
    expect(await payoutRow(failed.id)).toMatchObject({
      status: 'void',
      void_reason: 'payee account closed',
    });
    const refused = await inTransaction(database.db, (trx) =>
      voidPayout(trx, failed.id, 'again', staff.finance),
    ).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(DomainError);
    expect((refused as DomainError).code).toBe('illegal_transition');
    // A void payout is never sent.
    await runner.runOnce();
    expect((await payoutTrails(database.db, pool, [failed.id]))[0]?.bankTransfers).toBe(0);
    expect((await verifyLedger(database.db)).ok).toBe(true);
  });

  it('sends a failed payout again when finance retries it, and then pays it once', async () => {
    bank.behaviour.failureRate = 0;
    bank.behaviour.rejectAll = true;
    const claims = await approveClaims(database.db, staff, incident, [
      [claimLine('appraisal', '3000.00', 'Appraiser H')],
    ]);
    const payoutId = onlyPayout(claims);
    const claimId = claims[0]?.claimId ?? '';
    const transfersBefore = await bankTransferCount(database.db);
    await runner.runOnce();
    const rejected = await payoutRow(payoutId);
    // A refusal that will not change is not retried.
    expect(rejected.status).toBe('failed');
    expect(rejected.attempts).toBe(1);
    expect(rejected.last_error).toBe('the bank rejected payee "Appraiser H"');
    expect(await claimStatus(claimId)).toBe('payout_failed');

    await inTransaction(database.db, (trx) => retryPayout(trx, payoutId, staff.finance));
    expect((await payoutRow(payoutId)).status).toBe('pending');
    expect(await claimStatus(claimId)).toBe('payout_pending');
    bank.behaviour.rejectAll = false;
    await runner.runOnce();

    const trails = await payoutTrails(database.db, pool, [payoutId]);
    expect(notPaidExactlyOnce(trails)).toEqual([]);
    expect(await bankTransferCount(database.db)).toBe(transfersBefore + 1);
    expect(await claimStatus(claimId)).toBe('paid');
    const paidAgain = await inTransaction(database.db, (trx) =>
      retryPayout(trx, payoutId, staff.finance),
    ).catch((error: unknown) => error);
    expect(paidAgain).toBeInstanceOf(DomainError);
    expect((paidAgain as DomainError).code).toBe('illegal_transition');
    expect(await poolFigures(database.db, pool)).toMatchObject({
      fundBalance: '97000.00',
      coverageReserved: '0.00',
      coverageConsumed: '3000.00',
      claimsPayable: '0.00',
    });
    expect((await verifyLedger(database.db)).ok).toBe(true);
  });
});

describe('a pool whose fund cannot cover what it owes', () => {
  it('parks the payouts it cannot pay oldest first, names the amount to call, and pays them after the remittance', async () => {
    // 100,000.00 contributed buys 5,000,000.00 of coverage but holds only 100,000.00 of cash.
    const pool = await fundedPoolWithoutFourEyes('inproc-short');
    const incident = await incidentOn(database.db, pool.code, staff);
    const claims = await approveClaims(database.db, staff, incident, [
      [claimLine('property_loss', '60000.00', 'Farm I')],
      [claimLine('property_loss', '60000.00', 'Farm J')],
      [claimLine('appraisal', '30000.00', 'Appraiser K')],
    ]);
    const [first, waiting, third] = claims.map((_, i) => onlyPayout(claims, i));
    const transfersBefore = await bankTransferCount(database.db);
    const runner = new InProcessPayoutRunner(database.db, new SimulatedBank(database.db));
    await runner.runOnce();

    // The younger, smaller payout would fit in the 40,000.00 left, but the older one waits
    // for that cash: it never jumps the line.
    expect(await bankTransferCount(database.db)).toBe(transfersBefore + 1);
    expect([
      (await payoutRow(first ?? '')).status,
      (await payoutRow(waiting ?? '')).status,
      (await payoutRow(third ?? '')).status,
    ]).toEqual(['paid', 'awaiting_funds', 'awaiting_funds']);
    expect(await claimStatus(claims[1]?.claimId ?? '')).toBe('payout_pending');
    expect(await shortfall(database.db, pool)).toEqual({
      poolId: pool.id,
      payoutsAwaitingFunds: 2,
      amountAwaitingFunds: '90000.00',
      fundAvailable: '40000.00',
      toCallFromInsurer: '50000.00',
    });
    // Waiting is not retrying: no pass touches it until money comes in.
    expect(await runner.runOnce()).toBe(0);
    const [parked] = await payoutTrails(database.db, pool, [waiting ?? '']);
    expect(parked).toMatchObject({ status: 'awaiting_funds', entries: 0, bankTransfers: 0 });

    const released = await inTransaction(database.db, async (trx) => {
      await recordRemittance(
        trx,
        pool.code,
        {
          amount: new Money('50000.00'),
          receivedOn: '2026-11-20',
          reference: 'INSURER-REM-1',
          note: 'called for the waiting payout',
        },
        staff.finance,
      );
      return releaseWaitingPayouts(trx, pool.id);
    });
    expect(released).toBe(2);
    await runner.runOnce();

    const trails = await payoutTrails(database.db, pool);
    expect(notPaidExactlyOnce(trails)).toEqual([]);
    expect(await bankTransferCount(database.db)).toBe(transfersBefore + 3);
    for (const claim of claims) expect(await claimStatus(claim.claimId)).toBe('paid');
    expect(await poolFigures(database.db, pool)).toMatchObject({
      fundBalance: '0.00',
      coverageReserved: '0.00',
      coverageConsumed: '150000.00',
      claimsPayable: '0.00',
    });
    expect(await shortfall(database.db, pool)).toMatchObject({
      payoutsAwaitingFunds: 0,
      toCallFromInsurer: '0.00',
    });
    expect((await verifyLedger(database.db)).ok).toBe(true);
  });
});
