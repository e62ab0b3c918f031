/**
 * @module "Today" for a request: the local date (Asia/Shanghai) of the app's clock, which
 * tests can inject, so dates that cannot be true yet are judged the same way everywhere.
 */
import type { Context } from 'hono';
import { type LocalDate, localDateOf } from '../policy/local-date.ts';
import type { AppEnv } from './env.ts';

export function requestNow(c: Context<AppEnv>): Date {
  return c.var.deps.clock?.() ?? new Date();
}

export function requestToday(c: Context<AppEnv>): LocalDate {
  return localDateOf(requestNow(c));
}
