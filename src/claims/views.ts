/**
 * @module What insurer staff see: a claim's money (claimed; approved; paid, voided and
 * outstanding taken from its payouts, so they always agree with them; the case reserve of
 * what is not decided yet; incurred = paid + outstanding; recovered), the work queue by
 * status and age with the same figures, and the loss run as of a date.
 */
import { sql } from 'kysely';
import { anyUuid } from '../db/arrays.ts';
import type { DB } from '../db/database.ts';
import type { ClaimStatus } from '../db/schema.ts';
import type { Tx } from '../db/transaction.ts';
import { formatAmount, Money, ZERO } from '../ledger/money.ts';
import { poolCoverage } from '../policy/coverage.ts';
import { type AsOf, lastMomentOf, localDateOf } from '../policy/local-date.ts';
import { findPool } from '../policy/pools.ts';
import { type CsvColumn, type CsvHeaders, toCsv } from '../reports/csv.ts';
import { getClaim } from './claims.ts';
import { getIncident, incidentCoverage } from './incidents.ts';
import { caseReserves } from './reserves.ts';

export interface ClaimMoney {
  readonly claimed: string;
  /** The payable of the decisions that took effect: what its payouts were ordered for. */
  readonly approved: string;
  /** Payouts settled: the money left. */
  readonly paid: string;
  /** Payouts voided: approved once, never paid, the coverage given back. */
  readonly voided: string;
  /** The handler's estimate for what is not decided yet (released when a decision takes effect). */
  readonly caseReserve: string;
  /** case reserve + payouts still on their way (pending, waiting for funds, sending, in doubt, failed). */
  readonly outstanding: string;
  /** paid + outstanding */
  readonly incurred: string;
  /** Recovered from third parties (subrogation, salvage), credited to the fund. */
  readonly recovered: string;
}

interface PayoutMoney {
  readonly approved: Money;
  readonly paid: Money;
  readonly voided: Money;
  readonly recovered: Money;
}

/**
 * Each claim's money: approved from the claims-payable credits of its entries (what its
 * decisions that took effect made payable), paid and voided from its payouts — so a void is
 * never read as a payment and the figures are the sum of what its payouts say. As of a
 * moment: posted by then, settled by then, voided by then.
 */
async function moneyByClaim(db: DB | Tx, claimIds: readonly string[], asOf?: Date) {
  if (claimIds.length === 0) return new Map<string, PayoutMoney>();
  const at = asOf?.toISOString() ?? null;
  const rows = await sql<{
    claim_id: string;
    approved: string;
    paid: string;
    voided: string;
    recovered: string;
  }>`
    WITH approved AS (
      SELECT e.claim_id, sum(p.amount) AS amount
      FROM journal_entry e
      JOIN posting p ON p.entry_id = e.id AND p.phase = 'posted' AND p.direction = 'credit'
      JOIN ledger_account a ON a.id = p.account_id AND a.code LIKE '%:cash:claims-payable'
      WHERE e.claim_id = ${anyUuid(claimIds)}
        AND (${at}::timestamptz IS NULL OR e.effective_at <= ${at}::timestamptz)
      GROUP BY e.claim_id
    ), ended AS (
      SELECT claim_id,
        sum(amount) FILTER (WHERE status = 'paid'
          AND (${at}::timestamptz IS NULL OR settled_at <= ${at}::timestamptz)) AS paid,
        sum(amount) FILTER (WHERE status = 'void'
          AND (${at}::timestamptz IS NULL OR voided_at <= ${at}::timestamptz)) AS voided
      FROM payout
      WHERE claim_id = ${anyUuid(claimIds)}
      GROUP BY claim_id
    ), recovered AS (
      SELECT claim_id, sum(amount) AS amount
      FROM claim_recovery
      WHERE claim_id = ${anyUuid(claimIds)}
        AND (${at}::timestamptz IS NULL OR recorded_at <= ${at}::timestamptz)
      GROUP BY claim_id
    )
    SELECT c.id AS claim_id,
      coalesce(approved.amount, 0)::text AS approved,
      coalesce(ended.paid, 0)::text AS paid,
      coalesce(ended.voided, 0)::text AS voided,
      coalesce(recovered.amount, 0)::text AS recovered
    FROM claim c
    LEFT JOIN approved ON approved.claim_id = c.id
    LEFT JOIN ended ON ended.claim_id = c.id
    LEFT JOIN recovered ON recovered.claim_id = c.id
    WHERE c.id = ${anyUuid(claimIds)}
  `.execute(db);
  return new Map(
    rows.rows.map((r) => [
      r.claim_id,
      {
        approved: new Money(r.approved),
        paid: new Money(r.paid),
        voided: new Money(r.voided),
        recovered: new Money(r.recovered),
      },
    ]),
  );
}

