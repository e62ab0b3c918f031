/**
 * @module Tamper evidence: each entry's SHA-256 covers its canonical content and the
 * previous entry's hash, so altering any recorded entry breaks every hash after it.
 */
import { createHash } from 'node:crypto';
import type { Direction, EntryKind, EntryReferences, Phase } from './types.ts';

export const GENESIS_HASH = '0'.repeat(64);

/** The fields of an entry that its hash covers, in the form they are stored. */
export interface HashedEntry {
  readonly id: number;
  readonly kind: EntryKind;
  readonly description: string;
  /** A Date, or its ISO form with milliseconds as toISOString writes it. */
  readonly effectiveAt: Date | string;
  readonly recordedAt: Date | string;
  readonly idempotencyKey: string | null;
  readonly pendingEntryId: number | null;
  readonly reversesEntryId: number | null;
  readonly references: Required<EntryReferences>;
  readonly postings: readonly {
    readonly accountId: number;
    readonly direction: Direction;
    readonly phase: Phase;
    readonly amount: string;
  }[];
}

const isoMoment = (moment: Date | string) =>
  typeof moment === 'string' ? moment : moment.toISOString();

export function canonicalEntry(entry: HashedEntry): string {
  const r = entry.references;
  return JSON.stringify([
    entry.id,
    entry.kind,
    entry.description,
    isoMoment(entry.effectiveAt),
    isoMoment(entry.recordedAt),
    entry.idempotencyKey,
    entry.pendingEntryId,
    entry.reversesEntryId,
    [r.poolId, r.incidentId, r.claimId, r.payoutId, r.category],
    entry.postings.map((p) => [p.accountId, p.direction, p.phase, p.amount]),
  ]);
}

export function chainHash(prevHash: string, entry: HashedEntry): string {
  return createHash('sha256')
    .update(prevHash)
    .update('\n')
    .update(canonicalEntry(entry))
    .digest('hex');
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
