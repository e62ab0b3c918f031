/**
 * Shared helpers for the HTTP tests: the app on a fresh PostgreSQL database with one user
 * and token per role, requests driven in-process, problem-body checks, and a typed view of
 * the app's own /openapi.json so tests can be generated from the route table.
 */
import { sql } from 'kysely';
import { expect } from 'vitest';
import { createUser, issueToken, ROLES } from '../../src/access/tokens.ts';
import { openDatabase } from '../../src/db/database.ts';
import type { Role } from '../../src/db/schema.ts';
import { type App, createApp } from '../../src/http/app.ts';
import type { AppDependencies, Logger, ReadinessCheck } from '../../src/http/env.ts';
import { readinessChecks } from '../../src/node/readiness.ts';
import { COUNTY_REQUIRED_DOCUMENTS } from '../../src/policy/required-documents.ts';
import { freshPostgres, type TestDatabase } from '../support/database.ts';
import { ADMIN_DATABASE_URL } from '../support/env.ts';

export { ROLES };

/** A logger that says nothing: the tests read responses, not logs. */
export const silentLogger: Logger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};

export interface RoleUser {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  readonly token: string;
  readonly tokenId: string;
}

export interface AppOptions {
  readonly maxBodyBytes?: number;
  readonly observeRequest?: AppDependencies['observeRequest'];
  readonly docsScript?: AppDependencies['docsScript'];
  /** The moment "today" is judged from; the real clock when omitted. */
  readonly clock?: () => Date;
  readonly readiness?: Readonly<Record<string, ReadinessCheck>>;
  readonly clientAddress?: AppDependencies['clientAddress'];
  readonly authThrottle?: AppDependencies['authThrottle'];
}

export interface TestApp {
  readonly app: App;
  readonly database: TestDatabase;
  readonly users: Readonly<Record<Role, RoleUser>>;
  /**
   * A second insurer user who takes claims in: the submitter of a claim may neither decide
   * nor confirm it, so flows submit with this one and decide with `users.insurer`.
   */
  readonly intake: RoleUser;
  /** Another app over the same database, e.g. with a smaller body limit or failing checks. */
  variant(options: AppOptions): App;
  close(): Promise<void>;
}

export async function createTestApp(options: AppOptions = {}): Promise<TestApp> {
  const database = await freshPostgres();
  const users: Partial<Record<Role, RoleUser>> = {};
  for (const role of ROLES) {
    const user = await createUser(database.db, `test-${role.replace('_', '-')}`, role, null);
    const issued = await issueToken(database.db, user.id, 'test');
    users[role] = {
      id: user.id,
      name: user.name,
      role,
      token: issued.token,
      tokenId: issued.tokenId,
    };
  }
  const intakeUser = await createUser(database.db, 'test-insurer-intake', 'insurer', null);
  const intakeToken = await issueToken(database.db, intakeUser.id, 'test');
  const intake: RoleUser = {
    id: intakeUser.id,
    name: intakeUser.name,
    role: 'insurer',
    token: intakeToken.token,
    tokenId: intakeToken.tokenId,
  };
  const build = (opts: AppOptions): App => {
    const deps: AppDependencies = {
      db: database.db,
      logger: silentLogger,
      readiness: opts.readiness ?? readinessChecks(database.db, undefined),
      ...(opts.maxBodyBytes === undefined ? {} : { maxBodyBytes: opts.maxBodyBytes }),
      ...(opts.clientAddress === undefined ? {} : { clientAddress: opts.clientAddress }),
      ...(opts.authThrottle === undefined ? {} : { authThrottle: opts.authThrottle }),
      ...(opts.observeRequest === undefined ? {} : { observeRequest: opts.observeRequest }),
      ...(opts.docsScript === undefined ? {} : { docsScript: opts.docsScript }),
      ...(opts.clock === undefined ? {} : { clock: opts.clock }),
    };
    return createApp(deps);
  };
  return {
    app: build(options),
    database,
    users: users as Record<Role, RoleUser>,
    intake,
    variant: build,
    close: () => database.close(),
  };
}

export const freshKey = (): string => `test-${crypto.randomUUID()}`;

