/**
 * @module The special group's administration: its units and members, the admin's
 * appointments, and a pool's exemption terms.
 */
import { z } from '@hono/zod-openapi';
import { recordExemptionTerms } from '../../../exemption/exemption-terms.ts';
import { appointMember, groupMembers, groupUnits } from '../../../exemption/special-group.ts';
import { json, mutationRoute, type RouteApp, roleRoute, routes } from '../../route.ts';
import { LocalDateSchema, UuidSchema } from '../../schemas.ts';
import { actingContext, iso, text } from './schemas.ts';

const AppointmentSchema = z
  .object({ userId: UuidSchema, unitCode: z.string().max(50), isLeader: z.boolean() })
  .strict()
  .openapi('GroupAppointment');

const ExemptionTermsInputSchema = z
  .object({
    effectiveFrom: LocalDateSchema,
    investigationWorkingDays: z.number().int().min(1).max(250),
    payoutsWaitForDecision: z.boolean(),
    claimsRequireExemption: z.boolean(),
    reason: text(2000),
  })
  .strict()
  .openapi('ExemptionTermsInput');

export function specialGroupRoutes(): RouteApp {
  const app = routes();
  app.openapi(
    roleRoute(['admin', 'special_group', 'reform_office'], {
      method: 'get',
      path: '/special-group',
      tags: ['exemption'],
      summary: "The special group's units and members",
      responses: { 200: json(z.object({}).passthrough(), 'The group') },
    }),
    async (c) => {
      const db = c.var.deps.db;
      const members = await groupMembers(db);
      return c.json(
        {
          units: await groupUnits(db),
          members: members.map((m) => ({ ...m, appointedAt: iso(m.appointedAt) })),
        },
        200,
      );
    },
  );

  mutationRoute(app, {
    roles: ['admin'],
    path: '/admin/special-group/members',
    tags: ['exemption'],
    summary: 'Appoint a special_group user to the group for a unit, as member or leader',
    body: AppointmentSchema,
    responses: { 201: json(z.object({}).passthrough(), 'Appointed') },
    action: 'special_group.appoint',
    entity: 'app_user',
    run: async ({ body, trx, actor }) => {
      const member = await appointMember(trx, body, actingContext(actor.userId));
      return {
        status: 201,
        body: { ...member, appointedAt: iso(member.appointedAt) },
        entityId: body.userId,
      };
    },
  });

  mutationRoute(app, {
    roles: ['admin'],
    path: '/admin/pools/{pool}/exemption-terms',
    tags: ['exemption'],
    summary:
      'Record exemption terms from a date: deadline, whether payouts wait, whether claims need exemption',
    params: z.object({ pool: z.string().min(1).max(100) }),
    body: ExemptionTermsInputSchema,
    responses: { 201: json(z.object({}).passthrough(), 'Recorded') },
    action: 'exemption_terms.record',
    entity: 'pool',
    run: async ({ params: { pool }, body, trx, actor }) => {
      const terms = await recordExemptionTerms(trx, pool, body, actingContext(actor.userId));
      return { status: 201, body: terms, entityId: pool };
    },
  });
  return app;
}
