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

/** Short amounts are summed as exact integers in doubles; only long ones need BigInt. */
const SAFE_TEXT_LENGTH = 14;
// Exact: a 14-character amount is below 10^11 yuan, far inside a double's integers in fen.
const fenNumber = (amount: string): number => Math.round(Number(amount) * 100);

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
  const unitCount = unitNames.length;
  const problems: { entryId: number; problem: string }[] = [];
  const flag = (entryId: number, problem: string) => {
    if (problems.length < MAX_PROBLEMS) problems.push({ entryId, problem });
  };
  // Sums in doubles while they stay exact integers; folded into BigInt when they might not.
  const small = new Map<number, Float64Array>();
  const big: AccountSums = new Map();
  const bigOf = (account: number) => {
    const found = big.get(account);
    if (found) return found;
    const sums: [bigint, bigint, bigint, bigint] = [0n, 0n, 0n, 0n];
    big.set(account, sums);
    return sums;
  };
  const add = (account: number, slot: number, amountText: string, sign: number) => {
    if (amountText.length <= SAFE_TEXT_LENGTH) {
      let sums = small.get(account);
      if (!sums) {
        sums = new Float64Array(4);
        small.set(account, sums);
      }
      const next = (sums[slot] ?? 0) + sign * fenNumber(amountText);
      if (Math.abs(next) < 2 ** 52) {
        sums[slot] = next;
        return;
      }
    }
    const sums = bigOf(account);
    sums[slot] = (sums[slot] ?? 0n) + BigInt(sign) * fenOf(amountText);
  };
  const net = new Float64Array(unitCount * 3);
  let cursor = 0;
  let postingsChecked = 0;
  let expectedId = fromId;
  for (const e of entryRows) {
    const id = Number(e[0]);
    const effectiveText = e[3] ?? '';
    const own: (string | number)[][] = [];
    net.fill(0);
    let bigNet: Map<number, bigint> | null = null;
    while (cursor < postingRows.length && Number(postingRows[cursor]?.[0]) <= id) {
      const p = postingRows[cursor++] as Row;
      if (Number(p[0]) !== id) continue;
      const account = Number(p[1]);
      const direction = p[2] ?? '';
      const phase = p[3] ?? '';
      const amount = p[4] ?? '0';
      own.push([account, direction, phase, amount]);
      const unit = unitOf.get(account);
      if (unit === undefined) {
        flag(id, `entry ${id} posts to unknown account ${account}`);
        continue;
      }
      const debit = direction === 'debit';
      const phaseIndex = UNIT_PHASES.indexOf(phase as (typeof UNIT_PHASES)[number]);
      const slot = unit * 3 + phaseIndex;
      if (amount.length <= SAFE_TEXT_LENGTH)
        net[slot] = (net[slot] ?? 0) + (debit ? 1 : -1) * fenNumber(amount);
      else {
        bigNet ??= new Map();
        bigNet.set(slot, (bigNet.get(slot) ?? 0n) + (debit ? 1n : -1n) * fenOf(amount));
      }
      if (phase === 'posted') add(account, debit ? 0 : 1, amount, 1);
      else add(account, debit ? 2 : 3, amount, phase === 'pending' ? 1 : -1);
      if (p[5] !== effectiveText)
        flag(id, `entry ${id}: a posting's effective time differs from the entry's`);
    }
    postingsChecked += own.length;
    if (id !== expectedId) flag(id, `entry ids jump from ${expectedId - 1} to ${id}`);
    if (own.length !== Number(e[13]))
      flag(id, `entry ${id} has ${own.length} postings, recorded as ${e[13]}`);
    for (let slot = 0; slot < net.length; slot++) {
      const off = bigNet
        ? BigInt(net[slot] ?? 0) + (bigNet.get(slot) ?? 0n) !== 0n
        : (net[slot] ?? 0) !== 0;
      if (off)
        flag(
          id,
          `entry ${id} does not balance in ${unitNames[Math.floor(slot / 3)]}/${UNIT_PHASES[slot % 3]}`,
        );
    }
    const prevHash = e[14] ?? '';
    const canonical = JSON.stringify([
      id,
      e[1],
      e[2],
      isoFromUtcText(effectiveText),
      isoFromUtcText(e[4] ?? ''),
      e[5],
      e[6] === null ? null : Number(e[6]),
      e[7] === null ? null : Number(e[7]),
      [e[8], e[9], e[10], e[11], e[12]],
      own,
    ]);
    if (hash('sha256', `${prevHash}\n${canonical}`) !== e[15])
      flag(id, `entry ${id} has been altered: its hash does not match its content`);
    expectedId = id + 1;
  }
  for (let i = 1; i < entryRows.length; i++) {
    const previous = entryRows[i - 1];
    const entry = entryRows[i];
    if (previous && entry && entry[14] !== previous[15])
      flag(Number(entry[0]), `entry ${entry[0]} does not link to the hash before it`);
  }
  problems.sort((a, b) => a.entryId - b.entryId);
  for (const [account, sums] of small) {
    const total = bigOf(account);
    for (let slot = 0; slot < 4; slot++)
      total[slot] = (total[slot] ?? 0n) + BigInt(sums[slot] ?? 0);
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
    sums: big,
    problems,
  };
}
