/**
 * Production mode in one process: the relay hands outbox rows to a real BullMQ queue on the
 * real Redis and workers pay through the simulated bank. A thousand approved claim lines (100
 * claims of 10 lines) are all paid, each exactly once, while the bank fails and times out.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../../src/ledger/verify.ts';
import type { RetryPolicy } from '../../src/payouts/attempt-policy.ts';
import { relayOutbox, requeueStalePayouts } from '../../src/payouts/outbox.ts';
import {
  createPayoutQueue,
  createPayoutWorker,
  enqueue,
  PayoutRelay,
  redisConnection,
  stillQueued,
} from '../../src/payouts/queue.ts';
import { SimulatedBank } from '../../src/payouts/simulated-bank.ts';
import { createStaff, fundedPool, type Staff } from '../claims/support.ts';
import { freshPostgres, type TestDatabase } from '../support/database.ts';
import { REDIS_URL } from '../support/env.ts';
import { expectEveryPayoutPaidOnce } from './assertions.ts';
import {
  approveClaims,
  claimLine,
  eventually,
  incidentOn,
  poolFigures,
  waitUntilAllPaid,
} from './support.ts';

let database: TestDatabase;
let staff: Staff;
/** Stops relays, closes workers and removes the test's queues, last started first. */
const teardown: (() => Promise<unknown>)[] = [];
const relayErrors: unknown[] = [];

beforeAll(async () => {
  database = await freshPostgres(16);
  staff = await createStaff(database.db, 'payouts-bullmq');
});

afterAll(async () => {
  for (const step of teardown.reverse()) await step().catch(() => undefined);
  await database.close();
});

/** A queue of this test's own on the shared Redis (parallel test files never share jobs). */
function testQueue(retry: RetryPolicy) {
  const queueName = `payouts-test-${randomUUID()}`;
  const connection = redisConnection(REDIS_URL);
  const queue = createPayoutQueue(connection, retry, queueName);
  teardown.push(
    async () => connection.disconnect(),
    () => queue.close(),
    () => queue.obliterate({ force: true }),
  );
  return { queue, queueName };
}

/** A test queue, its relay, and a worker paying with `bank`. */
function payoutPipeline(bank: SimulatedBank, retry: RetryPolicy, concurrency: number) {
  const { queue, queueName } = testQueue(retry);
  const connection = redisConnection(REDIS_URL);
  const worker = createPayoutWorker(database.db, bank, connection, {
    concurrency,
    retry,
    queueName,
  });
  worker.on('error', () => undefined);
  const relay = new PayoutRelay(database.db, queue, {
    pollMs: 50,
    staleMs: 60_000,
    onError: (error) => relayErrors.push(error),
  });
  teardown.push(
    async () => connection.disconnect(),
    () => worker.close(true),
    () => relay.stop(),
  );
  return { queue, worker, relay };
}

