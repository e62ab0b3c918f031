/**
 * @module Records ledger commands inside the caller's transaction.
 *
 * The order is the safety and the speed: lock the accounts in id order, take the chain
 * head's lock last (every writer queues there, so entry ids are gapless and hashes chain in
 * commit order), decide everything in memory, then write entries, postings, balances and
 * the chain head in ONE statement. The accounts are already locked by us when the
 * postings' foreign keys are checked, so no MultiXact is made on a hot account.
 */
import { sql } from 'kysely';
import { anyBigint, anyText } from '../db/arrays.ts';
import type { DB } from '../db/database.ts';
import { inTransaction, type Tx } from '../db/transaction.ts';
import type { DomainError } from '../domain-error.ts';
import {
  type AccountState,
  applyCommands,
  type CommandOutcome,
  type LedgerState,
  type NewEntry,
  type ReferencedEntry,
} from './engine.ts';
import { Money } from './money.ts';
import { loadEntries } from './read-entries.ts';
import type { JournalEntry, LedgerCommand } from './types.ts';

export type RecordOutcome =
  | { readonly status: 'recorded' | 'replayed'; readonly entry: JournalEntry }
  | { readonly status: 'rejected'; readonly error: DomainError };

export const IDEMPOTENCY_CONSTRAINT = 'journal_entry_idempotency_key_key';

const json = (value: unknown) => sql`${JSON.stringify(value)}::jsonb`;

/** Records each command or says why not; a refused command writes nothing. Call inside a transaction. */
export async function recordCommands(
  trx: Tx,
  commands: readonly LedgerCommand[],
): Promise<RecordOutcome[]> {
  if (commands.length === 0) return [];
  const state = await lockLedgerState(trx, commands);
  const outcomes = applyCommands(state, commands, new Date());
  const written = outcomes.flatMap((o) => (o.status === 'recorded' ? [o.entry] : []));
  if (written.length > 0) await writeEntries(trx, written, state);
  return resolveReplays(trx, outcomes);
}

/** One command in its own transaction; throws the DomainError when it is refused. */
export async function recordCommand(db: DB, command: LedgerCommand): Promise<JournalEntry> {
  const [outcome] = await inTransaction(db, (trx) => recordCommands(trx, [command]), {
    retryOnUniqueViolation: [IDEMPOTENCY_CONSTRAINT],
  });
  if (!outcome) throw new Error('recordCommands returned no outcome');
  if (outcome.status === 'rejected') throw outcome.error;
  return outcome.entry;
}

/** Throws a refused command's error, for callers that record inside a wider transaction. */
export async function recordCommandInTransaction(
  trx: Tx,
  command: LedgerCommand,
): Promise<JournalEntry> {
  const [outcome] = await recordCommands(trx, [command]);
  if (!outcome) throw new Error('recordCommands returned no outcome');
  if (outcome.status === 'rejected') throw outcome.error;
  return outcome.entry;
}

/**
 * Lock order, the same in every writer (and so no deadlock between them): the caller's own
 * rows first (a claim, then its payouts; a pool), then the ledger accounts in id order,
 * then — last, for one statement — the chain head. The head is the one row every writer
 * queues on, so nothing that can be done before it is done while holding it.
 */
/**
 * Several commands in one ledger write (one turn at the chain head) inside the caller's
 * transaction; throws the first refused command's error (the caller's transaction then
 * writes nothing).
 */
export async function recordCommandsInTransaction(
  trx: Tx,
  commands: readonly LedgerCommand[],
): Promise<JournalEntry[]> {
  const outcomes = await recordCommands(trx, commands);
  return outcomes.map((outcome) => {
    if (outcome.status === 'rejected') throw outcome.error;
    return outcome.entry;
  });
}

