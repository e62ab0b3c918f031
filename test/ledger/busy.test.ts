/**
 * When the ledger's chain head stays locked longer than the connection's lock_timeout, every
 * bounded retry fails the same way and the client hears 503 busy — with nothing written —
 * and the same request with the same Idempotency-Key succeeds once the lock is gone.
 */
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createStaff, fundedPool } from '../claims/support.ts';
import { call, createTestApp, type TestApp } from '../http/support.ts';

let testApp: TestApp;
const lockTimeoutBefore = process.env.DATABASE_LOCK_TIMEOUT_MS;

beforeAll(async () => {
  // The app's connections give up on a row lock after 100 ms (the default is 10,000).
  process.env.DATABASE_LOCK_TIMEOUT_MS = '100';
  testApp = await createTestApp();
  const staff = await createStaff(testApp.database.db, 'busy');
  await fundedPool(testApp.database.db, 'busy', staff);
});
afterAll(async () => {
  if (lockTimeoutBefore === undefined) delete process.env.DATABASE_LOCK_TIMEOUT_MS;
  else process.env.DATABASE_LOCK_TIMEOUT_MS = lockTimeoutBefore;
  await testApp.close();
});

const contributions = async () =>
  (
    await testApp.database.db
      .selectFrom('contribution')
      .innerJoin('pool', 'pool.id', 'contribution.pool_id')
      .select('contribution.bank_reference')
      .where('pool.code', '=', 'busy')
      .execute()
  ).map((row) => row.bank_reference);

it('answers 503 busy after its retries when the chain head stays locked, then succeeds on retry', async () => {
  const holder = new pg.Client({ connectionString: testApp.database.url ?? '' });
  await holder.connect();
  const request = {
    token: testApp.users.finance.token,
    idempotencyKey: 'busy-contribution-1',
    json: {
      amount: '1000.00',
      receivedOn: '2026-03-02',
      payer: 'County finance bureau',
      bankReference: 'BUSY-2',
    },
  };
  try {
    // Another session holds the chain head, as a long month close would.
    await holder.query('BEGIN');
    await holder.query('SELECT 1 FROM ledger_chain FOR UPDATE');
    const busy = await call(testApp.app, 'POST', '/finance/pools/busy/contributions', request);
    expect(busy.status).toBe(503);
    expect(busy.headers.get('content-type')).toContain('application/problem+json');
    expect(await busy.json()).toMatchObject({ status: 503, code: 'busy' });
    expect(await contributions()).toEqual(['busy-1']);
  } finally {
    await holder.query('ROLLBACK');
    await holder.end();
  }
  const retried = await call(testApp.app, 'POST', '/finance/pools/busy/contributions', request);
  expect(retried.status).toBe(201);
  expect(retried.headers.get('idempotent-replayed')).toBeNull();
  expect((await contributions()).sort()).toEqual(['BUSY-2', 'busy-1']);
});