function money(
  claimed: Money,
  payouts: PayoutMoney | undefined,
  caseReserve: Money = ZERO,
): ClaimMoney {
  const approved = payouts?.approved ?? ZERO;
  const paid = payouts?.paid ?? ZERO;
  const voided = payouts?.voided ?? ZERO;
  const outstanding = caseReserve.plus(approved.minus(paid).minus(voided));
  return {
    claimed: formatAmount(claimed),
    approved: formatAmount(approved),
    paid: formatAmount(paid),
    voided: formatAmount(voided),
    caseReserve: formatAmount(caseReserve),
    outstanding: formatAmount(outstanding),
    incurred: formatAmount(paid.plus(outstanding)),
    recovered: formatAmount(payouts?.recovered ?? ZERO),
  };
}

export async function claimSummary(db: DB | Tx, claimId: string) {
  const claim = await getClaim(db, claimId);
  const claimed = claim.lines.reduce(
    (total, line) => total.plus(new Money(line.amountClaimed)),
    ZERO,
  );
  const payouts = (await moneyByClaim(db, [claimId])).get(claimId);
  const reserve = (await caseReserves(db, [claimId])).get(claimId);
  const incident = await getIncident(db, claim.incidentId);
  return {
    ...claim,
    money: money(claimed, payouts, reserve),
    incidentCoverage: await incidentCoverage(db, incident),
  };
}

/** A claim in the work queue, with its money as the claim's own view shows it (less recoveries). */
export interface QueueItem extends Omit<ClaimMoney, 'recovered'> {
  readonly claimId: string;
  readonly incidentId: string;
  readonly status: ClaimStatus;
  readonly claimant: string;
  readonly submittedAt: string;
  readonly statusChangedAt: string;
  /** Whole days in the current status. */
  readonly ageDays: number;
}

