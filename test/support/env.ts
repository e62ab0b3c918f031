/** Where the tests find PostgreSQL and Redis; the defaults are this project's machines. */
export const ADMIN_DATABASE_URL =
  process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const TEMPLATE_PREFIX = 'riskpool_template_';

/** The template this run's global setup built (set before test files are forked). */
export function templateDatabase(): string {
  const name = process.env.RISKPOOL_TEST_TEMPLATE;
  if (!name)
    throw new Error(
      'RISKPOOL_TEST_TEMPLATE is not set: run the tests through vitest (its global setup builds the template)',
    );
  return name;
}
export const TEST_DATABASE_PREFIX = 'riskpool_t_';

export function databaseUrl(name: string): string {
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
}