export interface CallOptions {
  /** Bearer token; omitted or null sends no Authorization header. */
  readonly token?: string | null;
  /** Serialised as JSON with Content-Type application/json. */
  readonly json?: unknown;
  /** Sent verbatim (with `contentType`, default application/json). */
  readonly raw?: string;
  readonly contentType?: string;
  /** Non-GET requests get a fresh key unless a key, or null for none, is given. */
  readonly idempotencyKey?: string | null;
  readonly headers?: Readonly<Record<string, string>>;
}

export function call(
  app: App,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<Response> {
  const headers = new Headers(options.headers);
  if (options.token) headers.set('authorization', `Bearer ${options.token}`);
  const key =
    options.idempotencyKey === undefined
      ? method.toUpperCase() === 'GET'
        ? null
        : freshKey()
      : options.idempotencyKey;
  if (key !== null) headers.set('idempotency-key', key);
  let body: string | undefined;
  if (options.raw !== undefined) body = options.raw;
  else if (options.json !== undefined) body = JSON.stringify(options.json);
  if (body !== undefined) headers.set('content-type', options.contentType ?? 'application/json');
  return Promise.resolve(
    app.request(path, {
      method: method.toUpperCase(),
      headers,
      ...(body === undefined ? {} : { body }),
    }),
  );
}

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly instance?: string;
  readonly requestId?: string;
  readonly errors?: readonly { readonly field: string; readonly reason: string }[];
  readonly [extension: string]: unknown;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Problems that a response body must never show, whatever the request: stack traces, SQL,
 * source paths, internal table names. `echoed` are strings the caller itself sent, which
 * the answer may quote back (e.g. a path in `instance`) without leaking anything.
 */
export function leaksIn(
  text: string,
  tableNames: readonly string[],
  echoed: readonly string[] = [],
) {
  let scrubbed = text;
  for (const sent of echoed) {
    const forms = new Set([
      sent,
      JSON.stringify(sent).slice(1, -1),
      encodeURIComponent(sent),
      encodeURI(sent),
    ]);
    for (const form of forms) if (form.length > 0) scrubbed = scrubbed.split(form).join('');
  }
  const found: string[] = [];
  if (/\bstack\b/i.test(scrubbed)) found.push('stack');
  for (const keyword of ['SELECT', 'INSERT', 'UPDATE ', 'DELETE FROM', ' FROM "', 'RETURNING']) {
    if (scrubbed.includes(keyword)) found.push(keyword);
  }
  if (/\bat\s+\S*[/\\]\S+\.(?:[cm]?[jt]s)\b/.test(scrubbed)) found.push('at <file path>');
  if (/node_modules|file:\/\/|\/work\/|\/src\//.test(scrubbed)) found.push('source path');
  for (const table of tableNames) if (scrubbed.includes(table)) found.push(table);
  return found;
}

/** Reads a response that must be an RFC 9457 problem and checks the invariant fields. */
export async function readProblem(response: Response): Promise<{ problem: Problem; text: string }> {
  expect(response.headers.get('content-type') ?? '').toMatch(/^application\/problem\+json\b/);
  const text = await response.text();
  const parsed: unknown = JSON.parse(text);
  if (!isRecord(parsed)) throw new Error(`problem body is not an object: ${text}`);
  expect(parsed).toMatchObject({
    type: expect.any(String),
    title: expect.any(String),
    status: response.status,
    code: expect.any(String),
    detail: expect.any(String),
  });
  expect(String(parsed.code)).toMatch(/^[a-z][a-z_]*$/);
  expect(String(parsed.detail).length).toBeGreaterThan(0);
  return { problem: parsed as Problem, text };
}

export async function expectProblem(
  response: Response,
  status: number,
  code?: string,
): Promise<Problem> {
  const { problem, text } = await readProblem(response);
  expect(response.status, text).toBe(status);
  if (code !== undefined) expect(problem.code, text).toBe(code);
  return problem;
}

export async function readJson(response: Response): Promise<Record<string, unknown>> {
  const parsed: unknown = await response.json();
  if (!isRecord(parsed)) throw new Error('expected a JSON object');
  return parsed;
}

/** Row counts of every table in the public schema, to prove a request wrote nothing. */
export async function tableCounts(database: TestDatabase): Promise<Record<string, number>> {
  const tables = await publicTables(database);
  const counts = tables.map(
    (table) =>
      sql<{
        name: string;
        n: number;
      }>`SELECT ${table} AS name, count(*)::int AS n FROM ${sql.table(table)}`,
  );
  const { rows } = await sql<{
    name: string;
    n: number;
  }>`${sql.join(counts, sql` UNION ALL `)}`.execute(database.db);
  return Object.fromEntries(rows.map((row) => [row.name, row.n]));
}

export async function publicTables(database: TestDatabase): Promise<string[]> {
  const { rows } = await sql<{ table_name: string }>`
    SELECT table_name FROM information_schema.tables
    WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
    ORDER BY table_name
  `.execute(database.db);
  return rows.map((row) => row.table_name);
}

// --- The OpenAPI document, as far as the tests read it -----------------------------------

export interface JsonSchema {
  readonly $ref?: string;
  readonly type?: string | readonly string[];
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean | JsonSchema;
  readonly items?: JsonSchema;
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly format?: string;
  readonly pattern?: string;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly anyOf?: readonly JsonSchema[];
  readonly oneOf?: readonly JsonSchema[];
  readonly allOf?: readonly JsonSchema[];
  readonly example?: unknown;
  readonly default?: unknown;
}

export interface Parameter {
  readonly name: string;
  readonly in: 'path' | 'query' | 'header' | 'cookie';
  readonly required?: boolean;
  readonly schema?: JsonSchema;
}

export interface Operation {
  readonly operationId?: string;
  readonly security?: readonly Readonly<Record<string, readonly string[]>>[];
  readonly 'x-roles'?: readonly string[];
  readonly parameters?: readonly Parameter[];
  readonly requestBody?: {
    readonly required?: boolean;
    readonly content?: Readonly<Record<string, { readonly schema?: JsonSchema }>>;
  };
  readonly responses?: Readonly<Record<string, unknown>>;
}

export interface OpenApiDocument {
  readonly openapi: string;
  readonly paths: Readonly<Record<string, Readonly<Record<string, Operation>>>>;
  readonly components?: {
    readonly schemas?: Readonly<Record<string, JsonSchema>>;
    readonly securitySchemes?: Readonly<Record<string, unknown>>;
  };
}

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

export interface OperationRef {
  readonly method: string;
  /** As in the document: /admin/users/{userId}/tokens */
  readonly path: string;
  readonly operation: Operation;
}

export async function fetchSpec(app: App): Promise<OpenApiDocument> {
  const response = await app.request('/openapi.json');
  expect(response.status).toBe(200);
  return (await response.json()) as OpenApiDocument;
}

/**
 * The document, read at collection time so tests can be generated per operation. Serving
 * it touches no table, so the app gets a pool that never connects.
 */
export async function loadSpec(): Promise<OpenApiDocument> {
  const handle = await openDatabase({ kind: 'postgres', url: ADMIN_DATABASE_URL, poolSize: 1 });
  try {
    return await fetchSpec(createApp({ db: handle.db, logger: silentLogger, readiness: {} }));
  } finally {
    await handle.close();
  }
}

export function operationsOf(spec: OpenApiDocument): OperationRef[] {
  const refs: OperationRef[] = [];
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (HTTP_METHODS.includes(method)) refs.push({ method, path, operation });
    }
  }
  return refs;
}

