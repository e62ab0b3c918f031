/**
 * The published contract: /openapi.json is a valid OpenAPI 3.1 document, every operation
 * but the probes states its roles and bearer security, and the document tells the truth
 * about the request bodies it accepts.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  call,
  compilePattern,
  createTestApp,
  fetchSpec,
  fillPath,
  type JsonSchema,
  type OpenApiDocument,
  operationsOf,
  pathParams,
  plausibleParam,
  ROLES,
  readJson,
  requestBodySchema,
  resolveSchema,
  type TestApp,
  violations,
} from './support.ts';

// Published clarifications are public by the scheme's own rule (公开澄清).
const PUBLIC_PATHS = new Set(['/healthz', '/readyz', '/public/clarifications']);

let t: TestApp;
let spec: OpenApiDocument;

beforeAll(async () => {
  t = await createTestApp();
  spec = await fetchSpec(t.app);
});
afterAll(() => t.close());

/** Every schema reachable from `schema`, each once, with where it was found. */
function* walk(
  document: OpenApiDocument,
  schema: JsonSchema,
  at: string,
  seen = new Set<JsonSchema>(),
): Generator<[string, JsonSchema]> {
  const resolved = resolveSchema(document, schema);
  if (seen.has(resolved)) return;
  seen.add(resolved);
  yield [at, resolved];
  for (const [name, property] of Object.entries(resolved.properties ?? {})) {
    yield* walk(document, property, `${at}.${name}`, seen);
  }
  if (resolved.items) yield* walk(document, resolved.items, `${at}[]`, seen);
  if (typeof resolved.additionalProperties === 'object') {
    yield* walk(document, resolved.additionalProperties, `${at}{}`, seen);
  }
  for (const part of [
    ...(resolved.anyOf ?? []),
    ...(resolved.oneOf ?? []),
    ...(resolved.allOf ?? []),
  ]) {
    yield* walk(document, part, at, seen);
  }
}

/**
 * Whether an anchored pattern admits only strings of bounded length: no `+`, `*` or `{n,}`
 * outside character classes (e.g. `^[a-z0-9-]{1,40}$` is bounded, `^[a-z]+$` is not).
 */
function patternBoundsLength(pattern: string): boolean {
  const source = compilePattern(pattern).source;
  if (!source.startsWith('^') || !source.endsWith('$')) return false;
  const skeleton = source.replace(/\\./g, 'e').replace(/\[(?:\\.|[^\]])*\]/g, 'c');
  return !/[+*]|\{\d+,\}/.test(skeleton);
}

/** Every schema a client sends: parameters and request bodies, with where they are. */
function inputSchemas(document: OpenApiDocument): [string, JsonSchema][] {
  const found: [string, JsonSchema][] = [];
  for (const ref of operationsOf(document)) {
    const where = `${ref.method.toUpperCase()} ${ref.path}`;
    for (const parameter of ref.operation.parameters ?? []) {
      if (parameter.schema)
        found.push(
          ...walk(document, parameter.schema, `${where} ${parameter.in}.${parameter.name}`),
        );
    }
    const body = requestBodySchema(document, ref);
    if (body) found.push(...walk(document, body, `${where} body`));
  }
  return found;
}

