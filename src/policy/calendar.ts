/**
 * @module The working-day calendar: Monday to Friday, minus public holidays, plus the
 * make-up working days (调休) of the official schedule. Arithmetic is pure over a loaded
 * `WorkingCalendar`; the special days live in `working_calendar_day`.
 *
 * Counting rule (used for the filing deadline): the day you count from never counts, even
 * when it is a working day; `addWorkingDays(c, d, n)` is the n-th working day after d, and
 * `workingDaysBetween(c, a, b)` counts the working days in (a, b]. So the two agree:
 * workingDaysBetween(c, d, addWorkingDays(c, d, n)) = n.
 *
 * A day in a year whose official schedule is not loaded is refused
 * (`calendar_year_unknown`), never guessed as a plain weekday: 2027-01-01 is a holiday,
 * whatever a Monday-to-Friday count says.
 */
import type { DB } from '../db/database.ts';
import type { CalendarDayKind, CalendarDaySource } from '../db/schema-registry.ts';
import { inTransaction, type Tx } from '../db/transaction.ts';
import { DomainError } from '../domain-error.ts';
import {
  addCalendarDays,
  calendarDaysBetween,
  dayOfWeek,
  isLocalDate,
  type LocalDate,
  localDateText,
} from './local-date.ts';

export interface WorkingCalendar {
  /** Days off named by the schedule (a holiday on a weekend is harmless). */
  readonly holidays: ReadonlySet<LocalDate>;
  /** Weekend days that the schedule makes working days. */
  readonly makeUpWorkdays: ReadonlySet<LocalDate>;
  /** The years whose official schedule is loaded; only their days can be counted. */
  readonly knownYears: ReadonlySet<number>;
}

export interface CalendarDay {
  readonly day: LocalDate;
  readonly kind: CalendarDayKind;
  readonly name: string;
  readonly source: CalendarDaySource;
  readonly recordedAt: Date;
  readonly recordedBy: string | null;
}

/** The largest count of working days the arithmetic accepts (about four years). */
export const MAX_WORKING_DAYS = 1000;
/** The longest span `workingDaysBetween` will walk, in calendar days (about ten years). */
export const MAX_SPAN_DAYS = 3700;
/** The years a published schedule may cover (the calendar table's own bounds). */
const FIRST_SCHEDULE_YEAR = 2000;
const LAST_SCHEDULE_YEAR = 2100;
/** Days of the calendar a read returns at most (a year has about 40 special days). */
const MAX_CALENDAR_ROWS = 20_000;

export const yearOf = (day: LocalDate): number => Number(day.slice(0, 4));

export function calendarYearUnknown(day: LocalDate, calendar: WorkingCalendar): DomainError {
  const known = [...calendar.knownYears].sort((a, b) => a - b);
  return new DomainError(
    'calendar_year_unknown',
    `${day} is in ${yearOf(day)}, for which no official holiday schedule is loaded (known: ${
      known.length > 0 ? `${known[0]}–${known[known.length - 1]}` : 'none'
    }); working days there cannot be counted`,
    { day, year: String(yearOf(day)) },
  );
}

export function isWorkingDay(calendar: WorkingCalendar, day: LocalDate): boolean {
  if (!calendar.knownYears.has(yearOf(day))) throw calendarYearUnknown(day, calendar);
  if (calendar.makeUpWorkdays.has(day)) return true;
  if (calendar.holidays.has(day)) return false;
  const weekday = dayOfWeek(day);
  return weekday !== 0 && weekday !== 6;
}

/** The `days`-th working day after `from` (`from` itself never counts); 0 gives `from`. */
export function addWorkingDays(
  calendar: WorkingCalendar,
  from: LocalDate,
  days: number,
): LocalDate {
  if (!Number.isInteger(days) || days < 0 || days > MAX_WORKING_DAYS) {
    throw new DomainError(
      'validation_failed',
      `working days must be a whole number from 0 to ${MAX_WORKING_DAYS}, got ${days}`,
    );
  }
  // No real schedule has more than ~120 days off a year; three calendar days per working
  // day plus two months bounds the walk even across the Spring Festival.
  const limit = days * 3 + 60;
  let day = from;
  for (let counted = 0, walked = 0; counted < days; walked++) {
    if (walked >= limit) {
      throw new Error(
        `the calendar has fewer than ${days} working days in ${limit} days after ${from}`,
      );
    }
    day = addCalendarDays(day, 1);
    if (isWorkingDay(calendar, day)) counted++;
  }
  return day;
}