/** Open claims, oldest first within each status. */
export async function workQueue(
  db: DB | Tx,
  options: { statuses?: readonly ClaimStatus[]; limit?: number } = {},
): Promise<QueueItem[]> {
  const statuses = options.statuses ?? [
    'submitted',
    'under_review',
    'awaiting_confirmation',
    'reopened',
    'payout_failed',
  ];
  const rows = await db
    .selectFrom('claim')
    .leftJoin('claim_line', 'claim_line.claim_id', 'claim.id')
    .select([
      'claim.id',
      'claim.incident_id',
      'claim.status',
      'claim.claimant',
      'claim.submitted_at',
      'claim.status_changed_at',
      sql<string>`coalesce(sum(claim_line.amount_claimed), 0)::numeric(20,2)::text`.as('claimed'),
    ])
    .where('claim.status', 'in', [...statuses])
    .groupBy('claim.id')
    .orderBy('claim.status_changed_at')
    .limit(Math.min(options.limit ?? 100, 500))
    .execute();
  const now = Date.now();
  const payouts = await moneyByClaim(
    db,
    rows.map((r) => r.id),
  );
  const reserves = await caseReserves(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((row) => {
    // The queue shows no recoveries: those come with the claim's own view.
    const { recovered: _recovered, ...m } = money(
      new Money(row.claimed),
      payouts.get(row.id),
      reserves.get(row.id),
    );
    return {
      claimId: row.id,
      incidentId: row.incident_id,
      status: row.status,
      claimant: row.claimant,
      submittedAt: row.submitted_at.toISOString(),
      statusChangedAt: row.status_changed_at.toISOString(),
      ageDays: Math.floor((now - row.status_changed_at.getTime()) / 86_400_000),
      ...m,
    };
  });
}

export interface LossRunRow extends ClaimMoney {
  readonly project: string;
  readonly riskPointNumber: number;
  readonly riskPointId: string;
  readonly incidentId: string;
  readonly incidentOccurredOn: string;
  readonly claimId: string;
  readonly claimSubmittedOn: string;
  readonly status: ClaimStatus;
  readonly incidentRemaining: string;
  readonly poolRemaining: string;
}

/** One row per claim submitted by the end of the date; money as of that date. */
export async function lossRun(db: DB | Tx, poolRef: string, when: AsOf): Promise<LossRunRow[]> {
  const pool = await findPool(db, poolRef);
  const asOf = lastMomentOf(when);
  const rows = await db
    .selectFrom('claim')
    .innerJoin('incident', 'incident.id', 'claim.incident_id')
    .innerJoin('risk_point', 'risk_point.id', 'incident.risk_point_id')
    .innerJoin('reform_project', 'reform_project.id', 'risk_point.project_id')
    .leftJoin('claim_line', (join) =>
      join.onRef('claim_line.claim_id', '=', 'claim.id').on('claim_line.added_at', '<=', asOf),
    )
    .select([
      'claim.id as claimId',
      'claim.status',
      'claim.submitted_at as submittedAt',
      'incident.id as incidentId',
      'incident.occurred_on as occurredOn',
      'risk_point.id as riskPointId',
      'risk_point.number as riskPointNumber',
      'reform_project.name as project',
      sql<string>`coalesce(sum(claim_line.amount_claimed), 0)::numeric(20,2)::text`.as('claimed'),
    ])
    .where('incident.pool_id', '=', pool.id)
    .where('claim.submitted_at', '<=', asOf)
    .groupBy(['claim.id', 'incident.id', 'risk_point.id', 'reform_project.id'])
    .orderBy('reform_project.name')
    .orderBy('risk_point.number')
    .orderBy('incident.occurred_on')
    .orderBy('claim.submitted_at')
    .limit(10_000)
    .execute();
  const payouts = await moneyByClaim(
    db,
    rows.map((r) => r.claimId),
    asOf,
  );
  const reserves = await caseReserves(
    db,
    rows.map((r) => r.claimId),
    asOf,
  );
  const poolRemaining = (await poolCoverage(db, pool, when)).available;
  const incidentRemaining = new Map<string, string>();
  for (const incidentId of new Set(rows.map((r) => r.incidentId))) {
    incidentRemaining.set(
      incidentId,
      (await incidentCoverage(db, await getIncident(db, incidentId), asOf)).remaining,
    );
  }
  return rows.map((row) => {
    const m = money(new Money(row.claimed), payouts.get(row.claimId), reserves.get(row.claimId));
    return {
      project: row.project,
      riskPointNumber: row.riskPointNumber,
      riskPointId: row.riskPointId,
      incidentId: row.incidentId,
      incidentOccurredOn: row.occurredOn,
      claimId: row.claimId,
      claimSubmittedOn: localDateOf(row.submittedAt),
      status: row.status,
      ...m,
      incidentRemaining: incidentRemaining.get(row.incidentId) ?? '0.00',
      poolRemaining,
    };
  });
}

const LOSS_RUN_COLUMNS: readonly CsvColumn<LossRunRow>[] = [
  { key: 'project', english: 'Project', chinese: '改革项目' },
  { key: 'riskPointNumber', english: 'Risk point', chinese: '风险点' },
  { key: 'incidentId', english: 'Incident', chinese: '事故编号' },
  { key: 'incidentOccurredOn', english: 'Incident date', chinese: '事故日期' },
  { key: 'claimId', english: 'Claim', chinese: '理赔编号' },
  { key: 'claimSubmittedOn', english: 'Claim date', chinese: '报案日期' },
  { key: 'status', english: 'Status', chinese: '状态' },
  { key: 'claimed', english: 'Claimed', chinese: '索赔金额' },
  { key: 'approved', english: 'Approved', chinese: '核定金额' },
  { key: 'paid', english: 'Paid', chinese: '已付金额' },
  { key: 'voided', english: 'Voided', chinese: '已作废金额' },
  { key: 'caseReserve', english: 'Case reserve', chinese: '立案准备金' },
  { key: 'outstanding', english: 'Outstanding', chinese: '未决金额' },
  { key: 'incurred', english: 'Incurred', chinese: '已发生金额' },
  { key: 'recovered', english: 'Recovered', chinese: '追偿回收' },
  { key: 'incidentRemaining', english: 'Incident cap left', chinese: '每次事故剩余限额' },
  { key: 'poolRemaining', english: 'Pool coverage left', chinese: '累计剩余限额' },
];

/** CSV for Excel/WPS: UTF-8 with BOM, CRLF line ends, optional Chinese headers. */
export function lossRunCsv(rows: readonly LossRunRow[], headers: CsvHeaders): string {
  return toCsv(LOSS_RUN_COLUMNS, rows, headers);
}
