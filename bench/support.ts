/**
 * Shared by the benchmarks: bounded numeric settings from the environment, and the admin
 * connection that creates each benchmark's own scratch database.
 */
import pg from 'pg';

export const ADMIN_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export function numberFromEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new Error(`${name} must be a number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

/** The scratch database's name from BENCH_DATABASE, checked to be a plain identifier. */
export function benchDatabaseName(fallback: string): string {
  const name = process.env.BENCH_DATABASE ?? fallback;
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) {
    throw new Error(`BENCH_DATABASE must be a plain lower-case identifier, got "${name}"`);
  }
  return name;
}

export function databaseUrl(name: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
