/**
 * The console in a real browser: Debian's chromium driven by playwright-core, against the
 * app served on a free loopback port over a seeded pool on PostgreSQL. Any request that
 * leaves the machine is blocked and fails the test (the console must work offline). Each
 * page's screenshot is saved under test-artifacts/console/ (not committed).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatMoney } from '../../src/console/money.ts';
import { todayInShanghai } from '../../src/console/pool-context.ts';
import type { Role } from '../../src/db/schema.ts';
import { call, createTestApp, type TestApp } from '../http/support.ts';
import { seedDemoPool } from './demo-pool.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'console');

let t: TestApp;
let server: ReturnType<typeof serve>;
let base: string;
let context: BrowserContext;
let userDataDir: string;
const offMachine: string[] = [];
const loadTimes: Record<string, { html_ms: number; loaded_ms: number }> = {};

async function api<T>(role: Role, path: string): Promise<T> {
  const response = await call(t.app, 'GET', path, { token: t.users[role].token });
  expect(response.status, path).toBe(200);
  return (await response.json()) as T;
}

async function signIn(page: Page, role: Role): Promise<void> {
  await context.clearCookies();
  await page.goto(`${base}/console`);
  expect(new URL(page.url()).pathname).toBe('/console/sign-in');
  await page.fill('#token', t.users[role].token);
  await Promise.all([
    page.waitForURL((url) => url.pathname !== '/console/sign-in'),
    page.click('button[type=submit]'),
  ]);
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === 'rp_console_token');
  expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/console' });
  // The page never shows the token again.
  expect(await page.content()).not.toContain(t.users[role].token);
}

/** Opens a console page, records how long it took, waits for its charts and saves a screenshot. */
async function open(page: Page, path: string, shot: string): Promise<void> {
  const response = await page.goto(`${base}${path}`);
  expect(response?.status(), path).toBe(200);
  await page.waitForSelector('html[data-charts-ready=true]');
  loadTimes[shot] = await page.evaluate(() => {
    const [navigation] = performance.getEntriesByType(
      'navigation',
    ) as PerformanceNavigationTiming[];
    if (!navigation) return { html_ms: -1, loaded_ms: -1 };
    return {
      html_ms: Math.round(navigation.responseEnd - navigation.requestStart),
      loaded_ms: Math.round(navigation.loadEventEnd - navigation.startTime),
    };
  });
  await page.screenshot({ path: join(ARTIFACTS, `${shot}.png`), fullPage: true });
}

const text = (page: Page, selector: string) => page.locator(selector).textContent();

async function expectForbidden(page: Page, path: string): Promise<void> {
  const response = await page.goto(`${base}${path}`);
  expect(response?.status(), path).toBe(403);
  expect(await page.locator('[data-testid=notice]').textContent()).toBe('您的角色不能打开此页面。');
}

beforeAll(async () => {
  t = await createTestApp();
  await seedDemoPool(t);
  await mkdir(ARTIFACTS, { recursive: true });
  server = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  userDataDir = await mkdtemp(join(tmpdir(), 'console-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 900 },
    locale: 'zh-CN',
  });
  context.setDefaultTimeout(15_000);
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.origin === base) return route.continue();
    offMachine.push(url.href);
    return route.abort('blockedbyclient');
  });
}, 120_000);

afterAll(async () => {
  await context?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await t?.close();
  if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
  console.log(
    `console pages (HTML served, and loaded with scripts and charts; ms, shared machine): ${JSON.stringify(loadTimes)}`,
  );
  expect(offMachine, 'requests that left the machine').toEqual([]);
});

