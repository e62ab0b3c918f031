/**
 * @module The Hono app: Web-standard only (Request, Response, Web Crypto), so the same app
 * serves from Node and from Workers. Routes are grouped by who uses them; every error
 * leaves through `onError` as an RFC 9457 problem.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { createMiddleware } from 'hono/factory';
import { HTTPException } from 'hono/http-exception';
import { routePath } from 'hono/route';
import { MAX_DOCUMENT_BYTES } from '../claims/documents.ts';
import { registerConsole } from '../console/index.ts';
import { registerDocsRoutes, TAGS_BY_ROLE } from './docs.ts';
import type { AppDependencies, AppEnv } from './env.ts';
import {
  type ProblemCode,
  ProblemError,
  problemBody,
  toProblem,
  validationProblem,
} from './problem.ts';
import { type RouteApp, validationHook } from './route.ts';
import { adminRoutes } from './routes/admin.ts';
import { auditRoutes } from './routes/audit.ts';
import { calendarRoutes } from './routes/calendar.ts';
import { claimRoutes } from './routes/claims/claims.ts';
import { decisionRoutes } from './routes/claims/decisions.ts';
import { documentRoutes } from './routes/claims/documents.ts';
import { incidentRoutes } from './routes/claims/incidents.ts';
import { lossRunRoutes } from './routes/claims/loss-run.ts';
import { recoveryRoutes } from './routes/claims/recoveries.ts';
import { reserveRoutes } from './routes/claims/reserves.ts';
import { clarificationRoutes } from './routes/exemption/clarifications.ts';
import { exemptionDecisionRoutes } from './routes/exemption/decisions.ts';
import { investigationRoutes } from './routes/exemption/investigations.ts';
import { specialGroupRoutes } from './routes/exemption/special-group.ts';
import { financeRoutes } from './routes/finance.ts';
import { healthRoutes } from './routes/health.ts';
import { ledgerRoutes } from './routes/ledger.ts';
import { meRoutes } from './routes/me.ts';
import { payoutRoutes } from './routes/payouts.ts';
import { alertRoutes } from './routes/pools/alerts.ts';
import { moneyRoutes } from './routes/pools/money.ts';
import { poolRoutes } from './routes/pools/pools.ts';
import { filingImportRoutes } from './routes/registry/filing-import.ts';
import { filingRoutes } from './routes/registry/filings.ts';
import { projectRoutes, riskPointRoutes } from './routes/registry/projects.ts';
import { referenceListRoutes } from './routes/registry/reference-lists.ts';
import { statementRoutes } from './routes/statements.ts';
import { unsafeTextFields } from './text-safety.ts';

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,64}$/;
const DEFAULT_MAX_BODY_BYTES = 64 * 1024;
const DOCUMENT_UPLOAD = /^\/insurer\/claims\/[^/]+\/lines\/[^/]+\/documents$/;
/** The largest document as base64, and its metadata. */
const DOCUMENT_UPLOAD_BODY_BYTES = Math.ceil(MAX_DOCUMENT_BYTES / 3) * 4 + 4096;
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

export type App = OpenAPIHono<AppEnv>;

/**
 * Every resource's routes, each a sub-app mounted at `/` (their paths are written in full).
 * A path that could also match a parameter of another (`/filings/deadlines`) is registered
 * in its module before that parameter's route.
 */
const RESOURCES: readonly (() => RouteApp)[] = [
  healthRoutes,
  meRoutes,
  adminRoutes,
  auditRoutes,
  ledgerRoutes,
  poolRoutes,
  moneyRoutes,
  alertRoutes,
  projectRoutes,
  riskPointRoutes,
  filingRoutes,
  referenceListRoutes,
  filingImportRoutes,
  calendarRoutes,
  incidentRoutes,
  claimRoutes,
  decisionRoutes,
  documentRoutes,
  reserveRoutes,
  recoveryRoutes,
  lossRunRoutes,
  investigationRoutes,
  exemptionDecisionRoutes,
  clarificationRoutes,
  specialGroupRoutes,
  payoutRoutes,
  statementRoutes,
  financeRoutes,
];

function requestContext(deps: AppDependencies) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const offered = c.req.header('x-request-id');
    const requestId = offered && REQUEST_ID.test(offered) ? offered : crypto.randomUUID();
    const logger = deps.logger.child({ requestId });
    c.set('deps', deps);
    c.set('requestId', requestId);
    c.set('logger', logger);
    const started = Date.now();
    await next();
    c.header('X-Request-Id', requestId);
    deps.observeRequest?.({
      method: c.req.method,
      route: registeredRoute(c),
      status: c.res.status,
      seconds: (Date.now() - started) / 1000,
      replayed: c.res.headers.get('Idempotent-Replayed') === 'true',
    });
    c.var.logger.info(
      {
        method: c.req.method,
        path: new URL(c.req.url).pathname,
        status: c.res.status,
        ms: Date.now() - started,
      },
      'request',
    );
  });
}

/** The route as registered (`/pools/:pool/coverage`), so metrics never carry ids; `unmatched` for a 404. */
function registeredRoute(c: Context<AppEnv>): string {
  const path = routePath(c, -1);
  return path === '*' || path === '/*' ? 'unmatched' : path;
}

const jsonBodiesOnly = createMiddleware<AppEnv>(async (c, next) => {
  if (BODY_METHODS.has(c.req.method)) {
    const type = c.req.header('content-type');
    const hasBody =
      c.req.header('content-length') !== '0' && (type !== undefined || c.req.raw.body !== null);
    if (hasBody && type !== undefined && !/^application\/(.+\+)?json\b/i.test(type)) {
      throw new ProblemError(415, 'unsupported_media_type', 'send the body as application/json');
    }
  }
  await next();
});

