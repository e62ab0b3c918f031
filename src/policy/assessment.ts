/**
 * @module The review's arithmetic: each of the assessment rules is rated, ratings score
 * 2 / 1 / 0, scores are summed per indicator (合理性, 可行性, 可控性), and each indicator's
 * thresholds (data, versioned in `assessment_threshold`) say pass, conditional pass or
 * fail. The filing's outcome is its weakest indicator's. Pure but for the threshold read.
 */
import type { DB } from '../db/database.ts';
import type { AssessmentIndicator, ReviewOutcome } from '../db/schema-registry.ts';
import type { Tx } from '../db/transaction.ts';
import type { RuleRating } from './filing-reviews.ts';

export const RATING_SCORES: Readonly<Record<RuleRating, number>> = {
  meets: 2,
  partly_meets: 1,
  does_not_meet: 0,
};

export const INDICATORS: readonly AssessmentIndicator[] = [
  'rationality',
  'feasibility',
  'controllability',
];

export interface IndicatorThreshold {
  readonly indicator: AssessmentIndicator;
  readonly version: number;
  /** A score of at least this passes. */
  readonly passMin: number;
  /** A score of at least this (and below passMin) passes on conditions; less fails. */
  readonly conditionalMin: number;
}

export interface IndicatorScore {
  readonly indicator: AssessmentIndicator;
  readonly score: number;
  readonly maximum: number;
  readonly thresholdVersion: number;
  readonly outcome: ReviewOutcome;
}

const RANK: Readonly<Record<ReviewOutcome, number>> = { fail: 0, conditional_pass: 1, pass: 2 };

export function indicatorOutcome(score: number, threshold: IndicatorThreshold): ReviewOutcome {
  if (score >= threshold.passMin) return 'pass';
  return score >= threshold.conditionalMin ? 'conditional_pass' : 'fail';
}

/** Scores per indicator and the outcome: the weakest indicator decides. */
export function scoreReview(
  ratings: readonly { readonly indicator: AssessmentIndicator; readonly rating: RuleRating }[],
  thresholds: readonly IndicatorThreshold[],
): { readonly indicators: IndicatorScore[]; readonly outcome: ReviewOutcome } {
  const indicators = INDICATORS.map((indicator) => {
    const threshold = thresholds.find((t) => t.indicator === indicator);
    if (!threshold) throw new Error(`no assessment threshold for ${indicator}`);
    const rated = ratings.filter((r) => r.indicator === indicator);
    const score = rated.reduce((sum, r) => sum + RATING_SCORES[r.rating], 0);
    return {
      indicator,
      score,
      maximum: rated.length * RATING_SCORES.meets,
      thresholdVersion: threshold.version,
      outcome: indicatorOutcome(score, threshold),
    };
  });
  const outcome = indicators.reduce<ReviewOutcome>(
    (weakest, i) => (RANK[i.outcome] < RANK[weakest] ? i.outcome : weakest),
    'pass',
  );
  return { indicators, outcome };
}

/** The threshold version of each indicator in force. */
export async function thresholdsInForce(db: DB | Tx): Promise<IndicatorThreshold[]> {
  return db
    .selectFrom('assessment_threshold')
    .select(['indicator', 'version', 'pass_min as passMin', 'conditional_min as conditionalMin'])
    .distinctOn('indicator')
    .orderBy('indicator')
    .orderBy('version', 'desc')
    .execute();
}
