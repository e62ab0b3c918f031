/**
 * @module Seals: tamper evidence that holds against the database's owner. A checkpoint
 * names the last entry, its chain hash, and every account's identity and balances at that
 * entry; finance signs it with an Ed25519 key kept outside the database and keeps the file.
 * Whoever can rewrite the tables can recompute the chain, but not the signature: verifying
 * against the files (`ledger:verify --against`) catches a cut tail, a recomputed chain or a
 * changed account, and names the first entry or account that differs.
 *
 * Web Crypto only, so the same code signs on Node and could verify on Workers.
 */
import { sql } from 'kysely';
import type { DB } from '../db/database.ts';
import type { Tx } from '../db/transaction.ts';
import {
  type AccountIdentity,
  type AccountRecordHead,
  accountRecordHead,
} from './account-records.ts';

export const SEAL_FORMAT = 'riskpool-ledger-seal/1';
/** Hex digits of each entry's hash a seal file keeps: enough to name the first that differs. */
export const SEALED_HASH_PREFIX = 16;
const ED25519 = { name: 'Ed25519' } as const;

/** An account as a checkpoint seals it: what it is, and its sums up to the sealed entry. */
export interface SealedAccount extends AccountIdentity {
  readonly postedDebits: string;
  readonly postedCredits: string;
  readonly pendingDebits: string;
  readonly pendingCredits: string;
}

export interface Checkpoint {
  readonly id: number;
  readonly reason: string;
  readonly lastEntryId: number;
  readonly chainHash: string;
  readonly takenAt: string;
  readonly accounts: readonly SealedAccount[];
  /** The account chain's head at the checkpoint (absent in checkpoints from before it existed). */
  readonly accountRecords?: AccountRecordHead;
}

export interface SealFile {
  readonly format: typeof SEAL_FORMAT;
  readonly checkpoint: Checkpoint;
  /** The entries whose hash prefixes follow: (fromEntryId, checkpoint.lastEntryId]. */
  readonly fromEntryId: number;
  readonly entryHashPrefixes: string;
  /** The signer's Ed25519 public key (raw, base64). */
  readonly publicKey: string;
  /** Ed25519 over the canonical JSON of everything above but the key and itself (base64). */
  readonly signature: string;
}

/**
 * Records a checkpoint of the ledger as the caller's transaction sees it. The caller makes
 * that view consistent: under the chain-head lock (month close) or in one REPEATABLE READ
 * snapshot (`takeCheckpointNow`).
 */
export async function takeCheckpoint(
  trx: Tx,
  reason: string,
  takenBy: string | null,
): Promise<Checkpoint> {
  const head = await trx
    .selectFrom('ledger_chain')
    .select(['last_entry_id', 'last_hash'])
    .executeTakeFirstOrThrow();
  const { rows } = await sql<SealedAccount>`
    SELECT id, code, unit, normal_side AS "normalSide",
      lower_bound::text AS "lowerBound", upper_bound::text AS "upperBound",
      posted_debits::text AS "postedDebits", posted_credits::text AS "postedCredits",
      pending_debits::text AS "pendingDebits", pending_credits::text AS "pendingCredits"
    FROM ledger_account ORDER BY id
  `.execute(trx);
  const accountRecords = await accountRecordHead(trx);
  const row = await trx
    .insertInto('ledger_checkpoint')
    .values({
      reason,
      last_entry_id: head.last_entry_id,
      chain_hash: head.last_hash,
      accounts: JSON.stringify(rows),
      account_record_id: accountRecords.lastRecordId,
      account_record_hash: accountRecords.hash,
      taken_by: takenBy,
    })
    .returning(['id', 'taken_at'])
    .executeTakeFirstOrThrow();
  return {
    id: row.id,
    reason,
    lastEntryId: head.last_entry_id,
    chainHash: head.last_hash,
    takenAt: row.taken_at.toISOString(),
    accounts: rows,
    accountRecords,
  };
}

export function takeCheckpointNow(db: DB, reason: string, takenBy: string | null) {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute((trx) => takeCheckpoint(trx, reason, takenBy));
}

/** A checkpoint by id, or the latest one taken for a reason (e.g. a month's close). */
export async function loadCheckpoint(
  db: DB,
  which: { readonly id: number } | { readonly reason: string },
): Promise<Checkpoint | undefined> {
  const row = await db
    .selectFrom('ledger_checkpoint')
    .selectAll()
    .$call((query) =>
      'id' in which ? query.where('id', '=', which.id) : query.where('reason', '=', which.reason),
    )
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!row) return undefined;
  const accounts = (
    typeof row.accounts === 'string' ? JSON.parse(row.accounts) : row.accounts
  ) as SealedAccount[];
  return {
    id: row.id,
    reason: row.reason,
    lastEntryId: row.last_entry_id,
    chainHash: row.chain_hash,
    takenAt: row.taken_at.toISOString(),
    accounts,
    ...(row.account_record_id !== null && row.account_record_hash !== null
      ? { accountRecords: { lastRecordId: row.account_record_id, hash: row.account_record_hash } }
      : {}),
  };
}

