/**
 * @module Clarifications (澄清): the special group publishes one for an exempted case; what
 * was published to the public is readable without a token.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { publicClarifications, publishClarification } from '../../../exemption/clarifications.ts';
import { localDateOf } from '../../../policy/local-date.ts';
import { json, mutationRoute, type RouteApp, routes } from '../../route.ts';
import { LocalDateSchema, PageLimitSchema, UuidSchema } from '../../schemas.ts';
import { CaseParams, caseAfter, GROUP, InvestigationSchema, text } from './schemas.ts';

const PublishedSchema = z
  .object({ id: UuidSchema, title: z.string(), text: z.string(), publishedOn: z.string() })
  .openapi('PublishedClarification');

const NewClarificationSchema = z
  .object({
    scope: z.enum(['unit', 'county', 'public']),
    title: text(200),
    text: text(10000),
    publishedOn: LocalDateSchema,
  })
  .strict()
  .openapi('NewClarification');

export function clarificationRoutes(): RouteApp {
  const app = routes();
  mutationRoute(app, {
    roles: GROUP,
    path: '/exemption/investigations/{investigationId}/clarifications',
    tags: ['exemption'],
    summary: 'Publish a clarification (澄清) for an exempted case',
    params: CaseParams,
    body: NewClarificationSchema,
    responses: { 201: json(InvestigationSchema, 'The case with its clarification') },
    action: 'clarification.publish',
    entity: 'investigation',
    run: async ({ params: { investigationId }, body, trx, actor }) => {
      const now = new Date();
      await publishClarification(trx, investigationId, body, {
        actorUserId: actor.userId,
        at: now,
        today: localDateOf(now),
      });
      return {
        status: 201,
        body: await caseAfter(trx, investigationId),
        entityId: investigationId,
      };
    },
  });

  // Public on purpose: what was published for everyone, and nothing else of the case.
  app.openapi(
    createRoute({
      method: 'get',
      path: '/public/clarifications',
      tags: ['exemption'],
      summary: 'Clarifications published to the public, newest first (no token needed)',
      request: { query: z.object({ limit: PageLimitSchema }) },
      responses: {
        200: {
          description: 'Published clarifications',
          content: {
            'application/json': { schema: z.object({ clarifications: z.array(PublishedSchema) }) },
          },
        },
      },
    }),
    async (c) => {
      const { limit } = c.req.valid('query');
      const clarifications = await publicClarifications(c.var.deps.db, limit ?? 50);
      return c.json({ clarifications }, 200);
    },
  );
  return app;
}
