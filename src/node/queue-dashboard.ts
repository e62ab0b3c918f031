/**
 * @module Bull Board for admins at /admin/queues, when payouts run on BullMQ. A browser
 * cannot send a bearer header, so the page asks for HTTP Basic credentials: any user name,
 * and an admin's bearer token as the password — checked like every other token.
 */
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { HonoAdapter } from '@bull-board/hono';
import { serveStatic } from '@hono/node-server/serve-static';
import type { Queue } from 'bullmq';
import { basicAuth } from 'hono/basic-auth';
import { authenticateToken } from '../access/tokens.ts';
import type { DB } from '../db/database.ts';
import type { App } from '../http/app.ts';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';

export function mountQueueDashboard(app: App, db: DB, queue: Queue): void {
  const serverAdapter = new HonoAdapter(serveStatic);
  serverAdapter.setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({ queues: [new BullMQAdapter(queue)], serverAdapter });
  app.use(
    `${QUEUE_DASHBOARD_PATH}/*`,
    basicAuth({
      realm: 'risk pool payouts (password: an admin token)',
      verifyUser: async (_name, password) =>
        (await authenticateToken(db, password))?.role === 'admin',
    }),
  );
  app.route(QUEUE_DASHBOARD_PATH, serverAdapter.registerPlugin());
}
