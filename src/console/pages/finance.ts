/**
 * @module 财政局: the trial balance as of a date, the pool statement for a period and its tie
 * to the trial balance, payouts that need a person (failed, in doubt, awaiting funds with
 * the shortfall), statement matching, and the month's close with what blocks it. CSV
 * downloads go to the API's own CSV routes with Chinese headers (through /console/download).
 */
import { html } from 'hono/html';
import { countOpenStatementLines } from '../../finance/matching.ts';
import { monthBounds } from '../../finance/period-close.ts';
import { poolAccountCodes } from '../../policy/pool-accounts.ts';
import type {
  Payout,
  PeriodState,
  PoolStatement,
  Shortfall,
  StatementReport,
  StatementSummary,
  TrialBalance,
} from '../api-types.ts';
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

/**
 * Payout states that wait for a person, in the order finance works them. A state this
 * build's API does not know (the route answers 422 for it) is left out, so `in_doubt`
 * appears by itself once payouts can be in doubt.
 */
const NEEDS_A_PERSON = ['failed', 'in_doubt', 'awaiting_funds'] as const;
/** States that hold a month's close (period-close counts the same ones). */
const IN_FLIGHT = ['pending', 'sending', 'awaiting_funds'] as const;
const STATEMENTS_SHOWN = 10;

/** The end of a local day as the instant the ledger's "as of" takes. */
const endOfDay = (day: string) => `${day}T23:59:59.999+08:00`;

function previousMonth(today: string): string {
  const [year, month] = today.split('-').map((part) => Number.parseInt(part, 10));
  if (!year || !month) return today.slice(0, 7);
  return month === 1 ? `${year - 1}-12` : `${year}-${String(month - 1).padStart(2, '0')}`;
}

const download = (report: string, params: Record<string, string>, label: string) =>
  html`<a class="csv" href="/console/download/${report}?${new URLSearchParams(params).toString()}">${label}</a>`;

function trialBalanceSection(input: PageInput, asOf: string, report: TrialBalance) {
  const { lang } = input;
  const rows = report.lines.map(
    (line) =>
      html`<tr data-account="${line.accountCode}">${textCell(line.accountCode)}${textCell(line.accountName)}${textCell(line.unit)}${moneyCell(line.debit)}${moneyCell(line.credit)}</tr>`,
  );
  const totals = Object.entries(report.totals).map(
    ([unit, total]) =>
      html`<tr class="total" data-total-unit="${unit}"><th colspan="2">${t(lang, 'total')}</th>${textCell(unit)}${moneyCell(total.debit)}${moneyCell(total.credit)}</tr>`,
  );
  return section(
    t(lang, 'trialBalance'),
    'trial-balance',
    html`${dateForm(input.url, [{ name: 'asOf', label: t(lang, 'asOf'), value: asOf }], lang)}
${download('trial-balance', { asOf }, t(lang, 'downloadCsv'))}
<p><span class="badge ${report.balanced ? 'ok' : 'fail'}" data-testid="balanced">${t(lang, report.balanced ? 'balanced' : 'unbalanced')}</span></p>
${table({
  id: 'trial-balance-table',
  headers: [
    t(lang, 'account'),
    t(lang, 'accountName'),
    t(lang, 'unit'),
    t(lang, 'debit'),
    t(lang, 'credit'),
  ],
  rows: [...rows, ...totals],
  empty: t(lang, 'none'),
})}`,
  );
}

