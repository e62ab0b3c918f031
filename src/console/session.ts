/**
 * @module Who is using the console. The token is pasted once on the sign-in page and then
 * lives only in an HttpOnly, SameSite=Strict cookie scoped to /console: scripts cannot read
 * it, other sites cannot send it, and no page ever prints it. The role comes from the API's
 * /me on every request, so a revoked token stops working at once.
 */
import type { Context, Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { AppEnv } from '../http/env.ts';
import { ConsoleApi } from './api-client.ts';
import type { Me } from './api-types.ts';
import type { Lang } from './i18n.ts';

const TOKEN_COOKIE = 'rp_console_token';
const LANG_COOKIE = 'rp_console_lang';
const COOKIE_PATH = '/console';
/** The token's own expiry still applies; this only bounds how long a browser keeps it. */
const SESSION_SECONDS = 8 * 60 * 60;
const TOKEN = /^[A-Za-z0-9_-]{1,200}$/;

export interface Session {
  readonly api: ConsoleApi;
  readonly me: Me;
}

/** The page language: `?lang=` switches it and is remembered; Chinese by default. */
export function pageLanguage(c: Context<AppEnv>): Lang {
  const asked = c.req.query('lang');
  if (asked === 'zh' || asked === 'en') {
    setCookie(c, LANG_COOKIE, asked, { path: COOKIE_PATH, sameSite: 'Strict', maxAge: 31536000 });
    return asked;
  }
  return getCookie(c, LANG_COOKIE) === 'en' ? 'en' : 'zh';
}

export function apiFor(app: Hono<AppEnv>, c: Context<AppEnv>, token: string): ConsoleApi {
  return new ConsoleApi(app, token, c.var.requestId);
}

/** The signed-in user, or null when there is no cookie or the API no longer accepts it. */
export async function currentSession(
  app: Hono<AppEnv>,
  c: Context<AppEnv>,
): Promise<Session | null> {
  const token = getCookie(c, TOKEN_COOKIE);
  if (!token || !TOKEN.test(token)) return null;
  const api = apiFor(app, c, token);
  const me = await api.tryGet<Me>('/me');
  if (!me.ok) {
    deleteCookie(c, TOKEN_COOKIE, { path: COOKIE_PATH });
    return null;
  }
  return { api, me: me.body };
}

/** Checks a pasted token with the API; only an accepted one is kept. */
export async function signIn(
  app: Hono<AppEnv>,
  c: Context<AppEnv>,
  pasted: string,
): Promise<Me | null> {
  const token = pasted.trim().replace(/^Bearer\s+/i, '');
  if (!TOKEN.test(token)) return null;
  const me = await apiFor(app, c, token).tryGet<Me>('/me');
  if (!me.ok) return null;
  setCookie(c, TOKEN_COOKIE, token, {
    path: COOKIE_PATH,
    httpOnly: true,
    sameSite: 'Strict',
    secure: new URL(c.req.url).protocol === 'https:',
    maxAge: SESSION_SECONDS,
  });
  return me.body;
}

export function signOut(c: Context<AppEnv>): void {
  deleteCookie(c, TOKEN_COOKIE, { path: COOKIE_PATH });
}