/** A small deterministic generator, so a failing run can be replayed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('payouts through BullMQ', () => {
  it('pays 1,000 approved claim lines, each exactly once, through a bank that fails and times out', async () => {
    const pool = await fundedPool(database.db, 'bullmq-thousand', staff, {
      fourEyesThreshold: '1000000.00',
    });
    // 100 claims of 10 lines each: one payout per line, and a claim is paid only when the last
    // of its ten payouts settles — which several workers may be settling at the same moment.
    const claimCount = 100;
    const linesPerClaim = 10;
    const payoutCount = claimCount * linesPerClaim;
    const categories = [
      'property_loss',
      'appraisal',
      'lawyer_fees',
      'litigation_arbitration',
    ] as const;
    let total = 0;
    const claimLines = Array.from({ length: claimCount }, (_, c) =>
      Array.from({ length: linesPerClaim }, (_, l) => {
        const index = c * linesPerClaim + l;
        const amount = 25 + (index % 50);
        total += amount;
        return claimLine(
          categories[l % categories.length] ?? 'property_loss',
          amount.toFixed(2),
          `Payee ${index}`,
        );
      }),
    );
    const firstIncident = await incidentOn(database.db, pool.code, staff);
    const secondIncident = await incidentOn(database.db, pool.code, staff);

    // One attempt in ten fails, half of those after the bank has paid: retries must not pay again.
    const bank = new SimulatedBank(
      database.db,
      { failureRate: 0.05, timeoutAfterPayRate: 0.05 },
      seededRandom(20261127),
    );
    const { relay } = payoutPipeline(bank, { attempts: 8, backoffMs: 20 }, 2);
    relay.start();
    // Approvals keep arriving while the workers pay, as they would in production.
    const approved = [
      ...(await approveClaims(database.db, staff, firstIncident, claimLines.slice(0, 50), 10)),
      ...(await approveClaims(database.db, staff, secondIncident, claimLines.slice(50), 10)),
    ];
    expect(approved.flatMap((c) => c.payoutIds)).toHaveLength(payoutCount);
    // Generous: on two shared cores beside the rest of the suite this run takes minutes.
    const counts = await waitUntilAllPaid(database.db, pool, payoutCount, 300_000);
    expect(counts).toEqual({ paid: payoutCount });

    await expectEveryPayoutPaidOnce(database.db, pool, payoutCount);
    const retried = await database.db
      .selectFrom('payout')
      .select((eb) => eb.fn.countAll<string>().as('count'))
      .where('pool_id', '=', pool.id)
      .where('attempts', '>', 1)
      .executeTakeFirstOrThrow();
    // The bank did misbehave, so retries — some after it had already paid — were exercised.
    expect(Number(retried.count)).toBeGreaterThan(0);

    const unpaidClaims = await database.db
      .selectFrom('claim')
      .innerJoin('incident', 'incident.id', 'claim.incident_id')
      .select('claim.id')
      .where('incident.pool_id', '=', pool.id)
      .where('claim.status', '!=', 'paid')
      .execute();
    expect(unpaidClaims).toEqual([]);
    expect(await poolFigures(database.db, pool)).toMatchObject({
      coverageReserved: '0.00',
      coverageConsumed: total.toFixed(2),
      fundBalance: (100_000 - total).toFixed(2),
      claimsPayable: '0.00',
    });
    const unrelayed = await database.db
      .selectFrom('payout_outbox')
      .select('id')
      .where('relayed_at', 'is', null)
      .execute();
    expect(unrelayed).toEqual([]);
    expect(relayErrors).toEqual([]);
    const verification = await verifyLedger(database.db);
    expect(verification.problems).toEqual([]);
    expect(verification.ok).toBe(true);
    await relay.stop();
  }, 360_000);

  it('parks a payout as failed with the bank’s error once the job has used its last attempt', async () => {
    const pool = await fundedPool(database.db, 'bullmq-failing', staff, {
      fourEyesThreshold: '1000000.00',
    });
    const incident = await incidentOn(database.db, pool.code, staff);
    const [claim] = await approveClaims(database.db, staff, incident, [
      [claimLine('appraisal', '900.00', 'Appraiser Z')],
    ]);
    const payoutId = claim?.payoutIds[0] ?? '';
    const bank = new SimulatedBank(database.db, { failureRate: 1 });
    const { relay } = payoutPipeline(bank, { attempts: 3, backoffMs: 10 }, 2);
    relay.start();
    const payoutStatus = async () =>
      (
        await database.db
          .selectFrom('payout')
          .select('status')
          .where('id', '=', payoutId)
          .executeTakeFirstOrThrow()
      ).status;
    await eventually(async () => (await payoutStatus()) === 'failed', 15_000, 50);
    const status = await payoutStatus();
    expect(status).toBe('failed');
    const failed = await database.db
      .selectFrom('payout')
      .selectAll()
      .where('id', '=', payoutId)
      .executeTakeFirstOrThrow();
    expect(failed.last_error).toBe('gave up after 3 attempts: the bank is unavailable');
    expect(failed.attempts).toBe(3);
    expect(await poolFigures(database.db, pool)).toMatchObject({
      fundAvailable: '100000.00',
      coverageReserved: '900.00',
    });
    await relay.stop();
  }, 30_000);

  it('adds one job however often the relay hands over the same outbox row', async () => {
    const { queue } = testQueue({ attempts: 1, backoffMs: 10 });
    const row = { outboxId: 42, payoutId: randomUUID() };
    const deliver = enqueue(queue);
    await deliver([row]);
    await deliver([row]);
    const counts = await queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active');
    const jobs = Object.values(counts).reduce((a, b) => a + b, 0);
    expect(jobs).toBe(1);
  });

  it('sweeps only payouts whose lease is over and whose job has left the queue, and marks a lost send in doubt', async () => {
    await fundedPool(database.db, 'bullmq-sweep', staff, { fourEyesThreshold: '1000000.00' });
    const incident = await incidentOn(database.db, 'bullmq-sweep', staff);
    const [claim] = await approveClaims(database.db, staff, incident, [
      [
        claimLine('appraisal', '400.00', 'Appraiser W'),
        claimLine('lawyer_fees', '600.00', 'Firm X'),
      ],
    ]);
    const [queuedId, lostId] = claim?.payoutIds ?? [];
    const { queue } = testQueue({ attempts: 1, backoffMs: 10 });
    // No worker: the relay's jobs stay waiting in Redis.
    await relayOutbox(database.db, enqueue(queue), 500);
    const lease = { lease_token: randomUUID(), lease_expires_at: new Date(Date.now() - 1000) };
    await database.db
      .updateTable('payout')
      .set({ updated_at: new Date(0), next_attempt_at: new Date(0) })
      .where('claim_id', '=', claim?.claimId ?? '')
      .execute();
    // The second payout's worker died while sending; its job is gone from the queue.
    await database.db
      .updateTable('payout')
      .set({ status: 'sending', ...lease })
      .where('id', '=', lostId ?? '')
      .execute();
    const lostJob = (await queue.getJobs(['waiting'])).find((j) => j.data.payoutId === lostId);
    await lostJob?.remove();

    expect(await requeueStalePayouts(database.db, 0, stillQueued(queue))).toBe(1);
    const rows = await database.db
      .selectFrom('payout')
      .select(['id', 'status'])
      .where('claim_id', '=', claim?.claimId ?? '')
      .execute();
    expect(Object.fromEntries(rows.map((r) => [r.id, r.status]))).toEqual({
      [queuedId ?? '']: 'pending',
      [lostId ?? '']: 'in_doubt',
    });
    await relayOutbox(database.db, enqueue(queue), 500);
    const jobs = await queue.getJobs(['waiting']);
    // One job per payout: the waiting one was not duplicated, the lost one was handed back.
    expect(jobs.map((j) => j.data.payoutId).sort()).toEqual([queuedId, lostId].sort());
  });
});
