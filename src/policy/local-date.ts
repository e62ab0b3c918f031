/**
 * @module Local dates in Asia/Shanghai ('YYYY-MM-DD'), the unit of the working-day
 * calendar, of registration dates and of deadlines.
 *
 * China Standard Time is UTC+8 all year and has had no daylight saving since 1991, so a
 * fixed offset is exact for every date this service handles. Date arithmetic runs on
 * UTC midnights, where every day has 24 hours.
 */
import { type RawBuilder, sql } from 'kysely';

/** A calendar date in Asia/Shanghai, written 'YYYY-MM-DD'. */
export type LocalDate = string;

const SHANGHAI_OFFSET_MS = 8 * 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
const LOCAL_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** True for a real calendar date written 'YYYY-MM-DD' (so 2026-02-30 is refused). */
export function isLocalDate(text: string): boolean {
  if (!LOCAL_DATE.test(text)) return false;
  const parsed = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().startsWith(text);
}

function utcMidnight(day: LocalDate): number {
  if (!isLocalDate(day)) throw new Error(`"${day}" is not a date written YYYY-MM-DD`);
  return Date.parse(`${day}T00:00:00Z`);
}

/** The date in Asia/Shanghai at a moment. */
export function localDateOf(moment: Date): LocalDate {
  return new Date(moment.getTime() + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10);
}

/** The moment a local date begins in Asia/Shanghai. */
export function startOfLocalDay(day: LocalDate): Date {
  return new Date(utcMidnight(day) - SHANGHAI_OFFSET_MS);
}

/**
 * The first moment after a local date: "in force on day D" means recorded before this
 * (an exclusive bound, so a record at 23:59:59.999999 still counts for D).
 */
export function endOfLocalDay(day: LocalDate): Date {
  return startOfLocalDay(addCalendarDays(day, 1));
}

export function addCalendarDays(day: LocalDate, days: number): LocalDate {
  return new Date(utcMidnight(day) + days * DAY_MS).toISOString().slice(0, 10);
}

/** 0 = Sunday … 6 = Saturday. */
export function dayOfWeek(day: LocalDate): number {
  return new Date(utcMidnight(day)).getUTCDay();
}

/** Calendar days from one date to another (negative when `to` is earlier). */
export function calendarDaysBetween(from: LocalDate, to: LocalDate): number {
  return Math.round((utcMidnight(to) - utcMidnight(from)) / DAY_MS);
}

/**
 * A `date` column read as 'YYYY-MM-DD' text formatted by PostgreSQL: the drivers would
 * otherwise hand back a Date at the process's local midnight.
 */
export function localDateText<T extends string | null = string>(column: string): RawBuilder<T> {
  return sql<T>`to_char(${sql.ref(column)}, 'YYYY-MM-DD')`;
}

/**
 * "As of" a local date (the end of that day) or of an instant: every figure a route gives
 * as of a moment takes either, and these read both the same way.
 */
export type AsOf = LocalDate | Date;

/** The last moment that counts: the end of the day (inclusive), or the instant itself. */
export function lastMomentOf(asOf: AsOf): Date {
  return typeof asOf === 'string' ? new Date(endOfLocalDay(asOf).getTime() - 1) : asOf;
}

/** The first moment after `asOf`: what was recorded before it was in force at `asOf`. */
export function momentAfter(asOf: AsOf): Date {
  return new Date(lastMomentOf(asOf).getTime() + 1);
}

/** The local date `asOf` falls on. */
export function dayOf(asOf: AsOf): LocalDate {
  return typeof asOf === 'string' ? asOf : localDateOf(asOf);
}

/** `asOf` as it is echoed in a body: the date, or the instant in ISO 8601. */
export function asOfText(asOf: AsOf): string {
  return typeof asOf === 'string' ? asOf : asOf.toISOString();
}