describe('the console in chromium', () => {
  it('shows the reform office the API’s coverage, alerts, categories and deadlines, and acknowledges an alert with its audit record', async () => {
    const page = await context.newPage();
    await signIn(page, 'reform_office');
    expect(new URL(page.url()).pathname).toBe('/console/reform-office');
    await open(page, '/console/reform-office', 'reform-office');

    const coverage = await api<Record<string, string>>('reform_office', '/pools/county/coverage');
    expect(coverage.committed).toBe('435000.00');
    expect(await text(page, '[data-figure=capacity]')).toBe(formatMoney(coverage.capacity ?? ''));
    expect(await text(page, '[data-figure=committed]')).toBe(formatMoney(coverage.committed ?? ''));
    expect(await text(page, '[data-figure=remaining]')).toBe(formatMoney(coverage.remaining ?? ''));
    expect(await text(page, '[data-figure=capacity]')).toBe('500,000.00 元');
    const gauge = await page.evaluate(() => {
      const el = document.getElementById('coverage-gauge');
      const chart = el
        ? (
            window as unknown as {
              echarts: {
                getInstanceByDom(e: Element): {
                  getOption(): {
                    series: {
                      data: { value: number }[];
                      axisLine: { lineStyle: { color: [number, string][] } };
                    }[];
                  };
                };
              };
            }
          ).echarts.getInstanceByDom(el)
        : null;
      const series = chart?.getOption().series[0];
      return {
        value: series?.data[0]?.value,
        stops: series?.axisLine.lineStyle.color.map((s) => s[0]),
      };
    });
    expect(gauge.value).toBe(Number(coverage.utilisationPercent));
    expect(gauge.stops).toEqual([0.5, 0.8, 0.9, 1]);
    expect(await text(page, '[data-figure=utilisation]')).toBe(`${coverage.utilisationPercent} %`);

    // Claims by category: the same balances finance reads in the trial balance.
    const trial = await api<{ lines: { accountCode: string; debit: string }[] }>(
      'finance',
      '/finance/ledger/trial-balance',
    );
    for (const category of [
      'property_loss',
      'lawyer_fees',
      'appraisal',
      'litigation_arbitration',
    ]) {
      const line = trial.lines.find(
        (l) => l.accountCode === `pool:county:cash:expense:${category}`,
      );
      expect(await text(page, `[data-category=${category}] td:nth-child(2)`)).toBe(
        formatMoney(line?.debit ?? '0.00'),
      );
    }
    expect(await text(page, `[data-category=property_loss] td:nth-child(2)`)).toBe('380,000.00 元');

    const overdue = page.locator('[data-deadline-state=overdue]');
    expect(await overdue.count()).toBe(1);
    expect(await overdue.getAttribute('class')).toContain('overdue');

    const { alerts } = await api<{
      alerts: { id: string; acknowledgedAt: string | null; thresholdPercent: string }[];
    }>('reform_office', '/pools/county/alerts');
    expect(await page.locator('[data-testid=alerts-table] tbody tr').count()).toBe(alerts.length);
    const open50 = alerts.find((a) => a.acknowledgedAt === null);
    expect(open50).toBeDefined();
    await Promise.all([
      page.waitForURL(/done=acknowledged/),
      page.click(`[data-testid=acknowledge-${open50?.id}]`),
    ]);
    expect(await text(page, '[data-testid=notice]')).toBe('预警已确认。');
    await page.screenshot({
      path: join(ARTIFACTS, 'reform-office-acknowledged.png'),
      fullPage: true,
    });

    const after = await api<{
      alerts: { id: string; acknowledgedAt: string | null; acknowledgedBy: string | null }[];
    }>('reform_office', '/pools/county/alerts');
    expect(after.alerts.find((a) => a.id === open50?.id)).toMatchObject({
      acknowledgedBy: t.users.reform_office.id,
    });
    const audit = await api<{
      records: { actorUserId: string; actorRole: string; entityId: string }[];
    }>('finance', '/audit?action=alert.acknowledge');
    expect(audit.records).toEqual([
      expect.objectContaining({
        actorUserId: t.users.reform_office.id,
        actorRole: 'reform_office',
        entityId: open50?.id,
      }),
    ]);

    // A tablet in portrait: one column, nothing wider than the screen.
    await page.setViewportSize({ width: 820, height: 1180 });
    await open(page, '/console/reform-office', 'reform-office-tablet');
    expect(
      await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth),
    ).toBe(true);
    await page.setViewportSize({ width: 1280, height: 900 });

    await page.goto(`${base}/console/reform-office?lang=en`);
    expect(await text(page, 'h1')).toBe('Reform office');
    expect(await text(page, '[data-figure=capacity]')).toBe(formatMoney(coverage.capacity ?? ''));
    await page.goto(`${base}/console/reform-office?lang=zh`);
    expect(await text(page, 'h1')).toBe('县委改革办');

    await expectForbidden(page, '/console/finance');
    await expectForbidden(page, '/console/insurer');
    await page.close();
  });

  it('shows finance the API’s trial balance, statement tie, shortfall and close state, with Chinese CSV downloads', async () => {
    const page = await context.newPage();
    await signIn(page, 'finance');
    const today = todayInShanghai();
    await open(
      page,
      `/console/finance?from=2026-01-01&to=${today}&asOf=${today}&month=${today.slice(0, 7)}`,
      'finance',
    );

    const trial = await api<{
      lines: { accountCode: string; debit: string; credit: string }[];
      totals: Record<string, { debit: string }>;
    }>(
      'finance',
      `/finance/ledger/trial-balance?asOf=${encodeURIComponent(`${today}T23:59:59.999+08:00`)}`,
    );
    expect(await page.locator('[data-testid=trial-balance-table] tr[data-account]').count()).toBe(
      trial.lines.length,
    );
    for (const line of trial.lines) {
      const row = page.locator(`tr[data-account="${line.accountCode}"]`);
      expect(await row.locator('td:nth-child(4)').textContent()).toBe(formatMoney(line.debit));
      expect(await row.locator('td:nth-child(5)').textContent()).toBe(formatMoney(line.credit));
    }
    expect(await text(page, '[data-testid=balanced]')).toBe('借贷平衡');

    const statement = await api<{ cash: Record<string, string> }>(
      'finance',
      `/finance/pools/county/statement?from=2026-01-01&to=${today}`,
    );
    expect(await text(page, '[data-figure=closingBalance]')).toBe(
      formatMoney(statement.cash.closingBalance ?? ''),
    );
    expect(await text(page, '[data-figure=contributions]')).toBe('10,000.00 元');
    expect(await text(page, '[data-testid=tie]')).toBe('一致');

    const shortfall = await api<Record<string, string>>(
      'finance',
      '/finance/pools/county/shortfall',
    );
    expect(await text(page, '[data-figure=toCallFromInsurer]')).toBe(
      formatMoney(shortfall.toCallFromInsurer ?? ''),
    );
    expect(await text(page, '[data-figure=amountAwaitingFunds]')).toBe(
      formatMoney(shortfall.amountAwaitingFunds ?? ''),
    );
    const waiting = await api<{ payouts: { id: string; amount: string }[] }>(
      'finance',
      '/finance/payouts?status=awaiting_funds',
    );
    expect(waiting.payouts.length).toBeGreaterThan(0);
    for (const payout of waiting.payouts) {
      expect(await text(page, `tr[data-payout-id="${payout.id}"] td.num[data-amount]`)).toBe(
        formatMoney(payout.amount),
      );
    }
    expect(await text(page, '[data-testid=month-state]')).toBe('未结账');
    expect(await text(page, '[data-testid=close-blockers]')).toContain('在途赔付');
    expect(await text(page, '[data-testid=close-blockers]')).toContain(
      '未匹配或未说明的对账单行: 1',
    );
    const [statementRow] = (
      await api<{ statements: { id: string }[] }>('finance', '/finance/pools/county/statements')
    ).statements;
    const report = await api<{ summary: Record<string, number> }>(
      'finance',
      `/finance/statements/${statementRow?.id}/report`,
    );
    const cells = page.locator(`tr[data-statement-id="${statementRow?.id}"] td.num`);
    expect(await cells.nth(1).textContent()).toBe(String(report.summary.matched));
    expect(await cells.nth(3).textContent()).toBe(String(report.summary.unmatchedStatementLines));

    const csv = await page.evaluate(
      async (href) => {
        const response = await fetch(href);
        return {
          status: response.status,
          type: response.headers.get('content-type'),
          body: await response.text(),
        };
      },
      (await page.locator('#trial-balance a.csv').getAttribute('href')) ?? '',
    );
    expect(csv.status).toBe(200);
    expect(csv.type).toContain('text/csv');
    expect(csv.body).toContain('科目');

    await expectForbidden(page, '/console/reform-office');
    await expectForbidden(page, '/console/insurer');
    await page.close();
  });

  it('shows the insurer the API’s work queue, a claim with its decision and payouts, and the loss run', async () => {
    const page = await context.newPage();
    await signIn(page, 'insurer');
    const today = todayInShanghai();
    await open(page, `/console/insurer?asOf=${today}`, 'insurer');

    const queue = await api<{ claims: { id: string; claimed: string }[] }>(
      'insurer',
      '/insurer/claims',
    );
    expect(await page.locator('[data-testid=queue-table] tbody tr').count()).toBe(
      queue.claims.length,
    );
    for (const item of queue.claims) {
      expect(
        await text(
          page,
          `[data-testid=queue-table] tr[data-claim-id="${item.id}"] td.num[data-amount]`,
        ),
      ).toBe(formatMoney(item.claimed));
    }
    const lossRun = await api<{ rows: { claimId: string; incurred: string; paid: string }[] }>(
      'insurer',
      `/insurer/pools/county/loss-run?asOf=${today}`,
    );
    expect(await page.locator('[data-testid=loss-run-table] tbody tr').count()).toBe(
      lossRun.rows.length,
    );
    for (const row of lossRun.rows) {
      const cells = page.locator(
        `[data-testid=loss-run-table] tr[data-claim-id="${row.claimId}"] td.num[data-amount]`,
      );
      expect(await cells.nth(1).textContent()).toBe(formatMoney(row.paid));
      expect(await cells.nth(3).textContent()).toBe(formatMoney(row.incurred));
    }

    const decided = lossRun.rows.find((r) => r.incurred === '405000.00');
    expect(decided).toBeDefined();
    await open(page, `/console/insurer/claims/${decided?.claimId}`, 'insurer-claim');
    const claim = await api<{
      money: Record<string, string>;
      lines: { id: string; amountClaimed: string }[];
    }>('insurer', `/insurer/claims/${decided?.claimId}`);
    expect(await text(page, '[data-testid=claim-money] [data-figure=approved]')).toBe(
      formatMoney(claim.money.approved ?? ''),
    );
    expect(await text(page, '[data-testid=claim-money] [data-figure=paid]')).toBe(
      formatMoney(claim.money.paid ?? ''),
    );
    for (const line of claim.lines) {
      const claimed = page.locator(`tr[data-line-id="${line.id}"] td.num[data-amount]`).first();
      expect(await claimed.textContent()).toBe(formatMoney(line.amountClaimed));
    }
    expect(await page.locator('[data-testid=claim-payouts-table] tbody tr').count()).toBe(2);

    await expectForbidden(page, '/console/reform-office');
    await expectForbidden(page, '/console/finance');
    await page.close();
  });

  it('signs out and refuses a token the API does not know', async () => {
    const page = await context.newPage();
    await signIn(page, 'insurer');
    await Promise.all([page.waitForURL(/sign-in/), page.click('header button[type=submit]')]);
    expect((await context.cookies()).find((c) => c.name === 'rp_console_token')).toBeUndefined();
    const response = await page.goto(`${base}/console/insurer`);
    expect(new URL(response?.url() ?? '').pathname).toBe('/console/sign-in');
    await page.fill('#token', 'rp_not-a-real-token');
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=notice]');
    expect(await text(page, '[data-testid=notice]')).toBe('令牌无效、已吊销或已过期。');
    expect(await page.content()).not.toContain('rp_not-a-real-token');
    await page.close();
  });
});
