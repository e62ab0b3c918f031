/**
 * @module Embedded mode only: one demo user per role with a fresh token at every start
 * (earlier demo tokens are revoked), for trying the service locally. Never used in production.
 */
import type { DB } from '../db/database.ts';
import type { Role } from '../db/schema.ts';
import { inTransaction } from '../db/transaction.ts';
import { createUser, issueToken, ROLES } from './tokens.ts';

export async function rotateDemoTokens(db: DB): Promise<Record<Role, string>> {
  return inTransaction(db, async (trx) => {
    const tokens: Partial<Record<Role, string>> = {};
    for (const role of ROLES) {
      const name = `demo-${role.replace('_', '-')}`;
      const existing = await trx
        .selectFrom('app_user')
        .select('id')
        .where('name', '=', name)
        .executeTakeFirst();
      const userId = existing?.id ?? (await createUser(trx, name, role, null)).id;
      await trx
        .updateTable('access_token')
        .set({ revoked_at: new Date() })
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .execute();
      tokens[role] = (await issueToken(trx, userId, 'embedded demo')).token;
    }
    return tokens as Record<Role, string>;
  });
}
