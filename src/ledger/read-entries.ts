import { anyBigint } from '../db/arrays.ts';
import type { DB } from '../db/database.ts';
import type { Tx } from '../db/transaction.ts';
import type { JournalEntry, Posting } from './types.ts';

export async function loadEntries(db: DB | Tx, ids: readonly number[]): Promise<JournalEntry[]> {
  if (ids.length === 0) return [];
  const idList = anyBigint(ids);
  const [entries, postings] = await Promise.all([
    db.selectFrom('journal_entry').selectAll().where('id', '=', idList).orderBy('id').execute(),
    db
      .selectFrom('posting')
      .innerJoin('ledger_account', 'ledger_account.id', 'posting.account_id')
      .select([
        'posting.entry_id',
        'posting.account_id',
        'ledger_account.code',
        'ledger_account.unit',
        'posting.direction',
        'posting.phase',
        'posting.amount',
      ])
      .where('posting.entry_id', '=', idList)
      .orderBy('posting.entry_id')
      .orderBy('posting.seq')
      .execute(),
  ]);
  const postingsByEntry = new Map<number, Posting[]>();
  for (const row of postings) {
    const list = postingsByEntry.get(row.entry_id) ?? [];
    list.push({
      accountId: row.account_id,
      accountCode: row.code,
      unit: row.unit,
      direction: row.direction,
      phase: row.phase,
      amount: row.amount,
    });
    postingsByEntry.set(row.entry_id, list);
  }
  return entries.map((row) => ({
    id: row.id,
    kind: row.kind,
    description: row.description,
    effectiveAt: row.effective_at,
    recordedAt: row.recorded_at,
    idempotencyKey: row.idempotency_key,
    pendingEntryId: row.pending_entry_id,
    reversesEntryId: row.reverses_entry_id,
    references: {
      poolId: row.pool_id,
      incidentId: row.incident_id,
      claimId: row.claim_id,
      payoutId: row.payout_id,
      category: row.category,
    },
    postings: postingsByEntry.get(row.id) ?? [],
    prevHash: row.prev_hash,
    hash: row.hash,
  }));
}