/** Follows a local $ref (#/components/schemas/X) until a schema with content is reached. */
export function resolveSchema(spec: OpenApiDocument, schema: JsonSchema): JsonSchema {
  let current = schema;
  for (let depth = 0; current.$ref !== undefined; depth++) {
    const name = /^#\/components\/schemas\/(.+)$/.exec(current.$ref)?.[1];
    const target = name === undefined ? undefined : spec.components?.schemas?.[name];
    if (target === undefined || depth > 20) throw new Error(`cannot resolve ${current.$ref}`);
    current = target;
  }
  return current;
}

export function pathParams(ref: OperationRef): Parameter[] {
  return (ref.operation.parameters ?? []).filter((p) => p.in === 'path');
}

export function requestBodySchema(
  spec: OpenApiDocument,
  ref: OperationRef,
): JsonSchema | undefined {
  const content = ref.operation.requestBody?.content;
  if (!content) return undefined;
  const json = Object.entries(content).find(([type]) => /^application\/(.+\+)?json$/.test(type));
  return json?.[1].schema === undefined ? undefined : resolveSchema(spec, json[1].schema);
}

/** A plausible value for a path parameter: a random UUID, or an account-code-like string. */
export function plausibleParam(parameter: Parameter): string {
  const schema = parameter.schema ?? {};
  if (schema.format === 'uuid') return crypto.randomUUID();
  if (typeof schema.example === 'string') return schema.example;
  if (schema.enum?.length && typeof schema.enum[0] === 'string') return schema.enum[0];
  return parameter.name === 'code' ? 'cash:fund' : crypto.randomUUID();
}

