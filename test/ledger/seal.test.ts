/**
 * Seals against the database's owner: whoever can switch the triggers off can cut the tail
 * and rewrite the chain head and balances, or raise an old posting and recompute every later
 * hash with our own chainHash — and then the plain verification passes. A seal signed with
 * finance's key, kept outside the database, catches both and names the first entry that
 * differs; an altered seal file, or one signed by another key, is refused.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DB } from '../../src/db/database.ts';
import { inTransaction } from '../../src/db/transaction.ts';
import { closeMonth } from '../../src/finance/period-close.ts';
import { openAccount } from '../../src/ledger/accounts.ts';
import { chainHash, GENESIS_HASH } from '../../src/ledger/hash.ts';
import { recordCommand } from '../../src/ledger/record.ts';
import {
  generateSealKey,
  parseSealFile,
  type SealFile,
  type SealKey,
  signCheckpoint,
  takeCheckpointNow,
} from '../../src/ledger/seal.ts';
import { verifyLedger } from '../../src/ledger/verify.ts';
import { freshPostgres, type TestDatabase } from '../support/database.ts';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

let database: TestDatabase;
let db: DB;
let key: SealKey;

async function move(amount: string, effectiveAt?: Date): Promise<number> {
  const entry = await recordCommand(db, {
    type: 'transfer',
    description: `contribution ${amount}`,
    ...(effectiveAt ? { effectiveAt } : {}),
    postings: [
      { accountCode: 'seal:fund', direction: 'debit', amount },
      { accountCode: 'seal:source', direction: 'credit', amount },
    ],
  });
  return entry.id;
}

/** Work done with every trigger off, as the schema's owner could. */
function behindTheTriggers(work: (trx: DB) => Promise<void>): Promise<void> {
  return db.transaction().execute(async (trx) => {
    await sql`SET LOCAL session_replication_role = replica`.execute(trx);
    await work(trx as unknown as DB);
  });
}

/** Makes the cached balances and chain head agree with whatever the postings now say. */
async function coverTracks(trx: DB): Promise<void> {
  await sql`
    UPDATE ledger_account a SET
      posted_debits = coalesce((SELECT sum(amount) FROM posting p WHERE p.account_id = a.id AND p.phase = 'posted' AND p.direction = 'debit'), 0),
      posted_credits = coalesce((SELECT sum(amount) FROM posting p WHERE p.account_id = a.id AND p.phase = 'posted' AND p.direction = 'credit'), 0)
  `.execute(trx);
  await sql`
    UPDATE ledger_chain SET (last_entry_id, last_hash) =
      (SELECT coalesce(max(id), 0), coalesce((SELECT hash FROM journal_entry ORDER BY id DESC LIMIT 1), ${GENESIS_HASH}) FROM journal_entry)
  `.execute(trx);
}

/** Recomputes every hash from `fromId` on with the service's own chainHash. */
async function rechain(trx: DB, fromId: number): Promise<void> {
  const iso = (column: string) =>
    sql.raw(`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`);
  const entries = await sql<{
    id: number;
    kind: 'posted';
    description: string;
    effective_at: string;
    recorded_at: string;
    idempotency_key: string | null;
    prev_hash: string;
  }>`SELECT id, kind, description, ${iso('effective_at')} AS effective_at, ${iso('recorded_at')} AS recorded_at,
       idempotency_key, prev_hash FROM journal_entry WHERE id >= ${fromId} ORDER BY id`.execute(
    trx,
  );
  let prev = entries.rows[0]?.prev_hash ?? GENESIS_HASH;
  for (const entry of entries.rows) {
    const postings = await sql<{
      account_id: number;
      direction: 'debit' | 'credit';
      phase: 'posted';
      amount: string;
    }>`SELECT account_id, direction, phase, amount::text AS amount FROM posting WHERE entry_id = ${entry.id} ORDER BY seq`.execute(
      trx,
    );
    const hash = chainHash(prev, {
      id: entry.id,
      kind: entry.kind,
      description: entry.description,
      effectiveAt: entry.effective_at,
      recordedAt: entry.recorded_at,
      idempotencyKey: entry.idempotency_key,
      pendingEntryId: null,
      reversesEntryId: null,
      references: { poolId: null, incidentId: null, claimId: null, payoutId: null, category: null },
      postings: postings.rows.map((p) => ({
        accountId: p.account_id,
        direction: p.direction,
        phase: p.phase,
        amount: p.amount,
      })),
    });
    await sql`UPDATE journal_entry SET prev_hash = ${prev}, hash = ${hash} WHERE id = ${entry.id}`.execute(
      trx,
    );
    prev = hash;
  }
}

async function sealNow(): Promise<SealFile> {
  return signCheckpoint(db, await takeCheckpointNow(db, 'on demand', null), key.privateJwk);
}

beforeEach(async () => {
  database = await freshPostgres();
  db = database.db;
  key ??= await generateSealKey();
  await openAccount(db, { code: 'seal:fund', name: 'Fund', unit: 'CNY', normalSide: 'debit' });
  await openAccount(db, { code: 'seal:source', name: 'Source', unit: 'CNY', normalSide: 'credit' });
  for (const amount of ['100.00', '200.00', '300.00', '400.00']) await move(amount);
});
afterEach(() => database.close());

