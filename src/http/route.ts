/**
 * @module Routes are built here. `routes()` makes a resource's sub-app (mounted by the app
 * with `app.route`); `roleRoute` is an OpenAPI route that states which roles may call it,
 * enforced by middleware and published as `x-roles` (the role matrix test reads them);
 * `mutationRoute` is every change: role, body schema, Idempotency-Key, `mutate` and audit.
 */
import { createRoute, OpenAPIHono, type RouteConfig, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { ZodError } from 'zod';
import type { Actor } from '../access/tokens.ts';
import type { Role } from '../db/schema.ts';
import type { Tx } from '../db/transaction.ts';
import { allowRoles } from './auth.ts';
import type { AppEnv } from './env.ts';
import {
  type MutationResult,
  mutate,
  requireIdempotencyKey,
  type SuccessStatus,
} from './mutation.ts';
import { type ProblemError, validationProblem } from './problem.ts';
import { IdempotencyHeadersSchema, ProblemSchema } from './schemas.ts';

export type RouteApp = OpenAPIHono<AppEnv>;

/** A validation failure as a 422 problem naming each field (`json.amount`, `query.asOf`). */
export function zodProblem(error: ZodError, target: string): ProblemError {
  const errors = error.issues.map((issue) => ({
    field: [target, ...issue.path.map(String)].join('.'),
    reason: issue.message,
  }));
  return validationProblem(errors, `the ${target === 'json' ? 'body' : target} is not valid`);
}

export const validationHook = (result: { success: boolean; error?: ZodError; target: string }) => {
  if (!result.success && result.error) throw zodProblem(result.error, result.target);
};

/**
 * A resource's routes, as a sub-app. Paths are written in full inside it and the app mounts
 * it at `/`; `app.route` copies its OpenAPI registry into the app's at mount time, so a
 * sub-app is complete before it is mounted.
 */
export function routes(): RouteApp {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ProblemSchema } },
});

const COMMON_PROBLEMS = {
  401: problem('No token, or an unknown, revoked or expired one'),
  403: problem('The token’s role may not use this route'),
  422: problem('The input is not valid; `errors` lists each field and why'),
};

const NOT_FOUND = { 404: problem('Nothing with that id (or code) exists') };

const MUTATION_PROBLEMS = {
  409: problem(
    'Conflict: an illegal transition, a limit, or an Idempotency-Key reused for another request',
  ),
  428: problem('The Idempotency-Key header is missing'),
};

type RoleRouteConfig = Omit<RouteConfig, 'middleware' | 'security'>;

export function roleRoute<const R extends RoleRouteConfig>(roles: readonly Role[], config: R) {
  const mutating = config.method !== 'get';
  // A query parameter the route does not document is refused (422), never silently ignored:
  // `?pol=county` must not answer for every pool.
  const declared = config.request?.query;
  const query = (declared instanceof z.ZodObject ? declared : z.object({})).strict();
  const request = { ...config.request, query };
  // Typed as the caller's config: the added middleware, header and problem responses
  // change nothing a handler sees (problems are thrown, never returned).
  const route = {
    ...config,
    request: mutating ? { ...request, headers: IdempotencyHeadersSchema } : request,
    middleware: mutating ? [allowRoles(roles), requireIdempotencyKey] : [allowRoles(roles)],
    security: [{ bearerAuth: [] }],
    description: `${config.description ?? ''}\n\nRoles: ${roles.join(', ')}.`.trim(),
    'x-roles': [...roles],
    responses: {
      ...config.responses,
      ...COMMON_PROBLEMS,
      ...(config.path.includes('{') ? NOT_FOUND : {}),
      ...(mutating ? MUTATION_PROBLEMS : {}),
    },
  } as unknown as R;
  return createRoute(route);
}

/** A JSON response of a route, for its `responses`. */
export const json = <S extends z.ZodType>(schema: S, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

/** A required JSON request body, for a route's `request.body`. */
export const jsonBody = <S extends z.ZodType>(schema: S) => ({
  content: { 'application/json': { schema } },
  required: true,
});

type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;

/** What a change's work is given: the validated path and body, the transaction and who acts. */
export interface ChangeRequest<P, B> {
  readonly params: P;
  readonly body: B;
  readonly trx: Tx;
  readonly actor: Actor;
  readonly c: Context<AppEnv>;
}

export interface MutationRouteConfig<P, B, T extends object, S extends SuccessStatus> {
  readonly roles: readonly Role[];
  readonly method?: 'post' | 'put' | 'patch' | 'delete';
  readonly path: string;
  readonly tags: string[];
  readonly summary: string;
  readonly description?: string;
  readonly params?: P;
  readonly body?: B;
  readonly responses: RouteConfig['responses'];
  /** The audit record's action and entity: `claim.reopen` on `claim` (or one the path names). */
  readonly action: string;
  readonly entity: string | ((params: Parsed<P>) => string);
  readonly run: (request: ChangeRequest<Parsed<P>, Parsed<B>>) => Promise<MutationResult<T, S>>;
}

/**
 * A change as one route: the roles, the path and body schemas, the Idempotency-Key, one
 * transaction through `mutate` with its audit record. The work only calls the domain.
 */
export function mutationRoute<
  P extends z.ZodObject | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
  T extends object = object,
  S extends SuccessStatus = SuccessStatus,
>(app: RouteApp, config: MutationRouteConfig<P, B, T, S>): void {
  const { roles, params, body, run, action, entity, method, ...openapi } = config;
  const route = roleRoute(roles, {
    ...openapi,
    method: method ?? 'post',
    request: { ...(params ? { params } : {}), ...(body ? { body: jsonBody(body) } : {}) },
  });
  const handler = (c: Context<AppEnv>) => {
    const valid = c.req as unknown as { valid(target: 'param' | 'json'): unknown };
    const path = (params ? valid.valid('param') : undefined) as Parsed<P>;
    const input = (body ? valid.valid('json') : undefined) as Parsed<B>;
    // The request as hashed into the idempotency and audit records.
    const hashed =
      path !== undefined && input !== undefined ? { ...path, body: input } : (path ?? input);
    const audited = typeof entity === 'string' ? entity : entity(path);
    return mutate(c, { action, entity: audited, input: hashed }, (trx, actor) =>
      run({ params: path, body: input, trx, actor, c }),
    );
  };
  app.openapi(route, handler as never);
}

/**
 * A CSV response (UTF-8; the file itself carries the BOM Excel and WPS need). A report that
 * is both JSON and CSV is two routes, `…/x` and `…/x.csv`, so each documents one media type
 * and a generated client reads the JSON one as JSON.
 */
export const csv = (description: string) => ({
  description,
  content: { 'text/csv': { schema: z.string() } },
});

/** Which header row a CSV gets: English, or Chinese for the county's own staff. */
export const CsvHeadersQuery = z.object({
  headers: z.enum(['english', 'chinese']).default('english'),
});

export function csvFile(c: Context<AppEnv>, filename: string, text: string): Response {
  return c.body(text, 200, {
    'Content-Type': 'text/csv; charset=utf-8',
    'Content-Disposition': `attachment; filename="${filename.replace(/[^A-Za-z0-9._-]/g, '_')}"`,
  });
}
