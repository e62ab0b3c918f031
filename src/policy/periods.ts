/**
 * @module Policy periods (a policy year by default): every terms version belongs to the
 * period it names, and a period's figures are what it committed against its own cap.
 *
 * The ledger keeps one set of coverage accounts per pool; a renewal's cap is posted on top
 * of what earlier periods had committed when it opened (capacity.ts, `carried_committed`).
 * So the current period has committed (pool committed − carried), and a closed one what
 * the next period carried minus what it carried itself: a later period never changes an
 * earlier one's figures. What is left of a period's cap is its leftover.
 */
import type { DB } from '../db/database.ts';
import type { Tx } from '../db/transaction.ts';
import { formatAmount, Money, ZERO } from '../ledger/money.ts';
import { capacityState } from './capacity.ts';
import { percentOf } from './coverage.ts';
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
    .select(['version', 'carried_committed', localDateText('in_force_on').as('inForceOn')])
    .where('pool_id', '=', pool.id)
    .orderBy('version')
    .execute();
  const periods: { start: LocalDate; end: LocalDate; cap: Money; carried: Money }[] = [];
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
        carried: new Money(row.carried_committed),
      });
    }
  }
  const { committed: poolCommitted } = await capacityState(db, poolAccountCodes(pool.code));
  return periods.map((period, index) => {
    const next = periods[index + 1];
    const committedUpTo = next ? next.carried : poolCommitted;
    const committed = committedUpTo.minus(period.carried);
    const leftover = period.cap.minus(committed);
    return {
      periodStart: period.start,
      periodEnd: period.end,
      cumulativeCap: formatAmount(period.cap),
      committed: formatAmount(committed),
      leftover: formatAmount(leftover.gt(ZERO) ? leftover : ZERO),
      utilisationPercent: percentOf(committed, period.cap).toFixed(2),
      current: next === undefined,
    };
  });
}
