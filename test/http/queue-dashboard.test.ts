/**
 * The payout queue's dashboard at /admin/queues, on real Redis: a browser that has no
 * credentials is asked for them (WWW-Authenticate: Basic), the refusal is a documented
 * problem, and only an admin's token opens it.
 */
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mountQueueDashboard, QUEUE_DASHBOARD_PATH } from '../../src/node/queue-dashboard.ts';
import { createPayoutQueue, redisConnection } from '../../src/payouts/queue.ts';
import { REDIS_URL } from '../support/env.ts';
import { createTestApp, readProblem, type TestApp } from './support.ts';

let t: TestApp;
let connection: Redis;
let queue: Queue;

beforeAll(async () => {
  t = await createTestApp();
  connection = redisConnection(REDIS_URL);
  queue = createPayoutQueue(connection, undefined, `payouts-dashboard-${crypto.randomUUID()}`);
  mountQueueDashboard(t.app, t.database.db, queue);
});
afterAll(async () => {
  await queue.obliterate({ force: true });
  await queue.close();
  connection.disconnect();
  await t.close();
});

const basic = (password: string) => ({
  authorization: `Basic ${btoa(`anyone:${password}`)}`,
});

describe('the queue dashboard', () => {
  it('asks a browser without credentials for Basic credentials, as an unauthenticated problem', async () => {
    const response = await t.app.request(QUEUE_DASHBOARD_PATH);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Basic realm="[^"]+"/);
    const { problem } = await readProblem(response);
    expect(problem.code).toBe('unauthenticated');
  });

  it("refuses another role's token, and opens for an admin's", async () => {
    const finance = await t.app.request(QUEUE_DASHBOARD_PATH, {
      headers: basic(t.users.finance.token),
    });
    expect(finance.status).toBe(401);
    expect(finance.headers.get('www-authenticate')).toMatch(/^Basic /);
    const admin = await t.app.request(QUEUE_DASHBOARD_PATH, {
      headers: basic(t.users.admin.token),
    });
    expect(admin.status).toBe(200);
    expect(await admin.text()).toMatch(/<html/i);
  });
});
