/**
 * /docs on a closed network: a headless Chromium (Debian's, driven by playwright-core)
 * whose every request to anywhere but this app is refused opens the API reference and
 * finds the operations listed, grouped by role — and the page asked nothing of any other host.
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docsScriptFromPackage } from '../../src/node/docs-script.ts';
import { createTestApp, type TestApp } from '../http/support.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let t: TestApp;
let server: ReturnType<typeof serve>;
let base: string;
let browser: Browser;

beforeAll(async () => {
  t = await createTestApp({ docsScript: docsScriptFromPackage() });
  await new Promise<void>((resolve) => {
    server = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve());
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
  await t?.close();
});

describe('the API reference offline', () => {
  it('renders every group of operations from this app alone', async () => {
    const context = await browser.newContext({ serviceWorkers: 'block' });
    const elsewhere: string[] = [];
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(base) || url.startsWith('data:') || url.startsWith('blob:'))
        return route.continue();
      elsewhere.push(url);
      return route.abort('internetdisconnected');
    });
    const page = await context.newPage();
    const response = await page.goto(`${base}/docs`, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);

    // Operations by their summaries, from three roles' groups.
    await page
      .getByText('Record a contribution', { exact: false })
      .first()
      .waitFor({ timeout: 30_000 });
    const text = (await page.locator('body').textContent()) ?? '';
    expect(text).toContain('Finance bureau (县财政局)');
    expect(text).toContain('Insurer claims staff');
    expect(text).toContain('The process is up');
    expect(elsewhere).toEqual([]);
    await context.close();
  }, 60_000);

  it('serves the script itself, with no font host named in the page', async () => {
    const script = await fetch(`${base}/docs/scalar.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    expect((await script.text()).length).toBeGreaterThan(100_000);
    const page = await (await fetch(`${base}/docs`)).text();
    expect(page).toContain('src="/docs/scalar.js"');
    expect(page).not.toMatch(/https?:\/\//);
  });
});
