/**
 * Dated coverage over the API, with the app's clock injected: a terms change for a later
 * date changes nothing until the clock reaches it, then the first read brings it in; money
 * dated after today or inside a closed month is refused with its code, or booked late.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../../src/db/transaction.ts';
import { closeMonth } from '../../src/finance/period-close.ts';
import { seedCountyPool } from '../../src/policy/pools.ts';
import { COUNTY_TERMS } from '../../src/policy/terms.ts';
import { call, createTestApp, expectProblem, readJson, type TestApp } from '../http/support.ts';

let clock = new Date('2026-03-10T12:00:00+08:00');
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ clock: () => clock });
  await seedCountyPool(t.database.db);
});
afterAll(() => t.close());

const contribution = (receivedOn: string, bankReference: string, extra = {}) =>
  call(t.app, 'POST', '/finance/pools/county/contributions', {
    token: t.users.finance.token,
    json: { amount: '120000.00', receivedOn, payer: 'County', bankReference, ...extra },
  });

describe('dated coverage over the API', () => {
  it('keeps the old cap until the terms date, then shows the new one from the first read', async () => {
    expect((await contribution('2026-03-01', 'BOC-1')).status).toBe(201);
    const changed = await call(t.app, 'POST', '/admin/pools/county/terms', {
      token: t.users.admin.token,
      json: {
        effectiveFrom: '2026-04-01',
        periodStart: '2026-01-01',
        periodEnd: '2026-12-31',
        fundingRatio: '50',
        perIncidentCap: '500000.00',
        cumulativeCap: '6000000.00',
        categories: COUNTY_TERMS.categories,
        poolWarningPercents: ['50', '80', '90'],
        incidentWarningPercent: '80',
        reason: 'cap raised from April',
      },
    });
    expect(changed.status).toBe(201);
    const coverage = () =>
      call(t.app, 'GET', '/pools/county/coverage', { token: t.users.reform_office.token }).then(
        readJson,
      );
    expect(await coverage()).toMatchObject({ capacity: '5000000.00', surplus: '20000.00' });
    clock = new Date('2026-04-01T00:30:00+08:00');
    expect(await coverage()).toMatchObject({
      termsVersion: 2,
      capacity: '6000000.00',
      surplus: '0.00',
    });
    const periods = await call(t.app, 'GET', '/pools/county/periods', {
      token: t.users.finance.token,
    }).then(readJson);
    expect(periods).toMatchObject({
      periods: [{ periodStart: '2026-01-01', cumulativeCap: '6000000.00', current: true }],
      overCommitments: [],
    });
  });

  it('refuses money dated after today, and March money after March is closed unless booked late', async () => {
    clock = new Date('2026-04-10T12:00:00+08:00');
    await expectProblem(await contribution('2026-04-11', 'BOC-2'), 422, 'impossible_date');
    await inTransaction(t.database.db, (trx) =>
      closeMonth(trx, '2026-03', t.users.finance.id, { reason: 'March audited' }, clock),
    );
    await expectProblem(await contribution('2026-03-20', 'BOC-3'), 409, 'period_closed');
    const late = await contribution('2026-03-20', 'BOC-3', { bookAsLateItem: true });
    expect(late.status).toBe(201);
    expect(await readJson(late)).toMatchObject({
      receivedOn: '2026-03-20',
      bookedAsLateItem: true,
    });
  });
});
