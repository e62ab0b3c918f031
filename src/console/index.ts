/**
 * @module The web console: server-rendered pages in Simplified Chinese (English on request)
 * for the reform office, finance and the insurer, served by the same app. Pages read, and
 * forms write, only through the API's routes called in-process with the user's token (see
 * api-client.ts), so roles, Idempotency-Key and audit are the API's own. A role added later
 * (the department, the special group) gets its pages by an entry in ROLE_PAGES and a route here.
 */
import type { Context, Hono } from 'hono';
import { html } from 'hono/html';
import type { AppEnv } from '../http/env.ts';
import { ApiCallError, type ApiProblem, problemOf } from './api-client.ts';
import { registerConsoleAssets } from './assets/serve.ts';
import { type Lang, t } from './i18n.ts';
import { type Fragment, notice, page, ROLE_PAGES } from './layout.ts';
import { financePage } from './pages/finance.ts';
import { claimPage, insurerPage } from './pages/insurer.ts';
import type { PageInput } from './pages/page-input.ts';
import { reformOfficePage } from './pages/reform-office.ts';
import { signInPage } from './pages/sign-in.ts';
import { currentSession, pageLanguage, type Session, signIn, signOut } from './session.ts';

const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  // same-origin, not no-referrer: with no-referrer a form post's Origin is "null".
  'Referrer-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

/** CSV reports a role may download, each the API's CSV route with Chinese headers. */
const DOWNLOADS: Readonly<
  Record<string, { role: string; path: (q: URLSearchParams) => string | null }>
> = {
  'trial-balance': {
    role: 'finance',
    path: (q) => {
      const asOf = q.get('asOf') ?? '';
      return /^\d{4}-\d{2}-\d{2}$/.test(asOf)
        ? `/finance/ledger/trial-balance.csv?headers=chinese&asOf=${encodeURIComponent(asOf)}`
        : null;
    },
  },
  'pool-statement': {
    role: 'finance',
    path: (q) =>
      `/finance/pools/${encodeURIComponent(q.get('pool') ?? '')}/statement.csv?headers=chinese&from=${encodeURIComponent(q.get('from') ?? '')}&to=${encodeURIComponent(q.get('to') ?? '')}`,
  },
  'loss-run': {
    role: 'insurer',
    path: (q) =>
      `/insurer/pools/${encodeURIComponent(q.get('pool') ?? '')}/loss-run.csv?headers=chinese&asOf=${encodeURIComponent(q.get('asOf') ?? '')}`,
  },
};

type PageStatus = 200 | 400 | 401 | 403 | 404 | 502;

function render(c: Context<AppEnv>, status: PageStatus, body: Fragment) {
  return c.html(body, status, SECURITY_HEADERS);
}

function homeOf(role: string): string | null {
  return ROLE_PAGES[role]?.[0]?.path ?? null;
}

/** A form post must come from a console page: SameSite=Strict already stops other sites; this also refuses a foreign Origin. */
function sameOrigin(c: Context<AppEnv>): boolean {
  const origin = c.req.header('origin');
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === (c.req.header('host') ?? new URL(c.req.url).host);
  } catch {
    return false;
  }
}

