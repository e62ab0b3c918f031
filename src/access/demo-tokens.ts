/**
 * @module Embedded mode only: demo users with a fresh token at every start (earlier demo
 * tokens are revoked), for trying the service locally. Never used in production. One user
 * per role, and two more insurers: the one who takes a claim in may neither decide nor
 * confirm it, and a decision above the decider's authority needs a third to confirm it.
 */
import type { DB } from '../db/database.ts';
import type { Role } from '../db/schema.ts';
import { inTransaction } from '../db/transaction.ts';
import { createUser, issueToken, ROLES } from './tokens.ts';

export interface DemoUser {
  readonly name: string;
  readonly role: Role;
  readonly token: string;
}

const demoName = (role: Role) => `demo-${role.replaceAll('_', '-')}`;

function demoUsers(): { name: string; role: Role }[] {
  return [
    ...ROLES.map((role) => ({ name: demoName(role), role })),
    { name: `${demoName('insurer')}-2`, role: 'insurer' },
    { name: `${demoName('insurer')}-3`, role: 'insurer' },
  ];
}

export async function rotateDemoTokens(db: DB): Promise<DemoUser[]> {
  return inTransaction(db, async (trx) => {
    const issued: DemoUser[] = [];
    for (const { name, role } of demoUsers()) {
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
      issued.push({ name, role, token: (await issueToken(trx, userId, 'embedded demo')).token });
    }
    return issued;
  });
}
