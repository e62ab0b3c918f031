/**
 * @module Pool terms as data: ratio, caps, period, covered categories, warning thresholds.
 * Terms are never edited; a change is a new version effective from a local date.
 */

import type { Selectable } from 'kysely';
import type { DB } from '../db/database.ts';
import type { Database } from '../db/schema.ts';
import type { Tx } from '../db/transaction.ts';
import { DomainError } from '../domain-error.ts';
import { formatAmount, Money } from '../ledger/money.ts';
import { addCalendarDays } from './local-date.ts';
import { COST_CATEGORIES, type CostCategory } from './pool-accounts.ts';
import {
  COUNTY_REQUIRED_DOCUMENTS,
  DOCUMENT_KINDS,
  type DocumentRequirement,
} from './required-documents.ts';

export interface CategoryTerm {
  readonly category: CostCategory;
  readonly covered: boolean;
  /** Whether approved amounts in this category draw on the per-incident and cumulative caps. */
  readonly countsAgainstCaps: boolean;
  /** Documents a line needs before approval; absent: the county's list for the category. */
  readonly requiredDocuments?: readonly DocumentRequirement[];
}

/** The documents a category's lines need, as the terms list them. */
export function requiredDocumentsOf(
  term: CategoryTerm | undefined,
): readonly DocumentRequirement[] {
  if (!term) return [];
  return term.requiredDocuments ?? COUNTY_REQUIRED_DOCUMENTS[term.category];
}

export interface TermsInput {
  readonly effectiveFrom: string;
  readonly periodStart: string;
  readonly periodEnd: string;
  readonly fundingRatio: Money;
  readonly perIncidentCap: Money;
  readonly cumulativeCap: Money;
  readonly categories: readonly CategoryTerm[];
  /** Shares of the cumulative cap, in percent, whose crossing raises an alert once. */
  readonly poolWarningPercents: readonly Money[];
  readonly incidentWarningPercent: Money;
  /** A claim decision paying more than this takes effect only when a second insurer user confirms it. */
  readonly fourEyesThreshold: Money;
  /** What one reform project's incidents may draw in all; none (null) by default. */
  readonly perProjectLimit?: Money | null;
  /** Whether money recovered from third parties gives cumulative coverage back; no by default. */
  readonly recoveriesReinstateCoverage?: boolean;
  readonly reason: string;
}

export interface PoolTerms extends TermsInput {
  readonly poolId: string;
  readonly version: number;
  readonly recordedAt: Date;
}

/** The county's published terms: 1:50, 500,000.00 per incident, 5,000,000.00 in all. */
export const COUNTY_TERMS: TermsInput = {
  effectiveFrom: '2026-01-01',
  periodStart: '2026-01-01',
  periodEnd: '2026-12-31',
  fundingRatio: new Money(50),
  perIncidentCap: new Money('500000.00'),
  cumulativeCap: new Money('5000000.00'),
  categories: COST_CATEGORIES.map((category) => ({
    category,
    covered: true,
    countsAgainstCaps: true,
    requiredDocuments: COUNTY_REQUIRED_DOCUMENTS[category],
  })),
  poolWarningPercents: [new Money(50), new Money(80), new Money(90)],
  incidentWarningPercent: new Money(80),
  fourEyesThreshold: new Money('100000.00'),
  reason: 'terms of the county reform-innovation risk pool as published',
};

/**
 * A later version either restates the period in force (same start and end) or renews it
 * with the period that starts the day after it ends: no overlap, no gap without cover.
 */
export function validateFollows(previous: PoolTerms, terms: TermsInput): void {
  if (terms.periodStart === previous.periodStart && terms.periodEnd === previous.periodEnd) return;
  const renewalStart = addCalendarDays(previous.periodEnd, 1);
  if (terms.periodStart !== renewalStart) {
    throw new DomainError(
      'validation_failed',
      `terms must keep the policy period ${previous.periodStart} to ${previous.periodEnd} or renew it from ${renewalStart}; a period from ${terms.periodStart} to ${terms.periodEnd} would ${terms.periodStart < renewalStart ? 'overlap it' : 'leave a gap after it'}`,
      { periodStart: previous.periodStart, periodEnd: previous.periodEnd, renewalStart },
    );
  }
}

export function validateTerms(terms: TermsInput): void {
  if (terms.periodStart > terms.periodEnd) {
    throw new DomainError('validation_failed', 'the policy period ends before it starts');
  }
  if (terms.effectiveFrom < terms.periodStart || terms.effectiveFrom > terms.periodEnd) {
    throw new DomainError(
      'validation_failed',
      `terms effective from ${terms.effectiveFrom} must take effect inside their policy period (${terms.periodStart} to ${terms.periodEnd})`,
    );
  }
  const seen = new Set(terms.categories.map((c) => c.category));
  if (seen.size !== terms.categories.length || seen.size !== COST_CATEGORIES.length) {
    throw new DomainError(
      'validation_failed',
      `terms must name each of ${COST_CATEGORIES.join(', ')} exactly once`,
    );
  }
  if (terms.perIncidentCap.gt(terms.cumulativeCap)) {
    throw new DomainError(
      'validation_failed',
      'the per-incident cap cannot exceed the cumulative cap',
    );
  }
  for (const term of terms.categories) {
    const names = (term.requiredDocuments ?? []).map((r) => r.requirement);
    const badKind = (term.requiredDocuments ?? []).some(
      (r) => r.anyOf.length === 0 || r.anyOf.some((k) => !DOCUMENT_KINDS.includes(k)),
    );
    if (
      badKind ||
      new Set(names).size !== names.length ||
      names.some((n) => !/^[a-z_]{1,60}$/.test(n))
    )
      throw new DomainError(
        'validation_failed',
        `the required documents of ${term.category} need distinct names (a–z, _) each accepting one or more of ${DOCUMENT_KINDS.join(', ')}`,
      );
  }
  for (const percent of [...terms.poolWarningPercents, terms.incidentWarningPercent]) {
    if (percent.lte(0) || percent.gt(100))
      throw new DomainError('validation_failed', 'warning thresholds are percents in (0, 100]');
  }
}

