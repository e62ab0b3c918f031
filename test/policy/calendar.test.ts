/**
 * The working-day calendar: arithmetic over the official 2025–2026 schedule (seeded from
 * chinese-days), seeding that runs at every start without undoing an admin's edit, and
 * edits by the admin only, for future days only.
 *
 * Counting rule under test: the day counted from never counts; the n-th working day after
 * it is the answer. Around National Day 2026 (Oct 1–7 off; Sunday Sep 20 and Saturday
 * Oct 10 are make-up working days), 7 working days after Wednesday 2026-09-30 are
 * Oct 8, 9, 10 (Sat), 12, 13, 14, 15: the deadline is Thursday 2026-10-15.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../../src/db/transaction.ts';
import { DomainError } from '../../src/domain-error.ts';
import {
  addWorkingDays,
  calendarFromDays,
  isWorkingDay,
  listCalendarDays,
  loadWorkingCalendar,
  officialScheduleDays,
  removeCalendarDay,
  seedWorkingCalendar,
  type WorkingCalendar,
  workingDaysBetween,
} from '../../src/policy/calendar.ts';
import { localDateOf } from '../../src/policy/local-date.ts';
import { call, expectProblem, readJson, type TestApp } from '../http/support.ts';
import { createRegistryTestApp } from './support.ts';

let t: TestApp;
let calendar: WorkingCalendar;

beforeAll(async () => {
  t = await createRegistryTestApp();
  calendar = await loadWorkingCalendar(t.database.db);
});
afterAll(() => t.close());

describe('working days on the official 2026 schedule', () => {
  it.each([
    ['2026-09-30', true, 'an ordinary Wednesday'],
    ['2026-10-01', false, 'National Day'],
    ['2026-10-05', false, 'a National Day holiday on a Monday'],
    ['2026-10-07', false, 'the last day of the National Day break'],
    ['2026-10-08', true, 'the first day back'],
    ['2026-10-10', true, 'a make-up working Saturday'],
    ['2026-10-11', false, 'an ordinary Sunday'],
    ['2026-09-20', true, 'a make-up working Sunday'],
    ['2026-09-25', false, 'Mid-autumn Festival (a Friday)'],
    ['2026-02-28', true, 'a Spring Festival make-up Saturday'],
    ['2025-10-08', false, 'the end of the 2025 National Day break'],
  ])('%s is a working day: %s (%s)', (day, working) => {
    expect(isWorkingDay(calendar, day)).toBe(working);
  });

  it.each([
    ['2026-09-30', 7, '2026-10-15', 'across National Day and the make-up Saturday Oct 10'],
    ['2026-09-29', 7, '2026-10-14', 'Sep 30 counts, then Oct 8, 9, 10, 12, 13, 14'],
    ['2026-10-03', 7, '2026-10-15', 'submitted on a holiday: counting starts Oct 8'],
    ['2026-09-18', 7, '2026-09-29', 'the make-up Sunday Sep 20 counts; Mid-autumn Sep 25 does not'],
    ['2026-10-09', 7, '2026-10-19', 'Oct 10, 12, 13, 14, 15, 16, 19'],
    ['2025-12-31', 7, '2026-01-12', 'across the year end: New Year off, Sunday Jan 4 worked'],
    ['2026-02-13', 7, '2026-03-02', 'Spring Festival: Feb 14 and Feb 28 worked, Feb 15–23 off'],
    ['2026-09-30', 0, '2026-09-30', 'zero working days is the day itself'],
    ['2026-10-01', 1, '2026-10-08', 'the next working day after a holiday'],
  ])('%s + %i working days = %s (%s)', (from, days, expected) => {
    expect(addWorkingDays(calendar, from, days)).toBe(expected);
    expect(workingDaysBetween(calendar, from, expected)).toBe(days);
  });

  it('counts working days in (from, to], negative when to is earlier', () => {
    expect(workingDaysBetween(calendar, '2026-10-01', '2026-10-07')).toBe(0);
    expect(workingDaysBetween(calendar, '2026-09-30', '2026-10-10')).toBe(3);
    expect(workingDaysBetween(calendar, '2026-10-13', '2026-10-15')).toBe(2);
    expect(workingDaysBetween(calendar, '2026-10-15', '2026-10-15')).toBe(0);
    expect(workingDaysBetween(calendar, '2026-10-16', '2026-10-15')).toBe(-1);
    expect(workingDaysBetween(calendar, '2026-10-19', '2026-10-15')).toBe(-2);
  });

  it('differs from a naive weekday count', () => {
    expect(addWorkingDays(calendarFromDays([], [2026]), '2026-09-30', 7)).toBe('2026-10-09');
    expect(addWorkingDays(calendar, '2026-09-30', 7)).toBe('2026-10-15');
  });

  it('refuses counts it cannot answer', () => {
    expect(() => addWorkingDays(calendar, '2026-09-30', -1)).toThrow(DomainError);
    expect(() => addWorkingDays(calendar, '2026-09-30', 1.5)).toThrow(DomainError);
    expect(() => workingDaysBetween(calendar, '2000-01-01', '2026-01-01')).toThrow(DomainError);
    // A calendar with every day off has no working day to find: a bounded walk, not a hang.
    const allOff = calendarFromDays(
      Array.from({ length: 400 }, (_, i) => ({
        day: new Date(Date.UTC(2030, 0, 2 + i)).toISOString().slice(0, 10),
        kind: 'holiday' as const,
      })),
      [2030, 2031],
    );
    expect(() => addWorkingDays(allOff, '2030-01-01', 7)).toThrow(/fewer than 7 working days/);
  });
});

describe('seeding the official schedule', () => {
  it('loads each year once, with its holidays and make-up days', async () => {
    const days2026 = await listCalendarDays(t.database.db, 2026);
    expect(days2026.find((d) => d.day === '2026-10-01')).toMatchObject({
      kind: 'holiday',
      source: 'official_schedule',
    });
    expect(days2026.find((d) => d.day === '2026-10-01')?.name).toContain('国庆节');
    expect(days2026.filter((d) => d.kind === 'workday').map((d) => d.day)).toEqual([
      '2026-01-04',
      '2026-02-14',
      '2026-02-28',
      '2026-05-09',
      '2026-09-20',
      '2026-10-10',
    ]);
    expect(await seedWorkingCalendar(t.database.db, [2025, 2026])).toEqual({ seededYears: [] });
    expect(await listCalendarDays(t.database.db, 2026)).toHaveLength(days2026.length);
  });

  it('does not put back a day removed after the year was loaded', async () => {
    // Today is injected: the domain refuses only days not after the `today` it is given.
    await expect(
      inTransaction(t.database.db, (trx) => removeCalendarDay(trx, '2025-12-31', '2025-01-01')),
    ).rejects.toMatchObject({ code: 'not_found' });
    const removed = await inTransaction(t.database.db, (trx) =>
      removeCalendarDay(trx, '2025-10-11', '2025-01-01'),
    );
    expect(removed).toMatchObject({ day: '2025-10-11', kind: 'workday' });
    await seedWorkingCalendar(t.database.db, [2025]);
    const days = await listCalendarDays(t.database.db, 2025);
    expect(days.some((d) => d.day === '2025-10-11')).toBe(false);
  });

  it('keeps only weekend make-up days, and refuses a schedule that strays from its year', () => {
    const schedule = {
      holidaysIn: () => ['2026-10-01'],
      workdaysIn: () => ['2026-10-09', '2026-10-10'],
      labelOf: () => 'National Day,国庆节,3',
      source: 'test',
    };
    expect(officialScheduleDays(schedule, 2026).map((d) => [d.day, d.kind])).toEqual([
      ['2026-10-01', 'holiday'],
      ['2026-10-10', 'workday'],
    ]);
    expect(() =>
      officialScheduleDays({ ...schedule, holidaysIn: () => ['2027-01-01'] }, 2026),
    ).toThrow(/not a date in 2026/);
  });
});

describe('calendar over HTTP', () => {
  it('counts working days for any role', async () => {
    for (const role of ['reform_office', 'insurer', 'finance', 'admin'] as const) {
      const response = await call(t.app, 'GET', '/calendar/working-days?from=2026-09-30&days=7', {
        token: t.users[role].token,
      });
      expect(response.status).toBe(200);
      expect(await readJson(response)).toEqual({
        from: '2026-09-30',
        days: 7,
        date: '2026-10-15',
        fromIsWorkingDay: true,
      });
    }
    await expectProblem(
      await call(t.app, 'GET', '/calendar/working-days?from=2026-02-30&days=7', {
        token: t.users.insurer.token,
      }),
      422,
      'validation_failed',
    );
  });

  it('lets the admin add and remove a future day, and no one else', async () => {
    const day = { day: '2027-10-01', kind: 'holiday', name: '国庆节 National Day' };
    for (const role of ['reform_office', 'insurer', 'finance'] as const) {
      await expectProblem(
        await call(t.app, 'POST', '/calendar/days', { token: t.users[role].token, json: day }),
        403,
        'forbidden',
      );
      await expectProblem(
        await call(t.app, 'POST', '/calendar/days/2026-10-10/remove', {
          token: t.users[role].token,
        }),
        403,
        'forbidden',
      );
    }
    const admin = t.users.admin.token;
    const added = await call(t.app, 'POST', '/calendar/days', { token: admin, json: day });
    expect(added.status).toBe(201);
    expect(await readJson(added)).toMatchObject({
      ...day,
      source: 'admin',
      recordedBy: t.users.admin.id,
    });
    await expectProblem(
      await call(t.app, 'POST', '/calendar/days', { token: admin, json: day }),
      409,
      'conflict',
    );
    const listed = await readJson(
      await call(t.app, 'GET', '/calendar/days?year=2027', { token: t.users.insurer.token }),
    );
    expect(listed.days).toEqual([expect.objectContaining({ day: '2027-10-01' })]);
    expect(listed.scheduledYears).toEqual([2025, 2026]);

    const removed = await call(t.app, 'POST', '/calendar/days/2027-10-01/remove', { token: admin });
    expect(removed.status).toBe(200);
    await expectProblem(
      await call(t.app, 'POST', '/calendar/days/2027-10-01/remove', { token: admin }),
      404,
      'not_found',
    );
  });

  it('refuses past days, weekday make-up days and malformed days', async () => {
    const admin = t.users.admin.token;
    const today = localDateOf(new Date());
    await expectProblem(
      await call(t.app, 'POST', '/calendar/days', {
        token: admin,
        json: { day: today, kind: 'holiday', name: 'Too late' },
      }),
      409,
      'conflict',
    );
    await expectProblem(
      await call(t.app, 'POST', '/calendar/days/2026-10-10/remove', { token: admin }),
      409,
      'conflict',
    );
    await expectProblem(
      await call(t.app, 'POST', '/calendar/days', {
        token: admin,
        // 2027-10-11 is a Monday: already a working day.
        json: { day: '2027-10-11', kind: 'workday', name: 'Make-up' },
      }),
      422,
      'validation_failed',
    );
    await expectProblem(
      await call(t.app, 'POST', '/calendar/days', {
        token: admin,
        json: { day: '2027-13-01', kind: 'holiday', name: 'No such month' },
      }),
      422,
      'validation_failed',
    );
    const audit = await t.database.db
      .selectFrom('audit_record')
      .select('action')
      .where('entity', '=', 'working_calendar_day')
      .execute();
    expect(audit.map((row) => row.action)).toEqual(['calendar_day.add', 'calendar_day.remove']);
  });
});
