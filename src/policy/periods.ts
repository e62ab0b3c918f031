/**
 * @module Policy periods (a policy year by default): every terms version belongs to the
 * period it names, and a period's figures are what it committed against its own cap.
 *
 * What a period has committed is the reserved and consumed coverage of the incidents that
 * occurred in it (incident → occurred_on → period), whenever they were decided: a claim
 * decided after a renewal on an earlier period's incident, or a hold of an earlier period
 * released after it, counts in the incident's period, never the current one. The ledger
 * keeps one set of coverage accounts per pool, with a renewal's cap posted on top of what
 * earlier periods had committed when it opened (capacity.ts, `carried_committed`);
 * decisions draw at most the incident's period's leftover (cap − committed) from it.
 * Coverage held on the pool without an incident counts in the period in force.
 */

import type { DB } from '../db/database.ts';
import type { Tx } from '../db/transaction.ts';
import { accountBalances } from '../ledger/balances.ts';
import { formatAmount, Money, sumAmounts, ZERO } from '../ledger/money.ts';
import { capacityState } from './capacity.ts';
import { percentOf } from './coverage.ts';
import { incidentAccountCodes } from './incident-accounts.ts';
import { type LocalDate, localDateText } from './local-date.ts';
import { poolAccountCodes } from './pool-accounts.ts';
import type { Pool } from './pools.ts';
import { termsHistory } from './terms.ts';

export interface PeriodFigures {
  readonly periodStart: LocalDate;
  readonly periodEnd: LocalDate;
  /** The cumulative cap of the period's latest version in force. */
  readonly cumulativeCap: string;
  readonly committed: string;
  /** cap − committed: what the period has left (for a closed period, what it left over). */
  readonly leftover: string;
  readonly utilisationPercent: string;
  /** True for the period whose terms the ledger holds now. */
  readonly current: boolean;
}

/** Each period that has terms in force, oldest first, with its own committed and leftover. */
export async function periodFigures(db: DB | Tx, pool: Pool): Promise<PeriodFigures[]> {
  const history = await termsHistory(db, pool.id);
  const inForce = await db
    .selectFrom('pool_terms_in_force')
    .select(['version', localDateText('in_force_on').as('inForceOn')])
    .where('pool_id', '=', pool.id)
    .orderBy('version')
    .execute();
  const periods: { start: LocalDate; end: LocalDate; cap: Money }[] = [];
  for (const row of inForce) {
    const terms = history.find((t) => t.version === row.version);
    if (!terms) continue;
    const last = periods[periods.length - 1];
    if (last && last.start === terms.periodStart) {
      last.cap = terms.cumulativeCap;
      last.end = terms.periodEnd;
    } else {
      periods.push({
        start: terms.periodStart,
        end: terms.periodEnd,
        cap: terms.cumulativeCap,
      });
    }
  }
  // Coverage committed on the pool without an incident (held directly on its accounts) has
  // no occurrence date: it counts in the period in force.
  const { committed: poolCommitted } = await capacityState(db, poolAccountCodes(pool.code));
  const ofIncidents = await committedInPeriod(db, pool.id, '0001-01-01', '9999-12-31');
  const unattributed = poolCommitted.minus(ofIncidents);
  const figures: PeriodFigures[] = [];
  for (const [index, period] of periods.entries()) {
    const current = index === periods.length - 1;
    const committed = (await committedInPeriod(db, pool.id, period.start, period.end)).plus(
      current ? unattributed : ZERO,
    );
    const leftover = period.cap.minus(committed);
    figures.push({
      periodStart: period.start,
      periodEnd: period.end,
      cumulativeCap: formatAmount(period.cap),
      committed: formatAmount(committed),
      leftover: formatAmount(leftover.gt(ZERO) ? leftover : ZERO),
      utilisationPercent: percentOf(committed, period.cap).toFixed(2),
      current,
    });
  }
  return figures;
}

/** Reserved + consumed coverage of the pool's covered incidents that occurred in the period. */
export async function committedInPeriod(
  db: DB | Tx,
  poolId: string,
  periodStart: LocalDate,
  periodEnd: LocalDate,
): Promise<Money> {
  const incidents = await db
    .selectFrom('incident')
    .select('id')
    .where('pool_id', '=', poolId)
    .where('covered', '=', true)
    .where('occurred_on', '>=', periodStart)
    .where('occurred_on', '<=', periodEnd)
    .execute();
  if (incidents.length === 0) return ZERO;
  const accounts = incidents.map((i) => incidentAccountCodes(i.id));
  const balances = await accountBalances(
    db,
    accounts.flatMap((codes) => [codes.available, codes.consumed]),
  );
  return sumAmounts(
    accounts.map((codes) =>
      new Money(balances.get(codes.available)?.heldAgainst ?? '0').plus(
        new Money(balances.get(codes.consumed)?.balance ?? '0'),
      ),
    ),
  );
}

/** What the period that starts on `periodStart` has left of its cap (0 when none is in force). */
export async function periodLeftover(
  db: DB | Tx,
  pool: Pool,
  periodStart: LocalDate,
): Promise<Money> {
  const period = (await periodFigures(db, pool)).find((p) => p.periodStart === periodStart);
  return period ? new Money(period.leftover) : ZERO;
}
