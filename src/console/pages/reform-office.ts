/**
 * @module 改革办: the coverage gauge with its warning thresholds, the alerts (acknowledged
 * from here), claims and payable by cost category, and projects with their filings'
 * working-day deadlines. Investigations and clarifications (the exemption process) get a
 * section of their own here once their routes exist.
 */
import { html } from 'hono/html';
import { findPool } from '../../policy/pools.ts';
import type { Alert, Coverage, Filing, Project } from '../api-types.ts';
import { categoryTotals } from '../category-totals.ts';
import { named, t } from '../i18n.ts';
import {
  chart,
  type Fragment,
  figures,
  moneyCell,
  notice,
  section,
  table,
  textCell,
} from '../layout.ts';
import { formatMoney, formatPercent } from '../money.ts';
import { poolContext, todayInShanghai } from '../pool-context.ts';
import type { PageInput } from './page-input.ts';

function coverageSection(input: PageInput, coverage: Coverage, thresholds: readonly string[]) {
  const { lang } = input;
  return section(
    t(lang, 'coverage'),
    'coverage',
    html`<div class="pair">
${chart(
  'coverage-gauge',
  {
    kind: 'gauge',
    percent: coverage.utilisationPercent,
    label: formatPercent(coverage.utilisationPercent),
    thresholds,
  },
  `${t(lang, 'utilisation')}: ${formatPercent(coverage.utilisationPercent)} · ${t(lang, 'thresholds')} ${thresholds.map((p) => `${p}%`).join(' / ')}`,
)}
<div>
${figures('coverage-figures', [
  { key: 'capacity', label: t(lang, 'capacity'), amount: coverage.capacity },
  { key: 'committed', label: t(lang, 'committed'), amount: coverage.committed },
  { key: 'remaining', label: t(lang, 'remaining'), amount: coverage.remaining },
  { key: 'reserved', label: t(lang, 'reserved'), amount: coverage.reserved },
  { key: 'consumed', label: t(lang, 'consumed'), amount: coverage.consumed },
  { key: 'cumulativeCap', label: t(lang, 'cumulativeCap'), amount: coverage.cumulativeCap },
])}
<p>${t(lang, 'utilisation')}: <strong data-figure="utilisation">${formatPercent(coverage.utilisationPercent)}</strong>
 · ${t(lang, 'capacityUtilisation')}: <strong data-figure="capacityUtilisation">${formatPercent(coverage.capacityUtilisationPercent)}</strong>
 · ${t(lang, 'thresholds')}: <span data-testid="thresholds">${thresholds.map((p) => `${p}%`).join(' / ')}</span></p>
</div></div>`,
  );
}

function alertsSection(input: PageInput, alerts: readonly Alert[]) {
  const { lang } = input;
  const rows = alerts.map(
    (alert) => html`<tr data-alert-id="${alert.id}">
${textCell(alert.incidentId ? `${t(lang, 'incident')} ${alert.incidentId.slice(0, 8)}` : t(lang, 'poolWide'))}
<td class="num">${formatPercent(alert.thresholdPercent)}</td>
${moneyCell(alert.committed)}
${moneyCell(alert.cap)}
${textCell(alert.raisedAt.slice(0, 19).replace('T', ' '))}
<td>${
      alert.acknowledgedAt
        ? html`<span class="badge ok">${t(lang, 'acknowledged')}</span> ${alert.acknowledgedAt.slice(0, 10)}`
        : html`<span class="badge open-alert">${t(lang, 'notAcknowledged')}</span>
<form method="post" action="/console/reform-office/alerts/${alert.id}/acknowledge" class="inline">
<input type="hidden" name="idempotencyKey" value="console-${crypto.randomUUID()}">
<button type="submit" data-testid="acknowledge-${alert.id}">${t(lang, 'acknowledge')}</button></form>`
    }</td></tr>`,
  );
  return section(
    t(lang, 'alerts'),
    'alerts',
    table({
      id: 'alerts-table',
      headers: [
        t(lang, 'coverage'),
        t(lang, 'threshold'),
        t(lang, 'committed'),
        t(lang, 'cap'),
        t(lang, 'raisedAt'),
        t(lang, 'status'),
      ],
      rows,
      empty: t(lang, 'none'),
    }),
  );
}