async function lockLedgerState(trx: Tx, commands: readonly LedgerCommand[]): Promise<LedgerState> {
  const referencedIds = commands.flatMap((c) =>
    c.type === 'post_pending' || c.type === 'void_pending'
      ? [c.pendingEntryId]
      : c.type === 'reverse'
        ? [c.entryId]
        : [],
  );
  // Postings never change, so they are read before any lock.
  const referenced = referencedIds.length === 0 ? [] : await loadEntries(trx, referencedIds);
  const codes = commands
    .flatMap((c) => (c.type === 'transfer' || c.type === 'post_pending' ? (c.postings ?? []) : []))
    .map((p) => p.accountCode);
  const accountIds = referenced.flatMap((entry) => entry.postings.map((p) => p.accountId));
  const accounts = chainHeldBy.has(trx)
    ? await lockAccountsHoldingTheChain(trx, codes, accountIds)
    : await lockAccounts(trx, codes, accountIds);

  const keys = commands.flatMap((c) => (c.idempotencyKey === undefined ? [] : [c.idempotencyKey]));
  // Entries take "now" unless told otherwise, and a month closes only after it ends: only
  // an explicit effective time can fall in a closed period.
  const backDated = commands.some((c) => c.effectiveAt !== undefined);
  // Whether a referenced entry is already resolved or reversed is read only now: whoever
  // resolves a hold also locks its accounts, and we hold those.
  const chain = await sql<{ last_entry_id: number; last_hash: string }>`
    SELECT last_entry_id, last_hash FROM ledger_chain FOR UPDATE
  `.execute(trx);
  const locked = chain.rows[0];
  if (!locked) throw new Error('ledger_chain has no head row: the ledger migration did not run');
  chainHeldBy.add(trx);
  // Read in a statement of its own, after the head is ours: a statement's subqueries see
  // its snapshot from before a lock wait, so a month closed by the head's previous holder
  // would still look open, and a backdated entry would land in it.
  const facts = await sql<{
    used_keys: UsedKey[] | null;
    closed_periods: { month: string; startsAt: string; endsAt: string }[] | null;
    flags: { id: number; resolved: boolean; reversed: boolean }[] | null;
  }>`
    SELECT
      (SELECT jsonb_agg(jsonb_build_object('key', idempotency_key, 'entryId', id, 'commandHash', command_hash))
         FROM journal_entry WHERE idempotency_key = ${anyText(keys)}) AS used_keys,
      (SELECT jsonb_agg(jsonb_build_object('month', month, 'startsAt', starts_at, 'endsAt', ends_at))
         FROM ledger_closed_period WHERE ${backDated}) AS closed_periods,
      (SELECT jsonb_agg(jsonb_build_object('id', e.id,
          'resolved', EXISTS (SELECT 1 FROM journal_entry r WHERE r.pending_entry_id = e.id),
          'reversed', EXISTS (SELECT 1 FROM journal_entry r WHERE r.reverses_entry_id = e.id)))
         FROM journal_entry e WHERE e.id = ${anyBigint(referencedIds)}) AS flags
  `.execute(trx);
  const head = { ...locked, ...facts.rows[0] };
  const flagsById = new Map((head.flags ?? []).map((row) => [row.id, row]));

  return {
    accountsByCode: new Map(accounts.map((a) => [a.code, a])),
    accountsById: new Map(accounts.map((a) => [a.id, a])),
    entries: new Map(
      referenced.map((entry): [number, ReferencedEntry] => [
        entry.id,
        {
          id: entry.id,
          kind: entry.kind,
          postings: entry.postings,
          resolved: flagsById.get(entry.id)?.resolved ?? false,
          reversed: flagsById.get(entry.id)?.reversed ?? false,
        },
      ]),
    ),
    keys: new Map(
      (head.used_keys ?? []).map((k) => [
        k.key,
        { entryId: k.entryId, commandHash: k.commandHash },
      ]),
    ),
    lastEntryId: head.last_entry_id,
    lastHash: head.last_hash,
    closedPeriods: (head.closed_periods ?? []).map((p) => ({
      month: p.month,
      startsAt: new Date(p.startsAt),
      endsAt: new Date(p.endsAt),
    })),
  };
}

interface UsedKey {
  key: string;
  entryId: number;
  commandHash: string;
}

/** Transactions that took the chain head already (held until they end). */
const chainHeldBy = new WeakSet<Tx>();

/**
 * A transaction recording a second time holds the chain head while it locks more accounts:
 * the one place the lock order (accounts, then the chain) is turned round. A writer that
 * holds such an account may be queued for the chain behind us, so we do not wait long:
 * after LOCK_WAIT_HOLDING_CHAIN_MS the lock timeout (55P03) ends this transaction, to be
 * retried whole, instead of a deadlock found only after the server's deadlock_timeout.
 * Record a unit's commands in one call (recordCommandsInTransaction) to avoid this.
 */
const LOCK_WAIT_HOLDING_CHAIN_MS = 100;

async function lockAccountsHoldingTheChain(
  trx: Tx,
  codes: readonly string[],
  ids: readonly number[],
): Promise<AccountState[]> {
  // The setting in force now may be a grouped unit's own shorter one: put back that, not the
  // connection's default, or later units of the group would wait long holding the chain.
  const before = await sql<{
    lock_timeout: string;
  }>`SELECT current_setting('lock_timeout') AS lock_timeout`.execute(trx);
  await sql`SELECT set_config('lock_timeout', ${`${LOCK_WAIT_HOLDING_CHAIN_MS}ms`}, true)`.execute(
    trx,
  );
  const accounts = await lockAccounts(trx, codes, ids);
  await sql`SELECT set_config('lock_timeout', ${before.rows[0]?.lock_timeout ?? '0'}, true)`.execute(
    trx,
  );
  return accounts;
}

/**
 * Takes the ledger's locks on these accounts (in id order, as recording does) ahead of
 * recording, for a caller that must read their balances and have them stay true until it
 * records: the ledger's own critical section, entered early, instead of a lock of its own.
 */
export async function lockLedgerAccounts(trx: Tx, codes: readonly string[]): Promise<void> {
  await lockAccounts(trx, codes, []);
}

