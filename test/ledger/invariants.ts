/**
 * Checks of the ledger's invariants straight from the tables, shared by the ledger tests:
 * nothing here trusts the ledger code's own bookkeeping.
 */

import type { Selectable } from 'kysely';
import { sql } from 'kysely';
import type { DB } from '../../src/db/database.ts';
import type { LedgerAccountTable } from '../../src/db/schema-ledger.ts';

/** Per account: the four totals summed from its postings, as the database computes them. */
const postingSums = sql`
  SELECT a.id, a.code, a.normal_side, a.lower_bound, a.upper_bound,
    a.posted_debits, a.posted_credits, a.pending_debits, a.pending_credits,
    coalesce(sum(p.amount) FILTER (WHERE p.phase = 'posted' AND p.direction = 'debit'), 0) AS pd,
    coalesce(sum(p.amount) FILTER (WHERE p.phase = 'posted' AND p.direction = 'credit'), 0) AS pc,
    coalesce(sum(CASE p.phase WHEN 'pending' THEN p.amount ELSE -p.amount END)
      FILTER (WHERE p.phase <> 'posted' AND p.direction = 'debit'), 0) AS hd,
    coalesce(sum(CASE p.phase WHEN 'pending' THEN p.amount ELSE -p.amount END)
      FILTER (WHERE p.phase <> 'posted' AND p.direction = 'credit'), 0) AS hc
  FROM ledger_account a LEFT JOIN posting p ON p.account_id = a.id
  GROUP BY a.id
`;

/**
 * Every violated invariant, in words; empty for a sound ledger:
 * - every entry has at least two postings, exactly its posting_count, and balances per unit and phase;
 * - every account's cached balances equal the sums of its postings;
 * - no bound is crossed with every open hold counted at its worst;
 * - no hold is released by more than it held.
 */
export async function ledgerProblems(db: DB): Promise<string[]> {
  const result = await sql<{ problem: string }>`
    WITH sums AS (${postingSums})
    SELECT 'entry ' || u.entry_id || ' does not balance in ' || u.unit || '/' || u.phase AS problem
    FROM (
      SELECT p.entry_id, a.unit, p.phase FROM posting p JOIN ledger_account a ON a.id = p.account_id
      GROUP BY p.entry_id, a.unit, p.phase
      HAVING sum(CASE p.direction WHEN 'debit' THEN p.amount ELSE -p.amount END) <> 0
    ) u
    UNION ALL
    SELECT 'entry ' || e.id || ' has ' || count(p.seq) || ' postings, recorded as ' || e.posting_count
    FROM journal_entry e LEFT JOIN posting p ON p.entry_id = e.id
    GROUP BY e.id, e.posting_count
    HAVING count(p.seq) < 2 OR count(p.seq) <> e.posting_count
    UNION ALL
    SELECT 'account ' || s.code || ' reports ' || concat_ws('/', s.posted_debits, s.posted_credits,
        s.pending_debits, s.pending_credits) || ' but its postings sum to '
        || concat_ws('/', s.pd, s.pc, s.hd, s.hc)
    FROM sums s
    WHERE s.posted_debits <> s.pd OR s.posted_credits <> s.pc
       OR s.pending_debits <> s.hd OR s.pending_credits <> s.hc
    UNION ALL
    SELECT 'account ' || b.code || ' crosses a bound: worst case ' || b.lowest || '..' || b.highest
        || ' outside ' || coalesce(b.lower_bound::text, '-inf') || '..' || coalesce(b.upper_bound::text, '+inf')
    FROM (
      SELECT s.code, s.lower_bound, s.upper_bound,
        CASE s.normal_side WHEN 'debit' THEN s.pd - s.pc - s.hc ELSE s.pc - s.pd - s.hd END AS lowest,
        CASE s.normal_side WHEN 'debit' THEN s.pd + s.hd - s.pc ELSE s.pc + s.hc - s.pd END AS highest
      FROM sums s
    ) b
    WHERE (b.lower_bound IS NOT NULL AND b.lowest < b.lower_bound)
       OR (b.upper_bound IS NOT NULL AND b.highest > b.upper_bound)
    UNION ALL
    SELECT 'hold ' || h.id || ' was released ' || coalesce(r.released, 0) || ' of ' || h.held
    FROM (
      SELECT e.id, sum(p.amount) AS held FROM journal_entry e JOIN posting p ON p.entry_id = e.id
      WHERE e.kind = 'pending' GROUP BY e.id
    ) h
    LEFT JOIN (
      SELECT r.pending_entry_id, sum(p.amount) AS released
      FROM journal_entry r JOIN posting p ON p.entry_id = r.id
      WHERE p.phase = 'release' GROUP BY r.pending_entry_id
    ) r ON r.pending_entry_id = h.id
    WHERE coalesce(r.released, 0) NOT IN (0, h.held)
  `.execute(db);
  return result.rows.map((row) => row.problem);
}

/** An account's posted balance on its normal side, summed from its postings in SQL. */
export async function balanceFromPostings(db: DB, code: string): Promise<string> {
  const result = await sql<{ balance: string }>`
    WITH sums AS (${postingSums})
    SELECT (CASE normal_side WHEN 'debit' THEN pd - pc ELSE pc - pd END)::numeric(20,2)::text AS balance
    FROM sums WHERE code = ${code}
  `.execute(db);
  const row = result.rows[0];
  if (!row) throw new Error(`no account ${code}`);
  return row.balance;
}

export interface LedgerSnapshot {
  readonly accounts: readonly Selectable<LedgerAccountTable>[];
  readonly entries: number;
  readonly postings: number;
  readonly lastEntryId: number;
  readonly lastHash: string;
}

/** Everything a refused command must leave exactly as it was. */
export async function ledgerSnapshot(db: DB): Promise<LedgerSnapshot> {
  const accounts = await db.selectFrom('ledger_account').selectAll().orderBy('id').execute();
  const result = await sql<{
    entries: number;
    postings: number;
    last_entry_id: number;
    last_hash: string;
  }>`
    SELECT (SELECT count(*)::int FROM journal_entry) AS entries,
      (SELECT count(*)::int FROM posting) AS postings,
      c.last_entry_id::int AS last_entry_id, c.last_hash
    FROM ledger_chain c
  `.execute(db);
  const row = result.rows[0];
  if (!row) throw new Error('ledger_chain has no head row');
  return {
    accounts,
    entries: row.entries,
    postings: row.postings,
    lastEntryId: row.last_entry_id,
    lastHash: row.last_hash,
  };
}

/** 12345n fen → "123.45"; money in tests is integer fen, never a float. */
export function fenText(fen: bigint): string {
  const sign = fen < 0n ? '-' : '';
  const abs = fen < 0n ? -fen : fen;
  return `${sign}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
}
