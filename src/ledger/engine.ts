/**
 * @module The ledger's rules applied in memory, with no I/O: given the locked accounts and
 * the entries a batch refers to, decide each command in order and compute the entries to
 * write and the balances that follow. A refused command leaves the state exactly as it was.
 * Each account's next balances and their bounds are in account-bounds.ts.
 */
import { DomainError } from '../domain-error.ts';
import { applyToAccounts } from './account-bounds.ts';
import { chainHash, sha256Hex } from './hash.ts';
import { AmountError, formatAmount, type Money, parseAmount, ZERO } from './money.ts';
import type {
  Direction,
  EntryKind,
  EntryReferences,
  JournalEntry,
  LedgerCommand,
  Phase,
  Posting,
  PostingCommand,
  Unit,
} from './types.ts';

export const MAX_POSTINGS_PER_ENTRY = 64;
export const MAX_DESCRIPTION_LENGTH = 500;

export interface AccountState {
  readonly id: number;
  readonly code: string;
  readonly unit: Unit;
  readonly normalSide: Direction;
  readonly lowerBound: Money | null;
  readonly upperBound: Money | null;
  postedDebits: Money;
  postedCredits: Money;
  pendingDebits: Money;
  pendingCredits: Money;
}

/** An entry already in the ledger (or written earlier in this batch) that a command names. */
export interface ReferencedEntry {
  readonly id: number;
  readonly kind: EntryKind;
  readonly postings: readonly Posting[];
  resolved: boolean;
  reversed: boolean;
}

export interface LedgerState {
  readonly accountsByCode: Map<string, AccountState>;
  readonly accountsById: Map<number, AccountState>;
  readonly entries: Map<number, ReferencedEntry>;
  /** Idempotency key → the entry it recorded and the hash of the command that recorded it. */
  readonly keys: Map<string, { readonly entryId: number; readonly commandHash: string }>;
  lastEntryId: number;
  lastHash: string;
  /** Closed accounting periods as [startsAt, endsAt) instants: no entry may fall inside. */
  readonly closedPeriods: readonly ClosedPeriod[];
}

export interface ClosedPeriod {
  readonly month: string;
  readonly startsAt: Date;
  readonly endsAt: Date;
}

export type NewEntry = JournalEntry & { readonly commandHash: string };

export type CommandOutcome =
  | { readonly status: 'recorded'; readonly entry: NewEntry }
  | { readonly status: 'replayed'; readonly entryId: number }
  | { readonly status: 'rejected'; readonly error: DomainError };

const NO_REFERENCES: Required<EntryReferences> = {
  poolId: null,
  incidentId: null,
  claimId: null,
  payoutId: null,
  category: null,
};

export function applyCommands(
  state: LedgerState,
  commands: readonly LedgerCommand[],
  recordedAt: Date,
): CommandOutcome[] {
  return commands.map((command) => {
    try {
      return applyCommand(state, command, recordedAt);
    } catch (error) {
      if (error instanceof DomainError) return { status: 'rejected', error };
      if (error instanceof AmountError) {
        return { status: 'rejected', error: new DomainError('invalid_entry', error.message) };
      }
      throw error;
    }
  });
}

