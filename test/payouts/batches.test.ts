/**
 * Attempts in batches: many payouts begun by one transaction (their cash held by one ledger
 * write) and settled by one, each paid once; a fund that cannot cover the whole batch still
 * pays the oldest first; and a relay woken by the outbox's notification moves an approval's
 * payouts at once, long before its next poll.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { listenForNotifications } from '../../src/db/notifications.ts';
import { verifyLedger } from '../../src/ledger/verify.ts';
import { MAX_PAYOUTS_PER_BATCH, processPayouts } from '../../src/payouts/attempt.ts';
import { attemptBatch } from '../../src/payouts/batcher.ts';
import type {
  DisbursementGateway,
  PaymentOrder,
  PaymentReceipt,
} from '../../src/payouts/gateway.ts';
import { OUTBOX_CHANNEL } from '../../src/payouts/outbox.ts';
import {
  createPayoutQueue,
  createPayoutWorker,
  PayoutRelay,
  redisConnection,
} from '../../src/payouts/queue.ts';
import { SimulatedBank } from '../../src/payouts/simulated-bank.ts';
import { createStaff, fundedPool, type Staff } from '../claims/support.ts';
import { freshPostgres, type TestDatabase } from '../support/database.ts';
import { REDIS_URL } from '../support/env.ts';
import { expectEveryPayoutPaidOnce } from './assertions.ts';
import { approveClaims, claimLine, eventually, incidentOn, payoutRow } from './support.ts';

let database: TestDatabase;
let staff: Staff;
const OPTIONS = { retry: { attempts: 3, backoffMs: 1 }, leaseMs: 60_000 };

beforeAll(async () => {
  database = await freshPostgres(16);
  staff = await createStaff(database.db, 'batches');
});
afterAll(() => database.close());

const status = async (payoutId: string) => (await payoutRow(database.db, payoutId)).status;

it('pays a batch of payouts of several claims once each, their cash held by one ledger write', async () => {
  const db = database.db;
  const pool = await fundedPool(db, 'batch-paid', staff, { fourEyesThreshold: '1000000.00' });
  const incident = await incidentOn(db, pool.code, staff);
  const claims = await approveClaims(
    db,
    staff,
    incident,
    Array.from({ length: 4 }, (_, c) =>
      Array.from({ length: 5 }, (_, l) => claimLine('appraisal', '100.00', `Payee ${c}-${l}`)),
    ),
  );
  const ids = claims.flatMap((c) => c.payoutIds);
  const results = await processPayouts(db, new SimulatedBank(db), [...ids, ids[0] ?? ''], OPTIONS);
  expect([...results.values()].every((r) => r.kind === 'done' && r.status === 'paid')).toBe(true);
  expect(results.size).toBe(ids.length);
  const holds = await db
    .selectFrom('journal_entry')
    .select(['id', 'recorded_at'])
    .where('idempotency_key', 'like', 'payout:%:cash-hold:%')
    .where('payout_id', 'in', ids)
    .execute();
  // One ledger write records every entry it writes at one instant.
  expect(holds).toHaveLength(ids.length);
  expect(new Set(holds.map((h) => String(h.recorded_at))).size).toBe(1);
  await expectEveryPayoutPaidOnce(db, pool, ids.length);
  for (const claim of claims) {
    const row = await db
      .selectFrom('claim')
      .select('status')
      .where('id', '=', claim.claimId)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('paid');
  }
  // Attempted again, nothing moves.
  const again = await processPayouts(db, new SimulatedBank(db), ids, OPTIONS);
  expect([...again.values()].every((r) => r.kind === 'done' && r.status === 'paid')).toBe(true);
  expect((await verifyLedger(db)).ok).toBe(true);
  await expect(
    processPayouts(
      db,
      new SimulatedBank(db),
      Array.from({ length: MAX_PAYOUTS_PER_BATCH + 1 }, () => randomUUID()),
      OPTIONS,
    ),
  ).rejects.toThrow(/at most/);
});

it('holds cash oldest first when the fund cannot cover the whole batch', async () => {
  const db = database.db;
  // 100,000.00 contributed: the oldest two fit, the third would not, and the youngest —
  // small enough to fit in what is left — must not jump ahead of the third.
  await fundedPool(db, 'batch-short', staff, { fourEyesThreshold: '1000000.00' });
  const incident = await incidentOn(db, 'batch-short', staff);
  const claims = await approveClaims(db, staff, incident, [
    [claimLine('property_loss', '60000.00', 'Oldest')],
    [claimLine('property_loss', '30000.00', 'Second')],
    [claimLine('property_loss', '40000.00', 'Third')],
    [claimLine('appraisal', '5000.00', 'Youngest')],
  ]);
  const ids = claims.map((c) => c.payoutIds[0] ?? '');
  const answers = await attemptBatch(db, new SimulatedBank(db), [...ids].reverse(), OPTIONS);
  expect([...answers.values()].every((a) => a.ok)).toBe(true);
  expect(await Promise.all(ids.map(status))).toEqual([
    'paid',
    'paid',
    'awaiting_funds',
    'awaiting_funds',
  ]);
  expect((await verifyLedger(db)).ok).toBe(true);
});

it('answers an unknown payout with not found without failing the others of its batch', async () => {
  const db = database.db;
  await fundedPool(db, 'batch-unknown', staff, { fourEyesThreshold: '1000000.00' });
  const incident = await incidentOn(db, 'batch-unknown', staff);
  const [claim] = await approveClaims(db, staff, incident, [
    [claimLine('appraisal', '10.00', 'Known')],
  ]);
  const known = claim?.payoutIds[0] ?? '';
  const unknown = randomUUID();
  const answers = await attemptBatch(db, new SimulatedBank(db), [known, unknown], OPTIONS);
  expect(answers.get(known)).toEqual({ ok: true, result: { kind: 'done', status: 'paid' } });
  expect(answers.get(unknown)?.ok).toBe(false);
});

it('pays an approval at once when the relay is woken by the outbox, long before its next poll', async () => {
  const db = database.db;
  const url = database.url;
  if (!url) throw new Error('this test needs PostgreSQL');
  const pool = await fundedPool(db, 'batch-woken', staff, { fourEyesThreshold: '1000000.00' });
  const incident = await incidentOn(db, pool.code, staff);
  const queueName = `payouts-test-${randomUUID()}`;
  const queueConnection = redisConnection(REDIS_URL);
  const workerConnection = redisConnection(REDIS_URL);
  const queue = createPayoutQueue(queueConnection, OPTIONS.retry, queueName);
  const worker = createPayoutWorker(db, new SimulatedBank(db), workerConnection, {
    concurrency: 8,
    retry: OPTIONS.retry,
    queueName,
  });
  worker.on('error', () => undefined);
  const errors: unknown[] = [];
  const relay = new PayoutRelay(db, queue, {
    pollMs: 60_000,
    staleMs: 60_000,
    onError: (error) => errors.push(error),
  });
  relay.start();
  let heard = 0;
  const listener = listenForNotifications(
    url,
    OUTBOX_CHANNEL,
    () => {
      heard++;
      relay.wake();
    },
    (error) => errors.push(error),
  );
  try {
    // The listener's first call comes once it listens: from then on every commit is heard.
    expect(await eventually(async () => heard > 0, 5_000, 10)).toBe(true);
    const [claim] = await approveClaims(db, staff, incident, [
      [claimLine('appraisal', '10.00', 'Woken A'), claimLine('appraisal', '10.00', 'Woken B')],
    ]);
    const ids = claim?.payoutIds ?? [];
    const paid = await eventually(
      async () => (await Promise.all(ids.map(status))).every((s) => s === 'paid'),
      10_000,
      20,
    );
    expect(paid).toBe(true);
    expect(errors).toEqual([]);
  } finally {
    await listener.close();
    await relay.stop();
    await worker.close(true);
    await queue.obliterate({ force: true });
    await queue.close();
    queueConnection.disconnect();
    workerConnection.disconnect();
  }
});

/** The simulated bank, with a hook run once it has paid (or instead of paying) one payout. */
function bankWith(
  db: TestDatabase['db'],
  hook: (payoutId: string, pay: () => Promise<PaymentReceipt>) => Promise<PaymentReceipt>,
): DisbursementGateway {
  const bank = new SimulatedBank(db);
  return {
    name: bank.name,
    pay: (order: PaymentOrder) =>
      hook(order.idempotencyKey, async () => {
        const answer = await bank.pay(order);
        if ('deferred' in answer) throw new Error('the simulated bank does not defer');
        return answer;
      }),
  };
}

