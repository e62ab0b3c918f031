/**
 * Risk points are versioned: an amendment is a new version, earlier versions stay, and
 * the version in force at any date (or moment) can be read back. The registration date is
 * the date the covering filing was registered, and nothing moves it afterwards.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../../src/db/transaction.ts';
import { createFiling } from '../../src/policy/filing-steps.ts';
import { endOfLocalDay } from '../../src/policy/local-date.ts';
import {
  addRiskPoint,
  amendRiskPoint,
  getRiskPoint,
  listRiskPoints,
  riskPointVersions,
} from '../../src/policy/risk-points.ts';
import { call, expectProblem, readJson, type TestApp } from '../http/support.ts';
import {
  createRegistryTestApp,
  filingIn,
  projectWithRiskPoints,
  RISK_POINT,
  takeStep,
} from './support.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createRegistryTestApp();
});
afterAll(() => t.close());

const office = () => t.users.reform_office.id;
const at = (text: string) => new Date(text);

describe('the version in force', () => {
  let riskPointId: string;
  let projectId: string;

  beforeAll(async () => {
    ({ projectId } = await projectWithRiskPoints(
      t.database.db,
      office(),
      0,
      at('2026-03-01T08:00:00+08:00'),
    ));
    const added = await inTransaction(t.database.db, (trx) =>
      addRiskPoint(trx, projectId, RISK_POINT, {
        actorUserId: office(),
        at: at('2026-03-01T10:00:00+08:00'),
      }),
    );
    riskPointId = added.id;
    await inTransaction(t.database.db, (trx) =>
      amendRiskPoint(
        trx,
        riskPointId,
        { ...RISK_POINT, basedOnVersion: 1, likelihood: 'high', amendmentNote: 'Prices rose.' },
        { actorUserId: office(), at: at('2026-03-05T09:00:00+08:00') },
      ),
    );
    await inTransaction(t.database.db, (trx) =>
      amendRiskPoint(
        trx,
        riskPointId,
        {
          ...RISK_POINT,
          basedOnVersion: 2,
          controlPlan: 'Two appraisals.',
          amendmentNote: 'Tighter.',
        },
        // 23:30 in Shanghai is 15:30 UTC the same day: still March 5 locally.
        { actorUserId: office(), at: at('2026-03-05T23:30:00+08:00') },
      ),
    );
  });

  it.each([
    ['2026-03-01', 1],
    ['2026-03-04', 1],
    ['2026-03-05', 3],
    ['2026-12-31', 3],
  ])('on %s (end of the local day) version %i is in force', async (day, version) => {
    const point = await getRiskPoint(t.database.db, riskPointId, endOfLocalDay(day));
    expect(point.inForce.version).toBe(version);
    expect(point.latestVersion).toBe(3);
  });

  it('answers for any moment, not only whole days', async () => {
    const midday = await getRiskPoint(t.database.db, riskPointId, at('2026-03-05T12:00:00+08:00'));
    expect(midday.inForce).toMatchObject({
      version: 2,
      likelihood: 'high',
      amendmentNote: 'Prices rose.',
    });
    const justAfter = await getRiskPoint(
      t.database.db,
      riskPointId,
      at('2026-03-05T09:00:00.001+08:00'),
    );
    expect(justAfter.inForce.version).toBe(2);
    const justBefore = await getRiskPoint(
      t.database.db,
      riskPointId,
      at('2026-03-05T09:00:00+08:00'),
    );
    expect(justBefore.inForce.version).toBe(1);
  });

  it('has no version before the risk point was recorded', async () => {
    await expect(
      getRiskPoint(t.database.db, riskPointId, endOfLocalDay('2026-02-28')),
    ).rejects.toMatchObject({
      code: 'not_found',
    });
    expect(await listRiskPoints(t.database.db, projectId, endOfLocalDay('2026-02-28'))).toEqual([]);
    expect(
      await listRiskPoints(t.database.db, projectId, endOfLocalDay('2026-03-02')),
    ).toHaveLength(1);
  });

  it('keeps every version, oldest first', async () => {
    const versions = await riskPointVersions(t.database.db, riskPointId);
    expect(versions.map((v) => [v.version, v.amendmentNote])).toEqual([
      [1, null],
      [2, 'Prices rose.'],
      [3, 'Tighter.'],
    ]);
  });

  it('refuses an amendment from a stale version', async () => {
    await expect(
      inTransaction(t.database.db, (trx) =>
        amendRiskPoint(
          trx,
          riskPointId,
          { ...RISK_POINT, basedOnVersion: 2, amendmentNote: 'Late edit.' },
          { actorUserId: office(), at: at('2026-03-06T09:00:00+08:00') },
        ),
      ),
    ).rejects.toMatchObject({ code: 'conflict' });
  });

  it('is refused by the database itself when a version is changed or removed', async () => {
    await expect(
      sql`UPDATE risk_point_version SET control_plan = 'rewritten' WHERE risk_point_id = ${riskPointId}`.execute(
        t.database.db,
      ),
    ).rejects.toThrow(/append-only/);
    await expect(
      sql`DELETE FROM risk_point_version WHERE risk_point_id = ${riskPointId}`.execute(
        t.database.db,
      ),
    ).rejects.toThrow(/append-only/);
  });
});

describe('the registration date', () => {
  it('is the local date the filing was registered, and an amendment or re-filing keeps it', async () => {
    // Registered at 00:30 on Oct 9 in Shanghai, which is still Oct 8 in UTC.
    const filing = await filingIn(
      t.database.db,
      office(),
      'feedback_given',
      at('2026-10-08T19:00:00+08:00'),
    );
    await inTransaction(t.database.db, (trx) =>
      takeStep(trx, 'register', filing, {
        actorUserId: office(),
        at: at('2026-10-09T00:30:00+08:00'),
      }),
    );
    const [first, second] = filing.riskPointIds;
    if (!first || !second) throw new Error('expected two risk points');
    const registered = await getRiskPoint(t.database.db, first);
    expect(registered).toMatchObject({
      registeredOn: '2026-10-09',
      registeredAt: at('2026-10-09T00:30:00+08:00'),
      registeredByFilingId: filing.filingId,
    });

    await inTransaction(t.database.db, (trx) =>
      amendRiskPoint(
        trx,
        first,
        { ...RISK_POINT, basedOnVersion: 1, impact: 'low', amendmentNote: 'After a year.' },
        { actorUserId: office(), at: at('2026-10-20T10:00:00+08:00') },
      ),
    );
    const amended = await getRiskPoint(t.database.db, first);
    expect(amended.inForce.version).toBe(2);
    expect(amended.registeredOn).toBe('2026-10-09');

    // A second filing covers the amended risk point and a new one; only the new one registers.
    const third = await inTransaction(t.database.db, (trx) =>
      addRiskPoint(trx, filing.projectId, RISK_POINT, {
        actorUserId: office(),
        at: at('2026-10-21T10:00:00+08:00'),
      }),
    );
    const refiling = {
      ...filing,
      filingId: await inTransaction(t.database.db, (trx) =>
        createFiling(trx, filing.projectId, {
          actorUserId: filing.applicantUserId,
          at: at('2026-10-21T11:00:00+08:00'),
        }),
      ),
      riskPointIds: [first, third.id],
    };
    let hour = 12;
    for (const step of [
      'submit',
      'pass_preliminary_review',
      'record_review',
      'give_feedback',
      'register',
    ] as const) {
      await inTransaction(t.database.db, (trx) =>
        takeStep(trx, step, refiling, {
          actorUserId: office(),
          at: at(`2026-10-22T${hour++}:00:00+08:00`),
        }),
      );
    }
    expect((await getRiskPoint(t.database.db, first)).registeredOn).toBe('2026-10-09');
    expect(await getRiskPoint(t.database.db, third.id)).toMatchObject({
      registeredOn: '2026-10-22',
      registeredByFilingId: refiling.filingId,
    });
    expect((await getRiskPoint(t.database.db, second)).registeredOn).toBe('2026-10-09');
    const covered = await t.database.db
      .selectFrom('filing_risk_point')
      .select(['risk_point_id', 'risk_point_version'])
      .where('filing_id', '=', refiling.filingId)
      .execute();
    expect(covered).toContainEqual({ risk_point_id: first, risk_point_version: 2 });
  });

  it('cannot be changed or cleared in the database once set', async () => {
    const filing = await filingIn(t.database.db, office(), 'registered');
    const [first] = filing.riskPointIds;
    await expect(
      sql`UPDATE risk_point SET registered_on = '2020-01-01' WHERE id = ${first}`.execute(
        t.database.db,
      ),
    ).rejects.toThrow(/only an unregistered risk point may be registered/);
    await expect(
      sql`DELETE FROM risk_point WHERE id = ${first}`.execute(t.database.db),
    ).rejects.toThrow();
  });
});

describe('risk points over HTTP', () => {
  it('adds, amends and reads a version as of a date; the insurer reads but never writes', async () => {
    // The department that runs the reform registers it and files its risk points.
    const office = t.users.department.token;
    const insurer = t.users.insurer.token;
    const project = await readJson(
      await call(t.app, 'POST', '/projects', {
        token: office,
        json: {
          name: 'Risk points over HTTP',
          ownerDepartment: 'Water Bureau',
          description: 'River chiefs.',
        },
      }),
    );
    const added = await call(t.app, 'POST', `/projects/${project.id}/risk-points`, {
      token: office,
      json: RISK_POINT,
    });
    expect(added.status).toBe(201);
    const point = await readJson(added);
    expect(point).toMatchObject({
      number: 1,
      latestVersion: 1,
      registeredOn: null,
      inForce: { version: 1 },
    });

    const amended = await call(t.app, 'POST', `/risk-points/${point.id}/amendments`, {
      token: office,
      json: { ...RISK_POINT, basedOnVersion: 1, impact: 'low', amendmentNote: 'Smaller scope.' },
    });
    expect(amended.status).toBe(201);
    expect(await readJson(amended)).toMatchObject({
      latestVersion: 2,
      inForce: { version: 2, impact: 'low' },
    });
    await expectProblem(
      await call(t.app, 'POST', `/risk-points/${point.id}/amendments`, {
        token: office,
        json: { ...RISK_POINT, basedOnVersion: 1, amendmentNote: 'Stale.' },
      }),
      409,
      'conflict',
    );

    const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
    const now = await readJson(
      await call(t.app, 'GET', `/risk-points/${point.id}?asOf=${today}`, { token: insurer }),
    );
    expect(now).toMatchObject({ inForce: { version: 2 } });
    await expectProblem(
      await call(t.app, 'GET', `/risk-points/${point.id}?asOf=2020-01-01`, { token: insurer }),
      404,
      'not_found',
    );
    const listed = await readJson(
      await call(t.app, 'GET', `/projects/${project.id}/risk-points`, { token: insurer }),
    );
    expect(listed.riskPoints).toHaveLength(1);
    const versions = await readJson(
      await call(t.app, 'GET', `/risk-points/${point.id}/versions`, { token: insurer }),
    );
    expect(versions.versions).toHaveLength(2);
    const projects = await readJson(await call(t.app, 'GET', '/projects', { token: insurer }));
    expect(projects.projects).toContainEqual(
      expect.objectContaining({
        id: project.id,
        riskPointCount: 1,
        registeredRiskPointCount: 0,
        filingStatus: null,
      }),
    );

    await expectProblem(
      await call(t.app, 'POST', `/projects/${project.id}/risk-points`, {
        token: insurer,
        json: RISK_POINT,
      }),
      403,
      'forbidden',
    );
    await expectProblem(
      await call(t.app, 'GET', `/projects/${project.id}`, { token: t.users.finance.token }),
      403,
      'forbidden',
    );
    await expectProblem(
      await call(t.app, 'POST', '/projects', {
        token: office,
        json: {
          name: 'Risk points over HTTP',
          ownerDepartment: 'Water Bureau',
          description: 'Again.',
        },
      }),
      409,
      'conflict',
    );
    await expectProblem(
      await call(t.app, 'POST', `/projects/${crypto.randomUUID()}/risk-points`, {
        token: office,
        json: RISK_POINT,
      }),
      404,
      'not_found',
    );
    await expectProblem(
      await call(t.app, 'POST', `/projects/${project.id}/risk-points`, {
        token: office,
        json: { ...RISK_POINT, likelihood: 'extreme' },
      }),
      422,
      'validation_failed',
    );
  });
});
