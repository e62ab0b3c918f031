/**
 * @module One id range of the ledger, checked on its own: every entry's hash recomputed from
 * its content and its stored predecessor hash, its postings counted and balanced, and every
 * posting summed per account. Ranges are independent (each entry stores the hash before it),
 * so worker threads check them side by side and the caller joins their edges.
 *
 * Rows arrive as arrays of text, exactly as PostgreSQL sends them in a UTC session: no Date,
 * no decimal object, no per-row object is made, because parsing rows was most of the cost.
 */
import { hash } from 'node:crypto';

/** A range's entries and postings, every column as text (the session's time zone is UTC). */
export const ENTRY_SQL = `SELECT id::text, kind, description, effective_at::text, recorded_at::text,
  idempotency_key, pending_entry_id::text, reverses_entry_id::text, pool_id::text, incident_id::text,
  claim_id::text, payout_id::text, category, posting_count::text, prev_hash, hash
  FROM journal_entry e WHERE e.id BETWEEN $1 AND $2 ORDER BY e.id`;
export const POSTING_SQL = `SELECT entry_id::text, account_id::text, direction, phase, amount::text, effective_at::text
  FROM posting p WHERE p.entry_id BETWEEN $1 AND $2 ORDER BY p.entry_id, p.seq`;

export type Row = readonly (string | null)[];

/** Per account: posted debits, posted credits, pending debits, pending credits, in fen. */
export type AccountSums = Map<number, [bigint, bigint, bigint, bigint]>;

export interface ChunkResult {
  readonly fromId: number;
  readonly toId: number;
  readonly entries: number;
  readonly postings: number;
  /** The first entry's id and stored predecessor hash, and the last entry's id and hash. */
  readonly firstId: number | null;
  readonly firstPrevHash: string | null;
  readonly lastId: number | null;
  readonly lastHash: string | null;
  readonly sums: AccountSums;
  /** Problems in id order, each with the entry it names. */
  readonly problems: readonly { readonly entryId: number; readonly problem: string }[];
}

const MAX_PROBLEMS = 50;

/**
 * "2026-01-15 04:00:00.5+00" (PostgreSQL's text in UTC) → "2026-01-15T04:00:00.500Z", the
 * form toISOString writes and the hash covers. Milliseconds are cut, as to_char's MS cuts.
 */
export function isoFromUtcText(text: string): string {
  const dot = text.indexOf('.', 19);
  const end = text.indexOf('+', 19);
  const wholeSeconds = text.slice(0, 19);
  const fraction =
    dot < 0 ? '000' : `${text.slice(dot + 1, end < 0 ? undefined : end)}00`.slice(0, 3);
  return `${wholeSeconds.slice(0, 10)}T${wholeSeconds.slice(11)}.${fraction}Z`;
}

/** "1234.50" → 123450n. NUMERIC(20,2) as text always has its two decimals. */
export function fenOf(amount: string): bigint {
  const dot = amount.indexOf('.');
  return dot < 0
    ? BigInt(amount) * 100n
    : BigInt(amount.slice(0, dot) + amount.slice(dot + 1).padEnd(2, '0'));
}

const UNIT_PHASES = ['posted', 'pending', 'release'] as const;

/**
 * Checks one range. `unitOf` gives each account's index in `unitNames`; an account it does not
 * know is reported as unknown. The link into the range's first entry is the caller's to check.
 */
