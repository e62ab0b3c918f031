/**
 * @module `npm run token -- --role admin --name NAME`: creates the user if needed and prints
 * a new bearer token for it. Run it against the database the service uses (DATABASE_URL,
 * or the embedded DATA_DIR while the service is stopped: PGlite takes one process at a time).
 */
import { parseArgs } from 'node:util';
import { createUser, issueToken, ROLES } from './access/tokens.ts';
import { databaseConfigFromEnv } from './db/config.ts';
import type { Role } from './db/schema.ts';
import { inTransaction } from './db/transaction.ts';
import { openDatabaseOrExit } from './node/open-database.ts';

const { values } = parseArgs({
  options: {
    role: { type: 'string' },
    name: { type: 'string' },
    label: { type: 'string', default: 'command line' },
  },
});
const role = values.role as Role | undefined;
if (!role || !ROLES.includes(role) || !values.name) {
  console.error(`usage: npm run token -- --role ${ROLES.join('|')} --name NAME [--label LABEL]`);
  process.exit(2);
}
const name = values.name;
const handle = await openDatabaseOrExit(databaseConfigFromEnv());
try {
  const issued = await inTransaction(handle.db, async (trx) => {
    const existing = await trx
      .selectFrom('app_user')
      .select(['id', 'role'])
      .where('name', '=', name)
      .executeTakeFirst();
    if (existing && existing.role !== role) {
      throw new Error(`user "${name}" exists with role ${existing.role}, not ${role}`);
    }
    const userId = existing?.id ?? (await createUser(trx, name, role, null)).id;
    return issueToken(trx, userId, values.label ?? 'command line');
  });
  console.log(issued.token);
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
} finally {
  await handle.close();
}
