/**
 * @module Filings registered before the service went live (the county filed its first
 * projects and risk points on paper and on its government platform): the reform office
 * imports each one with its real submission and registration dates and its filing
 * documents. The import is its own audited action — a `filing_import` row names who, when,
 * from where and why — and it cannot date anything after today, inside a closed month, or
 * on or after the day the service went live.
 *
 * The imported filing is an ordinary registered filing: its risk points are registered on
 * the real date, so incidents after that date are covered, as they would have been.
 */
import { sql } from 'kysely';
import type { FilingImportSource } from '../db/schema-coverage.ts';
import type { Tx } from '../db/transaction.ts';
import { DomainError } from '../domain-error.ts';
import { type LocalDate, localDateOf, startOfLocalDay } from './local-date.ts';
import { findPool } from './pools.ts';
import { createProject, type NewProject } from './projects.ts';
import { addRiskPoint, type RiskPointContent } from './risk-points.ts';

export interface FilingDocument {
  /** e.g. the reform plan (改革方案) or the risk-control plan (风险防控方案). */
  readonly title: string;
  readonly documentNumber: string;
  /** SHA-256 of the scanned or downloaded document, 64 hex digits. */
  readonly sha256: string;
}

export interface PreGoLiveFiling {
  /** The pool (id or code) the project belongs to, if it is known. */
  readonly pool?: string;
  readonly project: Omit<NewProject, 'poolId'>;
  readonly riskPoints: readonly RiskPointContent[];
  readonly submittedOn: LocalDate;
  readonly registeredOn: LocalDate;
  readonly source: FilingImportSource;
  /** The paper file's number or the platform's record id. */
  readonly sourceReference: string;
  readonly documents: readonly FilingDocument[];
  readonly reason: string;
}

export interface ImportedFiling {
  readonly importId: string;
  readonly filingId: string;
  readonly projectId: string;
  readonly riskPointIds: readonly string[];
  readonly registeredOn: LocalDate;
}

/** A filing imported covers at most this many risk points (one project filed 8). */
export const MAX_IMPORTED_RISK_POINTS = 100;

/** The local day the service went live for a pool: when the pool was created in it. */
async function goLiveOn(trx: Tx, poolId: string | null): Promise<LocalDate | null> {
  const row = await trx
    .selectFrom('pool')
    .select((eb) => eb.fn.min('created_at').as('createdAt'))
    .$if(poolId !== null, (q) => q.where('id', '=', poolId ?? ''))
    .executeTakeFirst();
  return row?.createdAt ? localDateOf(new Date(row.createdAt)) : null;
}

async function assertDatesPossible(
  trx: Tx,
  input: PreGoLiveFiling,
  poolId: string | null,
  today: LocalDate,
) {
  if (input.registeredOn > today) {
    throw new DomainError(
      'impossible_date',
      `a filing registered on ${input.registeredOn} would be after today (${today}, Asia/Shanghai)`,
      { registeredOn: input.registeredOn, today },
    );
  }
  if (input.submittedOn > input.registeredOn) {
    throw new DomainError(
      'impossible_date',
      `a filing cannot be registered (${input.registeredOn}) before it was submitted (${input.submittedOn})`,
    );
  }
  // The import is for what the county filed before the service went live: the day its
  // pool (or, for a project without one, the first pool) was created in the service. A
  // later registration would let a filing be back-dated to cover a loss that already
  // happened; it goes through the filing loop instead.
  const goLive = await goLiveOn(trx, poolId);
  if (goLive !== null && input.registeredOn >= goLive) {
    throw new DomainError(
      'registered_after_go_live',
      `a filing registered on ${input.registeredOn} is not a pre-go-live filing: the service went live on ${goLive}; file it through the filing process instead`,
      { registeredOn: input.registeredOn, goLiveOn: goLive },
    );
  }
  const closed = await trx
    .selectFrom('ledger_closed_period')
    .select('month')
    .where('month', 'in', [input.submittedOn.slice(0, 7), input.registeredOn.slice(0, 7)])
    .executeTakeFirst();
  if (closed) {
    throw new DomainError(
      'period_closed',
      `${closed.month} is closed: an imported filing cannot be dated inside a closed month`,
      { month: closed.month },
    );
  }
}

export async function importPreGoLiveFiling(
  trx: Tx,
  input: PreGoLiveFiling,
  context: { readonly actorUserId: string; readonly at: Date },
): Promise<ImportedFiling> {
  if (input.riskPoints.length === 0 || input.riskPoints.length > MAX_IMPORTED_RISK_POINTS) {
    throw new DomainError(
      'validation_failed',
      `an imported filing registers 1 to ${MAX_IMPORTED_RISK_POINTS} risk points`,
    );
  }
  if (input.documents.length === 0) {
    throw new DomainError('validation_failed', 'an imported filing needs its filing documents');
  }
  const poolId = input.pool === undefined ? null : (await findPool(trx, input.pool)).id;
  await assertDatesPossible(trx, input, poolId, localDateOf(context.at));
  const project = await createProject(trx, { ...input.project, poolId }, context);
  const riskPointIds: string[] = [];
  for (const content of input.riskPoints) {
    riskPointIds.push((await addRiskPoint(trx, project.id, content, context)).id);
  }
  // The days are what the paper record gives; the moments are the start of those days.
  // Registration columns are written only by a registering step, so the insert is spelt out.
  const submittedAt = startOfLocalDay(input.submittedOn);
  const registeredAt = startOfLocalDay(input.registeredOn);
  const filing = await sql<{ id: string }>`
    INSERT INTO filing (project_id, status, submission_count, submitted_at, submitted_on,
      answered_at, filed_at, filed_on, created_by, updated_at)
    VALUES (${project.id}, 'registered', 1, ${submittedAt}, ${input.submittedOn}, ${registeredAt},
      ${registeredAt}, ${input.registeredOn}, ${context.actorUserId}, ${context.at})
    RETURNING id
  `.execute(trx);
  const filingId = filing.rows[0]?.id;
  if (!filingId) throw new Error('the imported filing was not written');
  await trx
    .insertInto('filing_risk_point')
    .values(
      riskPointIds.map((id) => ({
        filing_id: filingId,
        submission_number: 1,
        risk_point_id: id,
        risk_point_version: 1,
      })),
    )
    .execute();
  const imported = await trx
    .insertInto('filing_import')
    .values({
      filing_id: filingId,
      registered_on: input.registeredOn,
      source: input.source,
      source_reference: input.sourceReference,
      documents: JSON.stringify(input.documents),
      reason: input.reason,
      imported_by: context.actorUserId,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const content = {
    importId: imported.id,
    source: input.source,
    sourceReference: input.sourceReference,
    submittedOn: input.submittedOn,
    registeredOn: input.registeredOn,
  };
  for (const [step, from, to] of [
    ['create', null, 'draft'],
    ['register', 'draft', 'registered'],
  ] as const) {
    await trx
      .insertInto('filing_step')
      .values({
        filing_id: filingId,
        step,
        from_status: from,
        to_status: to,
        actor_user_id: context.actorUserId,
        content: JSON.stringify({ ...content, imported: true }),
        recorded_at: context.at,
      })
      .execute();
  }
  await trx
    .updateTable('risk_point')
    .set({
      registered_at: registeredAt,
      registered_on: input.registeredOn,
      registered_by_filing_id: filingId,
    })
    .where('id', 'in', riskPointIds)
    .execute();
  return {
    importId: imported.id,
    filingId,
    projectId: project.id,
    riskPointIds,
    registeredOn: input.registeredOn,
  };
}