/** Working days in (from, to]; negative (the count in (to, from]) when `to` is earlier. */
export function workingDaysBetween(
  calendar: WorkingCalendar,
  from: LocalDate,
  to: LocalDate,
): number {
  const span = calendarDaysBetween(from, to);
  if (Math.abs(span) > MAX_SPAN_DAYS) {
    throw new DomainError(
      'validation_failed',
      `working days are counted over at most ${MAX_SPAN_DAYS} calendar days, got ${Math.abs(span)}`,
    );
  }
  if (span < 0) return -workingDaysBetween(calendar, to, from);
  let count = 0;
  for (let offset = 1; offset <= span; offset++) {
    if (isWorkingDay(calendar, addCalendarDays(from, offset))) count++;
  }
  return count;
}

export function calendarFromDays(
  days: readonly Pick<CalendarDay, 'day' | 'kind'>[],
  knownYears: readonly number[],
): WorkingCalendar {
  return {
    holidays: new Set(days.filter((d) => d.kind === 'holiday').map((d) => d.day)),
    makeUpWorkdays: new Set(days.filter((d) => d.kind === 'workday').map((d) => d.day)),
    knownYears: new Set(knownYears),
  };
}

export async function loadWorkingCalendar(db: DB | Tx): Promise<WorkingCalendar> {
  const rows = await db
    .selectFrom('working_calendar_day')
    .select([localDateText('day').as('day'), 'kind'])
    .limit(MAX_CALENDAR_ROWS)
    .execute();
  return calendarFromDays(rows, await scheduledYears(db));
}

/** A special day as every reader and writer of the calendar returns it. */
const calendarDayColumns = [
  localDateText('day').as('day'),
  'kind',
  'name',
  'source',
  'recorded_at as recordedAt',
  'recorded_by as recordedBy',
] as const;

export async function listCalendarDays(db: DB | Tx, year?: number): Promise<CalendarDay[]> {
  let query = db
    .selectFrom('working_calendar_day')
    .select(calendarDayColumns)
    .orderBy('working_calendar_day.day')
    .limit(MAX_CALENDAR_ROWS);
  if (year !== undefined) {
    query = query
      .where('working_calendar_day.day', '>=', `${year}-01-01`)
      .where('working_calendar_day.day', '<=', `${year}-12-31`);
  }
  return query.execute();
}

export interface NewCalendarDay {
  readonly day: LocalDate;
  readonly kind: CalendarDayKind;
  readonly name: string;
}

/**
 * Deadlines are computed from the calendar when read, so only days after today may change:
 * editing a past day would move deadlines that have already passed.
 */
function assertEditable(day: LocalDate, today: LocalDate): void {
  if (!isLocalDate(day)) throw new DomainError('validation_failed', `"${day}" is not a date`);
  if (day <= today) {
    throw new DomainError(
      'conflict',
      `${day} is not after today (${today}): only future days of the calendar can be changed`,
      { day, today },
    );
  }
}

export async function addCalendarDay(
  trx: Tx,
  input: NewCalendarDay,
  context: { readonly actorUserId: string; readonly today: LocalDate },
): Promise<CalendarDay> {
  assertEditable(input.day, context.today);
  const weekday = dayOfWeek(input.day);
  if (input.kind === 'workday' && weekday !== 0 && weekday !== 6) {
    throw new DomainError(
      'validation_failed',
      `${input.day} is a weekday, already a working day: a make-up working day falls on a weekend`,
      { day: input.day },
    );
  }
  const added = await trx
    .insertInto('working_calendar_day')
    .values({ ...input, source: 'admin', recorded_by: context.actorUserId })
    .onConflict((oc) => oc.column('day').doNothing())
    .returning(calendarDayColumns)
    .executeTakeFirst();
  if (!added) {
    throw new DomainError('conflict', `${input.day} is already in the calendar; remove it first`, {
      day: input.day,
    });
  }
  return added;
}

export async function removeCalendarDay(
  trx: Tx,
  day: LocalDate,
  today: LocalDate,
): Promise<CalendarDay> {
  assertEditable(day, today);
  const removed = await trx
    .deleteFrom('working_calendar_day')
    .where('day', '=', day)
    .returning(calendarDayColumns)
    .executeTakeFirst();
  if (!removed) throw new DomainError('not_found', `${day} is not in the calendar`, { day });
  return removed;
}

/** "National Day,国庆节,3" → "国庆节 National Day". */
function holidayName(label: string): string {
  const [english = '', chinese = ''] = label.split(',');
  return `${chinese} ${english}`.trim().slice(0, 200) || 'holiday';
}

