/**
 * @module The admin's use cases on users and tokens: a user with a unique name, deactivating
 * one (never oneself), issuing a token to an active user, revoking a token.
 */
import type { Role } from '../db/schema.ts';
import { databaseErrorCode, type Tx } from '../db/transaction.ts';
import { DomainError } from '../domain-error.ts';
import {
  createUser,
  type IssuedToken,
  issueToken,
  toUser,
  USER_COLUMNS,
  type User,
} from './tokens.ts';

const nameTaken = (name: string) =>
  new DomainError('conflict', `a user named "${name}" already exists`);

/** A new user; a name already taken is refused, also when two admins race for it. */
export async function addUser(
  trx: Tx,
  input: { readonly name: string; readonly role: Role },
  createdBy: string,
): Promise<User> {
  const taken = await trx
    .selectFrom('app_user')
    .select('id')
    .where('name', '=', input.name)
    .executeTakeFirst();
  if (taken) throw nameTaken(input.name);
  return createUser(trx, input.name, input.role, createdBy).catch((error: unknown) => {
    throw databaseErrorCode(error) === '23505' ? nameTaken(input.name) : error;
  });
}

export async function deactivateUser(trx: Tx, userId: string, actorId: string): Promise<User> {
  if (userId === actorId) throw new DomainError('conflict', 'you cannot deactivate yourself');
  const row = await trx
    .updateTable('app_user')
    .set({ active: false })
    .where('id', '=', userId)
    .returning(USER_COLUMNS)
    .executeTakeFirst();
  if (!row) throw new DomainError('not_found', `user ${userId} does not exist`);
  return toUser(row);
}

export async function issueTokenTo(trx: Tx, userId: string, label: string): Promise<IssuedToken> {
  const user = await trx
    .selectFrom('app_user')
    .select(['id', 'active'])
    .where('id', '=', userId)
    .executeTakeFirst();
  if (!user) throw new DomainError('not_found', `user ${userId} does not exist`);
  if (!user.active) throw new DomainError('conflict', 'the user is deactivated');
  return issueToken(trx, user.id, label);
}

/** Revokes a token; revoking it again keeps the first moment. */
export async function revokeToken(
  trx: Tx,
  tokenId: string,
): Promise<{ readonly tokenId: string; readonly revokedAt: Date }> {
  const token = await trx
    .updateTable('access_token')
    .set((eb) => ({ revoked_at: eb.fn.coalesce('revoked_at', eb.val(new Date())) }))
    .where('id', '=', tokenId)
    .returning(['id', 'revoked_at'])
    .executeTakeFirst();
  if (!token?.revoked_at) throw new DomainError('not_found', `token ${tokenId} does not exist`);
  return { tokenId: token.id, revokedAt: token.revoked_at };
}