describe('a ledger verified against its seals', () => {
  it('passes while it extends every seal, with entries written after them', async () => {
    const first = await sealNow();
    await move('50.00');
    const second = await sealNow();
    await move('60.00');
    expect(second.fromEntryId).toBe(first.checkpoint.lastEntryId);
    const report = await verifyLedger(db, { seals: [first, second], publicKey: key.publicKey });
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('catches a cut tail that plain verification misses, naming the first missing entry', async () => {
    const seal = await sealNow();
    expect(seal.checkpoint.lastEntryId).toBe(4);
    await behindTheTriggers(async (trx) => {
      await sql`DELETE FROM posting WHERE entry_id >= 3`.execute(trx);
      await sql`DELETE FROM journal_entry WHERE id >= 3`.execute(trx);
      await coverTracks(trx);
    });
    expect((await verifyLedger(db)).ok).toBe(true);
    const report = await verifyLedger(db, { seals: [seal], publicKey: key.publicKey });
    expect(report.ok).toBe(false);
    expect(report.firstBadEntryId).toBe(3);
    expect(report.problems.join('\n')).toContain(
      'entries 3–4 are covered by the seal of checkpoint',
    );
  });

  it('catches an old posting raised and the chain recomputed, naming that entry', async () => {
    const seal = await sealNow();
    await move('70.00');
    await behindTheTriggers(async (trx) => {
      await sql`UPDATE posting SET amount = amount + 1000 WHERE entry_id = 2`.execute(trx);
      await rechain(trx, 2);
      await coverTracks(trx);
    });
    expect((await verifyLedger(db)).ok).toBe(true);
    const report = await verifyLedger(db, { seals: [seal], publicKey: key.publicKey });
    expect(report.ok).toBe(false);
    expect(report.firstBadEntryId).toBe(2);
    expect(report.problems[0]).toContain('entry 2 differs from the seal of checkpoint');
  });

  it("catches an account's identity changed behind the triggers", async () => {
    const seal = await sealNow();
    await behindTheTriggers(async (trx) => {
      await sql`UPDATE ledger_account SET upper_bound = 999999 WHERE code = 'seal:source'`.execute(
        trx,
      );
    });
    const report = await verifyLedger(db, { seals: [seal], publicKey: key.publicKey });
    expect(report.ok).toBe(false);
    expect(report.problems.join('\n')).toContain(
      'account seal:source has changed its code, unit, side or bounds',
    );
  });

  it('refuses a seal file altered after signing, or signed by another key', async () => {
    const seal = await sealNow();
    const altered: SealFile = {
      ...seal,
      checkpoint: { ...seal.checkpoint, chainHash: 'f'.repeat(64) },
    };
    const altReport = await verifyLedger(db, { seals: [altered], publicKey: key.publicKey });
    expect(altReport.ok).toBe(false);
    expect(altReport.problems[0]).toContain('is not signed by the pinned key');
    const other = await generateSealKey();
    const foreign = await verifyLedger(db, { seals: [seal], publicKey: other.publicKey });
    expect(foreign.ok).toBe(false);
  });
});

describe('month close and the seal commands', () => {
  function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(
        'npx',
        ['tsx', ...args],
        {
          cwd: REPO_ROOT,
          env: { ...process.env, DATABASE_URL: database.url ?? '' },
          timeout: 60_000,
        },
        (error, stdout, stderr) =>
          resolve({
            code: error ? (typeof error.code === 'number' ? error.code : -1) : 0,
            stdout,
            stderr,
          }),
      );
    });
  }

  it('a close takes a checkpoint; finance signs it and verifies against it from the command line', async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'riskpool-seal-'));
    try {
      await move('10.00', new Date('2026-01-15T04:00:00Z'));
      const admin = await db
        .insertInto('app_user')
        .values({ name: 'seal-admin', role: 'admin' })
        .returning('id')
        .executeTakeFirstOrThrow();
      await inTransaction(db, (trx) => closeMonth(trx, '2026-01', admin.id, { reason: 'test' }));

      const keyFile = path.join(folder, 'finance.key');
      const sealFile = path.join(folder, '2026-01.seal.json');
      const keygen = await run(['src/ledger/seal-cli.ts', 'keygen', '--out', keyFile]);
      expect(keygen.code).toBe(0);
      const publicKey = /public key: (\S+)/.exec(keygen.stdout)?.[1] ?? '';
      const sealed = await run([
        'src/ledger/seal-cli.ts',
        'seal',
        '--key',
        keyFile,
        '--month',
        '2026-01',
        '--out',
        sealFile,
      ]);
      expect(sealed.stderr).toBe('');
      const seal = parseSealFile(await readFile(sealFile, 'utf8'));
      expect(seal.checkpoint.reason).toBe('month close 2026-01');
      expect(seal.checkpoint.lastEntryId).toBe(5);

      await move('20.00');
      const good = await run([
        'src/ledger/verify-cli.ts',
        '--against',
        sealFile,
        '--public-key',
        publicKey,
      ]);
      expect(good.code).toBe(0);
      expect(good.stdout).toContain('every seal still extended');

      await behindTheTriggers(async (trx) => {
        await sql`DELETE FROM posting WHERE entry_id >= 5`.execute(trx);
        await sql`DELETE FROM journal_entry WHERE id >= 5`.execute(trx);
        await coverTracks(trx);
      });
      const cut = await run([
        'src/ledger/verify-cli.ts',
        '--against',
        sealFile,
        '--public-key',
        publicKey,
      ]);
      expect(cut.code).toBe(1);
      expect(cut.stderr).toContain('first bad entry: 5');
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  }, 120_000);
});
