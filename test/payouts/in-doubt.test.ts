/**
 * A payout whose answer from the bank was lost ("paid, then timed out") is in doubt; the
 * next attempt asks the bank first and settles it: it is never parked as failed (and so
 * never voidable) while the money has left.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { InProcessPayoutRunner } from '../../src/payouts/in-process.ts';
import { SimulatedBank } from '../../src/payouts/simulated-bank.ts';
import { poolCoverage } from '../../src/policy/coverage.ts';
import { createStaff, fundedPool, type Staff } from '../claims/support.ts';
import { freshPostgres, type TestDatabase } from '../support/database.ts';
import { approveClaims, claimLine, incidentOn, sleep } from './support.ts';

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
      .where('status', 'in', ['pending', 'sending'])
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