function statementSection(
  input: PageInput,
  poolCode: string,
  statement: PoolStatement,
  fundInTrialBalance: string | null,
) {
  const { lang } = input;
  const { cash, period } = statement;
  const ties = fundInTrialBalance === cash.closingBalance;
  return section(
    t(lang, 'poolStatement'),
    'pool-statement',
    html`${dateForm(
      input.url,
      [
        { name: 'from', label: t(lang, 'from'), value: period.from },
        { name: 'to', label: t(lang, 'to'), value: period.to },
      ],
      lang,
    )}
${download('pool-statement', { pool: poolCode, from: period.from, to: period.to }, t(lang, 'downloadCsv'))}
${figures('statement-figures', [
  { key: 'openingBalance', label: t(lang, 'openingBalance'), amount: cash.openingBalance },
  { key: 'contributions', label: t(lang, 'contributions'), amount: cash.contributions },
  {
    key: 'contributionRefunds',
    label: t(lang, 'contributionRefunds'),
    amount: cash.contributionRefunds,
  },
  { key: 'remittances', label: t(lang, 'remittances'), amount: cash.remittances },
  ...Object.entries(cash.payoutsByCategory).map(([category, amount]) => ({
    key: `payouts:${category}`,
    label: `${t(lang, 'payouts')}: ${named(lang, category)}`,
    amount,
  })),
  { key: 'payouts', label: t(lang, 'payoutsTotal'), amount: cash.payouts },
  { key: 'closingBalance', label: t(lang, 'closingBalance'), amount: cash.closingBalance },
  { key: 'heldForPayouts', label: t(lang, 'heldForPayouts'), amount: cash.heldForPayouts },
])}
<h2>${t(lang, 'tieToTrialBalance')}</h2>
${figures('tie-figures', [
  {
    key: 'statementClosing',
    label: `${t(lang, 'poolStatement')}: ${t(lang, 'closingBalance')} (${period.to})`,
    amount: cash.closingBalance,
  },
  {
    key: 'trialBalanceFund',
    label: `${t(lang, 'fundInTrialBalance')} (${period.to})`,
    amount: fundInTrialBalance ?? '—',
  },
])}
<p><span class="badge ${ties ? 'ok' : 'fail'}" data-testid="tie">${t(lang, ties ? 'ties' : 'doesNotTie')}</span></p>`,
  );
}

async function payoutsSection(input: PageInput, poolCode: string) {
  const { api, lang } = input;
  const lists = await Promise.all(
    NEEDS_A_PERSON.map((status) =>
      api.tryGet<{ payouts: Payout[] }>(`/finance/payouts?status=${status}`),
    ),
  );
  const payouts = lists.flatMap((list) => (list.ok ? list.body.payouts : []));
  const short = await api.get<Shortfall>(
    `/finance/pools/${encodeURIComponent(poolCode)}/shortfall`,
  );
  return section(
    t(lang, 'payoutsNeedingPerson'),
    'payouts',
    html`<h2>${t(lang, 'shortfall')}</h2>
${figures('shortfall-figures', [
  {
    key: 'amountAwaitingFunds',
    label: `${t(lang, 'amountAwaitingFunds')} (${short.payoutsAwaitingFunds})`,
    amount: short.amountAwaitingFunds,
  },
  { key: 'fundAvailable', label: t(lang, 'fundAvailable'), amount: short.fundAvailable },
  {
    key: 'toCallFromInsurer',
    label: t(lang, 'toCallFromInsurer'),
    amount: short.toCallFromInsurer,
  },
])}
${table({
  id: 'payouts-table',
  headers: [
    t(lang, 'status'),
    t(lang, 'claim'),
    t(lang, 'category'),
    t(lang, 'payee'),
    t(lang, 'amount'),
    t(lang, 'attempts'),
    t(lang, 'lastError'),
    t(lang, 'createdAt'),
  ],
  rows: payouts.map(
    (p) => html`<tr data-payout-id="${p.id}" data-status="${p.status}">
<td><span class="badge ${p.status === 'awaiting_funds' ? '' : 'fail'}">${named(lang, p.status)}</span></td>
${textCell(p.claimId.slice(0, 8))}${textCell(named(lang, p.category))}${textCell(p.payee)}${moneyCell(p.amount)}
<td class="num">${p.attempts}</td>${textCell(p.lastError)}${textCell(p.createdAt.slice(0, 10))}</tr>`,
  ),
  empty: t(lang, 'none'),
})}`,
  );
}

async function matchingSection(input: PageInput, poolCode: string) {
  const { api, lang } = input;
  const { statements } = await api.get<{ statements: StatementSummary[] }>(
    `/finance/pools/${encodeURIComponent(poolCode)}/statements`,
  );
  const shown = statements.slice(0, STATEMENTS_SHOWN);
  const reports = await Promise.all(
    shown.map((s) => api.get<StatementReport>(`/finance/statements/${s.id}/report`)),
  );
  const rows = shown.map((s, i) => {
    const summary = reports[i]?.summary;
    if (!summary) return html``;
    return html`<tr data-statement-id="${s.id}">${textCell(s.filename)}${textCell(named(lang, s.source))}${textCell(`${s.periodFrom} – ${s.periodTo}`)}
<td class="num">${summary.lines}</td><td class="num">${summary.matched}</td><td class="num">${summary.amountMismatches}</td>
<td class="num">${summary.unmatchedStatementLines}</td><td class="num">${summary.unmatchedLedgerItems}</td>
<td class="num">${summary.explainedStatementLines + summary.explainedLedgerItems}</td>
<td><span class="badge ${summary.reconciled ? 'ok' : 'fail'}">${t(lang, summary.reconciled ? 'yes' : 'no')}</span></td></tr>`;
  });
  return section(
    t(lang, 'statements'),
    'statements',
    table({
      id: 'statements-table',
      headers: [
        t(lang, 'file'),
        t(lang, 'source'),
        t(lang, 'period'),
        t(lang, 'lines'),
        t(lang, 'matched'),
        t(lang, 'amountMismatches'),
        t(lang, 'unmatchedLines'),
        t(lang, 'unmatchedItems'),
        t(lang, 'explained'),
        t(lang, 'reconciled'),
      ],
      rows,
      empty: t(lang, 'none'),
    }),
  );
}

