/**
 * @module Who may call a route: bearer token → actor, then the route's roles.
 */
import { createMiddleware } from 'hono/factory';
import { authenticateToken } from '../access/tokens.ts';
import type { Role } from '../db/schema.ts';
import type { AppEnv } from './env.ts';
import { ProblemError } from './problem.ts';

// The auth scheme is case-insensitive (RFC 9110 §11.1): "bearer x" is as good as "Bearer x".
const BEARER = /^Bearer +([A-Za-z0-9_-]{1,200})$/i;

export function allowRoles(roles: readonly Role[]) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const match = BEARER.exec(c.req.header('authorization') ?? '');
    if (!match?.[1]) {
      // A 401 must say how to authenticate (RFC 9110 §15.5.2, RFC 6750 §3).
      c.header('WWW-Authenticate', 'Bearer');
      throw new ProblemError(
        401,
        'unauthenticated',
        'send a bearer token: Authorization: Bearer <token>',
      );
    }
    const actor = await authenticateToken(c.var.deps.db, match[1]);
    if (!actor) {
      c.header('WWW-Authenticate', 'Bearer error="invalid_token"');
      throw new ProblemError(401, 'unauthenticated', 'the token is unknown, revoked or expired');
    }
    if (!roles.includes(actor.role)) {
      throw new ProblemError(
        403,
        'forbidden',
        `this route is for ${roles.join(', ')}; your role is ${actor.role}`,
      );
    }
    c.set('actor', actor);
    c.set('logger', c.var.logger.child({ actor: actor.name, role: actor.role }));
    await next();
  });
}
