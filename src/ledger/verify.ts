/**
 * @module Proves the ledger from scratch: walks every entry in id order, recomputes the
 * hash chain, re-checks that each entry balances, re-adds every posting, and compares
 * the sums with the balances the accounts report. Sums are in integer fen (BigInt), which
 * is exact and fast enough to check hundreds of thousands of postings a second.
 *
 * Everything is read in one REPEATABLE READ snapshot: accounts, pages and the chain head
 * read at different moments would disagree while the service writes, and report a
 * tampering that is not there.
 */
import { sql } from 'kysely';
import type { DB } from '../db/database.ts';
import type { Tx } from '../db/transaction.ts';
import { chainHash, GENESIS_HASH, type HashedEntry } from './hash.ts';
import {
  SEALED_HASH_PREFIX,
  type SealedAccount,
  type SealFile,
  sealSignatureValid,
} from './seal.ts';
import type { Direction, EntryKind, Phase } from './types.ts';

export interface VerificationReport {
  readonly ok: boolean;
  readonly entriesChecked: number;
  readonly postingsChecked: number;
  /** The first entry whose content, hash, link or balance is wrong, if any. */
  readonly firstBadEntryId: number | null;
  readonly problems: readonly string[];
}

const PAGE_SIZE = 5000;
const MAX_PROBLEMS = 50;

interface Totals {
  postedDebits: bigint;
  postedCredits: bigint;
  pendingDebits: bigint;
  pendingCredits: bigint;
}

/** "1234.50" → 123450n; NUMERIC(20,2) always reads back with two decimals. */
function fen(amount: string): bigint {
  const dot = amount.indexOf('.');
  return dot < 0
    ? BigInt(amount) * 100n
    : BigInt(amount.slice(0, dot) + amount.slice(dot + 1).padEnd(2, '0'));
}

export interface VerificationOptions {
  /** Signed checkpoints the ledger must still extend (`ledger:verify --against`). */
  readonly seals?: readonly SealFile[];
  /** The public key the seals must be signed with; without it, each file's own key is used. */
  readonly publicKey?: string;
}

export function verifyLedger(
  db: DB,
  options: VerificationOptions = {},
): Promise<VerificationReport> {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute((snapshot) => verifySnapshot(snapshot, options));
}

const sealName = (seal: SealFile) =>
  `the seal of checkpoint ${seal.checkpoint.id} (${seal.checkpoint.reason}, ${seal.checkpoint.takenAt})`;