async function closeSection(input: PageInput, month: string) {
  const { api, db, lang } = input;
  const state = await api.get<PeriodState>(`/finance/periods/${month}`);
  const inFlight = await Promise.all(
    IN_FLIGHT.map((status) => api.get<{ payouts: Payout[] }>(`/finance/payouts?status=${status}`)),
  );
  const { endsAt } = monthBounds(month);
  const payoutsInFlight = inFlight
    .flatMap((list) => list.payouts)
    .filter((p) => new Date(p.createdAt) < endsAt).length;
  const openLines = await countOpenStatementLines(db, endsAt);
  const blockers = [
    { label: t(lang, 'payoutsInFlight'), count: payoutsInFlight },
    { label: t(lang, 'openStatementLines'), count: openLines },
  ].filter((b) => b.count > 0);
  return section(
    t(lang, 'monthClose'),
    'month-close',
    html`${dateForm(input.url, [{ name: 'month', label: t(lang, 'month'), value: month, type: 'month' }], lang)}
<p>${month}: <span class="badge ${state.closed ? 'ok' : ''}" data-testid="month-state">${t(lang, state.closed ? 'closed' : 'open')}</span>
${state.closedAt ? ` ${state.closedAt.slice(0, 10)}` : ''}</p>
${
  state.closed
    ? ''
    : html`<h2>${t(lang, 'closeBlockers')}</h2>${
        blockers.length === 0
          ? html`<p data-testid="close-blockers-none">${t(lang, 'nothingBlocks')}</p>`
          : html`<ul data-testid="close-blockers">${blockers.map((b) => html`<li>${b.label}: <strong>${b.count}</strong></li>`)}</ul>`
      }`
}
${table({
  id: 'period-history',
  headers: [t(lang, 'history'), t(lang, 'note'), t(lang, 'createdAt')],
  rows: state.history.map(
    (h) =>
      html`<tr>${textCell(`${h.action}${h.forced ? ' (forced)' : ''}`)}${textCell(h.reason)}${textCell(h.recordedAt.slice(0, 19))}</tr>`,
  ),
  empty: t(lang, 'none'),
})}`,
  );
}

export async function financePage(input: PageInput): Promise<Fragment> {
  const { api, lang, url } = input;
  const context = await poolContext(api, url.searchParams.get('pool') ?? undefined);
  if (!context) return notice(t(lang, 'none'));
  const today = todayInShanghai();
  const code = context.pool.code;
  const asOf = dateParam(url.searchParams.get('asOf') ?? undefined, today);
  const from = dateParam(url.searchParams.get('from') ?? undefined, `${today.slice(0, 7)}-01`);
  const to = dateParam(url.searchParams.get('to') ?? undefined, today);
  const monthAsked = url.searchParams.get('month') ?? '';
  const month = /^\d{4}-(0[1-9]|1[0-2])$/.test(monthAsked) ? monthAsked : previousMonth(today);
  const pool = encodeURIComponent(code);
  const [trial, statement, trialAtPeriodEnd] = await Promise.all([
    api.get<TrialBalance>(
      `/finance/ledger/trial-balance?asOf=${encodeURIComponent(endOfDay(asOf))}`,
    ),
    api.get<PoolStatement>(`/finance/pools/${pool}/statement?from=${from}&to=${to}`),
    api.get<TrialBalance>(`/finance/ledger/trial-balance?asOf=${encodeURIComponent(endOfDay(to))}`),
  ]);
  const fundCode = poolAccountCodes(code).fund;
  const fundLine = trialAtPeriodEnd.lines.find((line) => line.accountCode === fundCode);
  return html`<p>${t(lang, 'pool')}: <strong>${context.pool.name}</strong> · ${context.pool.policyNumber}</p>
${trialBalanceSection(input, asOf, trial)}
${statementSection(input, code, statement, fundLine ? fundLine.debit : null)}
${await payoutsSection(input, code)}
${await matchingSection(input, code)}
${await closeSection(input, month)}`;
}
