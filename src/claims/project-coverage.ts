/**
 * @module Per-project figures: what a reform project's incidents have reserved and been
 * paid, next to its optional per-project limit (a term; none by default) and what is left
 * of it. Summed from each covered incident's own ledger accounts, so they tie to the ledger.
 */
import type { DB } from '../db/database.ts';
import type { Tx } from '../db/transaction.ts';
import { DomainError } from '../domain-error.ts';
import { accountBalances } from '../ledger/balances.ts';
import { formatAmount, Money, sumAmounts, ZERO } from '../ledger/money.ts';
import { incidentAccountCodes } from '../policy/incident-accounts.ts';
import { findPool } from '../policy/pools.ts';
import { ledgerTerms } from '../policy/terms-in-force.ts';

/** A project's incidents are summed up to this many (the county has a handful). */
const MAX_INCIDENTS_PER_PROJECT = 2000;

export interface ProjectCoverage {
  readonly projectId: string;
  readonly poolId: string | null;
  readonly reserved: string;
  /** Paid out (settled), as consumed coverage. */
  readonly paid: string;
  readonly committed: string;
  /** The pool's per-project limit in force; null when the terms set none. */
  readonly limit: string | null;
  readonly limitLeft: string | null;
  readonly incidents: readonly {
    readonly incidentId: string;
    readonly occurredOn: string;
    readonly reserved: string;
    readonly paid: string;
  }[];
}

/** Reserved and paid over the project's covered incidents (in one pool, when given). */
export async function projectCommitted(
  db: DB | Tx,
  projectId: string,
  poolId: string | null,
): Promise<{ reserved: Money; paid: Money; incidents: ProjectCoverage['incidents'] }> {
  let query = db
    .selectFrom('incident')
    .innerJoin('risk_point', 'risk_point.id', 'incident.risk_point_id')
    .select(['incident.id', 'incident.occurred_on'])
    .where('risk_point.project_id', '=', projectId)
    .where('incident.covered', '=', true)
    .orderBy('incident.occurred_on')
    .limit(MAX_INCIDENTS_PER_PROJECT);
  if (poolId !== null) query = query.where('incident.pool_id', '=', poolId);
  const rows = await query.execute();
  const codes = rows.map((row) => incidentAccountCodes(row.id));
  const balances = await accountBalances(
    db,
    codes.flatMap((c) => [c.available, c.consumed]),
  );
  const incidents = rows.map((row, index) => {
    const code = codes[index];
    const available = code ? balances.get(code.available) : undefined;
    const consumed = code ? balances.get(code.consumed) : undefined;
    if (!available || !consumed) throw new Error(`incident ${row.id} is missing its accounts`);
    return {
      incidentId: row.id,
      occurredOn: row.occurred_on,
      reserved: available.heldAgainst,
      paid: consumed.balance,
    };
  });
  return {
    reserved: sumAmounts(incidents.map((i) => new Money(i.reserved))),
    paid: sumAmounts(incidents.map((i) => new Money(i.paid))),
    incidents,
  };
}

export async function projectCoverage(db: DB | Tx, projectId: string): Promise<ProjectCoverage> {
  const project = await db
    .selectFrom('reform_project')
    .select(['id', 'pool_id'])
    .where('id', '=', projectId)
    .executeTakeFirst();
  if (!project) throw new DomainError('not_found', `reform project ${projectId} does not exist`);
  const { reserved, paid, incidents } = await projectCommitted(db, project.id, project.pool_id);
  const committed = reserved.plus(paid);
  const limit =
    project.pool_id === null
      ? null
      : ((await ledgerTerms(db, await findPool(db, project.pool_id))).terms.perProjectLimit ??
        null);
  const left = limit === null ? null : limit.minus(committed);
  return {
    projectId: project.id,
    poolId: project.pool_id,
    reserved: formatAmount(reserved),
    paid: formatAmount(paid),
    committed: formatAmount(committed),
    limit: limit === null ? null : formatAmount(limit),
    limitLeft: left === null ? null : formatAmount(left.gt(ZERO) ? left : ZERO),
    incidents,
  };
}
