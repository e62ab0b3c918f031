/**
 * Filings registered before go-live, imported over the API with an injected clock: the
 * real registration date decides coverage, and no import is dated after today or inside a
 * closed month. Incidents after today are refused; one on the registration day is not
 * covered, with its code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../../src/db/transaction.ts';
import { closeMonth } from '../../src/finance/period-close.ts';
import { createPool, seedCountyPool } from '../../src/policy/pools.ts';
import { COUNTY_TERMS } from '../../src/policy/terms.ts';
import { sha } from '../claims/support.ts';
import { call, createTestApp, expectProblem, readJson, type TestApp } from '../http/support.ts';

const TODAY_NOON = new Date('2026-06-10T12:00:00+08:00');
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ clock: () => TODAY_NOON });
  await seedCountyPool(t.database.db);
  await inTransaction(t.database.db, (trx) =>
    closeMonth(trx, '2026-01', t.users.finance.id, { reason: 'January audited' }, TODAY_NOON),
  );
});
afterAll(() => t.close());

let n = 0;
const filing = (registeredOn: string, overrides: Record<string, unknown> = {}) => {
  n += 1;
  return {
    pool: 'county',
    project: {
      name: `Imported project ${n}`,
      ownerDepartment: 'County Natural Resources Bureau',
      description: 'Filed on the government platform in the first months.',
    },
    riskPoints: [
      {
        description: 'Valuation disputes',
        likelihood: 'medium',
        impact: 'high',
        controlPlan: 'Independent appraisal',
      },
      { description: 'Delays', likelihood: 'low', impact: 'medium', controlPlan: 'Mediation' },
    ],
    submittedOn: '2026-02-03',
    registeredOn,
    source: 'government_platform',
    sourceReference: `GZW-2026-${n}`,
    documents: [{ title: 'Reform plan', documentNumber: `GZW-${n}-1`, sha256: sha(n) }],
    reason: 'filed before the service went live',
    ...overrides,
  };
};

const office = () => t.users.reform_office.token;

describe('importing filings registered before go-live', () => {
  it('registers the risk points on their real date, audited, and covers only what came after', async () => {
    const response = await call(t.app, 'POST', '/reform-office/filing-imports', {
      token: office(),
      json: filing('2026-02-10'),
      idempotencyKey: 'import-1',
    });
    expect(response.status).toBe(201);
    const imported = (await readJson(response)) as {
      filingId: string;
      projectId: string;
      riskPointIds: string[];
    };
    expect(imported).toMatchObject({ registeredOn: '2026-02-10' });
    expect(imported.riskPointIds).toHaveLength(2);
    const again = await call(t.app, 'POST', '/reform-office/filing-imports', {
      token: office(),
      json: filing('2026-02-10', { project: (filing('x') as { project: unknown }).project }),
      idempotencyKey: 'import-1',
    });
    expect(again.status).toBe(409);

    const point = await readJson(
      await call(t.app, 'GET', `/risk-points/${imported.riskPointIds[0]}`, {
        token: t.users.insurer.token,
      }),
    );
    expect(point).toMatchObject({ registeredOn: '2026-02-10' });
    const audit = await t.database.db
      .selectFrom('audit_record')
      .select(['action', 'entity_id'])
      .where('action', '=', 'filing.import')
      .execute();
    expect(audit).toEqual([{ action: 'filing.import', entity_id: imported.filingId }]);
    const row = await t.database.db
      .selectFrom('filing_import')
      .select(['source', 'source_reference', 'imported_by'])
      .where('filing_id', '=', imported.filingId)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      source: 'government_platform',
      imported_by: t.users.reform_office.id,
    });

    const incident = (occurredOn: string) =>
      call(t.app, 'POST', '/insurer/incidents', {
        token: t.users.insurer.token,
        json: {
          pool: 'county',
          riskPointId: imported.riskPointIds[0],
          occurredOn,
          description: 'loss',
          place: 'township',
          reporter: 'office',
        },
      });
    const sameDay = await readJson(await incident('2026-02-10'));
    expect(sameDay).toMatchObject({
      covered: false,
      notCoveredReasons: [
        {
          code: 'RISK_POINT_NOT_FILED_BEFORE_INCIDENT',
          text: 'the risk point was registered on 2026-02-10, not before the incident on 2026-02-10',
        },
      ],
    });
    expect(await readJson(await incident('2026-02-11'))).toMatchObject({
      covered: true,
      notCoveredReasons: [],
    });
    await expectProblem(await incident('2026-06-11'), 422, 'impossible_date');
    expect((await incident('2026-06-10')).status).toBe(201);
  });

  it('refuses a registration on or after the day the service went live, so no loss can be covered by back-dating', async () => {
    await inTransaction(t.database.db, (trx) =>
      createPool(
        trx,
        {
          code: 'live-may',
          name: 'Pool live since May',
          insurer: 'Insurer',
          policyNumber: 'RP-live-may',
          terms: COUNTY_TERMS,
        },
        null,
        new Date('2026-05-01T09:00:00+08:00'),
      ),
    );
    const count = async () =>
      (await t.database.db.selectFrom('filing').select('id').execute()).length;
    const before = await count();
    for (const registeredOn of ['2026-05-20', '2026-05-01']) {
      const refused = await call(t.app, 'POST', '/reform-office/filing-imports', {
        token: office(),
        json: filing(registeredOn, { pool: 'live-may', submittedOn: '2026-04-20' }),
      });
      expect(await expectProblem(refused, 422, 'registered_after_go_live')).toMatchObject({
        facts: { registeredOn, goLiveOn: '2026-05-01' },
      });
    }
    expect(await count()).toBe(before);
    const accepted = await call(t.app, 'POST', '/reform-office/filing-imports', {
      token: office(),
      json: filing('2026-04-30', { pool: 'live-may', submittedOn: '2026-04-20' }),
    });
    expect(accepted.status).toBe(201);
  });

  it('refuses a registration after today or inside a closed month, and writes nothing', async () => {
    const count = async () =>
      (await t.database.db.selectFrom('filing').select('id').execute()).length;
    const before = await count();
    await expectProblem(
      await call(t.app, 'POST', '/reform-office/filing-imports', {
        token: office(),
        json: filing('2026-06-11', { submittedOn: '2026-06-01' }),
      }),
      422,
      'impossible_date',
    );
    await expectProblem(
      await call(t.app, 'POST', '/reform-office/filing-imports', {
        token: office(),
        json: filing('2026-01-20', { submittedOn: '2026-01-15' }),
      }),
      409,
      'period_closed',
    );
    await expectProblem(
      await call(t.app, 'POST', '/reform-office/filing-imports', {
        token: office(),
        json: filing('2026-02-01', { submittedOn: '2026-02-05' }),
      }),
      422,
      'impossible_date',
    );
    await expectProblem(
      await call(t.app, 'POST', '/reform-office/filing-imports', {
        token: t.users.insurer.token,
        json: filing('2026-02-10'),
      }),
      403,
      'forbidden',
    );
    expect(await count()).toBe(before);
  });
});
