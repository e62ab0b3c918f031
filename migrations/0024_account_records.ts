/**
 * Accounts in the chain: opening an account (its code, unit, side and bounds) is a record in
 * its own hash chain, append-only like the journal, and a checkpoint names that chain's head,
 * so a seal vouches for the accounts as well as the entries. Accounts opened before this
 * migration get their opening records now, in id order, dated when they were opened.
 *
 * The record's hash is SHA-256 over the previous record's hash, a newline, and the JSON array
 * [id, action, accountId, code, unit, normalSide, lowerBound, upperBound, recordedAt]
 * (bounds as "0.00" text or null, the moment as toISOString writes it): src/ledger/account-records.ts.
 */
import { createHash } from 'node:crypto';
import { type Kysely, sql } from 'kysely';

const GENESIS = '0'.repeat(64);

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE ledger_account_record (
      id bigint PRIMARY KEY CHECK (id > 0),
      account_id bigint NOT NULL REFERENCES ledger_account (id),
      action text NOT NULL CHECK (action IN ('open', 'bounds')),
      code text NOT NULL,
      unit text NOT NULL,
      normal_side text NOT NULL,
      lower_bound numeric(20,2),
      upper_bound numeric(20,2),
      recorded_at timestamptz NOT NULL,
      prev_hash text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
      hash text NOT NULL UNIQUE CHECK (hash ~ '^[0-9a-f]{64}$')
    )
  `.execute(db);
  await sql`CREATE INDEX ledger_account_record_account ON ledger_account_record (account_id, id)`.execute(
    db,
  );
  await sql`
    CREATE TRIGGER ledger_account_record_append_only BEFORE UPDATE OR DELETE ON ledger_account_record
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()
  `.execute(db);
  await sql`
    CREATE TRIGGER ledger_account_record_no_truncate BEFORE TRUNCATE ON ledger_account_record
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()
  `.execute(db);
  await sql`ALTER TABLE ledger_checkpoint ADD COLUMN account_record_id bigint, ADD COLUMN account_record_hash text`.execute(
    db,
  );

  const { rows } = await sql<{
    id: number | string;
    code: string;
    unit: string;
    normal_side: string;
    lower_bound: string | null;
    upper_bound: string | null;
    created_at: string;
  }>`
    SELECT id, code, unit, normal_side, lower_bound::text, upper_bound::text,
      to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at
    FROM ledger_account ORDER BY id
  `.execute(db);
  let prev = GENESIS;
  let id = 0;
  for (const account of rows) {
    id++;
    const canonical = JSON.stringify([
      id,
      'open',
      Number(account.id),
      account.code,
      account.unit,
      account.normal_side,
      account.lower_bound,
      account.upper_bound,
      account.created_at,
    ]);
    const hash = createHash('sha256').update(`${prev}\n${canonical}`).digest('hex');
    await sql`
      INSERT INTO ledger_account_record
        (id, account_id, action, code, unit, normal_side, lower_bound, upper_bound, recorded_at, prev_hash, hash)
      VALUES (${id}, ${account.id}, 'open', ${account.code}, ${account.unit}, ${account.normal_side},
        ${account.lower_bound}, ${account.upper_bound}, ${account.created_at}, ${prev}, ${hash})
    `.execute(db);
    prev = hash;
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE ledger_checkpoint DROP COLUMN account_record_id, DROP COLUMN account_record_hash`.execute(
    db,
  );
  await sql`DROP TABLE ledger_account_record`.execute(db);
}
