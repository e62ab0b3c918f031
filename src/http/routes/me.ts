/**
 * @module Who am I: the quickest authorised call, for every role.
 */
import { z } from '@hono/zod-openapi';
import { ROLES } from '../../access/tokens.ts';
import { type RouteApp, roleRoute, routes } from '../route.ts';
import { RoleSchema, UuidSchema } from '../schemas.ts';

export function meRoutes(): RouteApp {
  const app = routes();
  app.openapi(
    roleRoute(ROLES, {
      method: 'get',
      path: '/me',
      tags: ['access'],
      summary: 'The user and role behind the token',
      responses: {
        200: {
          description: 'The caller',
          content: {
            'application/json': {
              schema: z.object({ userId: UuidSchema, name: z.string(), role: RoleSchema }),
            },
          },
        },
      },
    }),
    (c) => {
      const { userId, name, role } = c.var.actor;
      return c.json({ userId, name, role }, 200);
    },
  );
  return app;
}