describe('GET /openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    expect(spec.openapi).toMatch(/^3\.1\./);
    const validator = new Validator();
    const raw = await readJson(await t.app.request('/openapi.json'));
    const result = await validator.validate(raw);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toMatch(/^3\.1/);
  });

  it('has a bearer security scheme', () => {
    expect(spec.components?.securitySchemes?.bearerAuth).toMatchObject({
      type: 'http',
      scheme: 'bearer',
    });
  });

  it('states roles and bearer security on every operation except the probes', () => {
    const operations = operationsOf(spec);
    expect(operations.length).toBeGreaterThan(PUBLIC_PATHS.size);
    for (const { method, path, operation } of operations) {
      const where = `${method.toUpperCase()} ${path}`;
      if (PUBLIC_PATHS.has(path)) {
        expect(operation['x-roles'], where).toBeUndefined();
        expect(operation.security ?? [], where).toEqual([]);
        continue;
      }
      const roles = operation['x-roles'];
      expect(roles, `${where} has no x-roles`).toBeDefined();
      expect(roles?.length, where).toBeGreaterThan(0);
      for (const role of roles ?? []) expect(ROLES, where).toContain(role);
      expect(new Set(roles).size, where).toBe(roles?.length);
      expect(operation.security, where).toEqual([{ bearerAuth: [] }]);
      for (const status of ['401', '403']) {
        expect(operation.responses?.[status], `${where} documents ${status}`).toBeDefined();
      }
    }
  });

  it('asks for an Idempotency-Key on every change', () => {
    for (const { method, path, operation } of operationsOf(spec)) {
      if (method === 'get' || PUBLIC_PATHS.has(path)) continue;
      const key = (operation.parameters ?? []).find(
        (p) => p.in === 'header' && p.name.toLowerCase() === 'idempotency-key',
      );
      expect(key?.required, `${method.toUpperCase()} ${path}`).toBe(true);
      expect(operation.responses?.['428'], `${method.toUpperCase()} ${path}`).toBeDefined();
    }
  });

  it('refuses unknown fields in every request body (strict objects)', () => {
    const open = inputSchemas(spec)
      .filter(([, schema]) => schema.type === 'object' || schema.properties !== undefined)
      .filter(([, schema]) => schema.additionalProperties !== false)
      .map(([at]) => at);
    expect(open).toEqual([]);
  });

  // KNOWN GAP (see report): the dates in src/http/routes/pools.ts (DateSchema: a bare
  // z.string().refine(isLocalDate)) are published as unconstrained strings. Fix: give
  // DateSchema `.regex(/^\d{4}-\d{2}-\d{2}$/)` before the refine and `format: 'date'` in its
  // .openapi(). Then drop `.fails`.
  it('bounds every string a client sends (maxLength, enum, const, a fixed format or pattern)', () => {
    const unbounded: string[] = [];
    for (const [at, schema] of inputSchemas(spec)) {
      const types = typeof schema.type === 'string' ? [schema.type] : (schema.type ?? []);
      if (!types.includes('string')) continue;
      const bounded =
        schema.maxLength !== undefined ||
        (schema.pattern !== undefined && patternBoundsLength(schema.pattern)) ||
        schema.enum !== undefined ||
        'const' in schema ||
        ['uuid', 'date', 'date-time'].includes(schema.format ?? '');
      if (!bounded) unbounded.push(at);
    }
    expect(unbounded).toEqual([]);
  });

  // KNOWN BUG (see report): @asteasolutions/zod-to-openapi turns `.regex(/…/u)` into the
  // pattern "^…$/u" — the flags leak into the published regex, which then matches nothing.
  // NewUser.name and NewToken.label (src/http/routes/admin.ts) are affected. Fix: give those
  // fields `.openapi({ pattern: '^[\\p{L}\\p{N} ._@-]+$' })`. Then drop `.fails`.
  it('publishes plain ECMA-262 patterns, without regex-literal flags', () => {
    for (const [at, schema] of inputSchemas(spec)) {
      if (schema.pattern === undefined) continue;
      expect(() => new RegExp(schema.pattern ?? '', 'u'), at).not.toThrow();
      expect(schema.pattern, `${at} carries leaked flags`).not.toMatch(/\/[dgimsuvy]+$/);
    }
  });

  it('gives examples that satisfy their own schemas (as far as the document says)', () => {
    const wrong = inputSchemas(spec)
      .filter(([, schema]) => schema.example !== undefined && schema.type !== 'object')
      .flatMap(([at, schema]) => violations(spec, schema, schema.example).map((v) => `${at} ${v}`));
    expect(wrong).toEqual([]);
  });

  // KNOWN BUG (see report): the NewUser example name "Li Na (claims)" has parentheses, which
  // the name rule refuses, so the documented example gets 422. Fix in
  // src/http/routes/admin.ts: example `{ name: 'Li Na', role: 'insurer' }`. Then drop `.fails`.
  it('gives request-body examples that the server accepts', async () => {
    for (const ref of operationsOf(spec)) {
      const body = requestBodySchema(spec, ref);
      if (body?.example === undefined) continue;
      const where = `${ref.method.toUpperCase()} ${ref.path}`;
      expect(violations(spec, body, body.example), `${where} example`).toEqual([]);
      const role = ref.operation['x-roles']?.[0] ?? 'admin';
      const params = Object.fromEntries(
        pathParams(ref).map((p) => [
          p.name,
          p.name === 'userId' ? t.users.reform_office.id : plausibleParam(p),
        ]),
      );
      const response = await call(t.app, ref.method, fillPath(ref.path, params), {
        token: t.users[role as keyof typeof t.users].token,
        json: body.example,
      });
      // Path ids are made up, so 404 or 409 may follow; the body itself must pass validation.
      const text = await response.text();
      expect([400, 422], `${where}: ${text}`).not.toContain(response.status);
      expect(response.status, `${where}: ${text}`).toBeLessThan(500);
    }
  });
});

describe('GET /docs', () => {
  it('serves the API reference as HTML', async () => {
    const response = await t.app.request('/docs');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html\b/);
    const html = await response.text();
    expect(html).toMatch(/<html/i);
    expect(html).toContain('/openapi.json');
  });
});
