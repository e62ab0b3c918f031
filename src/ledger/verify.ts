/**
 * @module Proves the ledger: recomputes the hash chain, re-checks that each entry balances,
 * re-adds every posting, and compares the sums with the balances the accounts report; proves
 * the account-record chain and that every account is what its records say; and, given signed
 * seals, that the ledger still extends each of them.
 *
 * Everything is read in one REPEATABLE READ snapshot: accounts, entries and the chain head
 * read at different moments would disagree while the service writes, and report a tampering
 * that is not there. With a connection string the id ranges are checked by worker threads,
 * each on its own connection joined to that same exported snapshot.
 *
 * Against seals the check is incremental by default: entries up to the latest seal are not
 * hashed or summed again; the stored hash at its last entry must be the sealed chain hash
 * (a recomputed chain or a cut tail fails here, naming the first entry that differs), the
 * accounts must be the sealed ones, only what came after is hashed, starting from the sealed
 * hash, and the balances now must be the sealed balances plus those entries. A sealed entry
 * altered with its stored hash left alone and the cached balances untouched shows only in a
 * `full` run, which rehashes and re-sums everything.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { sql } from 'kysely';
import type { DB } from '../db/database.ts';
import type { Tx } from '../db/transaction.ts';
import { verifyAccountRecords } from './account-records.ts';
import { GENESIS_HASH } from './hash.ts';
import {
  SEALED_HASH_PREFIX,
  type SealedAccount,
  type SealFile,
  sealSignatureValid,
} from './seal.ts';
import { snapshotDifferences } from './snapshots.ts';
import {
  type AccountSums,
  type ChunkResult,
  checkChunk,
  ENTRY_SQL,
  fenOf,
  POSTING_SQL,
  type Row,
} from './verify-chunk.ts';
import type { VerifyWorkerData, VerifyWorkerRequest } from './verify-worker.ts';

export interface VerificationReport {
  readonly ok: boolean;
  /** Entries and postings whose hashes and sums were recomputed. */
  readonly entriesChecked: number;
  readonly postingsChecked: number;
  /** Hashing began after this entry: 0, or the last entry of the seal it started from. */
  readonly startedAfterEntryId: number;
  /** The first entry whose content, hash, link or balance is wrong, if any. */
  readonly firstBadEntryId: number | null;
  readonly problems: readonly string[];
}

const MAX_PROBLEMS = 50;
/** Entries per range handed to a worker: large enough to amortise a round trip. */
const CHUNK_ENTRIES = 20_000;

