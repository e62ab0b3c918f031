/**
 * The API under `wrangler dev` (workerd, the Workers runtime) with PostgreSQL through the
 * Hyperdrive binding's local connection string: the same app answers, writes money through
 * the ledger, replays an Idempotency-Key and speaks problem+json — over real HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Money } from '../../src/ledger/money.ts';
import type { Staff } from '../claims/support.ts';
import { fundedPool } from '../claims/support.ts';
import { createTestApp, type TestApp } from '../http/support.ts';
import { type Child, running, sparePort, startChild, stopChild } from '../payouts/processes.ts';
import { eventually } from '../payouts/support.ts';

let t: TestApp;
let wrangler: Child;
let base: string;

/** Hyperdrive's local mode needs a password in the URL; trust authentication ignores it. */
function withPassword(url: string): string {
  const parsed = new URL(url);
  if (!parsed.password) parsed.password = 'local';
  return parsed.toString();
}

beforeAll(async () => {
  t = await createTestApp();
  const staff: Staff = {
    intake: t.intake.id,
    handler: t.users.insurer.id,
    checker: t.users.insurer.id,
    finance: t.users.finance.id,
    office: t.users.reform_office.id,
  };
  await fundedPool(t.database.db, 'edge', staff);
  const [port, inspectorPort] = [await sparePort(), await sparePort()];
  base = `http://127.0.0.1:${port}`;
  wrangler = startChild(
    'wrangler dev',
    'npx',
    [
      'wrangler',
      'dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--inspector-port',
      String(inspectorPort),
      '--show-interactive-dev-session=false',
    ],
    {
      ...process.env,
      CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE: withPassword(t.database.url ?? ''),
      WRANGLER_SEND_METRICS: 'false',
    },
  );
  const up = await eventually(async () => {
    if (!running(wrangler)) return true;
    const response = await fetch(`${base}/healthz`).catch(() => null);
    return response?.status === 200;
  }, 90_000);
  if (!up || !running(wrangler))
    throw new Error(`wrangler dev did not answer /healthz:\n${wrangler.output.join('\n')}`);
}, 120_000);

afterAll(async () => {
  if (wrangler) await stopChild(wrangler, 'SIGTERM', 10_000);
  await t?.close();
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('the API on the Workers runtime', () => {
  it('is live and ready, with the database answering through Hyperdrive', async () => {
    const health = await fetch(`${base}/healthz`);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { database: 'ok' } });
  });

  it('publishes the same OpenAPI document as the Node app', async () => {
    const edge = await (await fetch(`${base}/openapi.json`)).json();
    const node = await (await t.app.request('/openapi.json')).json();
    expect(edge).toEqual(node);
  });

  it('serves the API reference and its script from the bundle, with no network', async () => {
    const docs = await fetch(`${base}/docs`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('src="/docs/scalar.js"');
    const script = await fetch(`${base}/docs/scalar.js`);
    expect(script.status).toBe(200);
    expect((await script.text()).length).toBeGreaterThan(100_000);
  });

  it('records a contribution once under its Idempotency-Key, and the pool figures count it once', async () => {
    const coverage = async () => {
      const response = await fetch(`${base}/pools/edge/coverage`, {
        headers: bearer(t.users.reform_office.token),
      });
      expect(response.status).toBe(200);
      return (await response.json()) as { contributionsReceived: string; surplus: string };
    };
    const before = await coverage();
    const send = () =>
      fetch(`${base}/finance/pools/edge/contributions`, {
        method: 'POST',
        headers: {
          ...bearer(t.users.finance.token),
          'content-type': 'application/json',
          'idempotency-key': 'edge-smoke-contribution-1',
        },
        body: JSON.stringify({
          amount: '1234.56',
          receivedOn: '2026-02-02',
          payer: 'County finance bureau',
          bankReference: 'EDGE-0001',
        }),
      });
    const first = await send();
    expect(first.status).toBe(201);
    const recorded = (await first.json()) as { id: string; amount: string; surplus: string };
    expect(recorded.amount).toBe('1234.56');
    const replay = await send();
    expect(replay.status).toBe(201);
    expect(((await replay.json()) as { id: string }).id).toBe(recorded.id);

    const after = await coverage();
    // The pool was already funded to its cap: all of it is surplus, recorded once.
    expect(recorded.surplus).toBe('1234.56');
    expect(after.contributionsReceived).toBe(
      new Money(before.contributionsReceived).plus('1234.56').toFixed(2),
    );
    const rows = await t.database.db
      .selectFrom('contribution')
      .select('id')
      .where('bank_reference', '=', 'EDGE-0001')
      .execute();
    expect(rows).toHaveLength(1);
  });

  it('answers a missing token with 401 and a bad body with 422, both as problem+json', async () => {
    const unauthenticated = await fetch(`${base}/me`);
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(((await unauthenticated.json()) as { code: string }).code).toBe('unauthenticated');

    const invalid = await fetch(`${base}/finance/pools/edge/contributions`, {
      method: 'POST',
      headers: {
        ...bearer(t.users.finance.token),
        'content-type': 'application/json',
        'idempotency-key': 'edge-smoke-invalid-1',
      },
      body: JSON.stringify({
        amount: '-5.001',
        receivedOn: '2026-02-30',
        payer: '',
        bankReference: 'x',
      }),
    });
    expect(invalid.status).toBe(422);
    expect(invalid.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = (await invalid.json()) as { code: string; errors: { field: string }[] };
    expect(problem.code).toBe('validation_failed');
    expect(problem.errors.map((e) => e.field)).toEqual(
      expect.arrayContaining(['json.amount', 'json.receivedOn', 'json.payer']),
    );
  });
});
