/**
 * A payout whose answer from the bank was lost ("paid, then timed out") is in doubt; the
 * next attempt asks the bank first and settles it: it is never parked as failed (and so
 * never voidable) while the money has left.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { inTransaction } from '../../src/db/transaction.ts';
import { DomainError } from '../../src/domain-error.ts';
import { verifyLedger } from '../../src/ledger/verify.ts';
import { processPayout } from '../../src/payouts/attempt.ts';
import { InProcessPayoutRunner } from '../../src/payouts/in-process.ts';
import { listPayouts } from '../../src/payouts/orders.ts';
import { voidPayout } from '../../src/payouts/payout-void.ts';
import { SimulatedBank } from '../../src/payouts/simulated-bank.ts';
import { poolCoverage } from '../../src/policy/coverage.ts';
import { createStaff, fundedPool, type Staff } from '../claims/support.ts';
import { freshPostgres, type TestDatabase } from '../support/database.ts';
import {
  approveClaims,
  claimLine,
  claimStatusOf,
  incidentOn,
  payoutRow,
  payoutTrails,
  sleep,
} from './support.ts';

let database: TestDatabase;
let staff: Staff;
beforeAll(async () => {
  database = await freshPostgres();
  staff = await createStaff(database.db, 'in doubt');
});
afterAll(() => database.close());

it('settles a payout the bank paid although every call timed out, once', async () => {
  const db = database.db;
  const pool = await fundedPool(db, 'in-doubt', staff, { fourEyesThreshold: '1000000.00' });
  const incident = await incidentOn(db, 'in-doubt', staff);
  await approveClaims(db, staff, incident, [[claimLine('appraisal', '700.00', 'Appraiser')]]);
  const bank = new SimulatedBank(db, { timeoutAfterPayRate: 1 });
  const runner = new InProcessPayoutRunner(db, bank, { attempts: 3, backoffMs: 1 });
  for (let pass = 0; pass < 50; pass++) {
    await runner.runOnce();
    const open = await db
      .selectFrom('payout')
      .select('status')
      .where('status', 'in', ['pending', 'sending', 'in_doubt'])
      .execute();
    if (open.length === 0) break;
    await sleep(10);
  }
  const payouts = await db
    .selectFrom('payout')
    .select(['status', 'attempts', 'gateway_reference'])
    .execute();
  // The first attempt paid and lost the answer; the second asked and settled.
  expect(payouts).toMatchObject([{ status: 'paid', attempts: 2 }]);
  expect(payouts[0]?.gateway_reference).toMatch(/^SIM-/);
  expect(await db.selectFrom('bank_transfer').select('id').execute()).toHaveLength(1);
  expect(await poolCoverage(db, pool)).toMatchObject({
    consumed: '700.00',
    reserved: '0.00',
    fundBalance: '99300.00',
  });
});

it('keeps a paid payout whose every answer and every lookup was lost in doubt, never voidable, and settles it once the bank answers', async () => {
  const db = database.db;
  const pool = await fundedPool(db, 'in-doubt-lost', staff, { fourEyesThreshold: '1000000.00' });
  const incident = await incidentOn(db, 'in-doubt-lost', staff);
  const [claim] = await approveClaims(db, staff, incident, [
    [claimLine('property_loss', '20000.00', 'Village co-op')],
  ]);
  const payoutId = claim?.payoutIds[0] ?? '';
  const bank = new SimulatedBank(db, { timeoutAfterPayRate: 1, lookupAvailable: false });
  const options = { retry: { attempts: 3, backoffMs: 1 }, leaseMs: 60_000, recheckMs: 1 };
  for (let attempt = 0; attempt < 6; attempt++) {
    await processPayout(db, bank, payoutId, options);
    await sleep(5);
  }
  const stuck = await payoutRow(db, payoutId);
  // Every attempt is spent, the bank paid and could not say so: in doubt, not failed.
  expect(stuck).toMatchObject({ status: 'in_doubt', attempts: 6 });
  const [sent] = await payoutTrails(db, pool, [payoutId]);
  expect(sent).toMatchObject({ bankTransfers: 1, cashPosts: 0 });
  const inDoubt = await listPayouts(db, { status: 'in_doubt' });
  expect(inDoubt.map((p) => p.id)).toEqual([payoutId]);
  expect(inDoubt[0]?.inDoubtMinutes).toBe(0);
  const refused = await inTransaction(db, (trx) =>
    voidPayout(trx, payoutId, 'lookup failed', staff.finance),
  ).catch((error: unknown) => error);
  expect(refused).toBeInstanceOf(DomainError);
  expect((refused as DomainError).code).toBe('illegal_transition');
  expect(await poolCoverage(db, pool)).toMatchObject({ reserved: '20000.00', consumed: '0.00' });
  expect(await claimStatusOf(db, claim?.claimId ?? '')).toBe('payout_pending');

  bank.behaviour.lookupAvailable = true;
  expect(await processPayout(db, bank, payoutId, options)).toEqual({
    kind: 'done',
    status: 'paid',
  });
  // Asked again (a duplicate job): nothing more happens.
  expect(await processPayout(db, bank, payoutId, options)).toEqual({
    kind: 'done',
    status: 'paid',
  });
  const [trail] = await payoutTrails(db, pool, [payoutId]);
  expect(trail).toMatchObject({
    status: 'paid',
    cashPosts: 1,
    cashPaid: '20000.00',
    bankTransfers: 1,
  });
  const released = await db
    .selectFrom('journal_entry')
    .select('id')
    .where('idempotency_key', 'like', `payout:${payoutId}:coverage-release%`)
    .execute();
  expect(released).toEqual([]);
  expect(await poolCoverage(db, pool)).toMatchObject({
    reserved: '0.00',
    consumed: '20000.00',
    fundBalance: '80000.00',
  });
  const resolutions = await db
    .selectFrom('payout_resolution')
    .select(['outcome', 'evidence_kind'])
    .where('payout_id', '=', payoutId)
    .execute();
  expect(resolutions).toEqual([{ outcome: 'paid', evidence_kind: 'gateway_lookup' }]);
  expect(await claimStatusOf(db, claim?.claimId ?? '')).toBe('paid');
  expect((await verifyLedger(db)).ok).toBe(true);
});
