/**
 * @module A typed client for the API: openapi-fetch over the generated types, sending the
 * bearer token. Every change names its Idempotency-Key (`params.header`), as the spec requires:
 * the caller keeps it to retry safely.
 */
import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { paths } from './api-types.ts';

export type { components, paths } from './api-types.ts';

export type RiskPoolClient = Client<paths>;

export function createRiskPoolClient(options: {
  readonly baseUrl: string;
  readonly token: string;
  readonly fetch?: typeof fetch;
}): RiskPoolClient {
  const client = createClient<paths>({
    baseUrl: options.baseUrl,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const auth: Middleware = {
    onRequest({ request }) {
      request.headers.set('Authorization', `Bearer ${options.token}`);
      return request;
    },
  };
  client.use(auth);
  return client;
}