/** What the schedule package's public API answers, as far as the calendar needs it. */
export interface OfficialSchedule {
  /** The days off listed for a year (weekends only when the schedule names them). */
  holidaysIn(year: number): readonly string[];
  /** Every working day of a year, make-up weekend days included. */
  workdaysIn(year: number): readonly string[];
  /** The schedule's label of a day, e.g. "National Day,国庆节,3". */
  labelOf(day: string): string;
  readonly source: string;
}

/** The special days of one year from the official schedule, checked as they are read. */
export function officialScheduleDays(schedule: OfficialSchedule, year: number): NewCalendarDay[] {
  const inYear = (day: string) => {
    if (!isLocalDate(day) || !day.startsWith(`${year}-`)) {
      throw new Error(`the ${year} schedule lists "${day}", which is not a date in ${year}`);
    }
    return day;
  };
  const holidays = schedule.holidaysIn(year).map(inYear);
  const makeUp = schedule
    .workdaysIn(year)
    .map(inYear)
    .filter((day) => dayOfWeek(day) === 0 || dayOfWeek(day) === 6);
  return [
    ...holidays.map((day) => ({
      day,
      kind: 'holiday' as const,
      name: holidayName(schedule.labelOf(day)),
    })),
    ...makeUp.map((day) => ({
      day,
      kind: 'workday' as const,
      name: `${holidayName(schedule.labelOf(day))} (调休上班)`,
    })),
  ];
}

/** The years the schedule publishes: those that list at least one holiday. */
export function publishedYears(schedule: OfficialSchedule): number[] {
  const years: number[] = [];
  for (let year = FIRST_SCHEDULE_YEAR; year <= LAST_SCHEDULE_YEAR; year++) {
    if (schedule.holidaysIn(year).length > 0) years.push(year);
  }
  return years;
}

const SCHEDULE_PACKAGE = 'chinese-days';
/** The version pinned in package.json, named as the source of every seeded year. */
const SCHEDULE_VERSION = '1.5.7';

/**
 * The official schedule through the package's public exports only. Imported lazily so this
 * module stays light where it only reads the calendar (the Workers build).
 */
export async function officialSchedule(): Promise<OfficialSchedule> {
  const days = await import('chinese-days');
  const api = days.default ?? days;
  const range = (year: number) => [`${year}-01-01`, `${year}-12-31`] as const;
  return {
    holidaysIn: (year) => api.getHolidaysInRange(...range(year), false),
    workdaysIn: (year) => api.getWorkdaysInRange(...range(year), true),
    labelOf: (day) => api.getDayDetail(day).name,
    source: `${SCHEDULE_PACKAGE}@${SCHEDULE_VERSION}`,
  };
}

/**
 * Loads the official schedule of each year not loaded before. Idempotent, and safe to run
 * at every start: a year is loaded once, so an admin's later edits to it stay; a day an
 * admin already entered wins over the schedule.
 */
export async function seedWorkingCalendar(
  db: DB,
  years?: readonly number[],
): Promise<{ readonly seededYears: number[] }> {
  const schedule = await officialSchedule();
  const published = publishedYears(schedule);
  const seededYears: number[] = [];
  for (const year of years ?? published) {
    if (!published.includes(year)) {
      throw new Error(`${SCHEDULE_PACKAGE} publishes no schedule for ${year}`);
    }
    const source = schedule.source;
    const days = officialScheduleDays(schedule, year);
    const seeded = await inTransaction(db, async (trx) => {
      // Claim the year first: a concurrent seeder waits on this key, then finds it taken.
      const claimed = await trx
        .insertInto('working_calendar_year')
        .values({ year, source })
        .onConflict((oc) => oc.column('year').doNothing())
        .returning('year')
        .executeTakeFirst();
      if (!claimed) return false;
      if (days.length > 0) {
        await trx
          .insertInto('working_calendar_day')
          .values(days.map((day) => ({ ...day, source: 'official_schedule', recorded_by: null })))
          .onConflict((oc) => oc.column('day').doNothing())
          .execute();
      }
      return true;
    });
    if (seeded) seededYears.push(year);
  }
  return { seededYears };
}

/** The years whose official schedule is loaded; days in other years cannot be counted. */
export async function scheduledYears(db: DB | Tx): Promise<number[]> {
  const rows = await db
    .selectFrom('working_calendar_year')
    .select('year')
    .orderBy('year')
    .execute();
  return rows.map((row) => row.year);
}
