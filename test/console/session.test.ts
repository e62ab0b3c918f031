/**
 * The console's session and form rules, in-process: the cookie it keeps, a form posted
 * from another origin, and CSV downloads only for the role whose API route they forward to.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/db/schema.ts';
import { call, createTestApp, type TestApp } from '../http/support.ts';
import { seedDemoPool } from './demo-pool.ts';

let t: TestApp;
const ORIGIN = 'http://localhost';

beforeAll(async () => {
  t = await createTestApp();
  await seedDemoPool(t);
});
afterAll(() => t.close());

async function cookieFor(role: Role): Promise<string> {
  const response = await t.app.request('/console/sign-in', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN },
    body: new URLSearchParams({ token: t.users[role].token }).toString(),
  });
  expect(response.status).toBe(303);
  const cookie = response.headers.get('set-cookie') ?? '';
  expect(cookie).toMatch(/HttpOnly/);
  expect(cookie).toMatch(/SameSite=Strict/);
  expect(cookie).toMatch(/Path=\/console/);
  return cookie.split(';')[0] ?? '';
}

describe('console session', () => {
  it('keeps the token only in the cookie, never in a page', async () => {
    const cookie = await cookieFor('reform_office');
    const page = await t.app.request('/console/reform-office', { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).not.toContain(t.users.reform_office.token);
  });

  it('refuses a form posted from another origin and writes nothing', async () => {
    const cookie = await cookieFor('reform_office');
    const alerts = await call(t.app, 'GET', '/pools/county/alerts', {
      token: t.users.reform_office.token,
    });
    const [alert] = ((await alerts.json()) as { alerts: { id: string }[] }).alerts;
    expect(alert).toBeDefined();
    const response = await t.app.request(`/console/reform-office/alerts/${alert?.id}/acknowledge`, {
      method: 'POST',
      headers: {
        cookie,
        origin: 'http://elsewhere.example',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'idempotencyKey=console-foreign-1',
    });
    expect(response.status).toBe(403);
    const after = await call(t.app, 'GET', '/pools/county/alerts', {
      token: t.users.reform_office.token,
    });
    const [same] = ((await after.json()) as { alerts: { acknowledgedAt: string | null }[] }).alerts;
    expect(same?.acknowledgedAt).toBeNull();
    const audit = await call(t.app, 'GET', '/audit?action=alert.acknowledge', {
      token: t.users.finance.token,
    });
    expect(((await audit.json()) as { records: unknown[] }).records).toEqual([]);
  });

  it('forwards a CSV download to the API route of the role that may have it', async () => {
    const path = '/console/download/trial-balance?asOf=2026-12-01';
    const finance = await t.app.request(path, { headers: { cookie: await cookieFor('finance') } });
    expect(finance.status).toBe(200);
    expect(finance.headers.get('content-type')).toContain('text/csv');
    expect(await finance.text()).toMatch(/^\uFEFF?科目/);
    const insurer = await t.app.request(path, { headers: { cookie: await cookieFor('insurer') } });
    expect(insurer.status).toBe(403);
    expect(insurer.headers.get('content-type')).not.toContain('text/csv');
  });
});
