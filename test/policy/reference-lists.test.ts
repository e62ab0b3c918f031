/**
 * The coded reference lists: seeded once with sample wording that says so, edited only by
 * adding a version (old versions stay), readable as in force on a date; and a review
 * records the version of each rule it answered.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../../src/db/transaction.ts';
import {
  referenceItemHistory,
  referenceItemsInForce,
  reviseReferenceItem,
  seedReferenceLists,
} from '../../src/policy/reference-lists.ts';
import { call, expectProblem, readJson, type TestApp } from '../http/support.ts';
import { createRegistryTestApp, filingIn, takeStep } from './support.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createRegistryTestApp();
});
afterAll(() => t.close());

const office = () => t.users.reform_office.id;

describe('seeded sample lists', () => {
  it('has the shape of the scheme, marked as sample wording', async () => {
    const items = await referenceItemsInForce(t.database.db);
    const count = (list: string) => items.filter((item) => item.list === list).length;
    expect([
      count('positive'),
      count('negative'),
      count('admission_criterion'),
      count('assessment_rule'),
    ]).toEqual([6, 5, 4, 15]);
    const rules = items.filter((item) => item.list === 'assessment_rule');
    expect(new Set(rules.map((rule) => rule.indicator))).toEqual(
      new Set(['rationality', 'feasibility', 'controllability']),
    );
    const areas = new Set(
      items.filter((item) => item.list === 'positive').map((item) => item.area),
    );
    expect(areas).toEqual(
      new Set(['pilot_reform', 'social_stability', 'key_work', 'streamlining_administration']),
    );
    for (const item of items) {
      expect(item.isSample).toBe(true);
      expect(item.wording).toMatch(/^\[Sample wording/);
      expect(item.version).toBe(1);
    }
  });

  it('seeds again without adding or changing anything', async () => {
    expect(await seedReferenceLists(t.database.db)).toEqual({ inserted: 0 });
  });
});

describe('editing an item', () => {
  it('adds a version and keeps the old one, readable as of a moment', async () => {
    const revised = await inTransaction(t.database.db, (trx) =>
      reviseReferenceItem(
        trx,
        'negative',
        'negative.3',
        {
          basedOnVersion: 1,
          title: 'Plan not followed',
          wording: 'Adopted text.',
          note: 'Adopted by the office.',
        },
        { actorUserId: office(), at: new Date() },
      ),
    );
    expect(revised).toMatchObject({
      version: 2,
      isSample: false,
      recordedBy: office(),
      area: null,
    });
    const history = await referenceItemHistory(t.database.db, 'negative', 'negative.3');
    expect(history.map((item) => [item.version, item.title])).toEqual([
      [1, 'Risk control not carried out as filed'],
      [2, 'Plan not followed'],
    ]);
    const inForce = async (before?: Date) =>
      (
        await referenceItemsInForce(t.database.db, {
          list: 'negative',
          ...(before ? { before } : {}),
        })
      ).find((item) => item.code === 'negative.3')?.version;
    expect(await inForce()).toBe(2);
    expect(await inForce(revised.recordedAt)).toBe(1);
    expect(await inForce(new Date(revised.recordedAt.getTime() + 1))).toBe(2);
    expect(await inForce(new Date('2000-01-01T00:00:00Z'))).toBeUndefined();
  });

  it('refuses a stale version, an unknown item and an area on a criterion', async () => {
    const context = { actorUserId: office(), at: new Date() };
    const revision = { basedOnVersion: 1, title: 'T', wording: 'W', note: 'N' };
    await expect(
      inTransaction(t.database.db, (trx) =>
        reviseReferenceItem(trx, 'negative', 'negative.3', revision, context),
      ),
    ).rejects.toMatchObject({ code: 'conflict' });
    await expect(
      inTransaction(t.database.db, (trx) =>
        reviseReferenceItem(trx, 'negative', 'negative.9', revision, context),
      ),
    ).rejects.toMatchObject({ code: 'not_found' });
    await expect(
      inTransaction(t.database.db, (trx) =>
        reviseReferenceItem(
          trx,
          'admission_criterion',
          'leading',
          { ...revision, area: 'key_work' },
          context,
        ),
      ),
    ).rejects.toMatchObject({ code: 'validation_failed' });
    await expect(
      inTransaction(t.database.db, (trx) =>
        reviseReferenceItem(
          trx,
          'negative',
          'negative.3',
          { ...revision, basedOnVersion: 2 },
          {
            ...context,
            at: new Date('2001-01-01T00:00:00Z'),
          },
        ),
      ),
    ).rejects.toMatchObject({ code: 'conflict' });
  });

  it('is append-only in the database', async () => {
    await expect(
      sql`UPDATE reference_list_item SET wording = 'x' WHERE code = 'negative.1'`.execute(
        t.database.db,
      ),
    ).rejects.toThrow(/append-only/);
  });

  it('makes a review record the version of the rule it answered', async () => {
    await inTransaction(t.database.db, (trx) =>
      reviseReferenceItem(
        trx,
        'assessment_rule',
        'feasibility.2',
        { basedOnVersion: 1, title: 'Timetable realistic', wording: 'Adopted.', note: 'Adopted.' },
        { actorUserId: office(), at: new Date() },
      ),
    );
    const filing = await filingIn(t.database.db, office(), 'preliminary_review_passed');
    await inTransaction(t.database.db, (trx) =>
      takeStep(trx, 'record_review', filing, {
        actorUserId: office(),
        at: new Date('2026-10-20T10:00:00+08:00'),
      }),
    );
    const step = await t.database.db
      .selectFrom('filing_step')
      .select('content')
      .where('filing_id', '=', filing.filingId)
      .where('step', '=', 'record_review')
      .executeTakeFirstOrThrow();
    const assessments = (
      step.content as { assessments: { code: string; version: number; indicator: string }[] }
    ).assessments;
    expect(assessments.find((a) => a.code === 'feasibility.2')).toMatchObject({
      version: 2,
      indicator: 'feasibility',
    });
    expect(assessments.find((a) => a.code === 'feasibility.1')).toMatchObject({ version: 1 });
  });
});

describe('reference lists over HTTP', () => {
  it('lets the reform office edit and the insurer read', async () => {
    const path = '/reference-lists/positive/items/positive.4/versions';
    const json = {
      basedOnVersion: 1,
      title: 'Key task',
      wording: 'Adopted wording.',
      area: null,
      note: 'Adopted.',
    };
    await expectProblem(
      await call(t.app, 'POST', path, { token: t.users.insurer.token, json }),
      403,
      'forbidden',
    );
    await expectProblem(
      await call(t.app, 'POST', path, { token: t.users.admin.token, json }),
      403,
      'forbidden',
    );
    const created = await call(t.app, 'POST', path, { token: t.users.reform_office.token, json });
    expect(created.status).toBe(201);
    expect(await readJson(created)).toMatchObject({ version: 2, area: null, isSample: false });

    const versions = await readJson(
      await call(t.app, 'GET', path, { token: t.users.insurer.token }),
    );
    expect((versions.versions as { area: string | null }[]).map((v) => v.area)).toEqual([
      'key_work',
      null,
    ]);
    const list = await readJson(
      await call(t.app, 'GET', '/reference-lists?list=positive', { token: t.users.insurer.token }),
    );
    expect(list.items).toHaveLength(6);
    await expectProblem(
      await call(t.app, 'GET', '/reference-lists?list=other', { token: t.users.insurer.token }),
      422,
      'validation_failed',
    );
    await expectProblem(
      await call(t.app, 'POST', path, {
        token: t.users.reform_office.token,
        json: { ...json, extra: 1 },
      }),
      422,
      'validation_failed',
    );
  });
});
