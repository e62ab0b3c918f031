/**
 * The database's generated types (kysely-codegen, `npm run db:types`) against the migrated
 * database and against the hand-written types the code uses: a migration without regenerated
 * types fails the first test; a hand-written table, column or column type that disagrees
 * with the database fails `npm run typecheck` on the types below, for every table.
 */
import type { Selectable } from 'kysely';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { runCodegen } from '../../src/db/generate-types.ts';
import type { DB as DatabaseAsMigrated, Json } from '../../src/db/generated/database.ts';
import type { Database } from '../../src/db/schema.ts';
import { freshPostgres, type TestDatabase } from '../support/database.ts';

/** Tables one side has and the other lacks (never when both name the same tables). */
type TableDifference =
  | Exclude<keyof DatabaseAsMigrated, keyof Database>
  | Exclude<keyof Database, keyof DatabaseAsMigrated>;

/**
 * Per table, each column the two sides disagree on: missing on one side, or a hand-written
 * type the database cannot deliver. A narrower union (a status the CHECK allows) is fine; a
 * JSON column's shape is the code's to state, since the database only knows it is JSON; and
 * `unknown` is the code refusing to trust a column until it is parsed (dates).
 */
type ColumnDisagreements = {
  [T in keyof DatabaseAsMigrated & keyof Database]:
    | Exclude<keyof DatabaseAsMigrated[T], keyof Database[T]>
    | Exclude<keyof Database[T], keyof DatabaseAsMigrated[T]>
    | {
        [C in keyof Selectable<DatabaseAsMigrated[T]> &
          keyof Selectable<Database[T]>]: Json extends Selectable<DatabaseAsMigrated[T]>[C]
          ? never
          : unknown extends Selectable<Database[T]>[C]
            ? never
            : Selectable<Database[T]>[C] extends Selectable<DatabaseAsMigrated[T]>[C]
              ? never
              : C;
      }[keyof Selectable<DatabaseAsMigrated[T]> & keyof Selectable<Database[T]>];
}[keyof DatabaseAsMigrated & keyof Database];

let database: TestDatabase;

beforeAll(async () => {
  database = await freshPostgres(1);
});
afterAll(() => database.close());

describe('src/db/generated/database.ts', () => {
  it('is what kysely-codegen makes of the migrated database today', () => {
    const { ok, output } = runCodegen(database.url ?? '', 'verify');
    expect(ok, `stale generated types: run npm run db:types\n${output}`).toBe(true);
  });

  it('agrees with the hand-written types on every table, column and type (typecheck)', () => {
    expectTypeOf<TableDifference>().toBeNever();
    expectTypeOf<ColumnDisagreements>().toBeNever();
    // NUMERIC comes back as a string, never a JS number.
    expectTypeOf<Selectable<DatabaseAsMigrated['posting']>['amount']>().toEqualTypeOf<string>();
  });
});
