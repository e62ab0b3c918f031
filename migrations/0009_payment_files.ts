/**
 * The payment-file gateway: payouts become instructions; finance gathers open instructions
 * into a file for the county treasury (one line per payout, a control total and a
 * checksum) and confirms it once the treasury has paid, which settles its payouts.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE payment_file (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      line_count integer NOT NULL CHECK (line_count > 0),
      control_total numeric(20,2) NOT NULL CHECK (control_total > 0),
      checksum text NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'),
      content text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      created_by uuid NOT NULL REFERENCES app_user (id),
      confirmed_at timestamptz,
      confirmed_by uuid REFERENCES app_user (id)
    )
  `.execute(db);
  await sql`
    CREATE TABLE payment_instruction (
      payout_id uuid PRIMARY KEY REFERENCES payout (id),
      payee text NOT NULL,
      amount numeric(20,2) NOT NULL CHECK (amount > 0),
      payment_file_id uuid REFERENCES payment_file (id),
      created_at timestamptz NOT NULL DEFAULT now()
    )
  `.execute(db);
  await sql`CREATE INDEX payment_instruction_open ON payment_instruction (created_at) WHERE payment_file_id IS NULL`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE payment_instruction, payment_file`.execute(db);
}