export interface VerificationOptions {
  /** Signed checkpoints the ledger must still extend (`ledger:verify --against`). */
  readonly seals?: readonly SealFile[];
  /** The public key the seals must be signed with; without it, each file's own key is used. */
  readonly publicKey?: string;
  /** Rehash every entry even when a seal vouches for the ones it covers. */
  readonly full?: boolean;
  /** PostgreSQL's connection string: with it, worker threads check ranges in parallel. */
  readonly connectionString?: string;
  /** Worker threads (default: one per core, at most 4); 0 checks in this thread. */
  readonly workers?: number;
  /** Entries per range handed to a thread (default 20,000). */
  readonly entriesPerRange?: number;
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

type Sums = [bigint, bigint, bigint, bigint];
const sumsOfSealed = (a: SealedAccount): Sums => [
  fenOf(a.postedDebits),
  fenOf(a.postedCredits),
  fenOf(a.pendingDebits),
  fenOf(a.pendingCredits),
];
function addSums(into: AccountSums, from: AccountSums): void {
  for (const [account, sums] of from) {
    const total = into.get(account);
    if (!total) into.set(account, [...sums]);
    else
      for (let slot = 0; slot < 4; slot++) total[slot] = (total[slot] ?? 0n) + (sums[slot] ?? 0n);
  }
}
const sameSums = (a: Sums | undefined, b: Sums | undefined) =>
  (a ?? [0n, 0n, 0n, 0n]).every((value, slot) => value === (b ?? [0n, 0n, 0n, 0n])[slot]);

async function verifySnapshot(db: Tx, options: VerificationOptions): Promise<VerificationReport> {
  const problems: { entryId: number | null; problem: string }[] = [];
  const flag = (entryId: number | null, problem: string) => {
    problems.push({ entryId, problem });
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

  await sql`SET LOCAL TimeZone = 'UTC'`.execute(db);
  const accounts = await db.selectFrom('ledger_account').selectAll().execute();
  const accountById = new Map(accounts.map((a) => [a.id, a]));
  const unitNames = [...new Set(accounts.map((a) => a.unit))].sort();
  const unitOf = new Map(accounts.map((a) => [a.id, unitNames.indexOf(a.unit)]));
  const head = await db
    .selectFrom('ledger_chain')
    .select(['last_entry_id', 'last_hash'])
    .executeTakeFirst();
  const last = await db
    .selectFrom('journal_entry')
    .select((eb) => eb.fn.max('id').as('id'))
    .executeTakeFirst();
  const maxId = Number(last?.id ?? 0);
  const storedHash = async (id: number): Promise<string | undefined> =>
    id === 0
      ? GENESIS_HASH
      : (
          await db
            .selectFrom('journal_entry')
            .select('hash')
            .where('id', '=', id)
            .executeTakeFirst()
        )?.hash;

  // The latest seal the ledger still reaches is where hashing starts, unless asked to redo it.
  const base = options.full
    ? undefined
    : seals
        .filter((seal) => seal.checkpoint.lastEntryId <= maxId)
        .sort((a, b) => b.checkpoint.lastEntryId - a.checkpoint.lastEntryId)[0];
  const startAfter = base?.checkpoint.lastEntryId ?? 0;
  const startHash = base ? ((await storedHash(startAfter)) ?? '') : GENESIS_HASH;

  // Ranges end at every seal's last entry, so the sums up to each seal are sums of ranges.
  const cuts = new Set<number>(
    seals.map((s) => s.checkpoint.lastEntryId).filter((id) => id > startAfter && id < maxId),
  );
  const ranges: { fromId: number; toId: number }[] = [];
  for (let fromId = startAfter + 1; fromId <= maxId; ) {
    let toId = Math.min(fromId + (options.entriesPerRange ?? CHUNK_ENTRIES) - 1, maxId);
    for (const cut of cuts) if (cut >= fromId && cut < toId) toId = cut;
    ranges.push({ fromId, toId });
    fromId = toId + 1;
  }

  const chunks = await checkRanges(db, ranges, unitOf, unitNames, options);
  chunks.sort((a, b) => a.fromId - b.fromId);

  let prevHash = startHash;
  let expectedId = startAfter + 1;
  let entriesChecked = 0;
  let postingsChecked = 0;
  const running: AccountSums = new Map();
  const sumsAt = new Map<number, AccountSums>();
  for (const chunk of chunks) {
    for (const p of chunk.problems) flag(p.entryId, p.problem);
    if (chunk.firstId !== null) {
      if (chunk.firstId !== expectedId)
        flag(chunk.firstId, `entry ids jump from ${expectedId - 1} to ${chunk.firstId}`);
      if (chunk.firstPrevHash !== prevHash)
        flag(chunk.firstId, `entry ${chunk.firstId} does not link to the hash before it`);
      prevHash = chunk.lastHash ?? prevHash;
      expectedId = (chunk.lastId ?? expectedId) + 1;
    }
    entriesChecked += chunk.entries;
    postingsChecked += chunk.postings;
    addSums(running, chunk.sums);
    if (cuts.has(chunk.toId)) {
      const copy: AccountSums = new Map();
      addSums(copy, running);
      sumsAt.set(chunk.toId, copy);
    }
  }

  // Sums from the genesis: the base seal's (once proven below) plus everything after it.
  const totals: AccountSums = new Map();
  if (base) for (const a of base.checkpoint.accounts) totals.set(a.id, sumsOfSealed(a));
  addSums(totals, running);

  const differed = new Set<SealFile>();
  for (const seal of seals) {
    const sealedLast = seal.checkpoint.lastEntryId;
    if (sealedLast > maxId) {
      flag(
        maxId + 1,
        `entries ${maxId + 1}–${sealedLast} are covered by ${sealName(seal)} but missing: the ledger's tail was cut`,
      );
      differed.add(seal);
      continue;
    }
    if ((await storedHash(sealedLast)) !== seal.checkpoint.chainHash) {
      const entryId = await firstDifferingEntry(db, seal);
      flag(
        entryId ?? sealedLast,
        entryId === null
          ? `the chain at entry ${sealedLast} differs from ${sealName(seal)}`
          : `entry ${entryId} differs from ${sealName(seal)}`,
      );
      differed.add(seal);
      continue;
    }
    // The sums at the seal, from the ranges hashed. Entries a seal vouches for are not summed
    // again unless asked (full): their balances are the sealed ones, and the balances now must
    // be those plus what came after.
    let sums: AccountSums;
    if (sealedLast <= startAfter)
      sums = new Map(seal.checkpoint.accounts.map((a) => [a.id, sumsOfSealed(a)]));
    else if (sealedLast === maxId) sums = totals;
    else {
      sums = new Map();
      if (base) for (const a of base.checkpoint.accounts) sums.set(a.id, sumsOfSealed(a));
      addSums(sums, sumsAt.get(sealedLast) ?? new Map());
    }
    for (const sealed of seal.checkpoint.accounts) {
      const reason = sealedAccountDifference(
        sealed,
        accountById.get(sealed.id),
        sums.get(sealed.id),
      );
      if (reason) {
        flag(null, `account ${sealed.code} ${reason} since ${sealName(seal)}`);
        differed.add(seal);
        break;
      }
    }
  }

  if (!head || head.last_entry_id !== expectedId - 1 || head.last_hash !== prevHash) {
    flag(null, `the chain head does not name the last entry (${expectedId - 1})`);
  }
  for (const account of accounts) {
    const reported: Sums = [
      fenOf(account.posted_debits),
      fenOf(account.posted_credits),
      fenOf(account.pending_debits),
      fenOf(account.pending_credits),
    ];
    if (!sameSums(totals.get(account.id), reported))
      flag(
        null,
        `account ${account.code}: its reported balance differs from the sum of its postings`,
      );
  }
  for (const problem of await verifyAccountRecords(db, seals)) flag(null, problem);
  for (const { code, boundary } of await snapshotDifferences(db, MAX_PROBLEMS)) {
    flag(
      null,
      `account ${code}: its balance snapshot at ${boundary.toISOString()} differs from the sum of its postings before then (as-of figures read through it would be untrue)`,
    );
  }

  const named = problems.filter((p) => p.entryId !== null).map((p) => p.entryId as number);
  return {
    ok: problems.length === 0,
    entriesChecked,
    postingsChecked,
    startedAfterEntryId: startAfter,
    firstBadEntryId: named.length > 0 ? Math.min(...named) : null,
    problems: problems.slice(0, MAX_PROBLEMS).map((p) => p.problem),
  };
}

/** The first sealed entry whose stored hash is not the one the seal recorded. */
async function firstDifferingEntry(db: Tx, seal: SealFile): Promise<number | null> {
  const { rows } = await sql<{ prefixes: string | null }>`
    SELECT string_agg(left(hash, ${SEALED_HASH_PREFIX}), '' ORDER BY id) AS prefixes
    FROM journal_entry WHERE id > ${seal.fromEntryId} AND id <= ${seal.checkpoint.lastEntryId}
  `.execute(db);
  const stored = rows[0]?.prefixes ?? '';
  const sealed = seal.entryHashPrefixes;
  for (let at = 0; at < sealed.length; at += SEALED_HASH_PREFIX) {
    if (stored.slice(at, at + SEALED_HASH_PREFIX) !== sealed.slice(at, at + SEALED_HASH_PREFIX))
      return seal.fromEntryId + 1 + at / SEALED_HASH_PREFIX;
  }
  return null;
}

async function checkRanges(
  db: Tx,
  ranges: readonly { fromId: number; toId: number }[],
  unitOf: ReadonlyMap<number, number>,
  unitNames: readonly string[],
  options: VerificationOptions,
): Promise<ChunkResult[]> {
  const workers = Math.min(
    options.workers ?? Math.min(availableParallelism(), 4),
    Math.ceil(ranges.length / 2),
  );
  if (!options.connectionString || workers <= 0 || ranges.length < 2) {
    const results: ChunkResult[] = [];
    for (const range of ranges) {
      const text = (query: string) =>
        sql.raw(query.replace('$1', String(range.fromId)).replace('$2', String(range.toId)));
      const asRows = (rows: readonly object[]): Row[] =>
        rows.map((row) => Object.values(row) as (string | null)[]);
      const entries = asRows((await sql<object>`${text(ENTRY_SQL)}`.execute(db)).rows);
      const postings = asRows((await sql<object>`${text(POSTING_SQL)}`.execute(db)).rows);
      results.push(checkChunk(range.fromId, range.toId, entries, postings, unitOf, unitNames));
    }
    return results;
  }
  const exported = await sql<{ id: string }>`SELECT pg_export_snapshot() AS id`.execute(db);
  const data: VerifyWorkerData = {
    url: options.connectionString,
    snapshotId: exported.rows[0]?.id ?? '',
    units: [...unitOf],
    unitNames,
  };
  return runWorkers(workers, ranges, data);
}

/** Hands ranges to the threads, two in flight each, so a thread's next rows are on their way. */
function runWorkers(
  count: number,
  ranges: readonly { fromId: number; toId: number }[],
  data: VerifyWorkerData,
): Promise<ChunkResult[]> {
  const results: ChunkResult[] = [];
  let next = 0;
  let failed = false;
  return new Promise((resolve, reject) => {
    let open = count;
    const threads: Worker[] = [];
    const fail = (error: Error) => {
      if (failed) return;
      failed = true;
      for (const thread of threads) void thread.terminate();
      reject(error);
    };
    for (let i = 0; i < count; i++) {
      const thread = new Worker(new URL('./verify-worker.mjs', import.meta.url), {
        workerData: data,
      });
      threads.push(thread);
      let inFlight = 0;
      const send = () => {
        const range = ranges[next];
        if (range) {
          next++;
          inFlight++;
          thread.postMessage(range satisfies VerifyWorkerRequest);
        }
      };
      thread.on('message', (message: 'ready' | ChunkResult | { error: string }) => {
        if (message === 'ready') {
          send();
          send();
          if (inFlight === 0) thread.postMessage('stop' satisfies VerifyWorkerRequest);
          return;
        }
        if ('error' in message) {
          fail(new Error(`verification worker: ${message.error}`));
          return;
        }
        results.push(message);
        inFlight--;
        send();
        if (inFlight === 0) thread.postMessage('stop' satisfies VerifyWorkerRequest);
      });
      thread.on('error', fail);
      thread.on('exit', () => {
        open--;
        if (open === 0 && !failed) {
          if (results.length === ranges.length) resolve(results);
          else fail(new Error('verification workers stopped before every range was checked'));
        }
      });
    }
  });
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
  sums: Sums | undefined,
): string | undefined {
  if (!account) return 'has disappeared';
  const identity = (value: string | null) => (value === null ? null : fenOf(value));
  if (
    account.code !== sealed.code ||
    account.unit !== sealed.unit ||
    account.normal_side !== sealed.normalSide ||
    identity(account.lower_bound) !== identity(sealed.lowerBound) ||
    identity(account.upper_bound) !== identity(sealed.upperBound)
  )
    return 'has changed its code, unit, side or bounds';
  if (!sameSums(sums, sumsOfSealed(sealed))) return 'sums differently up to the sealed entry';
  return undefined;
}