export function registerConsole(app: Hono<AppEnv>): void {
  registerConsoleAssets(app);

  const framed = (
    c: Context<AppEnv>,
    lang: Lang,
    title: string,
    session: Session | null,
    body: Fragment,
  ) =>
    page({ lang, title, url: new URL(c.req.url), ...(session ? { user: session.me } : {}) }, body);

  const forbidden = (c: Context<AppEnv>, lang: Lang, session: Session | null) =>
    render(
      c,
      403,
      framed(c, lang, t(lang, 'forbiddenTitle'), session, notice(t(lang, 'forbidden'), 'error')),
    );

  /** The API refused: say what it said, with its status where a page can carry it. */
  const refused = (c: Context<AppEnv>, lang: Lang, session: Session, problem: ApiProblem) => {
    const status: PageStatus =
      problem.status === 403 || problem.status === 404
        ? problem.status
        : problem.status < 500
          ? 400
          : 502;
    const text = `${t(lang, 'apiError')}: ${problem.status} ${problem.code} — ${problem.detail}`;
    return render(
      c,
      status,
      framed(
        c,
        lang,
        t(lang, 'apiError'),
        session,
        html`${notice(text, 'error')}<p><a href="${homeOf(session.me.role) ?? '/console'}">${t(lang, 'back')}</a></p>`,
      ),
    );
  };

  /** Signs in, checks the role, and renders; API errors become an error page, not a 500. */
  const rolePage =
    (
      role: string,
      word: Parameters<typeof t>[1],
      build: (input: PageInput, c: Context<AppEnv>) => Promise<Fragment>,
    ) =>
    async (c: Context<AppEnv>) => {
      const lang = pageLanguage(c);
      const session = await currentSession(app, c);
      if (!session) return c.redirect('/console/sign-in', 303);
      if (session.me.role !== role) return forbidden(c, lang, session);
      const flash = c.req.query('done');
      const input: PageInput = {
        api: session.api,
        db: c.var.deps.db,
        me: session.me,
        lang,
        url: new URL(c.req.url),
        ...(flash === 'acknowledged' ? { notice: notice(t(lang, 'acknowledgedDone')) } : {}),
      };
      try {
        return render(c, 200, framed(c, lang, t(lang, word), session, await build(input, c)));
      } catch (error) {
        if (!(error instanceof ApiCallError)) throw error;
        return refused(c, lang, session, error.problem);
      }
    };

  app.get('/', (c) => c.redirect('/console', 302));

  app.get('/console', async (c) => {
    const session = await currentSession(app, c);
    const home = session ? homeOf(session.me.role) : null;
    if (home) return c.redirect(home, 303);
    if (session) {
      const lang = pageLanguage(c);
      return render(
        c,
        200,
        framed(c, lang, t(lang, 'appName'), session, notice(t(lang, 'noConsoleForRole'))),
      );
    }
    return c.redirect('/console/sign-in', 303);
  });

  app.get('/console/sign-in', (c) => {
    const lang = pageLanguage(c);
    return render(c, 200, framed(c, lang, t(lang, 'signIn'), null, signInPage(lang, false)));
  });

  app.post('/console/sign-in', async (c) => {
    const lang = pageLanguage(c);
    if (!sameOrigin(c)) return forbidden(c, lang, null);
    const form = await c.req.parseBody();
    const pasted = typeof form.token === 'string' ? form.token : '';
    const me = await signIn(app, c, pasted);
    if (!me)
      return render(c, 401, framed(c, lang, t(lang, 'signIn'), null, signInPage(lang, true)));
    return c.redirect(homeOf(me.role) ?? '/console', 303);
  });

  app.post('/console/sign-out', (c) => {
    signOut(c);
    return c.redirect('/console/sign-in', 303);
  });

  app.get('/console/reform-office', rolePage('reform_office', 'reformOffice', reformOfficePage));
  app.get('/console/finance', rolePage('finance', 'finance', financePage));
  app.get('/console/insurer', rolePage('insurer', 'insurer', insurerPage));
  app.get(
    '/console/insurer/claims/:claimId',
    rolePage('insurer', 'claim', (input, c) => claimPage(input, c.req.param('claimId') ?? '')),
  );

  app.post('/console/reform-office/alerts/:alertId/acknowledge', async (c) => {
    const lang = pageLanguage(c);
    const session = await currentSession(app, c);
    if (!session) return c.redirect('/console/sign-in', 303);
    if (!sameOrigin(c)) return forbidden(c, lang, session);
    const form = await c.req.parseBody();
    const key = typeof form.idempotencyKey === 'string' ? form.idempotencyKey : '';
    const result = await session.api.post(
      `/reform-office/alerts/${encodeURIComponent(c.req.param('alertId'))}/acknowledge`,
      key,
    );
    if (!result.ok) return refused(c, lang, session, result.problem);
    return c.redirect('/console/reform-office?done=acknowledged#alerts', 303);
  });

  app.get('/console/download/:report', async (c) => {
    const lang = pageLanguage(c);
    const session = await currentSession(app, c);
    if (!session) return c.redirect('/console/sign-in', 303);
    const download = DOWNLOADS[c.req.param('report')];
    if (!download)
      return render(c, 404, framed(c, lang, t(lang, 'apiError'), session, notice('404', 'error')));
    if (download.role !== session.me.role) return forbidden(c, lang, session);
    const path = download.path(new URL(c.req.url).searchParams);
    if (!path)
      return render(c, 400, framed(c, lang, t(lang, 'apiError'), session, notice('400', 'error')));
    const response = await session.api.fetch(path);
    if (!response.ok) return refused(c, lang, session, await problemOf(response));
    return new Response(response.body, {
      status: 200,
      headers: {
        'Content-Type': response.headers.get('content-type') ?? 'text/csv; charset=utf-8',
        'Content-Disposition': response.headers.get('content-disposition') ?? 'attachment',
        'Cache-Control': 'no-store',
      },
    });
  });
}