async function categorySection(input: PageInput, poolCode: string, periodStart: string) {
  const { lang } = input;
  const pool = await findPool(input.db, poolCode);
  const today = todayInShanghai();
  const totals = await categoryTotals(input.db, pool, {
    from: periodStart <= today ? periodStart : today,
    to: today,
  });
  const names = totals.categories.map((c) => named(lang, c.category));
  return section(
    t(lang, 'byCategory'),
    'categories',
    html`<div class="pair">
${chart(
  'category-chart',
  {
    kind: 'bars',
    categories: names,
    series: [
      {
        name: t(lang, 'approvedExpense'),
        amounts: totals.categories.map((c) => c.approved),
        labels: totals.categories.map((c) => formatMoney(c.approved)),
      },
      {
        name: t(lang, 'paidInPeriod'),
        amounts: totals.categories.map((c) => c.paid),
        labels: totals.categories.map((c) => formatMoney(c.paid)),
      },
    ],
  },
  `${t(lang, 'byCategory')} (${totals.period.from} – ${totals.period.to})`,
)}
<div>${table({
      id: 'category-table',
      headers: [t(lang, 'category'), t(lang, 'approvedExpense'), t(lang, 'paidInPeriod')],
      rows: totals.categories.map(
        (c, i) =>
          html`<tr data-category="${c.category}">${textCell(names[i] ?? c.category)}${moneyCell(c.approved)}${moneyCell(c.paid)}</tr>`,
      ),
      empty: t(lang, 'none'),
    })}
${figures('payable-figures', [{ key: 'claimsPayable', label: t(lang, 'claimsPayable'), amount: totals.claimsPayable }])}
</div></div>`,
  );
}

function projectsSection(
  input: PageInput,
  projects: readonly Project[],
  filings: readonly Filing[],
) {
  const { lang } = input;
  const projectRows = projects.map(
    (p) => html`<tr>${textCell(p.name)}${textCell(p.ownerDepartment)}
<td class="num">${p.registeredRiskPointCount} / ${p.riskPointCount}</td>
${textCell(p.filingStatus ? named(lang, p.filingStatus) : t(lang, 'none'))}</tr>`,
  );
  const filingRows = filings.map((f) => {
    const overdue = f.deadline?.state === 'overdue' || f.deadline?.state === 'missed';
    return html`<tr class="${overdue ? 'overdue' : ''}" data-filing-id="${f.id}" data-deadline-state="${f.deadline?.state ?? ''}">
${textCell(f.projectName)}${textCell(named(lang, f.status))}${textCell(f.submittedOn)}
${textCell(f.deadline?.dueOn ?? null)}
<td class="num">${f.deadline?.workingDaysLeft ?? '—'}</td>
<td>${f.deadline ? html`<span class="badge ${overdue ? 'overdue' : ''}">${named(lang, f.deadline.state)}</span>` : '—'}</td></tr>`;
  });
  return section(
    t(lang, 'projects'),
    'projects',
    html`${table({
      id: 'projects-table',
      headers: [
        t(lang, 'project'),
        t(lang, 'ownerDepartment'),
        `${t(lang, 'registered')} / ${t(lang, 'riskPoints')}`,
        t(lang, 'filingState'),
      ],
      rows: projectRows,
      empty: t(lang, 'none'),
    })}
<h2>${t(lang, 'filings')}</h2>
${table({
  id: 'filings-table',
  headers: [
    t(lang, 'project'),
    t(lang, 'filingState'),
    t(lang, 'submittedOn'),
    t(lang, 'dueOn'),
    t(lang, 'workingDaysLeft'),
    t(lang, 'status'),
  ],
  rows: filingRows,
  empty: t(lang, 'none'),
})}`,
  );
}

export async function reformOfficePage(input: PageInput): Promise<Fragment> {
  const { api, lang } = input;
  const context = await poolContext(api, input.url.searchParams.get('pool') ?? undefined);
  if (!context) return notice(t(lang, 'none'));
  const code = encodeURIComponent(context.pool.code);
  const [coverage, alerts, projects, filings] = await Promise.all([
    api.get<Coverage>(`/pools/${code}/coverage`),
    api.get<{ alerts: Alert[] }>(`/pools/${code}/alerts`),
    api.get<{ projects: Project[] }>('/projects'),
    api.get<{ filings: Filing[] }>('/filings'),
  ]);
  const thresholds = context.pool.terms.poolWarningPercents;
  return html`${input.notice ?? ''}
<p>${t(lang, 'pool')}: <strong>${context.pool.name}</strong> · ${context.pool.insurer} · ${context.pool.policyNumber} · ${context.pool.terms.periodStart} – ${context.pool.terms.periodEnd}</p>
${coverageSection(input, coverage, thresholds)}
${alertsSection(input, alerts.alerts)}
${await categorySection(input, context.pool.code, context.pool.terms.periodStart)}
${projectsSection(input, projects.projects, filings.filings)}`;
}
