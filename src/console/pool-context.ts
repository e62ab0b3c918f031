/**
 * @module Which pool and which terms a page is about: `?pool=` or the first pool, and the
 * terms version in force today. Policy periods (one set of terms per period) will replace
 * "the terms in force today" with "the period chosen", here and nowhere else.
 */
import type { ConsoleApi } from './api-client.ts';
import type { PoolRef, Terms } from './api-types.ts';

export interface PoolContext {
  readonly pool: PoolRef & { readonly terms: Terms };
  readonly pools: readonly PoolRef[];
}

/** Today in Asia/Shanghai, the day the API's own defaults use. */
export function todayInShanghai(now: Date = new Date()): string {
  return new Date(now.getTime() + 8 * 3_600_000).toISOString().slice(0, 10);
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A date from the query string, or the fallback when it is absent or not a date. */
export function dateParam(value: string | undefined, fallback: string): string {
  return value && DATE.test(value) ? value : fallback;
}

/** The pool asked for, or the first; null when there is none. Terms are those in force today. */
export async function poolContext(
  api: ConsoleApi,
  asked: string | undefined,
): Promise<PoolContext | null> {
  const { pools } = await api.get<{ pools: (PoolRef & { terms: Terms })[] }>('/pools');
  const pool = pools.find((p) => p.code === asked || p.id === asked) ?? pools[0];
  return pool ? { pool, pools } : null;
}
