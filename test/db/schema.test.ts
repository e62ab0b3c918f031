/**
 * src/db/schema.ts (Kysely's view of the tables, written by hand) against the migrated
 * database, for the ledger tables. The list below is written once and checked both ways:
 * the compiler holds it to schema.ts (no column missing, none extra, nullability alike,
 * NUMERIC typed as string), and the test holds it to information_schema.
 */
import { type Selectable, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import type { Database } from '../../src/db/schema.ts';
import { openAccount } from '../../src/ledger/accounts.ts';
import { type DatabaseKind, freshDatabase, type TestDatabase } from '../support/database.ts';

type LedgerTable = 'ledger_account' | 'ledger_chain' | 'journal_entry' | 'posting';
type DataType =
  | 'bigint'
  | 'smallint'
  | 'numeric'
  | 'text'
  | 'uuid'
  | 'boolean'
  | 'timestamp with time zone';
type ColumnSpec = DataType | `${DataType} | null`;

/** information_schema's data_type per column; "| null" where the column is nullable. */
const COLUMNS = {
  ledger_account: {
    id: 'bigint',
    code: 'text',
    name: 'text',
    unit: 'text',
    normal_side: 'text',
    lower_bound: 'numeric | null',
    upper_bound: 'numeric | null',
    posted_debits: 'numeric',
    posted_credits: 'numeric',
    pending_debits: 'numeric',
    pending_credits: 'numeric',
    created_at: 'timestamp with time zone',
  },
  ledger_chain: {
    singleton: 'boolean',
    last_entry_id: 'bigint',
    last_hash: 'text',
  },
  journal_entry: {
    id: 'bigint',
    kind: 'text',
    pending_entry_id: 'bigint | null',
    reverses_entry_id: 'bigint | null',
    idempotency_key: 'text | null',
    command_hash: 'text',
    description: 'text',
    effective_at: 'timestamp with time zone',
    recorded_at: 'timestamp with time zone',
    pool_id: 'uuid | null',
    incident_id: 'uuid | null',
    claim_id: 'uuid | null',
    payout_id: 'uuid | null',
    category: 'text | null',
    posting_count: 'smallint',
    prev_hash: 'text',
    hash: 'text',
  },
  posting: {
    entry_id: 'bigint',
    seq: 'smallint',
    account_id: 'bigint',
    direction: 'text',
    phase: 'text',
    amount: 'numeric',
    effective_at: 'timestamp with time zone',
  },
} as const satisfies { [T in LedgerTable]: Record<keyof Database[T], ColumnSpec> };

// What Kysely hands back for each spec: NUMERIC as a string (never a number), int8 and
// int2 as numbers (the drivers are set so; they carry ids and counts, never money).
type ReadAs<S> = S extends `${infer D} | null`
  ? ReadAs<D> | null
  : S extends 'numeric' | 'text' | 'uuid'
    ? string
    : S extends 'bigint' | 'smallint'
      ? number
      : S extends 'boolean'
        ? boolean
        : Date;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Columns<T extends LedgerTable> = keyof (typeof COLUMNS)[T] & keyof Selectable<Database[T]>;
/**
 * schema.ts may type a column narrower than the database returns (a text column CHECKed to
 * a few values), never wider or other (a NUMERIC as number), and nullable exactly when it is.
 */
type Agrees<Typed, Spec> = [Typed] extends [ReadAs<Spec>]
  ? Same<null extends Typed ? true : false, Spec extends `${string} | null` ? true : false>
  : false;
/** The columns whose schema.ts type is not what the database returns; never when all agree. */
type Mismatches = {
  [T in LedgerTable]: {
    [C in Columns<T>]: Agrees<Selectable<Database[T]>[C], (typeof COLUMNS)[T][C]> extends true
      ? never
      : `${T}.${C & string}`;
  }[Columns<T>];
}[LedgerTable];

describe.each<DatabaseKind>(['postgres', 'pglite'])('ledger tables on %s', (kind) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await freshDatabase(kind);
  });
  afterAll(() => database.close());

  it('types every column in schema.ts as the database returns it', () => {
    // Checked by the compiler (npm run typecheck): names the columns whose type differs.
    expectTypeOf<Mismatches>().toBeNever();
    expectTypeOf<Selectable<Database['posting']>['amount']>().toEqualTypeOf<string>();
  });

  it('has exactly the columns, types and nullability listed', async () => {
    const result = await sql<{
      table_name: string;
      column_name: string;
      data_type: string;
      is_nullable: 'YES' | 'NO';
      numeric_precision: number | null;
      numeric_scale: number | null;
    }>`
      SELECT table_name::text, column_name::text, data_type::text, is_nullable::text,
        numeric_precision::int, numeric_scale::int
      FROM information_schema.columns
      WHERE table_schema = current_schema()
        AND table_name IN ('ledger_account', 'ledger_chain', 'journal_entry', 'posting')
      ORDER BY table_name, ordinal_position
    `.execute(database.db);
    const actual: Record<string, Record<string, string>> = {};
    for (const row of result.rows) {
      const table = actual[row.table_name] ?? {};
      table[row.column_name] = `${row.data_type}${row.is_nullable === 'YES' ? ' | null' : ''}`;
      actual[row.table_name] = table;
      // Money is NUMERIC(20,2): exact, two decimals, room for sums of 15-digit amounts.
      if (row.data_type === 'numeric') {
        expect(
          [row.numeric_precision, row.numeric_scale],
          `${row.table_name}.${row.column_name}`,
        ).toEqual([20, 2]);
      }
    }
    expect(actual).toEqual(COLUMNS);
  });

  it('reads NUMERIC back as an exact string and int8 as a number', async () => {
    const db = database.db;
    await openAccount(db, {
      code: 'schema:probe',
      name: 'Probe',
      unit: 'CNY',
      normalSide: 'debit',
      upperBound: '999999999999999.99',
    });
    const row = await db
      .selectFrom('ledger_account')
      .select(['id', 'upper_bound', 'posted_debits'])
      .where('code', '=', 'schema:probe')
      .executeTakeFirstOrThrow();
    expect(typeof row.id).toBe('number');
    expect(row.upper_bound).toBe('999999999999999.99');
    expect(row.posted_debits).toBe('0.00');
    const chain = await db
      .selectFrom('ledger_chain')
      .select('last_entry_id')
      .executeTakeFirstOrThrow();
    expect(typeof chain.last_entry_id).toBe('number');
  });
});
