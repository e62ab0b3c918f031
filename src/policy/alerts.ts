/**
 * @module Early warning (超前预警): when the committed share of a cap crosses a threshold,
 * an alert is stored once per policy period — a unique row per pool (or incident), period
 * and threshold — and stays until acknowledged. Later postings above the threshold raise
 * nothing new; a renewed period, measured against its own cap, warns again.
 */
import type { DB } from '../db/database.ts';
import type { Tx } from '../db/transaction.ts';
import { DomainError } from '../domain-error.ts';
import { formatAmount, Money } from '../ledger/money.ts';
import { periodFigures } from './periods.ts';
import type { Pool } from './pools.ts';
import { ledgerTerms } from './terms-in-force.ts';

export interface CoverageAlert {
  readonly id: string;
  readonly poolId: string;
  readonly incidentId: string | null;
  /** The policy period the alert belongs to (null for alerts raised before periods counted). */
  readonly periodStart: string | null;
  readonly thresholdPercent: string;
  readonly committed: string;
  readonly cap: string;
  readonly raisedAt: string;
  readonly acknowledgedAt: string | null;
  readonly acknowledgedBy: string | null;
}

type AlertRow = {
  id: string;
  pool_id: string;
  incident_id: string | null;
  period_start: string | null;
  threshold_percent: string;
  committed: string;
  cap: string;
  raised_at: Date;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
};

function toAlert(row: AlertRow): CoverageAlert {
  return {
    id: row.id,
    poolId: row.pool_id,
    incidentId: row.incident_id,
    periodStart: row.period_start,
    thresholdPercent: new Money(row.threshold_percent).toFixed(2),
    committed: row.committed,
    cap: row.cap,
    raisedAt: row.raised_at.toISOString(),
    acknowledgedAt: row.acknowledged_at?.toISOString() ?? null,
    acknowledgedBy: row.acknowledged_by,
  };
}

/** Raises, once each, the alerts for every threshold that committed has reached. */
export async function raiseAlerts(
  trx: Tx,
  scope: { poolId: string; incidentId: string | null; periodStart: string },
  committed: Money,
  cap: Money,
  thresholdsPercent: readonly Money[],
): Promise<CoverageAlert[]> {
  const reached = thresholdsPercent.filter((t) => committed.times(100).gte(cap.times(t)));
  if (reached.length === 0) return [];
  const rows = await trx
    .insertInto('coverage_alert')
    .values(
      reached.map((threshold) => ({
        pool_id: scope.poolId,
        incident_id: scope.incidentId,
        period_start: scope.periodStart,
        threshold_percent: threshold.toFixed(2),
        committed: formatAmount(committed),
        cap: formatAmount(cap),
      })),
    )
    .onConflict((oc) =>
      oc.columns(['pool_id', 'period_start', 'incident_id', 'threshold_percent']).doNothing(),
    )
    .returningAll()
    .execute();
  return rows.map(toAlert);
}

/**
 * Checks the pool-wide thresholds of a period (the one in force unless named: a decision
 * names its incident's) against its own cap; call in the transaction that changed
 * committed coverage.
 */
export async function raisePoolAlerts(
  trx: Tx,
  pool: Pool,
  periodStart?: string,
): Promise<CoverageAlert[]> {
  const { terms } = await ledgerTerms(trx, pool);
  const current = (await periodFigures(trx, pool)).find((p) =>
    periodStart === undefined ? p.current : p.periodStart === periodStart,
  );
  if (!current) return [];
  return raiseAlerts(
    trx,
    { poolId: pool.id, incidentId: null, periodStart: current.periodStart },
    new Money(current.committed),
    new Money(current.cumulativeCap),
    terms.poolWarningPercents,
  );
}

export async function listAlerts(
  db: DB | Tx,
  poolId: string,
  options: { unacknowledgedOnly?: boolean } = {},
): Promise<CoverageAlert[]> {
  let query = db
    .selectFrom('coverage_alert')
    .selectAll()
    .where('pool_id', '=', poolId)
    .orderBy('raised_at', 'desc')
    .limit(500);
  if (options.unacknowledgedOnly) query = query.where('acknowledged_at', 'is', null);
  return (await query.execute()).map(toAlert);
}

export async function acknowledgeAlert(
  trx: Tx,
  alertId: string,
  userId: string,
): Promise<CoverageAlert> {
  const row = await trx
    .updateTable('coverage_alert')
    .set({ acknowledged_at: new Date(), acknowledged_by: userId })
    .where('id', '=', alertId)
    .where('acknowledged_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
  if (row) return toAlert(row);
  const existing = await trx
    .selectFrom('coverage_alert')
    .select('id')
    .where('id', '=', alertId)
    .executeTakeFirst();
  throw existing
    ? new DomainError('illegal_transition', `alert ${alertId} is already acknowledged`)
    : new DomainError('not_found', `alert ${alertId} does not exist`);
}
