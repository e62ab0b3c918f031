/**
 * @module The runtime role: what the API and the workers connect as in production. It may
 * read and write rows, but it owns nothing, so it cannot disable a trigger, alter or drop a
 * table, or truncate one: the append-only ledger, the audit trail and the account guards
 * hold against it. The schema's owner (`npm run migrate`, MIGRATION_DATABASE_URL) grants
 * this after every migration; the role itself is created by the database administrator.
 */
import { sql } from 'kysely';
import type { DB } from './database.ts';

const ROLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export async function grantRuntimeRole(db: DB, role: string): Promise<void> {
  if (!ROLE_NAME.test(role))
    throw new Error(`"${role}" is not a plain role name (lower-case letters, digits, _)`);
  const exists = await sql<{ found: boolean }>`
    SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ${role}) AS found
  `.execute(db);
  if (!exists.rows[0]?.found)
    throw new Error(`role ${role} does not exist: CREATE ROLE ${role} LOGIN PASSWORD '…' first`);
  const name = sql.id(role);
  await db.transaction().execute(async (trx) => {
    await sql`GRANT USAGE ON SCHEMA public TO ${name}`.execute(trx);
    // Rows only. UPDATE and DELETE on append-only tables are refused by their triggers,
    // which only an owner could disable; TRUNCATE, TRIGGER and REFERENCES are not granted.
    await sql`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${name}`.execute(
      trx,
    );
    await sql`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${name}`.execute(trx);
    // It may see which migrations ran (to refuse a schema behind the code), not record any.
    await sql`REVOKE INSERT, UPDATE, DELETE ON kysely_migration, kysely_migration_lock FROM ${name}`.execute(
      trx,
    );
  });
}
