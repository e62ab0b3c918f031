/**
 * Errors outside the routes' own logic: unknown routes and methods, body size and media
 * type, request ids, the probes, and the life of a token (issued, deactivated, revoked).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../src/access/tokens.ts';
import { openDatabase } from '../../src/db/database.ts';
import { createApp } from '../../src/http/app.ts';
import { ProblemError, problemBody, toProblem } from '../../src/http/problem.ts';
import { readinessChecks } from '../../src/node/readiness.ts';
import {
  call,
  createTestApp,
  expectProblem,
  leaksIn,
  publicTables,
  readJson,
  readProblem,
  silentLogger,
  type TestApp,
  tableCounts,
} from './support.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const admin = () => t.users.admin.token;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('routing', () => {
  it('answers an unknown route with a 404 problem', async () => {
    for (const [method, path] of [
      ['GET', '/nope'],
      ['POST', '/admin/nothing-here'],
      ['GET', '/admin/users/extra/segments/here'],
      ['DELETE', '/nowhere'],
    ] as const) {
      const response = await call(t.app, method, path, { token: admin() });
      const problem = await expectProblem(response, 404, 'not_found');
      expect(problem.instance).toBe(path);
      expect(problem.requestId).toBe(response.headers.get('x-request-id'));
    }
  });

  it('answers a known path with the wrong method with 405 and Allow', async () => {
    for (const [method, path, allow] of [
      ['DELETE', '/admin/users', 'GET, POST'],
      ['PUT', '/me', 'GET'],
      ['GET', `/admin/users/${crypto.randomUUID()}/tokens`, 'POST'],
      ['PATCH', '/audit', 'GET'],
    ] as const) {
      const response = await call(t.app, method, path, { token: admin() });
      await expectProblem(response, 405, 'method_not_allowed');
      expect(response.headers.get('allow'), `${method} ${path}`).toBe(allow);
    }
  });
});

describe('routing, look-alike paths', () => {
  // KNOWN BUG (see report): allowedMethods() in src/http/app.ts builds a RegExp from the
  // route path without escaping it, so the "." of /openapi.json matches any character and
  // POST /openapiXjson gets 405 instead of 404. Then drop `.fails`.
  it('answers a path that only resembles a known one with 404', async () => {
    const response = await call(t.app, 'POST', '/openapiXjson', { json: {} });
    await expectProblem(response, 404, 'not_found');
  });
});

describe('request bodies', () => {
  it('refuses a body over the limit with 413, before anything is written', async () => {
    const small = t.variant({ maxBodyBytes: 256 });
    const before = await tableCounts(t.database);
    const big = { name: 'Big Body', role: 'insurer', padding: 'x'.repeat(1000) };
    const response = await call(small, 'POST', '/admin/users', { token: admin(), json: big });
    const problem = await expectProblem(response, 413, 'payload_too_large');
    expect(problem.detail).toContain('256');
    // The same request that fits is accepted by the same app.
    const fits = await call(small, 'POST', '/admin/users', {
      token: admin(),
      json: { name: 'Small Body', role: 'insurer' },
    });
    expect(fits.status).toBe(201);
    const after = await tableCounts(t.database);
    expect(after.app_user).toBe((before.app_user ?? 0) + 1);
  });

  it('applies the default limit of 64 KiB, with or without Content-Length', async () => {
    const raw = JSON.stringify({ name: 'Huge', role: 'insurer', pad: 'y'.repeat(70 * 1024) });
    const streamed = await call(t.app, 'POST', '/admin/users', { token: admin(), raw });
    await expectProblem(streamed, 413, 'payload_too_large');
    const declared = await call(t.app, 'POST', '/admin/users', {
      token: admin(),
      raw,
      headers: { 'content-length': String(new TextEncoder().encode(raw).length) },
    });
    await expectProblem(declared, 413, 'payload_too_large');
    // Refused before authentication when the size is declared up front.
    const anonymous = await call(t.app, 'POST', '/admin/users', {
      raw,
      headers: { 'content-length': String(raw.length) },
    });
    await expectProblem(anonymous, 413, 'payload_too_large');
  });

  it('refuses a body that is not JSON with 415', async () => {
    const before = await tableCounts(t.database);
    for (const contentType of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/xml',
    ]) {
      const response = await call(t.app, 'POST', '/admin/users', {
        token: admin(),
        raw: '{"name":"Text Plain","role":"insurer"}',
        contentType,
      });
      await expectProblem(response, 415, 'unsupported_media_type');
    }
    expect(await tableCounts(t.database)).toEqual(before);
  });

  it('accepts JSON with a charset and +json types', async () => {
    for (const [name, contentType] of [
      ['Charset Json', 'application/json; charset=utf-8'],
      ['Suffix Json', 'application/merge-patch+json'],
    ] as const) {
      const response = await call(t.app, 'POST', '/admin/users', {
        token: admin(),
        raw: JSON.stringify({ name, role: 'insurer' }),
        contentType,
      });
      // +json types are not declared by the route, so they may be refused as a 4xx problem,
      // but never with 415 and never as a 5xx.
      if (contentType.startsWith('application/json')) expect(response.status).toBe(201);
      else expect(response.status).not.toBe(415);
      expect(response.status).toBeLessThan(500);
    }
  });

  it('answers malformed JSON with 400 malformed_json', async () => {
    const response = await call(t.app, 'POST', '/admin/users', {
      token: admin(),
      raw: '{"name": "Broken", ',
    });
    await expectProblem(response, 400, 'malformed_json');
  });

  it('lists each failing field and why on validation errors', async () => {
    const response = await call(t.app, 'POST', '/admin/users', {
      token: admin(),
      json: { name: '', role: 'king', extra: true },
    });
    const problem = await expectProblem(response, 422, 'validation_failed');
    const fields = (problem.errors ?? []).map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['json.name', 'json.role']));
    for (const error of problem.errors ?? []) expect(error.reason.length).toBeGreaterThan(0);
    expect(JSON.stringify(problem)).toMatch(/extra/);
  });
});

describe('problem bodies', () => {
  it('never lets an extension overwrite the members clients rely on', () => {
    const body = problemBody(
      new ProblemError(409, 'conflict', 'the claim is already paid', {
        status: 'paid',
        code: 'other',
        type: 'x',
        detail: 'y',
        facts: { claimId: 'c1' },
      }),
      '/claims/c1',
      'req-1',
    );
    expect(body).toMatchObject({
      type: 'urn:problem:conflict',
      status: 409,
      code: 'conflict',
      detail: 'the claim is already paid',
      instance: '/claims/c1',
      requestId: 'req-1',
      facts: { claimId: 'c1' },
    });
  });

  it('turns an unknown error into a bare 500 that repeats nothing of it', () => {
    const error = Object.assign(new Error('relation "app_user_archive" does not exist'), {
      code: '42P01',
      table: 'app_user_archive',
    });
    const problem = toProblem(error);
    expect(problem.status).toBe(500);
    expect(problem.code).toBe('internal_error');
    const text = JSON.stringify(problemBody(problem, '/x', 'r'));
    expect(text).not.toMatch(/relation|app_user|42P01/);
  });

  it('turns a duplicate the database caught into a 409 and a refused value into a 422, naming no SQL', () => {
    const duplicate = Object.assign(
      new Error('duplicate key value violates unique constraint "app_user_name_key"'),
      { code: '23505', detail: 'Key (name)=(x) already exists.', table: 'app_user' },
    );
    const conflict = toProblem(duplicate);
    expect([conflict.status, conflict.code]).toEqual([409, 'conflict']);
    expect(JSON.stringify(problemBody(conflict, '/x', 'r'))).not.toMatch(
      /duplicate|app_user|23505|Key \(name\)/,
    );
    const nul = toProblem(
      Object.assign(new Error('unsupported Unicode escape sequence'), { code: '22P05' }),
    );
    expect([nul.status, nul.code]).toEqual([422, 'validation_failed']);
    expect(JSON.stringify(problemBody(nul, '/x', 'r'))).not.toMatch(/Unicode escape|22P05/);
  });
});

describe('X-Request-Id', () => {
  it('echoes a well-formed id from the caller, on success and on problems', async () => {
    const id = 'caller-req-0001.a:b_c';
    const ok = await call(t.app, 'GET', '/me', { token: admin(), headers: { 'x-request-id': id } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-request-id')).toBe(id);
    const missing = await call(t.app, 'GET', '/nope', { headers: { 'x-request-id': id } });
    expect(missing.headers.get('x-request-id')).toBe(id);
    expect((await readProblem(missing)).problem.requestId).toBe(id);
    const denied = await call(t.app, 'GET', '/audit', { headers: { 'x-request-id': id } });
    expect(denied.status).toBe(401);
    expect(denied.headers.get('x-request-id')).toBe(id);
  });

  it('replaces a malformed id with one of its own', async () => {
    for (const offered of [
      'short',
      'has spaces in it',
      'x'.repeat(65),
      'semi;colon-1234',
      '<script>1234',
    ]) {
      const response = await call(t.app, 'GET', '/healthz', {
        headers: { 'x-request-id': offered },
      });
      const id = response.headers.get('x-request-id');
      expect(id, offered).not.toBe(offered);
      expect(id, offered).toMatch(UUID);
    }
  });

  it('gives every response an id, different per request', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const response = await call(t.app, 'GET', '/healthz');
      const id = response.headers.get('x-request-id');
      expect(id).toMatch(UUID);
      ids.add(id ?? '');
    }
    expect(ids.size).toBe(5);
  });
});

describe('probes', () => {
  it('GET /healthz answers 200 without a token', async () => {
    const response = await call(t.app, 'GET', '/healthz');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('GET /readyz answers 200 when the database answers', async () => {
    const response = await call(t.app, 'GET', '/readyz');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ready', checks: { database: 'ok' } });
  });

  it('GET /readyz answers 503 and names the check that failed', async () => {
    const app = t.variant({
      readiness: {
        ...readinessChecks(t.database.db, undefined),
        redis: async () => false,
        broken: async () => {
          throw new Error('connect ECONNREFUSED 10.0.0.1:6379');
        },
      },
    });
    const response = await call(app, 'GET', '/readyz');
    expect(response.status).toBe(503);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({
      status: 'unavailable',
      checks: { database: 'ok', redis: 'down', broken: 'down' },
    });
    expect(text).not.toContain('ECONNREFUSED');
  });

  it('reports a database that does not answer: /readyz 503, other routes a bare 500 problem', async () => {
    const unreachable = await openDatabase({
      kind: 'postgres',
      url: 'postgres://postgres@127.0.0.1:1/nowhere',
      poolSize: 1,
    });
    try {
      const app = createApp({
        db: unreachable.db,
        logger: silentLogger,
        readiness: readinessChecks(unreachable.db, undefined),
      });
      const ready = await call(app, 'GET', '/readyz');
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ status: 'unavailable', checks: { database: 'down' } });
      const response = await call(app, 'GET', '/me', { token: admin() });
      const { problem, text } = await readProblem(response);
      expect(response.status).toBe(500);
      expect(problem.code).toBe('internal_error');
      expect(leaksIn(text, await publicTables(t.database))).toEqual([]);
      expect(text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|nowhere|postgres/);
    } finally {
      await unreachable.close();
    }
  });
});

describe('tokens', () => {
  async function newUserWithToken(name: string, role = 'insurer') {
    const created = await call(t.app, 'POST', '/admin/users', {
      token: admin(),
      json: { name, role },
    });
    expect(created.status).toBe(201);
    const userId = String((await readJson(created)).id);
    const issued = await call(t.app, 'POST', `/admin/users/${userId}/tokens`, {
      token: admin(),
      json: { label: 'phone' },
    });
    expect(issued.status).toBe(201);
    const body = await readJson(issued);
    expect(body.userId).toBe(userId);
    return { userId, token: String(body.token), tokenId: String(body.tokenId) };
  }

  it('issues a token that works, stores only its SHA-256, and stops working once revoked', async () => {
    const { userId, token, tokenId } = await newUserWithToken('Token Holder');
    const me = await call(t.app, 'GET', '/me', { token });
    expect(me.status).toBe(200);
    expect(await me.json()).toEqual({ userId, name: 'Token Holder', role: 'insurer' });

    const row = await t.database.db
      .selectFrom('access_token')
      .selectAll()
      .where('id', '=', tokenId)
      .executeTakeFirstOrThrow();
    expect(row.token_hash).toBe(await hashToken(token));
    expect(JSON.stringify(row)).not.toContain(token);
    const listed = await call(t.app, 'GET', '/admin/users', { token: admin() });
    expect(await listed.text()).not.toContain(token);

    const revoked = await call(t.app, 'POST', `/admin/tokens/${tokenId}/revoke`, {
      token: admin(),
    });
    expect(revoked.status).toBe(200);
    expect(await revoked.json()).toMatchObject({ tokenId, revokedAt: expect.any(String) });
    const refused = await call(t.app, 'GET', '/me', { token });
    await expectProblem(refused, 401, 'unauthenticated');
    expect(refused.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    // Other tokens of the same user are unaffected.
    const second = await call(t.app, 'POST', `/admin/users/${userId}/tokens`, {
      token: admin(),
      json: { label: 'laptop' },
    });
    const secondToken = String((await readJson(second)).token);
    expect(secondToken).not.toBe(token);
    expect((await call(t.app, 'GET', '/me', { token: secondToken })).status).toBe(200);
  });

  it('refuses every token of a deactivated user with 401, and issues them no new ones', async () => {
    const { userId, token } = await newUserWithToken('Leaving Soon', 'finance');
    expect((await call(t.app, 'GET', '/me', { token })).status).toBe(200);
    const deactivated = await call(t.app, 'POST', `/admin/users/${userId}/deactivate`, {
      token: admin(),
    });
    expect(deactivated.status).toBe(200);
    expect(await deactivated.json()).toMatchObject({ id: userId, active: false });
    await expectProblem(await call(t.app, 'GET', '/me', { token }), 401, 'unauthenticated');
    await expectProblem(
      await call(t.app, 'GET', '/finance/ledger/trial-balance', { token }),
      401,
      'unauthenticated',
    );
    const more = await call(t.app, 'POST', `/admin/users/${userId}/tokens`, {
      token: admin(),
      json: { label: 'again' },
    });
    await expectProblem(more, 409, 'conflict');
  });

  it('accepts the auth scheme in any case (RFC 9110 §11.1) and refuses other schemes', async () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      const response = await call(t.app, 'GET', '/me', {
        headers: { authorization: `${scheme} ${admin()}` },
      });
      expect(response.status, scheme).toBe(200);
    }
    for (const header of [
      `Basic ${btoa('admin:secret')}`,
      'Bearer',
      'Bearer ',
      `Bearer ${admin()} extra`,
      `Token ${admin()}`,
    ]) {
      const response = await call(t.app, 'GET', '/me', { headers: { authorization: header } });
      await expectProblem(response, 401, 'unauthenticated');
      expect(response.headers.get('www-authenticate'), header).toMatch(/^Bearer\b/);
    }
  });

  it('refuses a token whose expiry has passed', async () => {
    const { tokenId, token } = await newUserWithToken('Expiring Token');
    await t.database.db
      .updateTable('access_token')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('id', '=', tokenId)
      .execute();
    await expectProblem(await call(t.app, 'GET', '/me', { token }), 401, 'unauthenticated');
  });
});
