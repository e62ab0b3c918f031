/**
 * @module Admin: users, their roles, their tokens, and insurer users' authority limits.
 */
import { z } from '@hono/zod-openapi';
import { addUser, deactivateUser, issueTokenTo, revokeToken } from '../../access/users.ts';
import { setAuthorityLimit } from '../../claims/authority.ts';
import type { Role } from '../../db/schema.ts';
import { Money } from '../../ledger/money.ts';
import { json, mutationRoute, type RouteApp, roleRoute, routes } from '../route.ts';
import { AmountSchema, RoleSchema, UuidSchema } from '../schemas.ts';

const UserSchema = z
  .object({
    id: UuidSchema,
    name: z.string(),
    role: RoleSchema,
    active: z.boolean(),
    createdAt: z.string(),
  })
  .openapi('User');

const AuthorityLimitInputSchema = z
  .object({ authorityLimit: AmountSchema.nullable() })
  .strict()
  .openapi('AuthorityLimitInput', { example: { authorityLimit: '200000.00' } });

const AuthorityLimitSchema = z
  .object({ userId: UuidSchema, name: z.string(), authorityLimit: AmountSchema.nullable() })
  .openapi('AuthorityLimit');

const NAME_TEXT = /^[\p{L}\p{N} ._@-]+$/u;

/** A user's name or a token's label: letters, digits, spaces and . _ @ - only. */
const NameText = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(NAME_TEXT, 'letters, digits, spaces and . _ @ -')
  .openapi({ pattern: NAME_TEXT.source });

const NewUserSchema = z
  .object({
    name: NameText,
    role: RoleSchema,
  })
  .strict()
  .openapi('NewUser', { example: { name: 'Li Na', role: 'insurer' } });

const NewTokenSchema = z
  .object({
    label: NameText,
  })
  .strict()
  .openapi('NewToken', { example: { label: 'laptop' } });

const IssuedTokenSchema = z
  .object({
    tokenId: UuidSchema,
    userId: UuidSchema,
    token: z
      .string()
      .openapi({ description: 'The bearer token. Shown once; only its hash is stored.' }),
  })
  .openapi('IssuedToken');

const UserParams = z.object({ userId: UuidSchema });
const TokenParams = z.object({ tokenId: UuidSchema });

const toUserBody = (user: {
  id: string;
  name: string;
  role: Role;
  active: boolean;
  createdAt: Date;
}) => ({
  id: user.id,
  name: user.name,
  role: user.role,
  active: user.active,
  createdAt: user.createdAt.toISOString(),
});

export function adminRoutes(): RouteApp {
  const app = routes();
  mutationRoute(app, {
    roles: ['admin'],
    path: '/admin/users',
    tags: ['admin'],
    summary: 'Create a user with one role',
    body: NewUserSchema,
    responses: { 201: json(UserSchema, 'Created') },
    action: 'user.create',
    entity: 'user',
    run: async ({ body, trx, actor }) => {
      const user = await addUser(trx, { name: body.name, role: body.role as Role }, actor.userId);
      return { status: 201, body: toUserBody(user), entityId: user.id };
    },
  });

  app.openapi(
    roleRoute(['admin'], {
      method: 'get',
      path: '/admin/users',
      tags: ['admin'],
      summary: 'List users',
      responses: {
        200: json(z.object({ users: z.array(UserSchema) }), 'Users'),
      },
    }),
    async (c) => {
      const rows = await c.var.deps.db
        .selectFrom('app_user')
        .select(['id', 'name', 'role', 'active', 'created_at as createdAt'])
        .orderBy('name')
        .limit(1000)
        .execute();
      return c.json({ users: rows.map(toUserBody) }, 200);
    },
  );

  mutationRoute(app, {
    roles: ['admin'],
    method: 'put',
    path: '/admin/users/{userId}/authority-limit',
    tags: ['admin'],
    summary:
      'Set what an insurer user may make payable alone, cumulative per claim and per incident; null: the pool terms’ four-eyes threshold',
    params: UserParams,
    body: AuthorityLimitInputSchema,
    responses: { 200: json(AuthorityLimitSchema, 'Set') },
    action: 'user.set_authority_limit',
    entity: 'user',
    run: async ({ params, body, trx }) => {
      const limit = await setAuthorityLimit(
        trx,
        params.userId,
        body.authorityLimit === null ? null : new Money(body.authorityLimit),
      );
      return { status: 200, body: limit, entityId: params.userId };
    },
  });

  mutationRoute(app, {
    roles: ['admin'],
    path: '/admin/users/{userId}/deactivate',
    tags: ['admin'],
    summary: 'Deactivate a user: every token of theirs stops working',
    params: UserParams,
    responses: { 200: json(UserSchema, 'Deactivated') },
    action: 'user.deactivate',
    entity: 'user',
    run: async ({ params, trx, actor }) => {
      const user = await deactivateUser(trx, params.userId, actor.userId);
      return { status: 200, body: toUserBody(user), entityId: user.id };
    },
  });

  mutationRoute(app, {
    roles: ['admin'],
    path: '/admin/users/{userId}/tokens',
    tags: ['admin'],
    summary: 'Issue a bearer token for a user (shown once)',
    params: UserParams,
    body: NewTokenSchema,
    responses: { 201: json(IssuedTokenSchema, 'Issued') },
    action: 'token.issue',
    entity: 'token',
    run: async ({ params, body, trx }) => {
      const issued = await issueTokenTo(trx, params.userId, body.label);
      // The token is shown once: a replay answers without it.
      const replayBody = { ...issued, token: null };
      return { status: 201, body: issued, replayBody, entityId: issued.tokenId };
    },
  });

  mutationRoute(app, {
    roles: ['admin'],
    path: '/admin/tokens/{tokenId}/revoke',
    tags: ['admin'],
    summary: 'Revoke a token',
    params: TokenParams,
    responses: {
      200: json(z.object({ tokenId: UuidSchema, revokedAt: z.string() }), 'Revoked'),
    },
    action: 'token.revoke',
    entity: 'token',
    run: async ({ params, trx }) => {
      const revoked = await revokeToken(trx, params.tokenId);
      const body = { tokenId: revoked.tokenId, revokedAt: revoked.revokedAt.toISOString() };
      return { status: 200, body, entityId: revoked.tokenId };
    },
  });
  return app;
}
