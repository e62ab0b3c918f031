/**
 * @module The column types every area's tables share: NUMERIC(20,2) as a string (never a number),
 * a timestamp, and a JSON column with the shape the code states.
 */
import type { ColumnType } from 'kysely';

/** NUMERIC(20,2) as read from and written to the database. */
export type Numeric = ColumnType<string, string, string>;

export type Timestamp = ColumnType<Date, Date | string, Date | string>;

/** jsonb: what the driver returns on read, what we send (JSON text) on write. */
export type Json<T> = ColumnType<T, string, string>;
