/**
 * @module The ledger's vocabulary: units, accounts, entry commands and recorded entries.
 */
import type { Money } from './money.ts';

export type Unit = 'CNY' | 'COVERAGE';
export type Direction = 'debit' | 'credit';
export type Phase = 'posted' | 'pending' | 'release';

/** What an entry is about, so balances can be rolled up by pool, incident, claim or payout. */
export interface EntryReferences {
  readonly poolId?: string | null;
  readonly incidentId?: string | null;
  readonly claimId?: string | null;
  readonly payoutId?: string | null;
  readonly category?: string | null;
}

interface CommandBase {
  /** Same key and same content returns the first entry; same key, other content is refused. */
  readonly idempotencyKey?: string;
  readonly description: string;
  /** When the movement counts; defaults to the moment it is recorded. */
  readonly effectiveAt?: Date;
  readonly references?: EntryReferences;
}

export interface PostingCommand {
  readonly accountCode: string;
  readonly direction: Direction;
  /** A Money, or its string form with at most two decimals. */
  readonly amount: Money | string;
}

/** A transfer that counts at once (`posted`), or a hold that counts against bounds until resolved. */
export interface TransferCommand extends CommandBase {
  readonly type: 'transfer';
  readonly pending?: boolean;
  readonly postings: readonly PostingCommand[];
}

/**
 * Posts a hold. Without postings, everything held is posted; with postings, each must name
 * an account and direction of the hold and at most its held amount, and the rest is released.
 */
export interface PostPendingCommand extends CommandBase {
  readonly type: 'post_pending';
  readonly pendingEntryId: number;
  readonly postings?: readonly PostingCommand[];
}

export interface VoidPendingCommand extends CommandBase {
  readonly type: 'void_pending';
  readonly pendingEntryId: number;
}

/** A correction: the mirror image of a posted entry, naming it. */
export interface ReverseCommand extends CommandBase {
  readonly type: 'reverse';
  readonly entryId: number;
}

export type LedgerCommand =
  | TransferCommand
  | PostPendingCommand
  | VoidPendingCommand
  | ReverseCommand;

export interface Posting {
  readonly accountId: number;
  readonly accountCode: string;
  readonly unit: Unit;
  readonly direction: Direction;
  readonly phase: Phase;
  /** Two decimals, e.g. "500000.00". */
  readonly amount: string;
}

export type EntryKind = 'posted' | 'pending' | 'post_pending' | 'void_pending' | 'reversal';

export interface JournalEntry {
  readonly id: number;
  readonly kind: EntryKind;
  readonly description: string;
  readonly effectiveAt: Date;
  readonly recordedAt: Date;
  readonly idempotencyKey: string | null;
  readonly pendingEntryId: number | null;
  readonly reversesEntryId: number | null;
  readonly references: Required<EntryReferences>;
  readonly postings: readonly Posting[];
  readonly prevHash: string;
  readonly hash: string;
}

export interface AccountBounds {
  readonly lowerBound?: Money | string | null;
  readonly upperBound?: Money | string | null;
}