type TermsRow = Selectable<Database['pool_terms']>;

function toTerms(row: TermsRow): PoolTerms {
  return {
    poolId: row.pool_id,
    version: row.version,
    effectiveFrom: row.effective_from,
    periodStart: row.period_start,
    periodEnd: row.period_end,
    fundingRatio: new Money(row.funding_ratio),
    perIncidentCap: new Money(row.per_incident_cap),
    cumulativeCap: new Money(row.cumulative_cap),
    categories: row.categories.map((c) => ({
      category: c.category as CostCategory,
      covered: c.covered,
      countsAgainstCaps: c.countsAgainstCaps,
      // Rows written before the terms listed documents carry the county's list.
      requiredDocuments:
        c.requiredDocuments ?? COUNTY_REQUIRED_DOCUMENTS[c.category as CostCategory] ?? [],
    })),
    poolWarningPercents: row.pool_warning_percents.map((p) => new Money(p)),
    incidentWarningPercent: new Money(row.incident_warning_percent),
    fourEyesThreshold: new Money(row.four_eyes_threshold),
    perProjectLimit: row.per_project_limit === null ? null : new Money(row.per_project_limit),
    recoveriesReinstateCoverage: row.recoveries_reinstate_coverage,
    reason: row.reason,
    recordedAt: row.recorded_at,
  };
}

export async function termsHistory(db: DB | Tx, poolId: string): Promise<PoolTerms[]> {
  const rows = await db
    .selectFrom('pool_terms')
    .selectAll()
    .where('pool_id', '=', poolId)
    .orderBy('version')
    .execute();
  return rows.map(toTerms);
}

/** The version in force on a local date; before the first version, the first one. */
export async function termsInForce(
  db: DB | Tx,
  poolId: string,
  onDate: string,
): Promise<PoolTerms> {
  const row =
    (await db
      .selectFrom('pool_terms')
      .selectAll()
      .where('pool_id', '=', poolId)
      .where('effective_from', '<=', onDate)
      .orderBy('effective_from', 'desc')
      .limit(1)
      .executeTakeFirst()) ??
    (await db
      .selectFrom('pool_terms')
      .selectAll()
      .where('pool_id', '=', poolId)
      .orderBy('version')
      .limit(1)
      .executeTakeFirst());
  if (!row) throw new DomainError('not_found', `pool ${poolId} has no terms`);
  return toTerms(row);
}

export async function insertTermsVersion(
  trx: Tx,
  poolId: string,
  version: number,
  terms: TermsInput,
  recordedBy: string | null,
): Promise<PoolTerms> {
  validateTerms(terms);
  const row = await trx
    .insertInto('pool_terms')
    .values({
      pool_id: poolId,
      version,
      effective_from: terms.effectiveFrom,
      period_start: terms.periodStart,
      period_end: terms.periodEnd,
      funding_ratio: terms.fundingRatio.toFixed(2),
      per_incident_cap: formatAmount(terms.perIncidentCap),
      cumulative_cap: formatAmount(terms.cumulativeCap),
      categories: JSON.stringify(
        terms.categories.map((c) => ({ ...c, requiredDocuments: requiredDocumentsOf(c) })),
      ),
      pool_warning_percents: JSON.stringify(terms.poolWarningPercents.map((p) => p.toFixed(2))),
      incident_warning_percent: terms.incidentWarningPercent.toFixed(2),
      four_eyes_threshold: formatAmount(terms.fourEyesThreshold),
      per_project_limit: terms.perProjectLimit ? formatAmount(terms.perProjectLimit) : null,
      recoveries_reinstate_coverage: terms.recoveriesReinstateCoverage ?? false,
      reason: terms.reason,
      recorded_by: recordedBy,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toTerms(row);
}

export function termsBody(terms: PoolTerms) {
  return {
    version: terms.version,
    effectiveFrom: terms.effectiveFrom,
    periodStart: terms.periodStart,
    periodEnd: terms.periodEnd,
    fundingRatio: terms.fundingRatio.toFixed(2),
    perIncidentCap: formatAmount(terms.perIncidentCap),
    cumulativeCap: formatAmount(terms.cumulativeCap),
    categories: terms.categories.map((c) => ({
      category: c.category,
      covered: c.covered,
      countsAgainstCaps: c.countsAgainstCaps,
      requiredDocuments: requiredDocumentsOf(c).map((r) => ({
        requirement: r.requirement,
        anyOf: [...r.anyOf],
      })),
    })),
    poolWarningPercents: terms.poolWarningPercents.map((p) => p.toFixed(2)),
    incidentWarningPercent: terms.incidentWarningPercent.toFixed(2),
    fourEyesThreshold: formatAmount(terms.fourEyesThreshold),
    perProjectLimit: terms.perProjectLimit ? formatAmount(terms.perProjectLimit) : null,
    recoveriesReinstateCoverage: terms.recoveriesReinstateCoverage ?? false,
    reason: terms.reason,
    recordedAt: terms.recordedAt.toISOString(),
  };
}