/**
 * Refuses a JSON body whose text could not be stored as sent or would mislead a reader. The
 * raw text is read (and so cached) first, so the route's own validator parses the same bytes
 * and still answers malformed JSON itself.
 */
const safeTextOnly = createMiddleware<AppEnv>(async (c, next) => {
  const type = c.req.header('content-type');
  if (BODY_METHODS.has(c.req.method) && type && /^application\/(.+\+)?json\b/i.test(type)) {
    const text = await c.req.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const errors = unsafeTextFields(parsed);
    if (errors.length > 0)
      throw validationProblem(errors, 'the body contains text that cannot be kept');
  }
  await next();
});

export function respondWithProblem(c: Context<AppEnv>, problem: ProblemError): Response {
  const body = problemBody(problem, new URL(c.req.url).pathname, c.var.requestId ?? '');
  if (problem.status === 405 && typeof problem.extensions.allow === 'string')
    c.header('Allow', problem.extensions.allow);
  // A body refused for its size was not read: the connection cannot carry another request,
  // so say so, and a pooled client opens a new one instead of failing on this one.
  if (problem.status === 413) c.header('Connection', 'close');
  c.header('X-Request-Id', c.var.requestId ?? '');
  return c.body(JSON.stringify(body), problem.status as 400, {
    'Content-Type': 'application/problem+json',
  });
}

export function createApp(deps: AppDependencies): App {
  const app: App = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use('*', requestContext(deps));
  const maxBodyBytes = deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const limitTo = (maxSize: number) =>
    bodyLimit({
      maxSize,
      onError: () => {
        throw new ProblemError(
          413,
          'payload_too_large',
          `request bodies are limited to ${maxSize} bytes`,
        );
      },
    });
  const generalLimit = limitTo(maxBodyBytes);
  // A document upload carries its file as base64: room for the largest document, no more.
  const documentLimit = limitTo(Math.max(maxBodyBytes, DOCUMENT_UPLOAD_BODY_BYTES));
  app.use('*', (c, next) =>
    DOCUMENT_UPLOAD.test(c.req.path) ? documentLimit(c, next) : generalLimit(c, next),
  );
  // The console posts HTML forms, so it is mounted before the JSON-only rule; what it
  // changes it forwards to the API routes below as JSON.
  registerConsole(app);
  app.use('*', jsonBodiesOnly);
  app.use('*', safeTextOnly);

  for (const resource of RESOURCES) app.route('/', resource());

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'A token issued by an admin (or printed at embedded start-up)',
  });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Reform risk pool and claims ledger',
      version: '0.1.0',
      description:
        'Risk pool (1:50, 500,000.00 per incident, 5,000,000.00 cumulative), claims and a double-entry ledger. Amounts are strings with at most two decimals. Every change takes an Idempotency-Key header.',
    },
    tags: TAGS_BY_ROLE.flatMap((group) => group.tags),
    'x-tagGroups': TAGS_BY_ROLE.map((group) => ({
      name: group.name,
      tags: group.tags.map((tag) => tag.name),
    })),
  });
  registerDocsRoutes(app, deps.docsScript);

  app.notFound((c) => {
    const allowed = allowedMethods(app, new URL(c.req.url).pathname);
    if (allowed.length > 0) {
      return respondWithProblem(
        c,
        new ProblemError(
          405,
          'method_not_allowed',
          `${c.req.method} is not allowed here; use ${allowed.join(', ')}`,
          {
            allow: allowed.join(', '),
          },
        ),
      );
    }
    return respondWithProblem(
      c,
      new ProblemError(404, 'not_found', `no route ${c.req.method} ${new URL(c.req.url).pathname}`),
    );
  });

  app.onError((error, c) => {
    let problem: ProblemError;
    if (error instanceof HTTPException) {
      problem = httpExceptionProblem(error);
      // Basic authentication (the queue dashboard) names its realm so a browser asks.
      const challenge = error.getResponse().headers.get('WWW-Authenticate');
      if (challenge) c.header('WWW-Authenticate', challenge);
    } else {
      problem = toProblem(error);
    }
    if (problem.status >= 500) {
      (c.var.logger ?? deps.logger).error(
        {
          err:
            error instanceof Error ? { message: error.message, stack: error.stack } : String(error),
        },
        'unhandled error',
      );
    }
    return respondWithProblem(c, problem);
  });
  return app;
}

const HTTP_EXCEPTION_CODES: Readonly<Record<number, ProblemCode>> = {
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
};

/** Hono's own exceptions (body parsing, basic auth, body limit) as documented problem codes. */
function httpExceptionProblem(error: HTTPException): ProblemError {
  if (error.status === 400 && /json/i.test(error.message))
    return new ProblemError(400, 'malformed_json', 'the body is not valid JSON');
  if (error.status === 401)
    return new ProblemError(401, 'unauthenticated', 'credentials are missing or not valid');
  const code =
    HTTP_EXCEPTION_CODES[error.status] ??
    (error.status >= 500 ? 'internal_error' : 'validation_failed');
  return new ProblemError(error.status, code, error.message || 'the request is not valid');
}

/** Methods registered for a path, so an unknown method gets 405 with Allow, not 404. */
function allowedMethods(app: App, pathname: string): string[] {
  const methods = new Set<string>();
  for (const route of app.routes) {
    if (route.method === 'ALL' || route.path.includes('*')) continue;
    const literal = route.path.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
    const pattern = new RegExp(`^${literal.replace(/:[^/]+/g, '[^/]+')}$`);
    if (pattern.test(pathname)) methods.add(route.method);
  }
  return [...methods].sort();
}
