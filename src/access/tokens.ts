/**
 * @module Users and bearer tokens. A token is shown once when issued and stored only as
 * its SHA-256; Web Crypto keeps this usable on Workers as well as Node.
 */
import type { DB } from '../db/database.ts';
import type { Role } from '../db/schema.ts';
import type { Tx } from '../db/transaction.ts';

export const ROLES: readonly Role[] = [
  'reform_office',
  'insurer',
  'finance',
  'admin',
  'department',
  'special_group',
];

/** The columns a user is read back with, and the user they make. */
export const USER_COLUMNS = ['id', 'name', 'role', 'active', 'created_at'] as const;

export function toUser(row: {
  id: string;
  name: string;
  role: Role;
  active: boolean;
  created_at: Date;
}): User {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    active: row.active,
    createdAt: row.created_at,
  };
}

export interface Actor {
  readonly userId: string;
  readonly name: string;
  readonly role: Role;
  readonly tokenId: string;
}

export interface User {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  readonly active: boolean;
  readonly createdAt: Date;
}

export interface IssuedToken {
  readonly tokenId: string;
  readonly userId: string;
  /** The bearer token itself: shown once, never stored. */
  readonly token: string;
}

const TOKEN_PREFIX = 'rp_';

export async function hashToken(token: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

function newTokenText(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const base64 = btoa(String.fromCharCode(...bytes));
  return TOKEN_PREFIX + base64.replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

export async function createUser(
  db: DB | Tx,
  name: string,
  role: Role,
  createdBy: string | null,
): Promise<User> {
  const row = await db
    .insertInto('app_user')
    .values({ name, role, created_by: createdBy })
    .returning(USER_COLUMNS)
    .executeTakeFirstOrThrow();
  return toUser(row);
}

export async function issueToken(db: DB | Tx, userId: string, label: string): Promise<IssuedToken> {
  const token = newTokenText();
  const row = await db
    .insertInto('access_token')
    .values({
      user_id: userId,
      label,
      token_hash: await hashToken(token),
      expires_at: null,
      revoked_at: null,
    })
    .returning(['id'])
    .executeTakeFirstOrThrow();
  return { tokenId: row.id, userId, token };
}

/**
 * Who a token stands for, remembered for a short while: every request asks, and the answer
 * rarely changes. `forgetActors` (called after any change to a user or token in this
 * process, see src/http/mutation.ts) makes a revocation or deactivation count at once here;
 * other processes see it within ACTOR_CACHE_MS. A token's own expiry is never overstayed.
 */
export const ACTOR_CACHE_MS = 5_000;
const MAX_CACHED_ACTORS = 10_000;

interface CachedActor {
  readonly actor: Actor;
  readonly until: number;
}

const actorCaches = new WeakMap<DB, Map<string, CachedActor>>();
/**
 * Bumped by every forget: a lookup that began before a revocation committed may read the
 * token as still good, and must not put that answer into the cache after the forget.
 */
const forgetGenerations = new WeakMap<DB, number>();

export function forgetActors(db: DB): void {
  forgetGenerations.set(db, (forgetGenerations.get(db) ?? 0) + 1);
  actorCaches.get(db)?.clear();
}

/** The actor a token stands for, if it is known, unrevoked, unexpired and its user active. */
export async function authenticateToken(db: DB, token: string): Promise<Actor | undefined> {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return undefined;
  const tokenHash = await hashToken(token);
  let cache = actorCaches.get(db);
  if (!cache) {
    cache = new Map();
    actorCaches.set(db, cache);
  }
  const now = Date.now();
  const cached = cache.get(tokenHash);
  if (cached && cached.until > now) return cached.actor;
  if (cached) cache.delete(tokenHash);
  const generation = forgetGenerations.get(db) ?? 0;
  const actor = await lookUpActor(db, tokenHash);
  if (!actor) return undefined;
  if (generation !== (forgetGenerations.get(db) ?? 0)) return actor.actor;
  if (cache.size >= MAX_CACHED_ACTORS) {
    // Maps iterate in insertion order: the oldest entry goes first.
    const oldest = cache.keys().next();
    if (!oldest.done) cache.delete(oldest.value);
  }
  const expires = actor.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY;
  cache.set(tokenHash, { actor: actor.actor, until: Math.min(now + ACTOR_CACHE_MS, expires) });
  return actor.actor;
}

async function lookUpActor(
  db: DB,
  tokenHash: string,
): Promise<{ actor: Actor; expiresAt: Date | null } | undefined> {
  const row = await db
    .selectFrom('access_token')
    .innerJoin('app_user', 'app_user.id', 'access_token.user_id')
    .select([
      'access_token.id as tokenId',
      'access_token.expires_at as expiresAt',
      'app_user.id as userId',
      'app_user.name',
      'app_user.role',
    ])
    .where('access_token.token_hash', '=', tokenHash)
    .where('access_token.revoked_at', 'is', null)
    .where((eb) =>
      eb.or([
        eb('access_token.expires_at', 'is', null),
        eb('access_token.expires_at', '>', new Date()),
      ]),
    )
    .where('app_user.active', '=', true)
    .executeTakeFirst();
  return (
    row && {
      actor: { userId: row.userId, name: row.name, role: row.role, tokenId: row.tokenId },
      expiresAt: row.expiresAt,
    }
  );
}