export function fillPath(path: string, values: Readonly<Record<string, string>>): string {
  return path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no value for path parameter ${name}`);
    return encodeURIComponent(value);
  });
}

// --- A small JSON Schema checker ---------------------------------------------------------
// Enough of JSON Schema 2020-12 to judge request bodies against the published document:
// type, enum, const, format (uuid, date, date-time), pattern, lengths, bounds, properties,
// required, additionalProperties, items, anyOf/oneOf/allOf. Keywords it does not know are
// ignored, so it can call an invalid value valid but never the reverse — the bad-input test
// only sends values it finds invalid.

/**
 * A `pattern` as published. @asteasolutions/zod-to-openapi writes a regex that has flags as
 * "source/flags" (e.g. `^[\p{L}]+$/u`); openapi.test.ts pins that bug. Here it is read as
 * its author meant, so generated values are judged against the rule the server applies.
 */
export function compilePattern(pattern: string): RegExp {
  const leaked = /^(.*\$)\/[dgimsuvy]+$/.exec(pattern);
  return new RegExp(leaked?.[1] ?? pattern, 'u');
}

export function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

function formatHolds(format: string, value: string): boolean {
  switch (format) {
    case 'uuid':
      return UUID.test(value);
    case 'date':
      return DATE.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`));
    case 'date-time':
      return DATE_TIME.test(value) && !Number.isNaN(Date.parse(value));
    default:
      return true;
  }
}

function typeAllows(type: string | readonly string[] | undefined, value: unknown): boolean {
  if (type === undefined) return true;
  const actual = jsonType(value);
  const allowed = typeof type === 'string' ? [type] : type;
  return allowed.some((t) => t === actual || (t === 'number' && actual === 'integer'));
}

/** Why `value` does not satisfy `schema` (empty: as far as this checker knows, it does). */
export function violations(
  spec: OpenApiDocument,
  raw: JsonSchema,
  value: unknown,
  at = '$',
): string[] {
  const schema = resolveSchema(spec, raw);
  const found: string[] = [];
  if (!typeAllows(schema.type, value)) {
    return [`${at}: ${jsonType(value)} is not ${String(schema.type)}`];
  }
  if (schema.enum && !schema.enum.some((option) => option === value)) {
    found.push(`${at}: not one of the enum`);
  }
  if ('const' in schema && schema.const !== value) found.push(`${at}: not the const`);
  if (typeof value === 'string') {
    const length = [...value].length;
    if (schema.minLength !== undefined && length < schema.minLength) found.push(`${at}: too short`);
    if (schema.maxLength !== undefined && length > schema.maxLength) found.push(`${at}: too long`);
    if (schema.pattern !== undefined && !compilePattern(schema.pattern).test(value)) {
      found.push(`${at}: does not match ${schema.pattern}`);
    }
    if (schema.format !== undefined && !formatHolds(schema.format, value)) {
      found.push(`${at}: not a ${schema.format}`);
    }
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) found.push(`${at}: below minimum`);
    if (schema.maximum !== undefined && value > schema.maximum) found.push(`${at}: above maximum`);
  }
  if (isRecord(value)) {
    for (const name of schema.required ?? []) {
      if (!Object.hasOwn(value, name)) found.push(`${at}.${name}: required`);
    }
    for (const [name, item] of Object.entries(value)) {
      const property = schema.properties?.[name];
      if (property !== undefined) found.push(...violations(spec, property, item, `${at}.${name}`));
      else if (schema.additionalProperties === false) found.push(`${at}.${name}: not allowed`);
      else if (typeof schema.additionalProperties === 'object') {
        found.push(...violations(spec, schema.additionalProperties, item, `${at}.${name}`));
      }
    }
  }
  if (Array.isArray(value) && schema.items !== undefined) {
    const items = schema.items;
    value.forEach((item, index) => {
      found.push(...violations(spec, items, item, `${at}[${index}]`));
    });
  }
  for (const part of schema.allOf ?? []) found.push(...violations(spec, part, value, at));
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (
    alternatives &&
    !alternatives.some((part) => violations(spec, part, value, at).length === 0)
  ) {
    found.push(`${at}: matches none of the alternatives`);
  }
  return found;
}

