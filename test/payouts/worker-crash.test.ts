/**
 * A payout worker process (`npx tsx src/worker.ts`) killed with SIGKILL in the middle of a
 * run, then replaced: nothing approved is lost and nothing is paid twice. What the dead
 * worker had in flight — held, sent, or taken from the queue — is caught up by the next one.
 */
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisConnection } from '../../src/payouts/queue.ts';
import type { Pool } from '../../src/policy/pools.ts';
import { createStaff, fundedPool, type Staff } from '../claims/support.ts';
import { freshPostgres, type TestDatabase } from '../support/database.ts';
import { REDIS_URL } from '../support/env.ts';
import { expectEveryPayoutPaidOnce, expectRunSettled } from './assertions.ts';
import {
  type Child,
  running,
  startPayoutWorker,
  stopAllChildren,
  stopChild,
  type WorkerSettings,
} from './processes.ts';
import { approveClaims, claimLine, eventually, incidentOn, payoutStatusCounts } from './support.ts';

let database: TestDatabase;
let staff: Staff;
const queueName = `payouts-crash-${randomUUID()}`;

beforeAll(async () => {
  database = await freshPostgres(6);
  staff = await createStaff(database.db, 'payouts-worker-crash');
});

afterAll(async () => {
  await stopAllChildren();
  const connection = redisConnection(REDIS_URL);
  const queue = new Queue(queueName, { connection });
  await queue.obliterate({ force: true }).catch(() => undefined);
  await queue.close();
  connection.disconnect();
  await database.close();
});

async function paidCount(pool: Pool): Promise<number> {
  return (await payoutStatusCounts(database.db, pool)).paid ?? 0;
}

const describeOutput = (child: Child) =>
  `${child.name} said:\n${child.output.slice(-30).join('\n')}`;

describe('a payout worker killed mid-run', () => {
  it('leaves nothing lost and nothing paid twice once a new worker has caught up', async () => {
    const pool = await fundedPool(database.db, 'worker-crash', staff, {
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
          claimLine(l % 2 ? 'appraisal' : 'property_loss', `${100 + c}.00`, `Payee ${c}-${l}`),
        ),
      ),
      10,
    );
    expect(claims.flatMap((c) => c.payoutIds)).toHaveLength(payoutCount);
    const total = claims.reduce((sum, _, c) => sum + 10 * (100 + c), 0);

    const settings: WorkerSettings = {
      databaseUrl: database.url ?? '',
      redisUrl: REDIS_URL,
      queueName,
      bankLatencyMs: 20,
      concurrency: 4,
      staleMs: 2000,
    };
    const first = startPayoutWorker('first worker', settings);
    const someWerePaid = await eventually(async () => (await paidCount(pool)) >= 40, 30_000);
    expect(someWerePaid, describeOutput(first)).toBe(true);
    expect(running(first), describeOutput(first)).toBe(true);
    await stopChild(first, 'SIGKILL');
    const atKill = await payoutStatusCounts(database.db, pool);
    // Killed mid-run: part paid, part still to pay.
    expect(atKill.paid ?? 0).toBeLessThan(payoutCount);

    // Whatever the first worker held (a payout `sending`, jobs taken from the queue) is now
    // orphaned; atKill says how much, for a failing run's message.
    const second = startPayoutWorker('second worker', settings);
    const allPaid = await eventually(async () => (await paidCount(pool)) >= payoutCount, 40_000);
    expect(
      allPaid,
      `at the kill ${JSON.stringify(atKill)}, now ${JSON.stringify(await payoutStatusCounts(database.db, pool))}\n${describeOutput(second)}`,
    ).toBe(true);
    // A graceful stop lets the second worker finish whatever duplicate hand-off it still holds.
    await stopChild(second, 'SIGTERM');

    await expectEveryPayoutPaidOnce(database.db, pool, payoutCount);
    await expectRunSettled(
      database.db,
      pool,
      claims.map((c) => c.claimId),
      total,
    );
  }, 90_000);
});
