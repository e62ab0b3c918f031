/**
 * The payment-file gateway: a payout waits as an instruction until finance files it for the
 * treasury and confirms the file; then it settles once.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createUser } from '../../src/access/tokens.ts';
import { inTransaction } from '../../src/db/transaction.ts';
import type { DomainError } from '../../src/domain-error.ts';
import { gatewayFromEnv } from '../../src/payouts/gateway-from-env.ts';
import { InProcessPayoutRunner } from '../../src/payouts/in-process.ts';
import { confirmPaymentFile, createPaymentFile } from '../../src/payouts/payment-file.ts';
import { poolCoverage } from '../../src/policy/coverage.ts';
import { createStaff, fundedPool, type Staff } from '../claims/support.ts';
import { freshPostgres, type TestDatabase } from '../support/database.ts';
import { approveClaims, claimLine, incidentOn } from './support.ts';

let database: TestDatabase;
let staff: Staff;
beforeAll(async () => {
  database = await freshPostgres();
  staff = await createStaff(database.db, 'payment file');
});
afterAll(() => database.close());

it('files instructions with a control total and checksum, and settles them once when the file is confirmed', async () => {
  const db = database.db;
  const pool = await fundedPool(db, 'treasury', staff, { fourEyesThreshold: '1000000.00' });
  const incident = await incidentOn(db, 'treasury', staff);
  await approveClaims(db, staff, incident, [
    [
      claimLine('property_loss', '1200.50', 'Cooperative, Xiangyang'),
      claimLine('appraisal', '300.00', 'Appraiser'),
    ],
  ]);
  const runner = new InProcessPayoutRunner(
    db,
    gatewayFromEnv(db, { PAYOUT_GATEWAY: 'payment-file' }),
  );
  expect(await runner.runOnce()).toBe(2);
  expect(await runner.runOnce()).toBe(0);
  const sending = await db.selectFrom('payout').select(['status', 'gateway']).execute();
  expect(sending.map((p) => p.status)).toEqual(['sending', 'sending']);
  expect((await poolCoverage(db, pool)).reserved).toBe('1500.50');

  const finance = await createUser(db, 'treasury clerk', 'finance', null);
  const file = await inTransaction(db, (trx) => createPaymentFile(trx, 'treasury', finance.id));
  expect(file).toMatchObject({ lineCount: 2, controlTotal: '1500.50' });
  const lines = file.content.trim().split('\r\n');
  expect(lines[0]).toBe('line,payout_id,payee,amount_cny');
  expect(lines.some((l) => l.includes('"Cooperative, Xiangyang",1200.50'))).toBe(true);
  expect(lines.at(-2)).toBe('control_total,2,,1500.50');
  expect(lines.at(-1)).toBe(`sha256,${file.checksum},,`);
  expect(
    await inTransaction(db, (trx) => createPaymentFile(trx, 'treasury', finance.id)).catch(
      (e: unknown) => (e as DomainError).code,
    ),
  ).toBe('conflict');

  const confirmed = await inTransaction(db, (trx) => confirmPaymentFile(trx, file.id, finance.id));
  expect(confirmed.confirmedAt).not.toBeNull();
  const paid = await db.selectFrom('payout').select(['status', 'gateway_reference']).execute();
  expect(paid.every((p) => p.status === 'paid' && p.gateway_reference === `file ${file.id}`)).toBe(
    true,
  );
  expect(await poolCoverage(db, pool)).toMatchObject({
    reserved: '0.00',
    consumed: '1500.50',
    fundBalance: '98499.50',
  });
  expect(
    await inTransaction(db, (trx) => confirmPaymentFile(trx, file.id, finance.id)).catch(
      (e: unknown) => (e as DomainError).code,
    ),
  ).toBe('illegal_transition');
});
