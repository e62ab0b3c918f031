/**
 * @module Liveness (`/healthz`: the process answers) and readiness (`/readyz`: the database,
 * and Redis when configured, answer).
 */
import { createRoute, z } from '@hono/zod-openapi';
import { type RouteApp, routes } from '../route.ts';

const ReadinessSchema = z.object({
  status: z.enum(['ready', 'unavailable']),
  checks: z.record(z.string(), z.enum(['ok', 'down'])),
});

export function healthRoutes(): RouteApp {
  const app = routes();
  app.openapi(
    createRoute({
      method: 'get',
      path: '/healthz',
      tags: ['operations'],
      summary: 'The process is up',
      responses: {
        200: {
          description: 'Up',
          content: { 'application/json': { schema: z.object({ status: z.literal('ok') }) } },
        },
      },
    }),
    (c) => c.json({ status: 'ok' as const }, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/readyz',
      tags: ['operations'],
      summary: 'The database (and Redis, when configured) answer',
      responses: {
        200: { description: 'Ready', content: { 'application/json': { schema: ReadinessSchema } } },
        503: {
          description: 'Not ready',
          content: { 'application/json': { schema: ReadinessSchema } },
        },
      },
    }),
    async (c) => {
      const entries = await Promise.all(
        Object.entries(c.var.deps.readiness).map(async ([name, check]) => {
          const ok = await Promise.race([
            check().catch(() => false),
            new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 2000)),
          ]);
          return [name, ok ? 'ok' : 'down'] as const;
        }),
      );
      const checks = Object.fromEntries(entries);
      const ready = entries.every(([, state]) => state === 'ok');
      return ready
        ? c.json({ status: 'ready' as const, checks }, 200)
        : c.json({ status: 'unavailable' as const, checks }, 503);
    },
  );
  return app;
}
