/**
 * @module The API reference at /docs, working on a closed network: Scalar's script (its
 * styles are inside it) is served by this app from the installed package, Scalar is told
 * not to load its fonts (the page uses the system's, Chinese ones included), and nothing
 * else is fetched from elsewhere. Operations are grouped by the role that uses them, and
 * the bearer scheme is the one the reference offers first.
 */
import { Scalar } from '@scalar/hono-api-reference';
import type { App } from './app.ts';

export const DOCS_PATH = '/docs';
export const DOCS_SCRIPT_PATH = '/docs/scalar.js';

/** Tags as the routes name them, grouped by who uses them (`x-tagGroups`). */
export const TAGS_BY_ROLE: readonly {
  name: string;
  tags: readonly { name: string; description: string }[];
}[] = [
  {
    name: 'Everyone with a token',
    tags: [
      { name: 'access', description: 'Who am I' },
      { name: 'pools', description: 'Pools, their terms and remaining coverage' },
      { name: 'operations', description: 'Liveness and readiness (no token)' },
    ],
  },
  {
    name: 'Reform office (县委改革办)',
    tags: [
      { name: 'registry', description: 'Reform projects, risk points, reference lists' },
      { name: 'filing', description: 'The filing loop and its deadlines' },
      { name: 'reform office', description: 'Coverage alerts' },
    ],
  },
  {
    name: 'Insurer claims staff',
    tags: [{ name: 'claims', description: 'Incidents, claims, decisions, loss run' }],
  },
  {
    name: 'Finance bureau (县财政局)',
    tags: [
      { name: 'finance', description: 'Contributions, payouts, statements, matching, month-end' },
      { name: 'audit', description: 'The audit trail (finance and admin)' },
    ],
  },
  {
    name: 'Admin',
    tags: [
      { name: 'admin', description: 'Users, tokens, pools, terms, forced closes' },
      { name: 'calendar', description: 'The working-day calendar' },
    ],
  },
];

/** System fonts only, Latin then Chinese, so the page never asks a font host. */
const SYSTEM_FONTS = `:root {
  --scalar-font: system-ui, -apple-system, "Segoe UI", Roboto, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif;
  --scalar-font-code: ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace;
}`;

/** Where the app gets Scalar's standalone script: the Node or the Workers adapter. */
export type DocsScript = () => Promise<string>;

export function registerDocsRoutes(app: App, docsScript: DocsScript | undefined): void {
  app.get(DOCS_SCRIPT_PATH, async (c) => {
    if (!docsScript) return c.notFound();
    c.header('Cache-Control', 'public, max-age=86400');
    return c.body(await docsScript(), 200, { 'Content-Type': 'text/javascript; charset=utf-8' });
  });
  app.get(
    DOCS_PATH,
    Scalar({
      url: '/openapi.json',
      pageTitle: 'Reform risk pool API',
      cdn: DOCS_SCRIPT_PATH,
      withDefaultFonts: false,
      customCss: SYSTEM_FONTS,
      telemetry: false,
      hideClientButton: true,
      // The AI agent and the developer tools (sharing, SDKs) call Scalar's own services.
      agent: { disabled: true },
      showDeveloperTools: 'never',
      defaultOpenAllTags: true,
      authentication: { preferredSecurityScheme: 'bearerAuth' },
    }),
  );
}
