/**
 * @module `roleRoute`: an OpenAPI route that states which roles may call it. The roles are
 * enforced by middleware and published in the document as `x-roles`, so the role matrix
 * test is generated from the app's own route table. Changes also demand an Idempotency-Key.
 */
import { createRoute, type RouteConfig, type z } from '@hono/zod-openapi';
import type { Role } from '../db/schema.ts';
import { allowRoles } from './auth.ts';
import { requireIdempotencyKey } from './mutation.ts';
import { IdempotencyHeadersSchema, ProblemSchema } from './schemas.ts';

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ProblemSchema } },
});

const COMMON_PROBLEMS = {
  401: problem('No token, or an unknown, revoked or expired one'),
  403: problem('The token’s role may not use this route'),
  422: problem('The input is not valid; `errors` lists each field and why'),
};

const MUTATION_PROBLEMS = {
  409: problem(
    'Conflict: an illegal transition, a limit, or an Idempotency-Key reused for another request',
  ),
  428: problem('The Idempotency-Key header is missing'),
};

type RoleRouteConfig = Omit<RouteConfig, 'middleware' | 'security'>;

export function roleRoute<const R extends RoleRouteConfig>(roles: readonly Role[], config: R) {
  const mutating = config.method !== 'get';
  // Typed as the caller's config: the added middleware, header and problem responses
  // change nothing a handler sees (problems are thrown, never returned).
  const route = {
    ...config,
    request: mutating ? { ...config.request, headers: IdempotencyHeadersSchema } : config.request,
    middleware: mutating ? [allowRoles(roles), requireIdempotencyKey] : [allowRoles(roles)],
    security: [{ bearerAuth: [] }],
    description: `${config.description ?? ''}\n\nRoles: ${roles.join(', ')}.`.trim(),
    'x-roles': [...roles],
    responses: { ...config.responses, ...COMMON_PROBLEMS, ...(mutating ? MUTATION_PROBLEMS : {}) },
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