/** JSON with object keys sorted at every depth: the bytes a signature covers. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const fields = Object.entries(value as Record<string, unknown>)
      .filter(([, field]) => field !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, field]) => `${JSON.stringify(key)}:${canonicalJson(field)}`);
    return `{${fields.join(',')}}`;
  }
  return JSON.stringify(value);
}

const toBase64 = (bytes: ArrayBuffer | Uint8Array) =>
  btoa(String.fromCharCode(...new Uint8Array(bytes)));
const fromBase64 = (text: string): Uint8Array<ArrayBuffer> =>
  Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

function signedPart(seal: Omit<SealFile, 'publicKey' | 'signature'>): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(
    canonicalJson({
      format: seal.format,
      checkpoint: seal.checkpoint,
      fromEntryId: seal.fromEntryId,
      entryHashPrefixes: seal.entryHashPrefixes,
    }),
  );
}

export interface SealKey {
  /** The private key as a JWK: finance keeps it, never the database. */
  readonly privateJwk: JsonWebKey;
  /** The public key (raw, base64): publish it, pin it when verifying. */
  readonly publicKey: string;
}

export async function generateSealKey(): Promise<SealKey> {
  const pair = (await crypto.subtle.generateKey(ED25519, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
  return {
    privateJwk: await crypto.subtle.exportKey('jwk', pair.privateKey),
    publicKey: toBase64(await crypto.subtle.exportKey('raw', pair.publicKey)),
  };
}

/** Where the seal before this checkpoint ended: its file covers the entries after it. */
async function previousSealedEntry(db: DB, checkpoint: Checkpoint): Promise<number> {
  const row = await db
    .selectFrom('ledger_checkpoint')
    .select('last_entry_id')
    .where('id', '<', checkpoint.id)
    .where('last_entry_id', '<=', checkpoint.lastEntryId)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.last_entry_id ?? 0;
}

async function hashPrefixes(db: DB, fromExclusive: number, toInclusive: number): Promise<string> {
  const { rows } = await sql<{ prefixes: string | null }>`
    SELECT string_agg(left(hash, ${SEALED_HASH_PREFIX}), '' ORDER BY id) AS prefixes
    FROM journal_entry WHERE id > ${fromExclusive} AND id <= ${toInclusive}
  `.execute(db);
  return rows[0]?.prefixes ?? '';
}

export async function signCheckpoint(
  db: DB,
  checkpoint: Checkpoint,
  privateJwk: JsonWebKey,
): Promise<SealFile> {
  const privateKey = await crypto.subtle.importKey('jwk', privateJwk, ED25519, true, ['sign']);
  // The public half of an Ed25519 JWK is its "x": the raw key, base64url.
  if (!privateJwk.x) throw new Error('the seal key has no public part ("x")');
  const publicKey = toBase64(fromBase64(privateJwk.x.replaceAll('-', '+').replaceAll('_', '/')));
  const fromEntryId = await previousSealedEntry(db, checkpoint);
  const unsigned = {
    format: SEAL_FORMAT,
    checkpoint,
    fromEntryId,
    entryHashPrefixes: await hashPrefixes(db, fromEntryId, checkpoint.lastEntryId),
  } as const;
  const signature = await crypto.subtle.sign(ED25519, privateKey, signedPart(unsigned));
  return { ...unsigned, publicKey, signature: toBase64(signature) };
}

/** Reads a seal file's text, refusing anything that is not one. */
export function parseSealFile(text: string): SealFile {
  const value = JSON.parse(text) as Partial<SealFile>;
  const checkpoint = value.checkpoint;
  if (
    value.format !== SEAL_FORMAT ||
    !checkpoint ||
    !Number.isInteger(checkpoint.lastEntryId) ||
    typeof checkpoint.chainHash !== 'string' ||
    !Array.isArray(checkpoint.accounts) ||
    !Number.isInteger(value.fromEntryId) ||
    typeof value.entryHashPrefixes !== 'string' ||
    typeof value.publicKey !== 'string' ||
    typeof value.signature !== 'string'
  )
    throw new Error(`not a ledger seal file (format ${SEAL_FORMAT})`);
  return value as SealFile;
}

/** Whether the seal was signed by the key it names, and (when pinned) that key is the one. */
export async function sealSignatureValid(
  seal: SealFile,
  pinnedPublicKey?: string,
): Promise<boolean> {
  if (pinnedPublicKey !== undefined && pinnedPublicKey !== seal.publicKey) return false;
  try {
    const key = await crypto.subtle.importKey('raw', fromBase64(seal.publicKey), ED25519, false, [
      'verify',
    ]);
    return await crypto.subtle.verify(ED25519, key, fromBase64(seal.signature), signedPart(seal));
  } catch {
    return false;
  }
}
