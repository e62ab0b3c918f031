/**
 * The role matrix, generated from the app's own /openapi.json: every operation that states
 * `x-roles` is called with no token, a malformed token, an unknown token, a revoked token and
 * each role's token. A route added later is in the matrix without anyone writing a test,
 * and a route that bypasses the document fails the first test below.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken } from '../../src/access/tokens.ts';
import type { Role } from '../../src/db/schema.ts';
import {
  call,
  createTestApp,
  expectProblem,
  fillPath,
  loadSpec,
  type OperationRef,
  operationsOf,
  pathParams,
  plausibleParam,
  ROLES,
  type TestApp,
  tableCounts,
} from './support.ts';

const spec = await loadSpec();
const guarded = operationsOf(spec).filter((ref) => ref.operation['x-roles'] !== undefined);

/** Served without a token on purpose: the probes, the document and its viewer, clarifications. */
const PUBLIC_ROUTES = new Set([
  'GET /healthz',
  'GET /readyz',
  'GET /openapi.json',
  'GET /docs',
  'GET /docs/scalar.js',
  'GET /public/clarifications',
]);
/** The console's pages are no API routes: they call the routes this matrix covers, with the
 * signed-in user's token, and test/console checks their role gates in a browser. */
const isConsolePage = (route: string) => route === 'GET /' || /^[A-Z]+ \/console(\/|$)/.test(route);

let t: TestApp;
let revokedToken: string;

beforeAll(async () => {
  t = await createTestApp();
  const issued = await issueToken(t.database.db, t.users.admin.id, 'to be revoked');
  await t.database.db
    .updateTable('access_token')
    .set({ revoked_at: new Date() })
    .where('id', '=', issued.tokenId)
    .execute();
  revokedToken = issued.token;
});
afterAll(() => t.close());

function request(ref: OperationRef, token: string | null): Promise<Response> {
  const params = Object.fromEntries(pathParams(ref).map((p) => [p.name, plausibleParam(p)]));
  const path = fillPath(ref.path, params);
  return ref.method === 'get'
    ? call(t.app, ref.method, path, { token })
    : call(t.app, ref.method, path, { token, json: {} });
}

it('documents every route the app serves, so the matrix covers them all', () => {
  const served = new Set<string>();
  for (const route of t.app.routes) {
    if (route.method === 'ALL' || route.path.includes('*')) continue;
    if (isConsolePage(`${route.method} ${route.path}`)) continue;
    served.add(`${route.method} ${route.path.replace(/:([^/{}]+)/g, '{$1}')}`);
  }
  const documented = new Set(operationsOf(spec).map((r) => `${r.method.toUpperCase()} ${r.path}`));
  const undocumented = [...served].filter((r) => !documented.has(r) && !PUBLIC_ROUTES.has(r));
  expect(undocumented).toEqual([]);
  const guardedKeys = new Set(guarded.map((r) => `${r.method.toUpperCase()} ${r.path}`));
  const unguarded = [...served].filter((r) => !guardedKeys.has(r) && !PUBLIC_ROUTES.has(r));
  expect(unguarded).toEqual([]);
  expect(guarded.length).toBeGreaterThanOrEqual(5);
});

const unauthenticated: [string, () => string | null][] = [
  ['no token', () => null],
  ['a malformed token', () => 'not a token!'],
  ['an unknown token', () => `rp_${'A'.repeat(20)}${crypto.randomUUID().replaceAll('-', '')}`],
  ['a revoked admin token', () => revokedToken],
];

describe.each(guarded)('$method $path', (ref) => {
  const allowed = new Set(ref.operation['x-roles']);

  it.each(unauthenticated)('refuses %s with 401', async (_, token) => {
    const before = await tableCounts(t.database);
    const response = await request(ref, token());
    const problem = await expectProblem(response, 401, 'unauthenticated');
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer\b/);
    expect(problem.detail).not.toMatch(/rp_/);
    expect(await tableCounts(t.database)).toEqual(before);
  });

  it.each(ROLES)('answers %s by its x-roles', async (role: Role) => {
    const before = await tableCounts(t.database);
    const response = await request(ref, t.users[role].token);
    if (allowed.has(role)) {
      const text = await response.clone().text();
      expect([401, 403], text).not.toContain(response.status);
      expect(response.status, text).toBeLessThan(500);
    } else {
      await expectProblem(response, 403, 'forbidden');
      expect(await tableCounts(t.database)).toEqual(before);
    }
  });
});
