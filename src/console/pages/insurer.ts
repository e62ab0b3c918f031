/**
 * @module 理赔: the work queue, one claim (lines and their documents, findings, decisions
 * with the cuts each cap made, payouts, history), and the loss run as of a date.
 */
import { html } from 'hono/html';
import type { ClaimDetail, LossRunRow, Payout, QueueItem } from '../api-types.ts';
import { named, t } from '../i18n.ts';
import {
  dateForm,
  type Fragment,
  figures,
  moneyCell,
  notice,
  section,
  table,
  textCell,
} from '../layout.ts';
import { dateParam, poolContext, todayInShanghai } from '../pool-context.ts';
import type { PageInput } from './page-input.ts';

const short = (id: string) => id.slice(0, 8);
const claimLink = (id: string) => html`<a href="/console/insurer/claims/${id}">${short(id)}</a>`;

function queueSection(input: PageInput, queue: readonly QueueItem[]) {
  const { lang } = input;
  return section(
    t(lang, 'workQueue'),
    'work-queue',
    table({
      id: 'queue-table',
      headers: [
        t(lang, 'claim'),
        t(lang, 'status'),
        t(lang, 'claimant'),
        t(lang, 'submittedAt'),
        t(lang, 'ageDays'),
        t(lang, 'claimed'),
      ],
      rows: queue.map(
        (
          q,
        ) => html`<tr data-claim-id="${q.id}"><td>${claimLink(q.id)}</td>${textCell(named(lang, q.status))}${textCell(q.claimant)}
${textCell(q.submittedAt.slice(0, 10))}<td class="num">${q.ageDays}</td>${moneyCell(q.claimed)}</tr>`,
      ),
      empty: t(lang, 'none'),
    }),
  );
}

function lossRunSection(
  input: PageInput,
  poolCode: string,
  asOf: string,
  rows: readonly LossRunRow[],
) {
  const { lang } = input;
  const query = new URLSearchParams({ pool: poolCode, asOf }).toString();
  return section(
    t(lang, 'lossRun'),
    'loss-run',
    html`${dateForm(input.url, [{ name: 'asOf', label: t(lang, 'asOf'), value: asOf }], lang)}
<a class="csv" href="/console/download/loss-run?${query}">${t(lang, 'downloadCsv')}</a>
${table({
  id: 'loss-run-table',
  headers: [
    t(lang, 'project'),
    t(lang, 'riskPoints'),
    t(lang, 'incident'),
    t(lang, 'claim'),
    t(lang, 'status'),
    t(lang, 'claimed'),
    t(lang, 'paid'),
    t(lang, 'outstanding'),
    t(lang, 'incurred'),
    t(lang, 'incidentRemaining'),
    t(lang, 'poolRemaining'),
  ],
  rows: rows.map(
    (
      r,
    ) => html`<tr data-claim-id="${r.claimId}">${textCell(r.project)}<td class="num">${r.riskPointNumber}</td>
${textCell(`${short(r.incidentId)} · ${r.incidentOccurredOn}`)}<td>${claimLink(r.claimId)}</td>${textCell(named(lang, r.status))}
${moneyCell(r.claimed)}${moneyCell(r.paid)}${moneyCell(r.outstanding)}${moneyCell(r.incurred)}${moneyCell(r.incidentRemaining)}${moneyCell(r.poolRemaining)}</tr>`,
  ),
  empty: t(lang, 'none'),
})}`,
  );
}

export async function insurerPage(input: PageInput): Promise<Fragment> {
  const { api, lang, url } = input;
  const context = await poolContext(api, url.searchParams.get('pool') ?? undefined);
  if (!context) return notice(t(lang, 'none'));
  const asOf = dateParam(url.searchParams.get('asOf') ?? undefined, todayInShanghai());
  const [queue, lossRun] = await Promise.all([
    api.get<{ claims: QueueItem[] }>('/insurer/claims'),
    api.get<{ rows: LossRunRow[] }>(
      `/insurer/pools/${encodeURIComponent(context.pool.code)}/loss-run?asOf=${asOf}`,
    ),
  ]);
  return html`<p>${t(lang, 'pool')}: <strong>${context.pool.name}</strong> · ${context.pool.policyNumber}</p>
${queueSection(input, queue.claims)}
${lossRunSection(input, context.pool.code, asOf, lossRun.rows)}`;
}

function linesSection(input: PageInput, claim: ClaimDetail) {
  const { lang } = input;
  const effective = claim.decisions.filter((d) => d.state === 'effective').at(-1);
  const decided = new Map(effective?.lines.map((l) => [l.lineId, l]) ?? []);
  return section(
    t(lang, 'claimLines'),
    'claim-lines',
    table({
      id: 'lines-table',
      headers: [
        t(lang, 'category'),
        t(lang, 'payee'),
        t(lang, 'claimed'),
        t(lang, 'approved'),
        t(lang, 'payable'),
        t(lang, 'cutBy'),
        t(lang, 'documents'),
      ],
      rows: claim.lines.map((line) => {
        const decision = decided.get(line.id);
        return html`<tr data-line-id="${line.id}">${textCell(named(lang, line.category))}${textCell(line.payee)}${moneyCell(line.amountClaimed)}
${decision ? moneyCell(decision.approved) : textCell(null)}${decision ? moneyCell(decision.payable) : textCell(null)}
${textCell(decision?.cutBy ? named(lang, decision.cutBy) : null)}
<td><ul class="docs">${line.evidence.map((e) => html`<li>${e.title} · ${e.documentNumber} <code title="${e.sha256}">${e.sha256.slice(0, 12)}…</code></li>`)}</ul></td></tr>`;
      }),
      empty: t(lang, 'none'),
    }),
  );
}

