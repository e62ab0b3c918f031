/**
 * @module A claim decision as it is read back: outcome, state, findings, each line's payable and
 * which cap cut how much. Split from adjudication.ts: reading a decision needs none of its locks.
 */
import type { DB } from '../db/database.ts';
import type { FindingRow } from '../db/schema.ts';
import type { Tx } from '../db/transaction.ts';
import { DomainError } from '../domain-error.ts';
import { Money, ZERO } from '../ledger/money.ts';
import { getClaim } from './claims.ts';
import type { CapName } from './payable.ts';

export interface DecisionView {
  readonly id: string;
  readonly claimId: string;
  readonly outcome: 'approved' | 'partly_approved' | 'denied';
  readonly state: 'awaiting_confirmation' | 'effective' | 'rejected_by_checker';
  /** The decision a supplementary decision revises; null for a claim's own decision. */
  readonly supersedesDecisionId: string | null;
  readonly findings: readonly FindingRow[];
  readonly denialReasons: readonly string[];
  readonly note: string;
  readonly approvedTotal: string;
  readonly incidentCapCut: string;
  readonly projectLimitCut: string;
  readonly poolCapCut: string;
  readonly payable: string;
  /** Which cap cut how much; empty when neither did. */
  readonly cuts: readonly {
    readonly cap: CapName;
    readonly amount: string;
  }[];
  readonly lines: readonly {
    readonly lineId: string;
    readonly approved: string;
    readonly payable: string;
    /** What the line stood at before (a supplement pays the difference). */
    readonly previousPayable: string;
    readonly cutBy: CapName | null;
  }[];
  readonly decidedBy: string;
  readonly decidedAt: string;
  readonly confirmedBy: string | null;
  readonly confirmedAt: string | null;
}

export async function getDecision(db: DB | Tx, decisionId: string): Promise<DecisionView> {
  const row = await db
    .selectFrom('claim_decision')
    .selectAll()
    .where('id', '=', decisionId)
    .executeTakeFirst();
  if (!row) throw new DomainError('not_found', `decision ${decisionId} does not exist`);
  const lines = await db
    .selectFrom('claim_decision_line')
    .innerJoin('claim_line', 'claim_line.id', 'claim_decision_line.claim_line_id')
    .select([
      'claim_decision_line.claim_line_id as lineId',
      'approved',
      'payable',
      'previous_payable as previousPayable',
      // The column's check constraint holds it to the three cap names.
      (eb) => eb.ref('cut_by').$castTo<CapName | null>().as('cutBy'),
    ])
    .where('decision_id', '=', decisionId)
    .orderBy('claim_line.line_no')
    .execute();
  const cuts: DecisionView['cuts'] = [
    ...(new Money(row.incident_cap_cut).gt(ZERO)
      ? [{ cap: 'per_incident_cap' as const, amount: row.incident_cap_cut }]
      : []),
    ...(new Money(row.project_limit_cut).gt(ZERO)
      ? [{ cap: 'per_project_limit' as const, amount: row.project_limit_cut }]
      : []),
    ...(new Money(row.pool_cap_cut).gt(ZERO)
      ? [{ cap: 'cumulative_cap' as const, amount: row.pool_cap_cut }]
      : []),
  ];
  return {
    id: row.id,
    claimId: row.claim_id,
    outcome: row.outcome,
    state: row.state,
    supersedesDecisionId: row.supersedes_decision_id,
    findings: row.findings,
    denialReasons: row.denial_reasons,
    note: row.note,
    approvedTotal: row.approved_total,
    incidentCapCut: row.incident_cap_cut,
    projectLimitCut: row.project_limit_cut,
    poolCapCut: row.pool_cap_cut,
    payable: row.payable,
    cuts,
    lines,
    decidedBy: row.decided_by,
    decidedAt: row.decided_at.toISOString(),
    confirmedBy: row.confirmed_by,
    confirmedAt: row.confirmed_at?.toISOString() ?? null,
  };
}

export async function claimDecisions(db: DB | Tx, claimId: string): Promise<DecisionView[]> {
  await getClaim(db, claimId);
  const ids = await db
    .selectFrom('claim_decision')
    .select('id')
    .where('claim_id', '=', claimId)
    .orderBy('decided_at')
    .execute();
  return Promise.all(ids.map((row) => getDecision(db, row.id)));
}