async function lockAccounts(
  trx: Tx,
  codes: readonly string[],
  ids: readonly number[],
): Promise<AccountState[]> {
  if (codes.length === 0 && ids.length === 0) return [];
  const rows = await trx
    .selectFrom('ledger_account')
    .select([
      'id',
      'code',
      'unit',
      'normal_side',
      'lower_bound',
      'upper_bound',
      'posted_debits',
      'posted_credits',
      'pending_debits',
      'pending_credits',
    ])
    .where((eb) => eb.or([eb('code', '=', anyText(codes)), eb('id', '=', anyBigint(ids))]))
    .orderBy('id')
    .forNoKeyUpdate()
    .execute();
  return rows.map((row) => ({
    id: row.id,
    code: row.code,
    unit: row.unit,
    normalSide: row.normal_side,
    lowerBound: row.lower_bound === null ? null : new Money(row.lower_bound),
    upperBound: row.upper_bound === null ? null : new Money(row.upper_bound),
    postedDebits: new Money(row.posted_debits),
    postedCredits: new Money(row.posted_credits),
    pendingDebits: new Money(row.pending_debits),
    pendingCredits: new Money(row.pending_credits),
  }));
}

async function writeEntries(
  trx: Tx,
  entries: readonly NewEntry[],
  state: LedgerState,
): Promise<void> {
  const entryRows = entries.map((e) => ({
    id: e.id,
    kind: e.kind,
    pending_entry_id: e.pendingEntryId,
    reverses_entry_id: e.reversesEntryId,
    idempotency_key: e.idempotencyKey,
    command_hash: e.commandHash,
    description: e.description,
    effective_at: e.effectiveAt.toISOString(),
    recorded_at: e.recordedAt.toISOString(),
    pool_id: e.references.poolId,
    incident_id: e.references.incidentId,
    claim_id: e.references.claimId,
    payout_id: e.references.payoutId,
    category: e.references.category,
    posting_count: e.postings.length,
    prev_hash: e.prevHash,
    hash: e.hash,
  }));
  const postingRows = entries.flatMap((e) =>
    e.postings.map((p, index) => ({
      entry_id: e.id,
      seq: index + 1,
      account_id: p.accountId,
      direction: p.direction,
      phase: p.phase,
      amount: p.amount,
      effective_at: e.effectiveAt.toISOString(),
    })),
  );
  const touchedIds = new Set(entries.flatMap((e) => e.postings.map((p) => p.accountId)));
  const balanceRows = [...touchedIds].map((id) => {
    const account = state.accountsById.get(id);
    if (!account) throw new Error(`account ${id} was written without being locked`);
    return {
      id,
      posted_debits: account.postedDebits.toFixed(2),
      posted_credits: account.postedCredits.toFixed(2),
      pending_debits: account.pendingDebits.toFixed(2),
      pending_credits: account.pendingCredits.toFixed(2),
    };
  });
  const last = entries[entries.length - 1];
  if (!last) return;
  await sql`
    WITH new_entries AS (
      INSERT INTO journal_entry (id, kind, pending_entry_id, reverses_entry_id, idempotency_key, command_hash,
        description, effective_at, recorded_at, pool_id, incident_id, claim_id, payout_id, category,
        posting_count, prev_hash, hash)
      SELECT * FROM jsonb_to_recordset(${json(entryRows)}) AS x(id bigint, kind text, pending_entry_id bigint,
        reverses_entry_id bigint, idempotency_key text, command_hash text, description text,
        effective_at timestamptz, recorded_at timestamptz, pool_id uuid, incident_id uuid, claim_id uuid,
        payout_id uuid, category text, posting_count smallint, prev_hash text, hash text)
      RETURNING 1
    ), new_postings AS (
      INSERT INTO posting (entry_id, seq, account_id, direction, phase, amount, effective_at)
      SELECT * FROM jsonb_to_recordset(${json(postingRows)}) AS x(entry_id bigint, seq smallint,
        account_id bigint, direction text, phase text, amount numeric(20,2), effective_at timestamptz)
      RETURNING 1
    ), balances AS (
      UPDATE ledger_account a SET posted_debits = x.posted_debits, posted_credits = x.posted_credits,
        pending_debits = x.pending_debits, pending_credits = x.pending_credits
      FROM jsonb_to_recordset(${json(balanceRows)}) AS x(id bigint, posted_debits numeric(20,2),
        posted_credits numeric(20,2), pending_debits numeric(20,2), pending_credits numeric(20,2))
      WHERE a.id = x.id
      RETURNING 1
    )
    UPDATE ledger_chain SET last_entry_id = ${last.id}, last_hash = ${last.hash}
  `.execute(trx);
}

async function resolveReplays(
  trx: Tx,
  outcomes: readonly CommandOutcome[],
): Promise<RecordOutcome[]> {
  const replayIds = outcomes.flatMap((o) => (o.status === 'replayed' ? [o.entryId] : []));
  const replayed = new Map((await loadEntries(trx, replayIds)).map((e) => [e.id, e]));
  return outcomes.map((outcome) => {
    if (outcome.status !== 'replayed') return outcome;
    const entry = replayed.get(outcome.entryId);
    if (!entry) throw new Error(`replayed entry ${outcome.entryId} could not be read back`);
    return { status: 'replayed', entry };
  });
}