function applyCommand(
  state: LedgerState,
  command: LedgerCommand,
  recordedAt: Date,
): CommandOutcome {
  // References as the database will store them, so the hash covers what verification reads back.
  const references = checkedFields(command);
  const commandHash = hashCommand({ ...command, references });
  if (command.idempotencyKey !== undefined) {
    const earlier = state.keys.get(command.idempotencyKey);
    if (earlier) {
      if (earlier.commandHash !== commandHash) {
        throw new DomainError(
          'idempotency_conflict',
          `idempotency key "${command.idempotencyKey}" was already used for a different entry (${earlier.entryId})`,
          { entryId: String(earlier.entryId) },
        );
      }
      return { status: 'replayed', entryId: earlier.entryId };
    }
  }
  if (command.description.length > MAX_DESCRIPTION_LENGTH) {
    throw new DomainError(
      'invalid_entry',
      `description is longer than ${MAX_DESCRIPTION_LENGTH} characters`,
    );
  }

  const effectiveAt = command.effectiveAt ?? recordedAt;
  const closed = state.closedPeriods.find(
    (p) => effectiveAt >= p.startsAt && effectiveAt < p.endsAt,
  );
  if (closed) {
    throw new DomainError(
      'period_closed',
      `${closed.month} is closed: record the correction in the open period, naming the original entry`,
      { month: closed.month },
    );
  }

  const { kind, postings, pendingEntryId, reversesEntryId } = planPostings(state, command);
  const touched = applyToAccounts(state, postings);

  const id = state.lastEntryId + 1;
  const entryWithoutHash = {
    id,
    kind,
    description: command.description,
    effectiveAt,
    recordedAt,
    idempotencyKey: command.idempotencyKey ?? null,
    pendingEntryId,
    reversesEntryId,
    references,
    postings,
  };
  const hash = chainHash(state.lastHash, entryWithoutHash);
  const entry: NewEntry = { ...entryWithoutHash, prevHash: state.lastHash, hash, commandHash };

  // Only now, with every check passed, does the state change.
  for (const [account, next] of touched) Object.assign(account, next);
  state.lastEntryId = id;
  state.lastHash = hash;
  state.entries.set(id, { id, kind, postings, resolved: false, reversed: false });
  if (pendingEntryId !== null) markResolved(state, pendingEntryId);
  if (reversesEntryId !== null) markReversed(state, reversesEntryId);
  if (command.idempotencyKey !== undefined)
    state.keys.set(command.idempotencyKey, { entryId: id, commandHash });
  return { status: 'recorded', entry };
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_IDEMPOTENCY_KEY_LENGTH = 200;
const EARLIEST_EFFECTIVE = Date.parse('0001-01-01T00:00:00.000Z');
const LATEST_EFFECTIVE = Date.parse('9999-12-31T23:59:59.999Z');

/**
 * Refuses, as invalid_entry, what the database would refuse with an error of its own (and
 * so fail a whole group-commit batch), and returns the references as the database stores
 * them: a UUID in lower case. Stored in another spelling, the entry's hash would no longer
 * match what verification reads back, and a sound entry would look tampered with.
 */
function checkedFields(command: LedgerCommand): Required<EntryReferences> {
  const invalid = (message: string) => new DomainError('invalid_entry', message);
  const key = command.idempotencyKey;
  if (key !== undefined && ([...key].length < 1 || [...key].length > MAX_IDEMPOTENCY_KEY_LENGTH)) {
    throw invalid(`an idempotency key has 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`);
  }
  const time = command.effectiveAt?.getTime();
  if (time !== undefined && !(time >= EARLIEST_EFFECTIVE && time <= LATEST_EFFECTIVE)) {
    throw invalid('effectiveAt is not a valid moment between the years 1 and 9999');
  }
  const references = { ...NO_REFERENCES, ...command.references };
  for (const text of [command.description, key, references.category]) {
    if (text?.includes('\u0000')) throw invalid('text may not contain the NUL character');
  }
  const uuid = (name: string, value: string | null | undefined) => {
    if (value === null || value === undefined) return null;
    if (!UUID_PATTERN.test(value)) throw invalid(`${name} "${value.slice(0, 40)}" is not a UUID`);
    return value.toLowerCase();
  };
  return {
    poolId: uuid('poolId', references.poolId),
    incidentId: uuid('incidentId', references.incidentId),
    claimId: uuid('claimId', references.claimId),
    payoutId: uuid('payoutId', references.payoutId),
    category: references.category ?? null,
  };
}

interface PlannedPostings {
  readonly kind: EntryKind;
  readonly postings: Posting[];
  readonly pendingEntryId: number | null;
  readonly reversesEntryId: number | null;
}

function planPostings(state: LedgerState, command: LedgerCommand): PlannedPostings {
  switch (command.type) {
    case 'transfer': {
      const phase: Phase = command.pending ? 'pending' : 'posted';
      const postings = resolvePostings(state, command.postings, phase);
      assertBalanced(postings);
      return {
        kind: command.pending ? 'pending' : 'posted',
        postings,
        pendingEntryId: null,
        reversesEntryId: null,
      };
    }
    case 'post_pending': {
      const hold = openHold(state, command.pendingEntryId);
      const released = hold.postings.map((p) => ({ ...p, phase: 'release' as const }));
      const posted = command.postings
        ? resolvePostings(state, command.postings, 'posted')
        : hold.postings.map((p) => ({ ...p, phase: 'posted' as const }));
      const heldBySide = totalsByAccountSide(hold.postings);
      for (const [side, amount] of totalsByAccountSide(posted)) {
        const held = heldBySide.get(side) ?? ZERO;
        if (amount.gt(held)) {
          throw new DomainError(
            'exceeds_pending',
            `posting ${formatAmount(amount)} as ${side} exceeds the ${formatAmount(held)} held by entry ${hold.id}`,
          );
        }
      }
      assertBalanced(posted);
      return {
        kind: 'post_pending',
        postings: [...released, ...posted],
        pendingEntryId: hold.id,
        reversesEntryId: null,
      };
    }
    case 'void_pending': {
      const hold = openHold(state, command.pendingEntryId);
      const released = hold.postings.map((p) => ({ ...p, phase: 'release' as const }));
      return {
        kind: 'void_pending',
        postings: released,
        pendingEntryId: hold.id,
        reversesEntryId: null,
      };
    }
    case 'reverse': {
      const original = state.entries.get(command.entryId);
      if (!original)
        throw new DomainError('entry_not_found', `journal entry ${command.entryId} does not exist`);
      if (original.kind !== 'posted' && original.kind !== 'post_pending') {
        throw new DomainError(
          'not_reversible',
          `journal entry ${original.id} is a ${original.kind} entry; only posted entries are reversed (void a hold instead)`,
        );
      }
      if (original.reversed)
        throw new DomainError(
          'already_reversed',
          `journal entry ${original.id} was already reversed`,
        );
      const postings = original.postings
        .filter((p) => p.phase === 'posted')
        .map((p) => ({ ...p, direction: opposite(p.direction) }));
      return { kind: 'reversal', postings, pendingEntryId: null, reversesEntryId: original.id };
    }
  }
}

function openHold(state: LedgerState, pendingEntryId: number): ReferencedEntry {
  const hold = state.entries.get(pendingEntryId);
  if (!hold)
    throw new DomainError('entry_not_found', `journal entry ${pendingEntryId} does not exist`);
  if (hold.kind !== 'pending')
    throw new DomainError('not_pending', `journal entry ${hold.id} is not a pending hold`);
  if (hold.resolved) {
    throw new DomainError('already_resolved', `hold ${hold.id} was already posted or voided`);
  }
  return hold;
}

function resolvePostings(
  state: LedgerState,
  commands: readonly PostingCommand[],
  phase: Phase,
): Posting[] {
  if (commands.length < 2)
    throw new DomainError('invalid_entry', 'an entry needs at least two postings');
  if (commands.length > MAX_POSTINGS_PER_ENTRY) {
    throw new DomainError(
      'invalid_entry',
      `an entry has at most ${MAX_POSTINGS_PER_ENTRY} postings`,
    );
  }
  return commands.map((posting) => {
    const account = state.accountsByCode.get(posting.accountCode);
    if (!account) {
      throw new DomainError('unknown_account', `account "${posting.accountCode}" does not exist`, {
        account: posting.accountCode,
      });
    }
    const amount =
      typeof posting.amount === 'string' ? parseAmount(posting.amount) : posting.amount;
    if (amount.lte(ZERO))
      throw new DomainError('invalid_entry', 'every posting amount must be greater than zero');
    return {
      accountId: account.id,
      accountCode: account.code,
      unit: account.unit,
      direction: posting.direction,
      phase,
      amount: formatAmount(amount),
    };
  });
}

function assertBalanced(postings: readonly Posting[]): void {
  const net = new Map<Unit, Money>();
  for (const p of postings) {
    const signed = p.direction === 'debit' ? parseAmount(p.amount) : parseAmount(p.amount).neg();
    net.set(p.unit, (net.get(p.unit) ?? ZERO).plus(signed));
  }
  for (const [unit, difference] of net) {
    if (!difference.isZero()) {
      throw new DomainError(
        'unbalanced',
        `debits and credits in ${unit} differ by ${formatAmount(difference.abs())}`,
      );
    }
  }
}

function markResolved(state: LedgerState, entryId: number): void {
  const hold = state.entries.get(entryId);
  if (hold) hold.resolved = true;
}

function markReversed(state: LedgerState, entryId: number): void {
  const original = state.entries.get(entryId);
  if (original) original.reversed = true;
}

/** Sums per "direction account-code", e.g. "debit pool:1:coverage:consumed". */
function totalsByAccountSide(postings: readonly Posting[]): Map<string, Money> {
  const totals = new Map<string, Money>();
  for (const p of postings) {
    const side = `${p.direction} ${p.accountCode}`;
    totals.set(side, (totals.get(side) ?? ZERO).plus(parseAmount(p.amount)));
  }
  return totals;
}

function opposite(direction: Direction): Direction {
  return direction === 'debit' ? 'credit' : 'debit';
}

/** What makes two commands "the same" for idempotency: everything the caller said. */
export function hashCommand(command: LedgerCommand): string {
  const amountText = (amount: Money | string) => {
    try {
      return formatAmount(typeof amount === 'string' ? parseAmount(amount) : amount);
    } catch {
      return String(amount);
    }
  };
  const postings = (list: readonly PostingCommand[] | undefined) =>
    list?.map((p) => [p.accountCode, p.direction, amountText(p.amount)]) ?? null;
  return sha256Hex(
    JSON.stringify([
      command.type,
      command.description,
      command.effectiveAt?.toISOString() ?? null,
      { ...NO_REFERENCES, ...command.references },
      command.type === 'transfer' ? [command.pending ?? false, postings(command.postings)] : null,
      command.type === 'post_pending' ? [command.pendingEntryId, postings(command.postings)] : null,
      command.type === 'void_pending' ? command.pendingEntryId : null,
      command.type === 'reverse' ? command.entryId : null,
    ]),
  );
}
