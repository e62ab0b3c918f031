/**
 * @module Who may call a route: bearer token → actor, then the route's roles.
 */

import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { DEFAULT_AUTH_THROTTLE, recordAuthFailure, throttledUntil } from '../access/throttle.ts';
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
    const { db, clientAddress, authThrottle = DEFAULT_AUTH_THROTTLE } = c.var.deps;
    const client = clientAddress?.(c);
    // The throttle is asked beside the token, not before it: no extra round trip per request.
    const [until, actor] = await Promise.all([
      client ? throttledUntil(db, client, authThrottle) : undefined,
      authenticateToken(db, match[1]),
    ]);
    if (until) throw tooManyFailures(c, until);
    if (!actor) {
      if (client) {
        const recorded = await recordAuthFailure(db, client, authThrottle);
        if (recorded.failures > authThrottle.failureLimit)
          throw tooManyFailures(c, recorded.windowEndsAt);
      }
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

function tooManyFailures(c: Context, until: Date): ProblemError {
  const seconds = Math.max(1, Math.ceil((until.getTime() - Date.now()) / 1000));
  c.header('Retry-After', String(seconds));
  return new ProblemError(
    429,
    'too_many_requests',
    `too many requests with bad tokens from this address; try again in ${seconds} s`,
    { retryAfterSeconds: seconds },
  );
}
