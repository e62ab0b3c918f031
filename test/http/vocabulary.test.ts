/**
 * One vocabulary in the API: `asOf` takes a date (the end of that day in Asia/Shanghai) or an
 * instant on every route that has it, and both give the same figure; `?pool=` filters the
 * payouts; a documented query parameter does what it says and an unknown one is refused;
 * every route with an id in its path documents its 404 and answers one; a report that is
 * JSON or CSV is two routes, each with one media type; what is left of a cap is `remaining`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { poolAccountCodes } from '../../src/policy/pool-accounts.ts';
import type { Pool } from '../../src/policy/pools.ts';
import { createStaff, fundedPool, type Staff } from '../claims/support.ts';
import { contribution } from '../finance/support.ts';
import { approveClaims, claimLine, incidentOn } from '../payouts/support.ts';
import {
  call,
  createTestApp,
  expectProblem,
  fetchSpec,
  fillPath,
  type OpenApiDocument,
  operationsOf,
  pathParams,
  readJson,
  type TestApp,
} from './support.ts';

let t: TestApp;
let spec: OpenApiDocument;
let staff: Staff;
let poolA: Pool;
let poolB: Pool;
let riskPointId: string;
const claimsOf: Record<string, string[]> = {};

const get = async (role: 'finance' | 'insurer' | 'reform_office' | 'admin', path: string) =>
  call(t.app, 'GET', path, { token: t.users[role].token });

async function json(role: 'finance' | 'insurer' | 'reform_office' | 'admin', path: string) {
  const response = await get(role, path);
  expect(response.status, `${path}: ${await response.clone().text()}`).toBe(200);
  return readJson(response);
}

beforeAll(async () => {
  t = await createTestApp();
  spec = await fetchSpec(t.app);
  const db = t.database.db;
  staff = await createStaff(db, 'vocabulary');
  // Pool A: 30,000.00 on 5 January buys 1,500,000.00; 10,000.00 more on 10 February.
  poolA = await fundedPool(db, 'voc-a', staff, { contribution: '30000.00' });
  await contribution(db, poolA, staff, '10000.00', 'voc-a-2', '2026-02-10');
  poolB = await fundedPool(db, 'voc-b', staff);
  for (const pool of [poolA, poolB]) {
    const incident = await incidentOn(db, pool.code, staff);
    const approved = await approveClaims(db, staff, incident, [
      [claimLine('property_loss', '1200.00', `Payee ${pool.code}`)],
    ]);
    claimsOf[pool.code] = approved.map((a) => a.claimId);
  }
  const point = await db.selectFrom('risk_point').select('id').executeTakeFirstOrThrow();
  riskPointId = point.id;
}, 120_000);
afterAll(() => t.close());

describe('asOf: a date means the end of that local day; an instant means that moment', () => {
  it('pool coverage: before and on the day of a contribution, as dates and as instants', async () => {
    const capacity = async (asOf: string) =>
      (await json('finance', `/pools/voc-a/coverage?asOf=${encodeURIComponent(asOf)}`)).capacity;
    expect(await capacity('2026-02-09')).toBe('1500000.00');
    expect(await capacity('2026-02-09T23:59:59+08:00')).toBe('1500000.00');
    // The same instant written in UTC: 16:00Z on the 9th is midnight of the 10th in Shanghai.
    expect(await capacity('2026-02-09T15:59:59Z')).toBe('1500000.00');
    expect(await capacity('2026-02-10')).toBe('2000000.00');
    expect(await capacity('2026-02-10T23:59:59+08:00')).toBe('2000000.00');
    const onDay = await json('finance', '/pools/voc-a/coverage?asOf=2026-02-10');
    expect(onDay.asOf).toBe('2026-02-10');
    expect(onDay.remaining).toBe(onDay.capacity);
    expect(onDay).not.toHaveProperty('available');
  });

  it("an account's balance and the trial balance read the fund the same way", async () => {
    const fund = encodeURIComponent(poolAccountCodes('voc-a').fund);
    const balance = async (asOf: string) =>
      (await json('finance', `/finance/ledger/accounts/${fund}?asOf=${encodeURIComponent(asOf)}`))
        .balance;
    expect(await balance('2026-02-09')).toBe('30000.00');
    expect(await balance('2026-02-09T23:59:59+08:00')).toBe('30000.00');
    expect(await balance('2026-02-10')).toBe('40000.00');
    expect(await balance('2026-02-10T12:00:00+08:00')).toBe('40000.00');
    const line = async (asOf: string) => {
      const body = await json('finance', `/finance/ledger/trial-balance?asOf=${asOf}`);
      const lines = body.lines as { accountCode: string; debit: string }[];
      return lines.find((l) => l.accountCode === poolAccountCodes('voc-a').fund)?.debit;
    };
    expect(await line('2026-02-09')).toBe('30000.00');
    expect(await line(encodeURIComponent('2026-02-10T00:00:01+08:00'))).toBe('40000.00');
  });

  it('the loss run as of today and as of now lists the same claim with the same figures', async () => {
    const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
    const byDate = await json('insurer', `/insurer/pools/voc-a/loss-run?asOf=${today}`);
    const now = encodeURIComponent(new Date().toISOString());
    const byInstant = await json('insurer', `/insurer/pools/voc-a/loss-run?asOf=${now}`);
    expect(byDate.rows).toHaveLength(1);
    expect(byInstant.rows).toEqual(byDate.rows);
    // Before the claim was submitted there is nothing to list.
    const before = await json('insurer', '/insurer/pools/voc-a/loss-run?asOf=2026-02-10T12:00:00Z');
    expect(before.rows).toEqual([]);
  });

  it('filing deadlines judge on the local day an instant falls on', async () => {
    const late = await json(
      'reform_office',
      `/filings/deadlines?asOf=${encodeURIComponent('2026-02-09T17:00:00Z')}`,
    );
    expect(late.asOf).toBe('2026-02-10');
    const byDate = await json('reform_office', '/filings/deadlines?asOf=2026-02-10');
    expect(byDate.asOf).toBe('2026-02-10');
  });

  it('risk points, reference lists and investigations take a date and an instant alike', async () => {
    const now = encodeURIComponent(new Date().toISOString());
    const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
    const pointNow = await json('insurer', `/risk-points/${riskPointId}?asOf=${now}`);
    const pointToday = await json('insurer', `/risk-points/${riskPointId}?asOf=${today}`);
    expect(pointNow.inForce).toEqual(pointToday.inForce);
    const itemsNow = await json('insurer', `/reference-lists?asOf=${now}`);
    const itemsToday = await json('insurer', `/reference-lists?asOf=${today}`);
    expect(itemsNow.items).toEqual(itemsToday.items);
    const casesNow = await get('insurer', `/exemption/investigations?asOf=${now}`);
    expect(casesNow.status).toBe(200);
  });

  it('refuses an asOf that is neither a date nor an instant, naming the parameter', async () => {
    for (const bad of ['2026-02-30', 'yesterday', '2026-02-10T12:00:00']) {
      const response = await get(
        'finance',
        `/pools/voc-a/coverage?asOf=${encodeURIComponent(bad)}`,
      );
      const problem = await expectProblem(response, 422, 'validation_failed');
      expect(problem.errors).toContainEqual({
        field: 'query.asOf',
        reason:
          'a date YYYY-MM-DD or an instant with its offset, such as 2026-11-27T10:00:00+08:00',
      });
    }
    // Where it is required, its absence says so.
    const missing = await expectProblem(
      await get('insurer', '/insurer/pools/voc-a/loss-run'),
      422,
      'validation_failed',
    );
    expect(missing.errors).toContainEqual({
      field: 'query.asOf',
      reason: 'required: a date YYYY-MM-DD or an instant with its offset',
    });
  });

  it('documents one shared asOf schema on every route that takes it', () => {
    const asOfs = operationsOf(spec).flatMap((ref) =>
      (ref.operation.parameters ?? [])
        .filter((p) => p.in === 'query' && p.name === 'asOf')
        .map((p) => ({ at: `${ref.method} ${ref.path}`, schema: JSON.stringify(p.schema) })),
    );
    expect(asOfs.length).toBeGreaterThanOrEqual(9);
    for (const { at, schema } of asOfs) {
      expect(schema, at).toContain('date-time');
      expect(schema, at).toContain('"date"');
    }
  });
});

describe('query parameters do what they say or are refused', () => {
  it('?pool= lists only the payouts of that pool', async () => {
    for (const pool of [poolA, poolB]) {
      const body = await json('finance', `/finance/payouts?pool=${pool.code}`);
      const payouts = body.payouts as { poolId: string; claimId: string }[];
      expect(payouts.length).toBeGreaterThan(0);
      expect(new Set(payouts.map((p) => p.poolId))).toEqual(new Set([pool.id]));
      expect(new Set(payouts.map((p) => p.claimId))).toEqual(new Set(claimsOf[pool.code]));
    }
    const byId = await json('finance', `/finance/payouts?pool=${poolB.id}`);
    expect((byId.payouts as { poolId: string }[]).every((p) => p.poolId === poolB.id)).toBe(true);
    await expectProblem(
      await get('finance', '/finance/payouts?pool=no-such-pool'),
      404,
      'not_found',
    );
  });

  it('refuses a query parameter the route does not document, instead of ignoring it', async () => {
    const response = await get('finance', '/finance/payouts?pol=voc-a');
    const problem = await expectProblem(response, 422, 'validation_failed');
    expect(problem.detail).toMatch(/query/);
    // The old way to ask for a CSV is refused: the CSV is its own route now.
    await expectProblem(
      await get('insurer', '/insurer/pools/voc-a/loss-run?asOf=2026-02-10&format=csv'),
      422,
      'validation_failed',
    );
  });
});

describe('ids', () => {
  it('a work queue item names its claim `id`, as the claim does', async () => {
    const decided = await json('insurer', `/insurer/claims/${claimsOf['voc-a']?.[0]}`);
    const submitted = await call(t.app, 'POST', '/insurer/claims', {
      token: t.users.insurer.token,
      json: {
        incidentId: decided.incidentId,
        claimant: 'Queue Co.',
        lines: [
          {
            category: 'appraisal',
            amountClaimed: '800.00',
            payee: 'Appraiser Q',
            evidence: [{ title: 'invoice', documentNumber: 'Q-1', sha256: 'c'.repeat(64) }],
          },
        ],
      },
    });
    expect(submitted.status, await submitted.clone().text()).toBe(201);
    const { id: claimId } = (await submitted.json()) as { id: string };
    const body = await json('insurer', '/insurer/claims?status=submitted&limit=500');
    const queue = body.claims as Record<string, unknown>[];
    const item = queue.find((q) => q.id === claimId);
    expect(item).toBeDefined();
    expect(item).not.toHaveProperty('claimId');
    const claim = await json('insurer', `/insurer/claims/${String(item?.id)}`);
    expect(claim.id).toBe(item?.id);
  });

  it('every path with a parameter documents a 404 problem', () => {
    for (const ref of operationsOf(spec)) {
      if (!ref.path.includes('{')) continue;
      const notFound = ref.operation.responses?.['404'] as
        | { content?: Record<string, unknown> }
        | undefined;
      expect(notFound?.content, `${ref.method} ${ref.path}`).toHaveProperty(
        'application/problem+json',
      );
    }
  });

  it('every GET with ids in its path answers 404 for ids that do not exist', async () => {
    let asked = 0;
    for (const ref of operationsOf(spec)) {
      if (ref.method !== 'get' || !ref.path.includes('{')) continue;
      const params = pathParams(ref);
      const values: Record<string, string> = {};
      let askable = true;
      for (const p of params) {
        const schema = p.schema as { format?: string } | undefined;
        if (schema?.format === 'uuid') values[p.name] = crypto.randomUUID();
        else if (p.name === 'pool') values[p.name] = 'no-such-pool';
        else askable = false;
      }
      if (!askable) continue;
      const roles = (ref.operation as { 'x-roles'?: string[] })['x-roles'] ?? [];
      const role = roles[0] as keyof TestApp['users'];
      const query = (ref.operation.parameters ?? []).some(
        (p) => p.in === 'query' && p.name === 'asOf' && p.required,
      )
        ? '?asOf=2026-02-10'
        : (ref.operation.parameters ?? []).some((p) => p.in === 'query' && p.name === 'from')
          ? '?from=2026-01-01&to=2026-01-31'
          : '';
      const response = await call(t.app, 'GET', fillPath(ref.path, values) + query, {
        token: t.users[role].token,
      });
      expect(response.status, `GET ${ref.path}`).toBe(404);
      expect(response.headers.get('content-type')).toMatch(/problem\+json/);
      asked += 1;
    }
    expect(asked).toBeGreaterThanOrEqual(15);
  });
});

describe('media types', () => {
  it('each success response documents one media type: JSON, or CSV on a .csv route', () => {
    const csvRoutes: string[] = [];
    for (const ref of operationsOf(spec)) {
      for (const [status, response] of Object.entries(ref.operation.responses ?? {})) {
        if (!status.startsWith('2')) continue;
        const types = Object.keys((response as { content?: object }).content ?? {});
        expect(types, `${ref.method} ${ref.path} ${status}`).toHaveLength(1);
        if (types[0] === 'text/csv') csvRoutes.push(ref.path);
        // A stored claim document comes back as the bytes it was uploaded as.
        else if (ref.path.endsWith('/documents/{documentId}/content'))
          expect(types[0]).toBe('application/octet-stream');
        else expect(types[0], `${ref.method} ${ref.path}`).toBe('application/json');
      }
    }
    expect(csvRoutes.sort()).toEqual(
      [
        '/finance/ledger/accounts/{code}/statement.csv',
        '/finance/ledger/trial-balance.csv',
        '/finance/payment-files/{fileId}/file.csv',
        '/finance/pools/{pool}/statement.csv',
        '/insurer/pools/{pool}/loss-run.csv',
      ].sort(),
    );
  });

  it('the CSV routes answer text/csv and their JSON twins answer JSON', async () => {
    const csvResponse = await get(
      'insurer',
      '/insurer/pools/voc-a/loss-run.csv?asOf=2026-12-31&headers=chinese',
    );
    expect(csvResponse.status).toBe(200);
    expect(csvResponse.headers.get('content-type')).toMatch(/^text\/csv/);
    const text = await csvResponse.text();
    expect(text.split('\n').length).toBeGreaterThan(1);
    const statement = await get(
      'finance',
      '/finance/pools/voc-a/statement.csv?from=2026-01-01&to=2026-02-28',
    );
    expect(statement.headers.get('content-type')).toMatch(/^text\/csv/);
    // In Chinese, each payout category keeps a label of its own.
    const chinese = await (
      await get(
        'finance',
        '/finance/pools/voc-a/statement.csv?from=2026-01-01&to=2026-02-28&headers=chinese',
      )
    ).text();
    for (const label of ['赔付：财产损失', '赔付：仲裁诉讼费', '赔付：鉴定费', '赔付：律师代理费'])
      expect(chinese).toContain(label);
    const json = await get(
      'finance',
      '/finance/pools/voc-a/statement?from=2026-01-01&to=2026-02-28',
    );
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await json.json()) as { coverage: { closing: Record<string, unknown> } };
    expect(body.coverage.closing).toHaveProperty('remaining');
  });

  it("documents the problem body's facts", () => {
    const problem = spec.components?.schemas?.Problem as { properties?: Record<string, unknown> };
    expect(problem.properties).toHaveProperty('facts');
  });
});

describe('what is left of a cap is `remaining` everywhere', () => {
  it('on the pool, its periods, the incident and the project', async () => {
    const periods = await json('reform_office', '/pools/voc-a/periods');
    const [period] = periods.periods as Record<string, unknown>[];
    expect(period).toHaveProperty('remaining');
    expect(period).not.toHaveProperty('leftover');
    const claim = await json('insurer', `/insurer/claims/${claimsOf['voc-a']?.[0]}`);
    const incidentCoverage = claim.incidentCoverage as Record<string, unknown>;
    expect(incidentCoverage).toHaveProperty('remaining');
    const incident = await json('insurer', `/insurer/incidents/${String(claim.incidentId)}`);
    const point = await t.database.db
      .selectFrom('incident')
      .innerJoin('risk_point', 'risk_point.id', 'incident.risk_point_id')
      .select('risk_point.project_id')
      .where('incident.id', '=', String(incident.id))
      .executeTakeFirstOrThrow();
    const project = await json('reform_office', `/projects/${point.project_id}/coverage`);
    expect(project).toHaveProperty('remaining');
    expect(project).not.toHaveProperty('limitLeft');
  });
});
