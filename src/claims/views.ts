/**
 * @module What insurer staff see: a claim's money (claimed, approved, outstanding, paid,
 * incurred — the last three from the claims-payable postings of the claim's entries), the
 * work queue by status and age, and the loss run as of a date.
 */
import { sql } from 'kysely';
import { anyUuid } from '../db/arrays.ts';
import type { DB } from '../db/database.ts';
import type { ClaimStatus } from '../db/schema.ts';
import type { Tx } from '../db/transaction.ts';
import { formatAmount, Money, ZERO } from '../ledger/money.ts';
import { poolCoverage } from '../policy/coverage.ts';
import { endOfLocalDay } from '../policy/local-date.ts';
import { findPool } from '../policy/pools.ts';
import { type CsvColumn, type CsvHeaders, toCsv } from '../reports/csv.ts';
import { getClaim } from './claims.ts';
import { getIncident, incidentCoverage } from './incidents.ts';

export interface ClaimMoney {
  readonly claimed: string;
  /** Payable of the decisions that took effect. */
  readonly approved: string;
  /** Approved and not yet paid: claims payable still owed for this claim. */
  readonly outstanding: string;
  readonly paid: string;
  /** paid + outstanding */
  readonly incurred: string;
}

/** Claims payable of each claim, from the ledger: credits are approvals, debits payments. */
async function payableByClaim(db: DB | Tx, claimIds: readonly string[], asOf?: Date) {
  if (claimIds.length === 0) return new Map<string, { approved: Money; paid: Money }>();
  const rows = await sql<{ claim_id: string; credits: string; debits: string }>`
    SELECT e.claim_id,
      coalesce(sum(p.amount) FILTER (WHERE p.direction = 'credit'), 0)::text AS credits,
      coalesce(sum(p.amount) FILTER (WHERE p.direction = 'debit'), 0)::text AS debits
    FROM journal_entry e
    JOIN posting p ON p.entry_id = e.id AND p.phase = 'posted'
    JOIN ledger_account a ON a.id = p.account_id AND a.code LIKE '%:cash:claims-payable'
    WHERE e.claim_id = ${anyUuid(claimIds)}
      AND (${asOf?.toISOString() ?? null}::timestamptz IS NULL OR e.effective_at <= ${asOf?.toISOString() ?? null}::timestamptz)
    GROUP BY e.claim_id
  `.execute(db);
  return new Map(
    rows.rows.map((r) => [
      r.claim_id,
      { approved: new Money(r.credits), paid: new Money(r.debits) },
    ]),
  );
}

function money(claimed: Money, payable: { approved: Money; paid: Money } | undefined): ClaimMoney {
  const approved = payable?.approved ?? ZERO;
  const paid = payable?.paid ?? ZERO;
  const outstanding = approved.minus(paid);
  return {
    claimed: formatAmount(claimed),
    approved: formatAmount(approved),
    outstanding: formatAmount(outstanding),
    paid: formatAmount(paid),
    incurred: formatAmount(paid.plus(outstanding)),
  };
}

export async function claimSummary(db: DB | Tx, claimId: string) {
  const claim = await getClaim(db, claimId);
  const claimed = claim.lines.reduce(
    (total, line) => total.plus(new Money(line.amountClaimed)),
    ZERO,
  );
  const payable = (await payableByClaim(db, [claimId])).get(claimId);
  const incident = await getIncident(db, claim.incidentId);
  return {
    ...claim,
    money: money(claimed, payable),
    incidentCoverage: await incidentCoverage(db, incident),
  };
}

export interface QueueItem {
  readonly claimId: string;
  readonly incidentId: string;
  readonly status: ClaimStatus;
  readonly claimant: string;
  readonly submittedAt: string;
  readonly statusChangedAt: string;
  /** Whole days in the current status. */
  readonly ageDays: number;
  readonly claimed: string;
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
  return rows.map((row) => ({
    claimId: row.id,
    incidentId: row.incident_id,
    status: row.status,
    claimant: row.claimant,
    submittedAt: row.submitted_at.toISOString(),
    statusChangedAt: row.status_changed_at.toISOString(),
    ageDays: Math.floor((now - row.status_changed_at.getTime()) / 86_400_000),
    claimed: row.claimed,
  }));
}

export interface LossRunRow {
  readonly project: string;
  readonly riskPointNumber: number;
  readonly riskPointId: string;
  readonly incidentId: string;
  readonly incidentOccurredOn: string;
  readonly claimId: string;
  readonly claimSubmittedOn: string;
  readonly status: ClaimStatus;
  readonly claimed: string;
  readonly paid: string;
  readonly outstanding: string;
  readonly incurred: string;
  readonly incidentRemaining: string;
  readonly poolRemaining: string;
}

/** One row per claim submitted by the end of the date; money as of that date. */
export async function lossRun(
  db: DB | Tx,
  poolRef: string,
  asOfDate: string,
): Promise<LossRunRow[]> {
  const pool = await findPool(db, poolRef);
  const asOf = new Date(endOfLocalDay(asOfDate).getTime() - 1);
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
  const payable = await payableByClaim(
    db,
    rows.map((r) => r.claimId),
    asOf,
  );
  const poolRemaining = (await poolCoverage(db, pool, asOfDate)).available;
  const incidentRemaining = new Map<string, string>();
  for (const incidentId of new Set(rows.map((r) => r.incidentId))) {
    incidentRemaining.set(
      incidentId,
      (await incidentCoverage(db, await getIncident(db, incidentId), asOf)).remaining,
    );
  }
  return rows.map((row) => {
    const m = money(new Money(row.claimed), payable.get(row.claimId));
    return {
      project: row.project,
      riskPointNumber: row.riskPointNumber,
      riskPointId: row.riskPointId,
      incidentId: row.incidentId,
      incidentOccurredOn: row.occurredOn,
      claimId: row.claimId,
      claimSubmittedOn: row.submittedAt.toISOString().slice(0, 10),
      status: row.status,
      claimed: m.claimed,
      paid: m.paid,
      outstanding: m.outstanding,
      incurred: m.incurred,
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
  { key: 'paid', english: 'Paid', chinese: '已付金额' },
  { key: 'outstanding', english: 'Outstanding', chinese: '未决金额' },
  { key: 'incurred', english: 'Incurred', chinese: '已发生金额' },
  { key: 'incidentRemaining', english: 'Incident cap left', chinese: '每次事故剩余限额' },
  { key: 'poolRemaining', english: 'Pool coverage left', chinese: '累计剩余限额' },
];

/** CSV for Excel/WPS: UTF-8 with BOM, CRLF line ends, optional Chinese headers. */
export function lossRunCsv(rows: readonly LossRunRow[], headers: CsvHeaders): string {
  return toCsv(LOSS_RUN_COLUMNS, rows, headers);
}
