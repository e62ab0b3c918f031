/**
 * @module A list of values as one array parameter: `= ANY($1::text[])` lets PostgreSQL use
 * the index (an `IN (SELECT … FROM jsonb …)` list made it scan), and the statement's text
 * stays the same whatever the list's length. Both pg and PGlite send JS arrays as arrays.
 */
import { type RawBuilder, sql } from 'kysely';

export function anyText(values: Iterable<string>): RawBuilder<string> {
  return sql<string>`ANY(${[...new Set(values)]}::text[])`;
}

export function anyBigint(values: Iterable<number>): RawBuilder<number> {
  return sql<number>`ANY(${[...new Set(values)]}::bigint[])`;
}

export function anyUuid(values: Iterable<string>): RawBuilder<string> {
  return sql<string>`ANY(${[...new Set(values)]}::uuid[])`;
}
