/**
 * @module Admin: users, their roles, their tokens, and insurer users' authority limits.
 */
import { z } from '@hono/zod-openapi';
import { createUser, issueToken } from '../../access/tokens.ts';
import { setAuthorityLimit } from '../../claims/authority.ts';
import type { Role } from '../../db/schema.ts';
import { databaseErrorCode } from '../../db/transaction.ts';
import { Money } from '../../ledger/money.ts';
import { notFound, ProblemError } from '../problem.ts';
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

const NewUserSchema = z
  .object({
    name: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .regex(NAME_TEXT, 'letters, digits, spaces and . _ @ -')
      .openapi({ pattern: NAME_TEXT.source }),
    role: RoleSchema,
  })
  .strict()
  .openapi('NewUser', { example: { name: 'Li Na', role: 'insurer' } });

const NewTokenSchema = z
  .object({
    label: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .regex(NAME_TEXT, 'letters, digits, spaces and . _ @ -')
      .openapi({ pattern: NAME_TEXT.source }),
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
      const taken = await trx
        .selectFrom('app_user')
        .select('id')
        .where('name', '=', body.name)
        .executeTakeFirst();
      if (taken)
        throw new ProblemError(409, 'conflict', `a user named "${body.name}" already exists`);
      const user = await createUser(trx, body.name, body.role as Role, actor.userId).catch(
        (error: unknown) => {
          if (databaseErrorCode(error) === '23505') {
            throw new ProblemError(409, 'conflict', `a user named "${body.name}" already exists`);
          }
          throw error;
        },
      );
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
      if (params.userId === actor.userId)
        throw new ProblemError(409, 'conflict', 'you cannot deactivate yourself');
      const user = await trx
        .updateTable('app_user')
        .set({ active: false })
        .where('id', '=', params.userId)
        .returning(['id', 'name', 'role', 'active', 'created_at as createdAt'])
        .executeTakeFirst();
      if (!user) throw notFound(`user ${params.userId}`);
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
      const user = await trx
        .selectFrom('app_user')
        .select(['id', 'active'])
        .where('id', '=', params.userId)
        .executeTakeFirst();
      if (!user) throw notFound(`user ${params.userId}`);
      if (!user.active) throw new ProblemError(409, 'conflict', 'the user is deactivated');
      const issued = await issueToken(trx, user.id, body.label);
      return {
        status: 201,
        body: issued,
        replayBody: { ...issued, token: null },
        entityId: issued.tokenId,
      };
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
      const token = await trx
        .updateTable('access_token')
        .set((eb) => ({ revoked_at: eb.fn.coalesce('revoked_at', eb.val(new Date())) }))
        .where('id', '=', params.tokenId)
        .returning(['id', 'revoked_at'])
        .executeTakeFirst();
      if (!token?.revoked_at) throw notFound(`token ${params.tokenId}`);
      return {
        status: 200,
        body: { tokenId: token.id, revokedAt: token.revoked_at.toISOString() },
        entityId: token.id,
      };
    },
  });
  return app;
}
