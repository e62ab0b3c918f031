/**
 * Builds a large ledger fast for the read and verify benchmarks: entries are hashed with the
 * ledger's own chainHash, in id order from the chain head, and written in set-based INSERTs of
 * thousands at a time (the database's own posting checks still run per statement); then the
 * cached balances and the chain head are brought up to the postings in one statement each.
 */
import { sql } from 'kysely';
import type { DB } from '../src/db/database.ts';
import { chainHash } from '../src/ledger/hash.ts';
import type { Direction } from '../src/ledger/types.ts';

export interface BulkPosting {
  readonly accountId: number;
  readonly direction: Direction;
  readonly amount: string;
}

export interface BulkEntry {
  readonly description: string;
  readonly effectiveAt: Date;
  readonly postings: readonly BulkPosting[];
}

const BATCH = 5000;

/** Appends `count` entries made by `make(i)` after the chain head; returns the last id. */
export async function appendEntries(
  db: DB,
  count: number,
  make: (index: number) => BulkEntry,
  progress?: (done: number) => void,
): Promise<number> {
  const head = await db
    .selectFrom('ledger_chain')
    .select(['last_entry_id', 'last_hash'])
    .executeTakeFirstOrThrow();
  let id = head.last_entry_id;
  let prev = head.last_hash;
  const recordedAt = new Date().toISOString();
  for (let done = 0; done < count; ) {
    const size = Math.min(BATCH, count - done);
    const e = {
      id: [] as number[],
      description: [] as string[],
      effective: [] as string[],
      count: [] as number[],
      prev: [] as string[],
      hash: [] as string[],
    };
    const p = {
      entry: [] as number[],
      seq: [] as number[],
      account: [] as number[],
      direction: [] as string[],
      amount: [] as string[],
      effective: [] as string[],
    };
    for (let i = 0; i < size; i++) {
      const entry = make(done + i);
      id++;
      const effectiveAt = entry.effectiveAt.toISOString();
      const hash = chainHash(prev, {
        id,
        kind: 'posted',
        description: entry.description,
        effectiveAt,
        recordedAt,
        idempotencyKey: null,
        pendingEntryId: null,
        reversesEntryId: null,
        references: {
          poolId: null,
          incidentId: null,
          claimId: null,
          payoutId: null,
          category: null,
        },
        postings: entry.postings.map((posting) => ({ ...posting, phase: 'posted' as const })),
      });
      e.id.push(id);
      e.description.push(entry.description);
      e.effective.push(effectiveAt);
      e.count.push(entry.postings.length);
      e.prev.push(prev);
      e.hash.push(hash);
      entry.postings.forEach((posting, seq) => {
        p.entry.push(id);
        p.seq.push(seq + 1);
        p.account.push(posting.accountId);
        p.direction.push(posting.direction);
        p.amount.push(posting.amount);
        p.effective.push(effectiveAt);
      });
      prev = hash;
    }
    await db.transaction().execute(async (trx) => {
      await sql`
        INSERT INTO journal_entry (id, kind, command_hash, description, effective_at, recorded_at,
          posting_count, prev_hash, hash)
        SELECT id, 'posted', 'bench', description, effective_at, ${recordedAt}::timestamptz, n, prev, hash
        FROM unnest(${e.id}::bigint[], ${e.description}::text[], ${e.effective}::timestamptz[],
          ${e.count}::smallint[], ${e.prev}::text[], ${e.hash}::text[])
          AS t(id, description, effective_at, n, prev, hash)
      `.execute(trx);
      await sql`
        INSERT INTO posting (entry_id, seq, account_id, direction, phase, amount, effective_at)
        SELECT entry_id, seq, account_id, direction, 'posted', amount, effective_at
        FROM unnest(${p.entry}::bigint[], ${p.seq}::smallint[], ${p.account}::bigint[],
          ${p.direction}::text[], ${p.amount}::numeric[], ${p.effective}::timestamptz[])
          AS t(entry_id, seq, account_id, direction, amount, effective_at)
      `.execute(trx);
    });
    done += size;
    progress?.(done);
  }
  await db.transaction().execute(async (trx) => {
    await sql`
      UPDATE ledger_account a SET posted_debits = t.pd, posted_credits = t.pc
      FROM (SELECT account_id,
          coalesce(sum(amount) FILTER (WHERE phase = 'posted' AND direction = 'debit'), 0) AS pd,
          coalesce(sum(amount) FILTER (WHERE phase = 'posted' AND direction = 'credit'), 0) AS pc
        FROM posting GROUP BY account_id) t
      WHERE a.id = t.account_id
    `.execute(trx);
    await sql`UPDATE ledger_chain SET last_entry_id = ${id}, last_hash = ${prev}`.execute(trx);
  });
  await sql`ANALYZE`.execute(db);
  return id;
}

/** A deterministic stream of numbers in [0, 1), so runs build the same ledger. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
