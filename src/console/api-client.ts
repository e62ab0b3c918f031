/**
 * @module The console reads and writes only through the API's own routes, called in-process
 * with the signed-in user's token: the same roles, validation, Idempotency-Key and audit
 * record as any other client, and every figure on a page is the figure the route answered.
 */
import type { Hono } from 'hono';
import type { AppEnv } from '../http/env.ts';

export interface ApiProblem {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
}

export type ApiResult<T> =
  | { readonly ok: true; readonly status: number; readonly body: T }
  | { readonly ok: false; readonly status: number; readonly problem: ApiProblem };

export class ApiCallError extends Error {
  constructor(
    readonly path: string,
    readonly problem: ApiProblem,
  ) {
    super(`${path}: ${problem.status} ${problem.code} — ${problem.detail}`);
  }
}

/** The problem body of a refused call, however the route worded it. */
export async function problemOf(response: Response): Promise<ApiProblem> {
  const text = await response.text();
  try {
    const parsed = JSON.parse(text) as Partial<ApiProblem>;
    return {
      status: response.status,
      code: typeof parsed.code === 'string' ? parsed.code : 'error',
      detail: typeof parsed.detail === 'string' ? parsed.detail : text.slice(0, 200),
    };
  } catch {
    return { status: response.status, code: 'error', detail: text.slice(0, 200) };
  }
}

export class ConsoleApi {
  constructor(
    private readonly app: Hono<AppEnv>,
    private readonly token: string,
    /** The console request's id, so the API's log lines and audit record carry it too. */
    private readonly requestId: string,
  ) {}

  private headers(extra: Record<string, string> = {}): Headers {
    return new Headers({
      authorization: `Bearer ${this.token}`,
      'x-request-id': this.requestId,
      ...extra,
    });
  }

  /** The route's raw answer (CSV downloads are passed on as they come). */
  async fetch(path: string, init: { method?: string; headers?: Record<string, string> } = {}) {
    return this.app.request(path, {
      method: init.method ?? 'GET',
      headers: this.headers(init.headers),
    });
  }

  async tryGet<T>(path: string): Promise<ApiResult<T>> {
    const response = await this.fetch(path);
    if (!response.ok)
      return { ok: false, status: response.status, problem: await problemOf(response) };
    return { ok: true, status: response.status, body: (await response.json()) as T };
  }

  async get<T>(path: string): Promise<T> {
    const result = await this.tryGet<T>(path);
    if (!result.ok) throw new ApiCallError(path, result.problem);
    return result.body;
  }

  /** A change through the API route, under the key the page's form carried. */
  async post<T>(path: string, idempotencyKey: string, body?: unknown): Promise<ApiResult<T>> {
    const response = await this.app.request(path, {
      method: 'POST',
      headers: this.headers({
        'idempotency-key': idempotencyKey,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      }),
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok)
      return { ok: false, status: response.status, problem: await problemOf(response) };
    return { ok: true, status: response.status, body: (await response.json()) as T };
  }
}
