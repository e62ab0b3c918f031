/**
 * The 7-working-day clock from application to registration, paused while the department
 * holds the filing (returned for amendment, or answering conditions), and the list of
 * filings past or near it (≤ 2 working days left).
 *
 * Rule under test: each running stretch counts the working days in (start, end] of local
 * (Asia/Shanghai) dates, so the day of an application or resubmission never counts. A
 * filing applied for on 2026-09-30 and never paused is due 2026-10-15 (Oct 8, 9, 10 make-up
 * Saturday, 12, 13, 14, 15).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FilingStatus } from '../../src/db/schema-registry.ts';
import { loadWorkingCalendar, type WorkingCalendar } from '../../src/policy/calendar.ts';
import { filingDeadline } from '../../src/policy/filing.ts';
import { filingsNearDeadline, getFiling } from '../../src/policy/filing-queries.ts';
import { call, expectProblem, readJson, type TestApp } from '../http/support.ts';
import { createRegistryTestApp, type DrivenFiling, filingIn } from './support.ts';

let t: TestApp;
let calendar: WorkingCalendar;
const office = () => t.users.reform_office.id;

/** A filing created an hour before `moment` and submitted then (later steps hourly). */
async function submittedAt(
  moment: string,
  status: FilingStatus = 'submitted',
): Promise<DrivenFiling> {
  const submitted = new Date(moment);
  return filingIn(t.database.db, office(), status, new Date(submitted.getTime() - 3600_000));
}

let onTime: DrivenFiling;
let laterOne: DrivenFiling;
let registered: DrivenFiling;
let draft: DrivenFiling;
let returned: DrivenFiling;

beforeAll(async () => {
  t = await createRegistryTestApp();
  calendar = await loadWorkingCalendar(t.database.db);
  // 00:30 on Sep 30 in Shanghai is still Sep 29 in UTC: the local date must count.
  onTime = await submittedAt('2026-09-30T00:30:00+08:00');
  laterOne = await submittedAt('2026-10-09T15:00:00+08:00', 'preliminary_review_passed');
  registered = await submittedAt('2026-09-30T10:00:00+08:00', 'registered');
  draft = await filingIn(t.database.db, office(), 'draft');
  returned = await submittedAt('2026-09-30T10:00:00+08:00', 'returned');
});
afterAll(() => t.close());

const deadlineOf = async (filing: DrivenFiling, today: string) =>
  (await getFiling(t.database.db, filing.filingId, calendar, today)).deadline;

const at = (moment: string) => new Date(moment);

describe('the clock of one filing', () => {
  it.each([
    ['2026-10-09', 'on_track', 2, 5], // Oct 10 (make-up Saturday), 12, 13, 14, 15
    ['2026-10-12', 'on_track', 4, 3],
    ['2026-10-13', 'near', 5, 2],
    ['2026-10-15', 'near', 7, 0],
    ['2026-10-16', 'overdue', 8, -1],
  ])(
    'applied 2026-09-30, due 2026-10-15: on %s it is %s, %i working days used, %i left',
    async (today, state, used, left) => {
      expect(await deadlineOf(onTime, today)).toEqual({
        submittedOn: '2026-09-30',
        dueOn: '2026-10-15',
        state,
        workingDaysUsed: used,
        workingDaysLeft: left,
        closedOn: null,
      });
    },
  );

  it('is met once registered in time, and a draft has none', async () => {
    expect(await deadlineOf(registered, '2026-12-01')).toEqual({
      submittedOn: '2026-09-30',
      dueOn: null,
      state: 'met',
      workingDaysUsed: 0,
      workingDaysLeft: null,
      closedOn: '2026-09-30',
    });
    expect(await deadlineOf(draft, '2026-10-01')).toBeNull();
  });

  it('runs to registration, not to feedback: feedback given leaves it running', () => {
    const events = [
      { toStatus: 'submitted' as const, at: at('2026-09-30T10:00:00+08:00') },
      { toStatus: 'feedback_given' as const, at: at('2026-10-09T10:00:00+08:00') },
    ];
    expect(filingDeadline(calendar, events, '2026-10-16')).toMatchObject({
      dueOn: '2026-10-15',
      state: 'overdue',
    });
    const late = [
      ...events,
      { toStatus: 'registered' as const, at: at('2026-10-16T09:00:00+08:00') },
    ];
    expect(filingDeadline(calendar, late, '2026-10-20')).toMatchObject({
      state: 'missed',
      workingDaysUsed: 8,
      closedOn: '2026-10-16',
    });
  });

  it('pauses while returned for amendment and resumes with the days left', () => {
    const events = [
      { toStatus: 'submitted' as const, at: at('2026-09-30T10:00:00+08:00') },
      { toStatus: 'preliminary_review_passed' as const, at: at('2026-10-08T10:00:00+08:00') },
      // Oct 8, 9, 10, 12: four working days used when it goes back to the department.
      { toStatus: 'returned' as const, at: at('2026-10-12T16:00:00+08:00') },
    ];
    expect(filingDeadline(calendar, events, '2026-10-16')).toEqual({
      submittedOn: '2026-09-30',
      dueOn: null,
      state: 'paused',
      workingDaysUsed: 4,
      workingDaysLeft: 3,
      closedOn: null,
    });
    const resumed = [
      ...events,
      { toStatus: 'submitted' as const, at: at('2026-10-19T09:00:00+08:00') },
    ];
    // Three left from Oct 19: Oct 20, 21, 22.
    expect(filingDeadline(calendar, resumed, '2026-10-19')).toMatchObject({
      submittedOn: '2026-09-30',
      dueOn: '2026-10-22',
      state: 'on_track',
      workingDaysUsed: 4,
      workingDaysLeft: 3,
    });
  });

  it('pauses while the department answers conditions', () => {
    const events = [
      { toStatus: 'submitted' as const, at: at('2026-09-30T10:00:00+08:00') },
      { toStatus: 'reviewed' as const, at: at('2026-10-08T10:00:00+08:00') },
      { toStatus: 'awaiting_answers' as const, at: at('2026-10-09T10:00:00+08:00') },
      { toStatus: 'feedback_given' as const, at: at('2026-10-13T10:00:00+08:00') },
    ];
    // Two used (Oct 8, 9); five more from Oct 13: 14, 15, 16, 19, 20.
    expect(filingDeadline(calendar, events, '2026-10-13')).toMatchObject({
      dueOn: '2026-10-20',
      workingDaysUsed: 2,
      workingDaysLeft: 5,
    });
  });

  it('flags a clock that reaches a year with no official schedule, never guessing weekdays', () => {
    const events = [{ toStatus: 'submitted' as const, at: at('2026-12-28T10:00:00+08:00') }];
    expect(filingDeadline(calendar, events, '2026-12-29')).toEqual({
      submittedOn: '2026-12-28',
      dueOn: null,
      state: 'calendar_unknown',
      workingDaysUsed: null,
      workingDaysLeft: null,
      closedOn: null,
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

  it('never lists registered, paused (returned) filings or drafts', async () => {
    const ids = (await listed('2026-12-01')).map(([id]) => id);
    expect(ids).not.toContain(registered.filingId);
    expect(ids).not.toContain(returned.filingId);
    expect(ids).not.toContain(draft.filingId);
    expect(ids).toEqual(expect.arrayContaining([onTime.filingId, laterOne.filingId]));
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
        nextSteps: ['preliminary-review', 'return', 'reject'],
      }),
    ]);
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
