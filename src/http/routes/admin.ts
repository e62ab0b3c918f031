/**
 * @module Admin: users, their roles, and their tokens.
 */
import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { createUser, issueToken } from '../../access/tokens.ts';
import type { Role } from '../../db/schema.ts';
import { databaseErrorCode } from '../../db/transaction.ts';
import type { AppEnv } from '../env.ts';
import { mutate } from '../mutation.ts';
import { notFound, ProblemError } from '../problem.ts';
import { roleRoute } from '../route.ts';
import { RoleSchema, UuidSchema } from '../schemas.ts';

const UserSchema = z
  .object({
    id: UuidSchema,
    name: z.string(),
    role: RoleSchema,
    active: z.boolean(),
    createdAt: z.string(),
  })
  .openapi('User');

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

export function registerAdminRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(
    roleRoute(['admin'], {
      method: 'post',
      path: '/admin/users',
      tags: ['admin'],
      summary: 'Create a user with one role',
      request: {
        body: { content: { 'application/json': { schema: NewUserSchema } }, required: true },
      },
      responses: {
        201: { description: 'Created', content: { 'application/json': { schema: UserSchema } } },
      },
    }),
    (c) => {
      const input = c.req.valid('json');
      return mutate(c, { action: 'user.create', entity: 'user', input }, async (trx, actor) => {
        const taken = await trx
          .selectFrom('app_user')
          .select('id')
          .where('name', '=', input.name)
          .executeTakeFirst();
        if (taken)
          throw new ProblemError(409, 'conflict', `a user named "${input.name}" already exists`);
        const user = await createUser(trx, input.name, input.role as Role, actor.userId).catch(
          (error: unknown) => {
            if (databaseErrorCode(error) === '23505') {
              throw new ProblemError(
                409,
                'conflict',
                `a user named "${input.name}" already exists`,
              );
            }
            throw error;
          },
        );
        return { status: 201, body: toUserBody(user), entityId: user.id };
      });
    },
  );

  app.openapi(
    roleRoute(['admin'], {
      method: 'get',
      path: '/admin/users',
      tags: ['admin'],
      summary: 'List users',
      responses: {
        200: {
          description: 'Users',
          content: { 'application/json': { schema: z.object({ users: z.array(UserSchema) }) } },
        },
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

  app.openapi(
    roleRoute(['admin'], {
      method: 'post',
      path: '/admin/users/{userId}/deactivate',
      tags: ['admin'],
      summary: 'Deactivate a user: every token of theirs stops working',
      request: { params: UserParams },
      responses: {
        200: {
          description: 'Deactivated',
          content: { 'application/json': { schema: UserSchema } },
        },
      },
    }),
    (c) => {
      const params = c.req.valid('param');
      return mutate(
        c,
        { action: 'user.deactivate', entity: 'user', input: params },
        async (trx, actor) => {
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
      );
    },
  );

  app.openapi(
    roleRoute(['admin'], {
      method: 'post',
      path: '/admin/users/{userId}/tokens',
      tags: ['admin'],
      summary: 'Issue a bearer token for a user (shown once)',
      request: {
        params: UserParams,
        body: { content: { 'application/json': { schema: NewTokenSchema } }, required: true },
      },
      responses: {
        201: {
          description: 'Issued',
          content: { 'application/json': { schema: IssuedTokenSchema } },
        },
      },
    }),
    (c) => {
      const params = c.req.valid('param');
      const body = c.req.valid('json');
      return mutate(
        c,
        { action: 'token.issue', entity: 'token', input: { ...params, ...body } },
        async (trx) => {
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
      );
    },
  );

  app.openapi(
    roleRoute(['admin'], {
      method: 'post',
      path: '/admin/tokens/{tokenId}/revoke',
      tags: ['admin'],
      summary: 'Revoke a token',
      request: { params: TokenParams },
      responses: {
        200: {
          description: 'Revoked',
          content: {
            'application/json': {
              schema: z.object({ tokenId: UuidSchema, revokedAt: z.string() }),
            },
          },
        },
      },
    }),
    (c) => {
      const params = c.req.valid('param');
      return mutate(c, { action: 'token.revoke', entity: 'token', input: params }, async (trx) => {
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
      });
    },
  );
}
