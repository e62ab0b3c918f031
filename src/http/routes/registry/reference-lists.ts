/**
 * @module The coded reference lists (positive and negative lists, admission criteria,
 * assessment rules): items in force, their versions, and the reform office's revisions.
 */
import { z } from '@hono/zod-openapi';
import { momentAfter } from '../../../policy/local-date.ts';
import {
  referenceItemHistory,
  referenceItemsInForce,
  reviseReferenceItem,
} from '../../../policy/reference-lists.ts';
import { json, mutationRoute, type RouteApp, roleRoute, routes } from '../../route.ts';
import { readAsOf } from '../../schemas.ts';
import {
  OFFICE,
  REGISTRY_READERS,
  ReferenceItemParams,
  ReferenceItemRevisionSchema,
  ReferenceItemSchema,
  ReferenceListQuery,
  referenceItemBody,
  stepContext,
} from './schemas.ts';

export function referenceListRoutes(): RouteApp {
  const app = routes();
  app.openapi(
    roleRoute(REGISTRY_READERS, {
      method: 'get',
      path: '/reference-lists',
      tags: ['registry'],
      summary: 'The reference list items in force (now, or at the end of asOf)',
      request: { query: ReferenceListQuery },
      responses: { 200: json(z.object({ items: z.array(ReferenceItemSchema) }), 'Items') },
    }),
    async (c) => {
      const { list, asOf } = c.req.valid('query');
      const items = await referenceItemsInForce(c.var.deps.db, {
        ...(list ? { list } : {}),
        ...(asOf ? { before: momentAfter(readAsOf(asOf)) } : {}),
      });
      return c.json({ items: items.map(referenceItemBody) }, 200);
    },
  );

  app.openapi(
    roleRoute(REGISTRY_READERS, {
      method: 'get',
      path: '/reference-lists/{list}/items/{code}/versions',
      tags: ['registry'],
      summary: 'Every version of a reference list item, oldest first',
      request: { params: ReferenceItemParams },
      responses: { 200: json(z.object({ versions: z.array(ReferenceItemSchema) }), 'Versions') },
    }),
    async (c) => {
      const { list, code } = c.req.valid('param');
      const versions = await referenceItemHistory(c.var.deps.db, list, code);
      return c.json({ versions: versions.map(referenceItemBody) }, 200);
    },
  );

  mutationRoute(app, {
    roles: OFFICE,
    path: '/reference-lists/{list}/items/{code}/versions',
    tags: ['registry'],
    summary: 'Edit a reference list item: records its next version; earlier versions stay',
    params: ReferenceItemParams,
    body: ReferenceItemRevisionSchema,
    responses: { 201: json(ReferenceItemSchema, 'The new version') },
    action: 'reference_item.revise',
    entity: 'reference_list_item',
    run: async ({ params: { list, code }, body, trx, actor }) => {
      const item = await reviseReferenceItem(trx, list, code, body, stepContext(actor.userId));
      return { status: 201, body: referenceItemBody(item), entityId: `${list}/${code}` };
    },
  });
  return app;
}
