/**
 * Redis dies mid-run and comes back empty (no persistence): every job in it is gone. The
 * relay's stale-payout sweep puts whatever is unfinished back into the outbox, and every
 * payout still ends paid exactly once — the database, not the queue, is the record.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPayoutQueue,
  createPayoutWorker,
  PayoutRelay,
  redisConnection,
} from '../../src/payouts/queue.ts';
import { SimulatedBank } from '../../src/payouts/simulated-bank.ts';
import type { Pool } from '../../src/policy/pools.ts';
import { createStaff, fundedPool, type Staff } from '../claims/support.ts';
import { freshPostgres, type TestDatabase } from '../support/database.ts';
import { expectEveryPayoutPaidOnce, expectRunSettled } from './assertions.ts';
import {
  type Child,
  sparePort,
  startRedisServer,
  stopAllChildren,
  stopChild,
} from './processes.ts';
import {
  approveClaims,
  claimLine,
  eventually,
  incidentOn,
  payoutStatusCounts,
  sleep,
} from './support.ts';

let database: TestDatabase;
let staff: Staff;
let port: number;
let redisUrl: string;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  database = await freshPostgres(10);
  staff = await createStaff(database.db, 'payouts-redis-restart');
  port = await sparePort();
  redisUrl = `redis://127.0.0.1:${port}`;
});

afterAll(async () => {
  // Close the clients while a Redis still answers, so nothing waits on a dead server.
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await stopAllChildren();
  await database.close();
});

async function startRedis(): Promise<Child> {
  const server = startRedisServer(port);
  const probe = redisConnection(redisUrl);
  probe.on('error', () => undefined);
  try {
    const up = await eventually(
      () =>
        probe.ping().then(
          (answer) => answer === 'PONG',
          () => false,
        ),
      10_000,
    );
    if (!up) throw new Error(`redis-server did not start on ${port}:\n${server.output.join('\n')}`);
    return server;
  } finally {
    probe.disconnect();
  }
}

async function keysIn(connection: Redis): Promise<number> {
  return connection.dbsize();
}

async function paidCount(pool: Pool): Promise<number> {
  return (await payoutStatusCounts(database.db, pool)).paid ?? 0;
}

describe('a Redis restart that loses every job', () => {
  it('is caught up from the outbox: every payout ends paid exactly once', async () => {
    const pool = await fundedPool(database.db, 'redis-restart', staff, {
      fourEyesThreshold: '1000000.00',
    });
    const incident = await incidentOn(database.db, pool.code, staff);
    const payoutCount = 200;
    const claims = await approveClaims(
      database.db,
      staff,
      incident,
      Array.from({ length: 20 }, (_, c) =>
        Array.from({ length: 10 }, (_, l) =>
          claimLine(l % 2 ? 'lawyer_fees' : 'property_loss', `${200 + l}.00`, `Payee ${c}-${l}`),
        ),
      ),
      10,
    );
    expect(claims.flatMap((c) => c.payoutIds)).toHaveLength(payoutCount);
    const total = 20 * (200 + 201 + 202 + 203 + 204 + 205 + 206 + 207 + 208 + 209);

    let redis = await startRedis();
    const queueName = `payouts-restart-${randomUUID()}`;
    const retry = { attempts: 5, backoffMs: 50 };
    const queueConnection = redisConnection(redisUrl);
    const workerConnection = redisConnection(redisUrl);
    const inspector = redisConnection(redisUrl);
    for (const connection of [queueConnection, workerConnection, inspector])
      connection.on('error', () => undefined);
    const queue = createPayoutQueue(queueConnection, retry, queueName);
    queue.on('error', () => undefined);
    const worker = createPayoutWorker(
      database.db,
      new SimulatedBank(database.db, { latencyMs: 20 }),
      workerConnection,
      { concurrency: 4, retry, queueName },
    );
    worker.on('error', () => undefined);
    const relayErrors: unknown[] = [];
    const relay = new PayoutRelay(database.db, queue, {
      pollMs: 100,
      staleMs: 1500,
      onError: (error) => relayErrors.push(error),
    });
    cleanups.push(
      async () => queueConnection.disconnect(),
      async () => workerConnection.disconnect(),
      async () => inspector.disconnect(),
      () => queue.close(),
      () => worker.close(true),
      () => relay.stop(),
    );
    relay.start();

    expect(await eventually(async () => (await paidCount(pool)) >= 40, 30_000)).toBe(true);
    expect(await keysIn(inspector)).toBeGreaterThan(0);
    await stopChild(redis, 'SIGKILL');
    const atOutage = await paidCount(pool);
    expect(atOutage).toBeLessThan(payoutCount);
    // Without Redis nothing new is taken: at most the jobs already in hand finish.
    await sleep(1000);
    const duringOutage = await paidCount(pool);
    expect(duringOutage - atOutage).toBeLessThanOrEqual(4);
    expect(duringOutage).toBeLessThan(payoutCount);

    redis = await startRedis();
    const allPaid = await eventually(async () => (await paidCount(pool)) >= payoutCount, 40_000);
    expect(allPaid, JSON.stringify(await payoutStatusCounts(database.db, pool))).toBe(true);
    await relay.stop();
    await worker.close();

    await expectEveryPayoutPaidOnce(database.db, pool, payoutCount);
    // The sweep, not the lost queue, finished the run: the outbox was written to again.
    const handOffs = await database.db
      .selectFrom('payout_outbox')
      .select((eb) => eb.fn.countAll<string>().as('count'))
      .executeTakeFirstOrThrow();
    expect(Number(handOffs.count)).toBeGreaterThan(payoutCount);
    await expectRunSettled(
      database.db,
      pool,
      claims.map((c) => c.claimId),
      total,
    );
  }, 90_000);
});