function decisionsSection(input: PageInput, claim: ClaimDetail) {
  const { lang } = input;
  return section(
    t(lang, 'decisions'),
    'decisions',
    claim.decisions.length === 0
      ? html`<p class="empty">${t(lang, 'none')}</p>`
      : html`${claim.decisions.map(
          (d) => html`<div class="decision" data-decision-id="${d.id}">
<p><strong>${named(lang, d.outcome)}</strong> · ${named(lang, d.state)} · ${d.decidedAt.slice(0, 10)} ${d.note ? `· ${d.note}` : ''}</p>
${figures(`decision-${d.id}`, [
  { key: 'approvedTotal', label: t(lang, 'approved'), amount: d.approvedTotal },
  { key: 'payable', label: t(lang, 'payable'), amount: d.payable },
])}
<h3>${t(lang, 'cuts')}</h3>
${table({
  id: `cuts-${d.id}`,
  headers: [t(lang, 'cap'), t(lang, 'amount')],
  rows: d.cuts.map(
    (cut) => html`<tr>${textCell(named(lang, cut.cap))}${moneyCell(cut.amount)}</tr>`,
  ),
  empty: t(lang, 'none'),
})}
<h3>${t(lang, 'findings')}</h3>
${table({
  id: `findings-${d.id}`,
  headers: [t(lang, 'findings'), t(lang, 'source'), t(lang, 'status'), t(lang, 'note')],
  rows: d.findings.map(
    (f) =>
      html`<tr>${textCell(f.code)}${textCell(named(lang, f.kind))}<td><span class="badge ${f.result === 'pass' ? 'ok' : 'fail'}">${named(lang, f.result)}</span></td>${textCell(f.note)}</tr>`,
  ),
  empty: t(lang, 'none'),
})}
</div>`,
        )}`,
  );
}

export async function claimPage(input: PageInput, claimId: string): Promise<Fragment> {
  const { api, lang } = input;
  const [claim, payouts] = await Promise.all([
    api.get<ClaimDetail>(`/insurer/claims/${encodeURIComponent(claimId)}`),
    api.get<{ payouts: Payout[] }>(`/finance/payouts?claimId=${encodeURIComponent(claimId)}`),
  ]);
  return html`<p><a href="/console/insurer">← ${t(lang, 'back')}</a></p>
<p>${t(lang, 'claim')} <code>${claim.id}</code> · ${claim.claimant} · <strong>${named(lang, claim.status)}</strong> · ${t(lang, 'incident')} <code>${short(claim.incidentId)}</code></p>
${figures('claim-money', [
  { key: 'claimed', label: t(lang, 'claimed'), amount: claim.money.claimed },
  { key: 'approved', label: t(lang, 'approved'), amount: claim.money.approved },
  { key: 'outstanding', label: t(lang, 'outstanding'), amount: claim.money.outstanding },
  { key: 'paid', label: t(lang, 'paid'), amount: claim.money.paid },
  { key: 'incurred', label: t(lang, 'incurred'), amount: claim.money.incurred },
  {
    key: 'incidentRemaining',
    label: `${t(lang, 'incidentCoverage')}: ${t(lang, 'remaining')}`,
    amount: claim.incidentCoverage.remaining ?? '—',
  },
])}
${linesSection(input, claim)}
${decisionsSection(input, claim)}
${section(
  t(lang, 'payouts'),
  'claim-payouts',
  table({
    id: 'claim-payouts-table',
    headers: [
      t(lang, 'status'),
      t(lang, 'category'),
      t(lang, 'payee'),
      t(lang, 'amount'),
      t(lang, 'attempts'),
      t(lang, 'lastError'),
    ],
    rows: payouts.payouts.map(
      (p) =>
        html`<tr data-payout-id="${p.id}">${textCell(named(lang, p.status))}${textCell(named(lang, p.category))}${textCell(p.payee)}${moneyCell(p.amount)}<td class="num">${p.attempts}</td>${textCell(p.lastError)}</tr>`,
    ),
    empty: t(lang, 'none'),
  }),
)}
${section(
  t(lang, 'history'),
  'claim-history',
  table({
    id: 'claim-history-table',
    headers: [t(lang, 'status'), t(lang, 'history'), t(lang, 'note'), t(lang, 'createdAt')],
    rows: claim.history.map(
      (h) =>
        html`<tr>${textCell(`${h.from ? named(lang, h.from) : '—'} → ${named(lang, h.to)}`)}${textCell(h.action)}${textCell(h.note)}${textCell(h.recordedAt.slice(0, 19))}</tr>`,
    ),
    empty: t(lang, 'none'),
  }),
)}`;
}
