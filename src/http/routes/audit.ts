/**
 * @module The audit trail, for finance and admin: who changed what, when, in which request.
 */
import { z } from '@hono/zod-openapi';
import { type RouteApp, roleRoute, routes } from '../route.ts';
import { IsoDateTimeSchema, PageLimitSchema, UuidSchema } from '../schemas.ts';

const AuditRecordSchema = z
  .object({
    id: z.number().int(),
    recordedAt: z.string(),
    actorUserId: z.string().nullable(),
    actorName: z.string(),
    actorRole: z.string(),
    action: z.string(),
    entity: z.string(),
    entityId: z.string().nullable(),
    requestId: z.string(),
    requestHash: z.string(),
  })
  .openapi('AuditRecord');

const AuditQuerySchema = z.object({
  actorUserId: UuidSchema.optional(),
  action: z.string().max(100).optional(),
  entity: z.string().max(100).optional(),
  entityId: z.string().max(100).optional(),
  from: IsoDateTimeSchema.optional(),
  to: IsoDateTimeSchema.optional(),
  limit: PageLimitSchema,
  before: z.coerce
    .number()
    .int()
    .positive()
    .optional()
    .openapi({ description: 'Page cursor: nextBefore of the previous page' }),
});

export function auditRoutes(): RouteApp {
  const app = routes();
  app.openapi(
    roleRoute(['finance', 'admin'], {
      method: 'get',
      path: '/audit',
      tags: ['audit'],
      summary: 'List audit records, newest first',
      request: { query: AuditQuerySchema },
      responses: {
        200: {
          description: 'A page of audit records',
          content: {
            'application/json': {
              schema: z.object({
                records: z.array(AuditRecordSchema),
                nextBefore: z.number().int().nullable(),
              }),
            },
          },
        },
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      let query = c.var.deps.db
        .selectFrom('audit_record')
        .selectAll()
        .orderBy('id', 'desc')
        .limit(q.limit + 1);
      if (q.actorUserId) query = query.where('actor_user_id', '=', q.actorUserId);
      if (q.action) query = query.where('action', '=', q.action);
      if (q.entity) query = query.where('entity', '=', q.entity);
      if (q.entityId) query = query.where('entity_id', '=', q.entityId);
      if (q.from) query = query.where('recorded_at', '>=', new Date(q.from));
      if (q.to) query = query.where('recorded_at', '<', new Date(q.to));
      if (q.before) query = query.where('id', '<', q.before);
      const rows = await query.execute();
      const page = rows.slice(0, q.limit);
      return c.json(
        {
          records: page.map((r) => ({
            id: r.id,
            recordedAt: r.recorded_at.toISOString(),
            actorUserId: r.actor_user_id,
            actorName: r.actor_name,
            actorRole: r.actor_role,
            action: r.action,
            entity: r.entity,
            entityId: r.entity_id,
            requestId: r.request_id,
            requestHash: r.request_hash,
          })),
          nextBefore: rows.length > q.limit ? (page[page.length - 1]?.id ?? null) : null,
        },
        200,
      );
    },
  );
  return app;
}
