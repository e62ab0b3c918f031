/**
 * @module The page shell and the small pieces every page is made of: tables whose money
 * cells show the API's amounts formatted, and chart slots whose data ride in a data
 * attribute for /console/assets/console.js to draw. Hono's `html` escapes every value.
 */
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { type Lang, named, t, type Word } from './i18n.ts';
import { formatMoney } from './money.ts';

export type Fragment = HtmlEscapedString | Promise<HtmlEscapedString>;

/** The pages each role may open, in menu order. A role added later gets an entry here. */
export const ROLE_PAGES: Readonly<Record<string, readonly { path: string; word: Word }[]>> = {
  reform_office: [{ path: '/console/reform-office', word: 'reformOffice' }],
  finance: [{ path: '/console/finance', word: 'finance' }],
  insurer: [{ path: '/console/insurer', word: 'insurer' }],
};

export interface PageFrame {
  readonly lang: Lang;
  readonly title: string;
  /** The signed-in user; absent on the sign-in page. */
  readonly user?: { readonly name: string; readonly role: string };
  /** The current URL, so the language switch returns to it. */
  readonly url: URL;
}

function languageSwitch(url: URL, lang: Lang): string {
  const next = new URL(url);
  next.searchParams.set('lang', lang === 'zh' ? 'en' : 'zh');
  return `${next.pathname}${next.search}`;
}

export function page(frame: PageFrame, body: Fragment): Fragment {
  const { lang, user } = frame;
  const menu = user ? (ROLE_PAGES[user.role] ?? []) : [];
  return html`<!doctype html>
<html lang="${lang === 'zh' ? 'zh-CN' : 'en'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${frame.title} · ${t(lang, 'appName')}</title>
<link rel="stylesheet" href="/console/assets/console.css">
<script src="/console/assets/echarts.min.js" defer></script>
<script src="/console/assets/console.js" defer></script>
</head>
<body>
<header class="top">
  <span class="brand">${t(lang, 'appName')}</span>
  <nav>${menu.map((item) => html`<a href="${item.path}">${t(lang, item.word)}</a>`)}</nav>
  <span class="spacer"></span>
  <a class="lang" href="${languageSwitch(frame.url, lang)}">${t(lang, 'language')}</a>
  ${
    user
      ? html`<span class="who" data-testid="signed-in-as">${t(lang, 'signedInAs')}: ${user.name} (${named(lang, user.role)})</span>
  <form method="post" action="/console/sign-out" class="inline"><button type="submit">${t(lang, 'signOut')}</button></form>`
      : ''
  }
</header>
<main>
<h1>${frame.title}</h1>
${body}
</main>
</body>
</html>`;
}

export function section(title: string, id: string, body: Fragment): Fragment {
  return html`<section id="${id}" data-testid="${id}"><h2>${title}</h2>${body}</section>`;
}

/** A money cell: the API's amount, formatted; the raw string stays on the cell for tools. */
export function moneyCell(amount: string): Fragment {
  return html`<td class="num" data-amount="${amount}">${formatMoney(amount)}</td>`;
}

export function textCell(text: string | number | null): Fragment {
  return html`<td>${text === null ? '—' : String(text)}</td>`;
}

export interface Table {
  readonly id: string;
  readonly headers: readonly string[];
  readonly rows: readonly Fragment[];
  readonly empty: string;
}

export function table({ id, headers, rows, empty }: Table): Fragment {
  if (rows.length === 0) return html`<p class="empty" data-testid="${id}-empty">${empty}</p>`;
  return html`<div class="table-wrap"><table data-testid="${id}">
<thead><tr>${headers.map((h) => html`<th>${h}</th>`)}</tr></thead>
<tbody>${rows}</tbody>
</table></div>`;
}

/** A definition list of figures: label, then the API's amount formatted. */
export function figures(
  id: string,
  items: readonly { key: string; label: string; amount: string }[],
): Fragment {
  return html`<dl class="figures" data-testid="${id}">${items.map(
    (item) =>
      html`<div><dt>${item.label}</dt><dd data-figure="${item.key}" data-amount="${item.amount}">${formatMoney(item.amount)}</dd></div>`,
  )}</dl>`;
}

export interface GaugeChart {
  readonly kind: 'gauge';
  /** The API's utilisation percent, e.g. "62.50". */
  readonly percent: string;
  readonly label: string;
  readonly thresholds: readonly string[];
}

export interface BarChart {
  readonly kind: 'bars';
  readonly categories: readonly string[];
  readonly series: readonly {
    readonly name: string;
    readonly amounts: readonly string[];
    readonly labels: readonly string[];
  }[];
}

/** A slot the client script fills with an ECharts chart; the data are the API's strings. */
export function chart(id: string, spec: GaugeChart | BarChart, caption: string): Fragment {
  return html`<figure class="chart-box"><div class="chart" id="${id}" data-testid="${id}" role="img" aria-label="${caption}" data-chart="${spec.kind}" data-chart-spec="${JSON.stringify(spec)}"></div><figcaption>${caption}</figcaption></figure>`;
}

export function notice(text: string, kind: 'ok' | 'error' = 'ok'): Fragment {
  return html`<p class="notice ${kind}" role="status" data-testid="notice">${text}</p>`;
}

/** A filter form; the page's other filters ride along hidden, so one form does not reset another. */
export function dateForm(
  url: URL,
  fields: readonly { name: string; label: string; value: string; type?: string }[],
  lang: Lang,
): Fragment {
  const own = new Set(fields.map((f) => f.name));
  const kept = [...url.searchParams].filter(
    ([name]) => !own.has(name) && name !== 'done' && name !== 'lang',
  );
  return html`<form method="get" action="${url.pathname}" class="filters">${kept.map(
    ([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`,
  )}${fields.map(
    (f) =>
      html`<label>${f.label} <input type="${f.type ?? 'date'}" name="${f.name}" value="${f.value}"></label>`,
  )}<button type="submit">${t(lang, 'show')}</button></form>`;
}
