/**
 * The 7-working-day deadline from submission to result feedback, and the list of filings
 * past or near it (≤ 2 working days left).
 *
 * Rule under test: due on the 7th working day after the local (Asia/Shanghai) date of the
 * latest submission, which itself never counts. A filing submitted on 2026-09-30 is due
 * 2026-10-15 (Oct 8, 9, 10 make-up Saturday, 12, 13, 14, 15). "Working days left" on a day
 * counts the working days after it, up to and including the due date.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FilingStatus } from '../../src/db/schema-registry.ts';
import { inTransaction } from '../../src/db/transaction.ts';
import { loadWorkingCalendar, type WorkingCalendar } from '../../src/policy/calendar.ts';
import { filingDeadline } from '../../src/policy/filing.ts';
import { filingsNearDeadline, getFiling } from '../../src/policy/filing-queries.ts';
import { call, expectProblem, readJson, type TestApp } from '../http/support.ts';
import { createRegistryTestApp, type DrivenFiling, filingIn, takeStep } from './support.ts';

let t: TestApp;
let calendar: WorkingCalendar;
const office = () => t.users.reform_office.id;

/** A filing created an hour before `submittedAt` and submitted then (and `then` steps on). */
async function submittedAt(
  moment: string,
  status: FilingStatus = 'submitted',
): Promise<DrivenFiling> {
  const submitted = new Date(moment);
  return filingIn(t.database.db, office(), status, new Date(submitted.getTime() - 3600_000));
}

let onTime: DrivenFiling;
let laterOne: DrivenFiling;
let answered: DrivenFiling;
let draft: DrivenFiling;
let returned: DrivenFiling;

beforeAll(async () => {
  t = await createRegistryTestApp();
  calendar = await loadWorkingCalendar(t.database.db);
  // 00:30 on Sep 30 in Shanghai is still Sep 29 in UTC: the local date must count.
  onTime = await submittedAt('2026-09-30T00:30:00+08:00');
  laterOne = await submittedAt('2026-10-09T15:00:00+08:00', 'preliminary_review_passed');
  answered = await submittedAt('2026-09-30T10:00:00+08:00', 'feedback_given');
  draft = await filingIn(t.database.db, office(), 'draft');
  returned = await submittedAt('2026-09-30T10:00:00+08:00', 'returned');
});
afterAll(() => t.close());

const deadlineOf = async (filing: DrivenFiling, today: string) =>
  (await getFiling(t.database.db, filing.filingId, calendar, today)).deadline;

describe('the deadline of one filing', () => {
  it.each([
    ['2026-10-09', 'on_track', 5], // Oct 10 (make-up Saturday), 12, 13, 14, 15
    ['2026-10-12', 'on_track', 3],
    ['2026-10-13', 'near', 2],
    ['2026-10-15', 'near', 0],
    ['2026-10-16', 'overdue', -1],
  ])(
    'submitted 2026-09-30, due 2026-10-15: on %s it is %s with %i working days left',
    async (today, state, left) => {
      expect(await deadlineOf(onTime, today)).toEqual({
        submittedOn: '2026-09-30',
        dueOn: '2026-10-15',
        state,
        workingDaysLeft: left,
        answeredOn: null,
      });
    },
  );

  it('is met once feedback is given on time, and a draft has none', async () => {
    expect(await deadlineOf(answered, '2026-12-01')).toMatchObject({
      dueOn: '2026-10-15',
      state: 'met',
      workingDaysLeft: null,
      answeredOn: '2026-09-30',
    });
    expect(await deadlineOf(draft, '2026-10-01')).toBeNull();
  });

  it('is missed when the answer comes after the due date', () => {
    const facts = {
      status: 'returned' as const,
      submittedOn: '2026-09-30',
      answeredAt: new Date('2026-10-16T09:00:00+08:00'),
    };
    expect(filingDeadline(calendar, facts, '2026-10-20')).toMatchObject({
      state: 'missed',
      answeredOn: '2026-10-16',
    });
  });

  it('starts a new clock when a returned filing is resubmitted', async () => {
    await inTransaction(t.database.db, (trx) =>
      takeStep(trx, 'submit', returned, {
        actorUserId: office(),
        at: new Date('2026-10-12T09:00:00+08:00'),
      }),
    );
    // Oct 13, 14, 15, 16, 19, 20, 21.
    expect(await deadlineOf(returned, '2026-10-12')).toMatchObject({
      submittedOn: '2026-10-12',
      dueOn: '2026-10-21',
      state: 'on_track',
      workingDaysLeft: 7,
    });
  });
});

describe('filings near or past their deadline', () => {
  const listed = async (today: string) =>
    (await filingsNearDeadline(t.database.db, calendar, today)).map((filing) => [
      filing.id,
      filing.deadline?.dueOn,
      filing.deadline?.state,
    ]);

  it('lists nothing while every clock has time left', async () => {
    expect(await listed('2026-10-09')).toEqual([]);
  });

  it('lists a filing within two working days, and an overdue one first', async () => {
    expect(await listed('2026-10-13')).toEqual([[onTime.filingId, '2026-10-15', 'near']]);
    // Due Oct 19 (Oct 10, 12, 13, 14, 15, 16, 19): on Oct 16 one working day is left.
    expect(await listed('2026-10-16')).toEqual([
      [onTime.filingId, '2026-10-15', 'overdue'],
      [laterOne.filingId, '2026-10-19', 'near'],
    ]);
  });

  it('never lists answered filings or drafts', async () => {
    const ids = (await listed('2027-01-01')).map(([id]) => id);
    expect(ids).not.toContain(answered.filingId);
    expect(ids).not.toContain(draft.filingId);
    expect(ids).toEqual(
      expect.arrayContaining([onTime.filingId, laterOne.filingId, returned.filingId]),
    );
  });

  it('is served to the reform office, judged on any day', async () => {
    const response = await call(t.app, 'GET', '/filings/deadlines?asOf=2026-10-13', {
      token: t.users.reform_office.token,
    });
    expect(response.status).toBe(200);
    const body = await readJson(response);
    expect(body.asOf).toBe('2026-10-13');
    expect(body.filings).toEqual([
      expect.objectContaining({
        id: onTime.filingId,
        status: 'submitted',
        submittedOn: '2026-09-30',
        deadline: expect.objectContaining({
          dueOn: '2026-10-15',
          state: 'near',
          workingDaysLeft: 2,
        }),
        nextSteps: ['pass_preliminary_review', 'fail_preliminary_review', 'return', 'reject'],
      }),
    ]);
    const all = await readJson(
      await call(t.app, 'GET', '/filings?status=submitted', { token: t.users.reform_office.token }),
    );
    expect((all.filings as { status: string }[]).every((f) => f.status === 'submitted')).toBe(true);
    await expectProblem(
      await call(t.app, 'GET', '/filings/deadlines', { token: t.users.insurer.token }),
      403,
      'forbidden',
    );
    await expectProblem(
      await call(t.app, 'GET', '/filings/deadlines?asOf=13-10-2026', {
        token: t.users.reform_office.token,
      }),
      422,
      'validation_failed',
    );
  });
});