const STRING_CANDIDATES = ['Example', 'abc', 'a1', 'cash:fund', '100.00', '1', 'A'];

/** A value the checker accepts: the schema's example, else one built from its parts. */
export function validValue(spec: OpenApiDocument, raw: JsonSchema): unknown {
  const schema = resolveSchema(spec, raw);
  const accepted = (value: unknown) => violations(spec, schema, value).length === 0;
  const candidates: unknown[] = [
    schema.example,
    schema.default,
    schema.const,
    ...(schema.enum ?? []),
  ];
  for (const candidate of candidates)
    if (candidate !== undefined && accepted(candidate)) return candidate;
  const type = typeof schema.type === 'string' ? schema.type : schema.type?.[0];
  if (type === 'object' || schema.properties) {
    const built: Record<string, unknown> = {};
    for (const name of schema.required ?? []) {
      const property = schema.properties?.[name];
      if (property !== undefined) built[name] = validValue(spec, property);
    }
    return accepted(built) ? built : undefined;
  }
  const byType: unknown[] =
    type === 'string'
      ? [
          schema.format === 'uuid' ? crypto.randomUUID() : undefined,
          schema.format === 'date' ? '2026-01-05' : undefined,
          schema.format === 'date-time' ? '2026-01-05T08:00:00+08:00' : undefined,
          ...STRING_CANDIDATES,
        ]
      : type === 'integer' || type === 'number'
        ? [schema.minimum ?? 1, 1, 0]
        : type === 'boolean'
          ? [true]
          : type === 'array'
            ? [[]]
            : [];
  return byType.find((candidate) => candidate !== undefined && accepted(candidate));
}

/**
 * Uploads, for every line of a claim, one small document for each requirement the terms
 * say is still missing (the first kind each accepts), as a handler would before approving.
 */
export async function attachRequiredDocuments(
  app: App,
  token: string,
  claimId: string,
): Promise<void> {
  const response = await call(app, 'GET', `/insurer/claims/${claimId}/documents`, { token });
  if (response.status !== 200) throw new Error(`documents of ${claimId}: ${response.status}`);
  const { lines } = (await response.json()) as {
    lines: { claimLineId: string; missing: string[] }[];
  };
  const byName = new Map(
    Object.values(COUNTY_REQUIRED_DOCUMENTS)
      .flat()
      .map((r) => [r.requirement, r.anyOf[0] ?? 'other']),
  );
  for (const line of lines) {
    for (const requirement of line.missing) {
      const uploaded = await call(
        app,
        'POST',
        `/insurer/claims/${claimId}/lines/${line.claimLineId}/documents`,
        {
          token,
          json: {
            kind: byName.get(requirement) ?? 'other',
            title: requirement.replaceAll('_', ' '),
            documentNumber: `${requirement.toUpperCase()}-${line.claimLineId.slice(0, 8)}`,
            mediaType: 'application/pdf',
            contentBase64: Buffer.from(`%PDF-1.7 ${requirement} ${line.claimLineId}`).toString(
              'base64',
            ),
          },
        },
      );
      if (uploaded.status !== 201)
        throw new Error(`upload ${requirement}: ${uploaded.status} ${await uploaded.text()}`);
    }
  }
}