async function verifySnapshot(
  db: DB | Tx,
  options: VerificationOptions,
): Promise<VerificationReport> {
  const problems: string[] = [];
  let firstBadEntryId: number | null = null;
  const flag = (entryId: number | null, problem: string) => {
    if (entryId !== null && firstBadEntryId === null) firstBadEntryId = entryId;
    if (problems.length < MAX_PROBLEMS) problems.push(problem);
  };
  const seals: SealFile[] = [];
  for (const seal of options.seals ?? []) {
    if (await sealSignatureValid(seal, options.publicKey)) seals.push(seal);
    else
      flag(
        null,
        `${sealName(seal)} is not signed by ${options.publicKey ? 'the pinned key' : 'the key it names'}: the file was altered or is not finance's`,
      );
  }
  // Each seal is reported at its first difference only.
  const differed = new Set<SealFile>();

  const accounts = await db.selectFrom('ledger_account').selectAll().execute();
  const unitOf = new Map(accounts.map((a) => [a.id, a.unit]));
  const totals = new Map<number, Totals>(
    accounts.map((a) => [
      a.id,
      { postedDebits: 0n, postedCredits: 0n, pendingDebits: 0n, pendingCredits: 0n },
    ]),
  );

  const accountById = new Map(accounts.map((a) => [a.id, a]));
  const checkSealedState = (seal: SealFile, entryId: number, hash: string) => {
    if (differed.has(seal)) return;
    if (hash !== seal.checkpoint.chainHash) {
      differed.add(seal);
      flag(entryId, `the chain at entry ${entryId} differs from ${sealName(seal)}`);
      return;
    }
    for (const sealed of seal.checkpoint.accounts) {
      const reason = sealedAccountDifference(
        sealed,
        accountById.get(sealed.id),
        totals.get(sealed.id),
      );
      if (reason) {
        differed.add(seal);
        flag(null, `account ${sealed.code} ${reason} since ${sealName(seal)}`);
        return;
      }
    }
  };
  for (const seal of seals)
    if (seal.checkpoint.lastEntryId === 0) checkSealedState(seal, 0, GENESIS_HASH);

  let prevHash = GENESIS_HASH;
  let expectedId = 1;
  let entriesChecked = 0;
  let postingsChecked = 0;
  // The next page is read while this one is hashed: reading and hashing take about as long.
  let nextPage = loadPage(db, expectedId);
  for (;;) {
    const { entries, postings } = await nextPage;
    if (entries.length === 0) break;
    nextPage = loadPage(db, (entries[entries.length - 1]?.id ?? expectedId) + 1);
    let cursor = 0;
    for (const entry of entries) {
      const own: HashedEntry['postings'][number][] = [];
      const net = new Map<string, bigint>();
      while (cursor < postings.length && (postings[cursor]?.entry_id ?? 0) <= entry.id) {
        const p = postings[cursor++];
        if (!p || p.entry_id !== entry.id) continue;
        own.push({
          accountId: p.account_id,
          direction: p.direction,
          phase: p.phase,
          amount: p.amount,
        });
        const amount = fen(p.amount);
        const t = totals.get(p.account_id);
        if (!t) {
          flag(entry.id, `entry ${entry.id} posts to unknown account ${p.account_id}`);
          continue;
        }
        const signed = p.direction === 'debit' ? amount : -amount;
        const key = `${unitOf.get(p.account_id)}/${p.phase}`;
        net.set(key, (net.get(key) ?? 0n) + signed);
        if (p.phase === 'posted') {
          if (p.direction === 'debit') t.postedDebits += amount;
          else t.postedCredits += amount;
        } else {
          const held = p.phase === 'pending' ? amount : -amount;
          if (p.direction === 'debit') t.pendingDebits += held;
          else t.pendingCredits += held;
        }
        if (p.effective_at !== entry.effective_at) {
          flag(entry.id, `entry ${entry.id}: a posting's effective time differs from the entry's`);
        }
      }
      postingsChecked += own.length;
      if (entry.id !== expectedId)
        flag(entry.id, `entry ids jump from ${expectedId - 1} to ${entry.id}`);
      if (own.length !== entry.posting_count) {
        flag(
          entry.id,
          `entry ${entry.id} has ${own.length} postings, recorded as ${entry.posting_count}`,
        );
      }
      for (const [key, difference] of net) {
        if (difference !== 0n) flag(entry.id, `entry ${entry.id} does not balance in ${key}`);
      }
      if (entry.prev_hash !== prevHash)
        flag(entry.id, `entry ${entry.id} does not link to the hash before it`);
      const recomputed = chainHash(entry.prev_hash, {
        id: entry.id,
        kind: entry.kind,
        description: entry.description,
        effectiveAt: entry.effective_at,
        recordedAt: entry.recorded_at,
        idempotencyKey: entry.idempotency_key,
        pendingEntryId: entry.pending_entry_id,
        reversesEntryId: entry.reverses_entry_id,
        references: {
          poolId: entry.pool_id,
          incidentId: entry.incident_id,
          claimId: entry.claim_id,
          payoutId: entry.payout_id,
          category: entry.category,
        },
        postings: own,
      });
      if (recomputed !== entry.hash)
        flag(entry.id, `entry ${entry.id} has been altered: its hash does not match its content`);
      for (const seal of seals) {
        if (entry.id <= seal.fromEntryId || entry.id > seal.checkpoint.lastEntryId) continue;
        const at = (entry.id - seal.fromEntryId - 1) * SEALED_HASH_PREFIX;
        const sealedPrefix = seal.entryHashPrefixes.slice(at, at + SEALED_HASH_PREFIX);
        if (!differed.has(seal) && !entry.hash.startsWith(sealedPrefix || '-')) {
          differed.add(seal);
          flag(entry.id, `entry ${entry.id} differs from ${sealName(seal)}`);
        }
        if (entry.id === seal.checkpoint.lastEntryId) checkSealedState(seal, entry.id, entry.hash);
      }
      prevHash = entry.hash;
      expectedId = entry.id + 1;
      entriesChecked++;
    }
  }

  for (const seal of seals) {
    if (seal.checkpoint.lastEntryId < expectedId) continue;
    flag(
      expectedId,
      `entries ${expectedId}–${seal.checkpoint.lastEntryId} are covered by ${sealName(seal)} but missing: the ledger's tail was cut`,
    );
  }

  const head = await db
    .selectFrom('ledger_chain')
    .select(['last_entry_id', 'last_hash'])
    .executeTakeFirst();
  if (!head || head.last_entry_id !== expectedId - 1 || head.last_hash !== prevHash) {
    flag(null, `the chain head does not name the last entry (${expectedId - 1})`);
  }
  for (const account of accounts) {
    const t = totals.get(account.id);
    if (!t) continue;
    const mismatched =
      t.postedDebits !== fen(account.posted_debits) ||
      t.postedCredits !== fen(account.posted_credits) ||
      t.pendingDebits !== fen(account.pending_debits) ||
      t.pendingCredits !== fen(account.pending_credits);
    if (mismatched)
      flag(
        null,
        `account ${account.code}: its reported balance differs from the sum of its postings`,
      );
  }
  return { ok: problems.length === 0, entriesChecked, postingsChecked, firstBadEntryId, problems };
}

