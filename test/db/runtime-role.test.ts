/**
 * The role the API and workers run as in production: it can keep the books but cannot
 * rewrite them — no disabling a trigger, no UPDATE or DELETE of a posting, no TRUNCATE, no
 * schema change, no change to an account's identity — and a process started against a
 * schema behind the code refuses to run.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseHandle, openDatabase } from '../../src/db/database.ts';
import { assertSchemaCurrent } from '../../src/db/migrate.ts';
import { grantRuntimeRole } from '../../src/db/runtime-role.ts';
import { openAccount } from '../../src/ledger/accounts.ts';
import { recordCommand } from '../../src/ledger/record.ts';
import { verifyLedger } from '../../src/ledger/verify.ts';
import { freshPostgres, type TestDatabase } from '../support/database.ts';
import { ADMIN_DATABASE_URL, databaseUrl } from '../support/env.ts';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const role = `riskpool_rt_${randomBytes(4).toString('hex')}`;

let owner: TestDatabase;
let runtime: DatabaseHandle;

async function asAdmin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

function urlAs(user: string, url: string): string {
  const parsed = new URL(url);
  parsed.username = user;
  return parsed.toString();
}

async function refusal(work: Promise<unknown>): Promise<string> {
  try {
    await work;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  throw new Error('the statement was accepted');
}

beforeAll(async () => {
  await asAdmin(`CREATE ROLE ${role} LOGIN`);
  owner = await freshPostgres();
  await grantRuntimeRole(owner.db, role);
  await openAccount(owner.db, { code: 'rt:fund', name: 'Fund', unit: 'CNY', normalSide: 'debit' });
  await openAccount(owner.db, {
    code: 'rt:source',
    name: 'Source',
    unit: 'CNY',
    normalSide: 'credit',
  });
  runtime = await openDatabase({
    kind: 'postgres',
    url: urlAs(role, owner.url ?? ''),
    poolSize: 2,
  });
});
afterAll(async () => {
  await runtime?.close();
  await owner?.close();
  await asAdmin(`DROP ROLE IF EXISTS ${role}`);
});

describe('the runtime role', () => {
  it('keeps the books: records an entry, reads balances, verifies, sees the schema is current', async () => {
    const entry = await recordCommand(runtime.db, {
      type: 'transfer',
      description: 'contribution',
      postings: [
        { accountCode: 'rt:fund', direction: 'debit', amount: '100.00' },
        { accountCode: 'rt:source', direction: 'credit', amount: '100.00' },
      ],
    });
    expect(entry.id).toBeGreaterThan(0);
    expect((await verifyLedger(runtime.db)).ok).toBe(true);
    await expect(assertSchemaCurrent(runtime.db)).resolves.toBeUndefined();
  });

  it('cannot disable a trigger, drop one, or bypass them for its session', async () => {
    expect(
      await refusal(sql`ALTER TABLE posting DISABLE TRIGGER USER`.execute(runtime.db)),
    ).toMatch(/must be owner/);
    expect(
      await refusal(sql`DROP TRIGGER posting_append_only ON posting`.execute(runtime.db)),
    ).toMatch(/must be owner/);
    expect(await refusal(sql`SET session_replication_role = replica`.execute(runtime.db))).toMatch(
      /permission denied/,
    );
  });

  it('opens an account with its chained record, and cannot rewrite or remove a record', async () => {
    await openAccount(runtime.db, {
      code: 'rt:opened-at-runtime',
      name: 'Opened by the service',
      unit: 'CNY',
      normalSide: 'debit',
    });
    expect(
      await refusal(sql`UPDATE ledger_account_record SET code = 'x'`.execute(runtime.db)),
    ).toMatch(/append-only/);
    expect(await refusal(sql`DELETE FROM ledger_account_record`.execute(runtime.db))).toMatch(
      /append-only/,
    );
    expect((await verifyLedger(runtime.db)).problems).toEqual([]);
  });

  it('cannot update, delete or truncate the journal', async () => {
    expect(await refusal(sql`UPDATE posting SET amount = amount + 1`.execute(runtime.db))).toMatch(
      /append-only/,
    );
    expect(await refusal(sql`DELETE FROM journal_entry`.execute(runtime.db))).toMatch(
      /append-only/,
    );
    for (const table of [
      'posting',
      'journal_entry',
      'ledger_account',
      'ledger_chain',
      'ledger_account_record',
      'audit_record',
    ])
      expect(await refusal(sql`TRUNCATE ${sql.raw(table)} CASCADE`.execute(runtime.db))).toMatch(
        /permission denied/,
      );
  });

  it('cannot change an account identity, wind the chain head back, or change the schema', async () => {
    expect(
      await refusal(
        sql`UPDATE ledger_account SET unit = 'COVERAGE' WHERE code = 'rt:fund'`.execute(runtime.db),
      ),
    ).toMatch(/cannot change its code, unit, side or bounds/);
    expect(await refusal(sql`DELETE FROM ledger_account`.execute(runtime.db))).toMatch(/permanent/);
    expect(
      await refusal(sql`UPDATE ledger_chain SET last_entry_id = 0`.execute(runtime.db)),
    ).toMatch(/only moves forward/);
    expect(await refusal(sql`CREATE TABLE shadow (id int)`.execute(runtime.db))).toMatch(
      /permission denied/,
    );
    expect(
      await refusal(sql`ALTER TABLE posting ADD COLUMN note text`.execute(runtime.db)),
    ).toMatch(/must be owner/);
    expect(await refusal(sql`DELETE FROM kysely_migration`.execute(runtime.db))).toMatch(
      /permission denied/,
    );
  });
});

describe('a process against a schema behind the code', () => {
  it('refuses to start, says to run npm run migrate, and changes nothing', async () => {
    const name = `riskpool_t_${process.pid}_empty_${randomBytes(3).toString('hex')}`;
    await asAdmin(`CREATE DATABASE "${name}"`);
    try {
      const result = await new Promise<{ code: number; stderr: string }>((resolve) => {
        execFile(
          'npx',
          ['tsx', 'src/ledger/verify-cli.ts'],
          {
            cwd: REPO_ROOT,
            env: { ...process.env, DATABASE_URL: databaseUrl(name) },
            timeout: 60_000,
          },
          (error, _stdout, stderr) =>
            resolve({
              code: error ? (typeof error.code === 'number' ? error.code : -1) : 0,
              stderr,
            }),
        );
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('the database schema is behind this code');
      expect(result.stderr).toContain('npm run migrate');
      const check = new pg.Client({ connectionString: databaseUrl(name) });
      await check.connect();
      try {
        const tables = await check.query(
          "SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'",
        );
        expect(tables.rows[0].n).toBe(0);
      } finally {
        await check.end();
      }
    } finally {
      await asAdmin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    }
  });
});