export function checkChunk(
  fromId: number,
  toId: number,
  entryRows: readonly Row[],
  postingRows: readonly Row[],
  unitOf: ReadonlyMap<number, number>,
  unitNames: readonly string[],
): ChunkResult {
  const problems: { entryId: number; problem: string }[] = [];
  const flag = (entryId: number, problem: string) => {
    if (problems.length < MAX_PROBLEMS) problems.push({ entryId, problem });
  };
  // Account ids are small and dense: sums live in flat arrays indexed by id, as exact
  // integer fen (BigInt), never as floating-point yuan.
  let maxAccount = 0;
  for (const account of unitOf.keys()) if (account > maxAccount) maxAccount = account;
  const unitById = new Int16Array(maxAccount + 1).fill(-1);
  for (const [account, unit] of unitOf) unitById[account] = unit;
  const sums: bigint[] = new Array((maxAccount + 1) * 4).fill(0n);
  const touched = new Uint8Array(maxAccount + 1);
  const add = (account: number, slot: number, fen: bigint) => {
    touched[account] = 1;
    const at = account * 4 + slot;
    sums[at] = (sums[at] ?? 0n) + fen;
  };
  const unitCount = unitNames.length;
  const net: bigint[] = new Array(unitCount * 3).fill(0n);
  const postingCount = postingRows.length;
  let cursor = 0;
  let postingsChecked = 0;
  let expectedId = fromId;
  let previousHash: string | null = null;
  for (const e of entryRows) {
    const idText = e[0] ?? '';
    const id = Number(idText);
    const effectiveText = e[3] ?? '';
    let postingsJson = '';
    let own = 0;
    net.fill(0n);
    // Postings of entries that are not in the range (orphans) are skipped, never matched.
    while (cursor < postingCount) {
      const p = postingRows[cursor] as Row;
      if (p[0] !== idText) {
        if (Number(p[0]) < id) {
          cursor++;
          continue;
        }
        break;
      }
      cursor++;
      const account = Number(p[1]);
      const direction = p[2] ?? '';
      const phase = p[3] ?? '';
      const amount = p[4] ?? '0';
      const debit = direction === 'debit';
      const phaseIndex =
        phase === 'posted' ? 0 : phase === 'pending' ? 1 : phase === 'release' ? 2 : -1;
      const plain = (debit || direction === 'credit') && phaseIndex >= 0;
      postingsJson += `${own === 0 ? '' : ','}${
        plain
          ? `[${account},"${direction}","${phase}","${amount}"]`
          : JSON.stringify([account, direction, phase, amount])
      }`;
      own++;
      const unit = account <= maxAccount ? (unitById[account] ?? -1) : -1;
      if (unit < 0) {
        flag(id, `entry ${id} posts to unknown account ${account}`);
        continue;
      }
      if (!plain) {
        flag(id, `entry ${id} has a posting of unknown direction or phase`);
        continue;
      }
      const slot = unit * 3 + phaseIndex;
      const fen = fenOf(amount);
      net[slot] = (net[slot] ?? 0n) + (debit ? fen : -fen);
      if (phaseIndex === 0) add(account, debit ? 0 : 1, fen);
      else add(account, debit ? 2 : 3, phaseIndex === 1 ? fen : -fen);
      if (p[5] !== effectiveText)
        flag(id, `entry ${id}: a posting's effective time differs from the entry's`);
    }
    postingsChecked += own;
    if (id !== expectedId) flag(id, `entry ids jump from ${expectedId - 1} to ${id}`);
    if (String(own) !== e[13]) flag(id, `entry ${id} has ${own} postings, recorded as ${e[13]}`);
    for (let slot = 0; slot < net.length; slot++) {
      if ((net[slot] ?? 0n) !== 0n)
        flag(
          id,
          `entry ${id} does not balance in ${unitNames[Math.floor(slot / 3)]}/${UNIT_PHASES[slot % 3]}`,
        );
    }
    const prevHash = e[14] ?? '';
    if (previousHash !== null && prevHash !== previousHash)
      flag(id, `entry ${id} does not link to the hash before it`);
    // canonicalEntry's JSON, built by hand where the text needs no escaping (ids, ISO moments,
    // uuids, the fixed words) and by JSON.stringify where it might.
    const canonical = `[${idText},${JSON.stringify(e[1])},${JSON.stringify(e[2])},"${isoFromUtcText(
      effectiveText,
    )}","${isoFromUtcText(e[4] ?? '')}",${e[5] === null ? 'null' : JSON.stringify(e[5])},${
      e[6] ?? 'null'
    },${e[7] ?? 'null'},[${quoted(e[8])},${quoted(e[9])},${quoted(e[10])},${quoted(e[11])},${
      e[12] === null ? 'null' : JSON.stringify(e[12])
    }],[${postingsJson}]]`;
    const stored = e[15] ?? '';
    if (hash('sha256', `${prevHash}\n${canonical}`) !== stored)
      flag(id, `entry ${id} has been altered: its hash does not match its content`);
    previousHash = stored;
    expectedId = id + 1;
  }
  problems.sort((a, b) => a.entryId - b.entryId);
  const bySum: AccountSums = new Map();
  for (let account = 0; account <= maxAccount; account++) {
    if (!touched[account]) continue;
    const at = account * 4;
    bySum.set(account, [
      sums[at] ?? 0n,
      sums[at + 1] ?? 0n,
      sums[at + 2] ?? 0n,
      sums[at + 3] ?? 0n,
    ]);
  }
  const first = entryRows[0];
  const last = entryRows[entryRows.length - 1];
  return {
    fromId,
    toId,
    entries: entryRows.length,
    postings: postingsChecked,
    firstId: first ? Number(first[0]) : null,
    firstPrevHash: first ? (first[14] ?? null) : null,
    lastId: last ? Number(last[0]) : null,
    lastHash: last ? (last[15] ?? null) : null,
    sums: bySum,
    problems,
  };
}

/** A uuid (or null) as JSON: uuids need no escaping. */
const quoted = (value: string | null | undefined) =>
  value === null || value === undefined ? 'null' : `"${value}"`;