it('settles the rest of a batch when one paid payout can no longer take the answer', async () => {
  const db = database.db;
  const pool = await fundedPool(db, 'batch-conflict', staff, { fourEyesThreshold: '1000000.00' });
  const incident = await incidentOn(db, pool.code, staff);
  const [claim] = await approveClaims(db, staff, incident, [
    Array.from({ length: 3 }, (_, l) => claimLine('appraisal', '100.00', `Payee C-${l}`)),
  ]);
  const ids = claim?.payoutIds ?? [];
  const decided = ids[1] ?? '';
  // While the bank pays it, finance's decision reaches this payout first (here: written as
  // a decision would leave it).
  const gateway = bankWith(db, async (payoutId, pay) => {
    const receipt = await pay();
    if (payoutId === decided)
      await db.updateTable('payout').set({ status: 'failed' }).where('id', '=', decided).execute();
    return receipt;
  });
  const results = await processPayouts(db, gateway, ids, OPTIONS);
  for (const payoutId of ids.filter((id) => id !== decided)) {
    expect(results.get(payoutId)).toEqual({ kind: 'done', status: 'paid' });
    expect(await status(payoutId)).toBe('paid');
  }
  expect(results.get(decided)).toMatchObject({ kind: 'retry', status: 'failed' });
  expect((results.get(decided) as { error: string }).error).toContain('resolve it by hand');
});

it('settles the rest of a batch when the gateway client crashes on one payout, which is then in doubt', async () => {
  const db = database.db;
  const pool = await fundedPool(db, 'batch-throws', staff, { fourEyesThreshold: '1000000.00' });
  const incident = await incidentOn(db, pool.code, staff);
  const [claim] = await approveClaims(db, staff, incident, [
    Array.from({ length: 3 }, (_, l) => claimLine('appraisal', '100.00', `Payee T-${l}`)),
  ]);
  const ids = claim?.payoutIds ?? [];
  const broken = ids[0] ?? '';
  // The client may have sent the order before it crashed: the bank pays, the answer is lost.
  const gateway = bankWith(db, async (payoutId, pay) => {
    const receipt = await pay();
    if (payoutId === broken) throw new TypeError('the gateway client crashed');
    return receipt;
  });
  const results = await processPayouts(db, gateway, ids, OPTIONS);
  expect(results.get(broken)).toMatchObject({ kind: 'retry', status: 'in_doubt' });
  for (const payoutId of ids.filter((id) => id !== broken))
    expect(await status(payoutId)).toBe('paid');
});