/** How a sealed account differs from the account and its postings now, if it does. */
function sealedAccountDifference(
  sealed: SealedAccount,
  account:
    | {
        code: string;
        unit: string;
        normal_side: string;
        lower_bound: string | null;
        upper_bound: string | null;
      }
    | undefined,
  totals: Totals | undefined,
): string | undefined {
  if (!account || !totals) return 'has disappeared';
  const identity = (value: string | null) => (value === null ? null : fen(value));
  if (
    account.code !== sealed.code ||
    account.unit !== sealed.unit ||
    account.normal_side !== sealed.normalSide ||
    identity(account.lower_bound) !== identity(sealed.lowerBound) ||
    identity(account.upper_bound) !== identity(sealed.upperBound)
  )
    return 'has changed its code, unit, side or bounds';
  if (
    totals.postedDebits !== fen(sealed.postedDebits) ||
    totals.postedCredits !== fen(sealed.postedCredits) ||
    totals.pendingDebits !== fen(sealed.pendingDebits) ||
    totals.pendingCredits !== fen(sealed.pendingCredits)
  )
    return 'sums differently up to the sealed entry';
  return undefined;
}

interface PageEntry {
  id: number;
  kind: EntryKind;
  description: string;
  effective_at: string;
  recorded_at: string;
  idempotency_key: string | null;
  pending_entry_id: number | null;
  reverses_entry_id: number | null;
  pool_id: string | null;
  incident_id: string | null;
  claim_id: string | null;
  payout_id: string | null;
  category: string | null;
  posting_count: number;
  prev_hash: string;
  hash: string;
}

interface PagePosting {
  entry_id: number;
  account_id: number;
  direction: Direction;
  phase: Phase;
  amount: string;
  effective_at: string;
}

/** Moments as the ISO text toISOString writes, made by the server: no Date parsing here. */
const ISO = (column: string) =>
  sql.raw(`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`);

async function loadPage(
  db: DB | Tx,
  fromId: number,
): Promise<{ entries: PageEntry[]; postings: PagePosting[] }> {
  const entries = await sql<PageEntry>`
    SELECT id, kind, description, ${ISO('effective_at')} AS effective_at, ${ISO('recorded_at')} AS recorded_at,
      idempotency_key, pending_entry_id, reverses_entry_id, pool_id, incident_id, claim_id, payout_id,
      category, posting_count, prev_hash, hash
    FROM journal_entry WHERE id >= ${fromId} ORDER BY id LIMIT ${PAGE_SIZE}
  `.execute(db);
  const last = entries.rows[entries.rows.length - 1];
  if (!last) return { entries: [], postings: [] };
  const postings = await sql<PagePosting>`
    SELECT entry_id, account_id, direction, phase, amount::text AS amount, ${ISO('effective_at')} AS effective_at
    FROM posting WHERE entry_id BETWEEN ${fromId} AND ${last.id} ORDER BY entry_id, seq
  `.execute(db);
  return { entries: entries.rows, postings: postings.rows };
}
