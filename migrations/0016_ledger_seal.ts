/**
 * The ledger's seal. An account's identity (code, unit, side, bounds) can no longer change
 * once opened; the chain head can only move forward; neither can be deleted or truncated.
 * Checkpoints — the last entry, its chain hash, and every account's identity and balances
 * at that entry — are kept append-only here, taken at each month close
 * and on demand; finance signs them outside the database (see src/ledger/seal.ts).
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE FUNCTION ledger_account_identity_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP <> 'UPDATE' THEN
        RAISE EXCEPTION 'ledger_account rows are permanent: % refused', TG_OP USING ERRCODE = 'P0001';
      END IF;
      IF (NEW.id, NEW.code, NEW.unit, NEW.normal_side, NEW.lower_bound, NEW.upper_bound, NEW.created_at)
         IS DISTINCT FROM
         (OLD.id, OLD.code, OLD.unit, OLD.normal_side, OLD.lower_bound, OLD.upper_bound, OLD.created_at) THEN
        RAISE EXCEPTION 'ledger account % cannot change its code, unit, side or bounds', OLD.code
          USING ERRCODE = 'P0001';
      END IF;
      RETURN NEW;
    END $$
  `.execute(db);
  await sql`
    CREATE TRIGGER ledger_account_identity BEFORE UPDATE OR DELETE ON ledger_account
    FOR EACH ROW EXECUTE FUNCTION ledger_account_identity_guard()
  `.execute(db);

  await sql`
    CREATE FUNCTION ledger_chain_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP <> 'UPDATE' THEN
        RAISE EXCEPTION 'the ledger chain head is permanent: % refused', TG_OP USING ERRCODE = 'P0001';
      END IF;
      IF NEW.last_entry_id < OLD.last_entry_id
         OR (NEW.last_entry_id = OLD.last_entry_id AND NEW.last_hash <> OLD.last_hash) THEN
        RAISE EXCEPTION 'the ledger chain head only moves forward' USING ERRCODE = 'P0001';
      END IF;
      RETURN NEW;
    END $$
  `.execute(db);
  await sql`
    CREATE TRIGGER ledger_chain_forward BEFORE UPDATE OR DELETE ON ledger_chain
    FOR EACH ROW EXECUTE FUNCTION ledger_chain_forward_only()
  `.execute(db);
  for (const table of ['ledger_account', 'ledger_chain']) {
    await sql`
      CREATE TRIGGER ${sql.raw(`${table}_no_truncate`)} BEFORE TRUNCATE ON ${sql.raw(table)}
      FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()
    `.execute(db);
  }

  await sql`
    CREATE TABLE ledger_checkpoint (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 100),
      last_entry_id bigint NOT NULL CHECK (last_entry_id >= 0),
      chain_hash text NOT NULL CHECK (chain_hash ~ '^[0-9a-f]{64}$'),
      -- Every account's identity and balances at that entry: the trial balance, account by account.
      accounts jsonb NOT NULL,
      taken_at timestamptz NOT NULL DEFAULT now(),
      taken_by uuid
    )
  `.execute(db);
  await sql`
    CREATE TRIGGER ledger_checkpoint_append_only BEFORE UPDATE OR DELETE ON ledger_checkpoint
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()
  `.execute(db);
  await sql`
    CREATE TRIGGER ledger_checkpoint_no_truncate BEFORE TRUNCATE ON ledger_checkpoint
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE ledger_checkpoint`.execute(db);
  await sql`DROP TRIGGER ledger_account_no_truncate ON ledger_account`.execute(db);
  await sql`DROP TRIGGER ledger_chain_no_truncate ON ledger_chain`.execute(db);
  await sql`DROP TRIGGER ledger_chain_forward ON ledger_chain`.execute(db);
  await sql`DROP TRIGGER ledger_account_identity ON ledger_account`.execute(db);
  await sql`DROP FUNCTION ledger_chain_forward_only, ledger_account_identity_guard`.execute(db);
}
