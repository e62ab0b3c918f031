/**
 * Property tests: working-day arithmetic over every year the schedule package publishes
 * (checked against the package's own public answers), the review's score thresholds, and
 * the separation of duties (the applicant never reviews its filing; the preparer never
 * decides, and only the group's leader does).
 */

import chineseDays from 'chinese-days';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../src/access/tokens.ts';
import { reportIncident } from '../../src/claims/incidents.ts';
import type { AssessmentIndicator, ReviewOutcome } from '../../src/db/schema-registry.ts';
import { inTransaction } from '../../src/db/transaction.ts';
import { decide, prepareDecision } from '../../src/exemption/decisions.ts';
import { appointMember } from '../../src/exemption/special-group.ts';
import {
  INDICATORS,
  type IndicatorThreshold,
  RATING_SCORES,
  scoreReview,
} from '../../src/policy/assessment.ts';
import {
  addWorkingDays,
  isWorkingDay,
  loadWorkingCalendar,
  officialSchedule,
  publishedYears,
  seedWorkingCalendar,
  type WorkingCalendar,
  workingDaysBetween,
} from '../../src/policy/calendar.ts';
import type { RuleRating } from '../../src/policy/filing-reviews.ts';
import { recordPreliminaryReview } from '../../src/policy/filing-reviews.ts';
import { addCalendarDays } from '../../src/policy/local-date.ts';
import { seedCountyPool } from '../../src/policy/pools.ts';
import { seedReferenceLists } from '../../src/policy/reference-lists.ts';
import { createTestApp, type TestApp } from '../http/support.ts';
import { allCriteriaPassed, filingIn } from '../policy/support.ts';

let t: TestApp;
let calendar: WorkingCalendar;
let years: number[];

beforeAll(async () => {
  t = await createTestApp();
  years = publishedYears(await officialSchedule());
  await seedWorkingCalendar(t.database.db);
  await seedReferenceLists(t.database.db);
  await seedCountyPool(t.database.db);
  calendar = await loadWorkingCalendar(t.database.db);
});
afterAll(() => t.close());

const first = () => years[0] ?? 0;
const last = () => years.at(-1) ?? 0;

describe('working days over the published years', () => {
  it('loads every year the package publishes, and nothing beyond', () => {
    expect(years.length).toBeGreaterThanOrEqual(20);
    expect(years).toEqual(Array.from({ length: years.length }, (_, i) => first() + i));
    expect([...calendar.knownYears].sort()).toEqual(years);
  });

  /** A day in the published years, far enough from the last one for `days` to fit. */
  const dayIn = (margin: number) =>
    fc
      .integer({ min: 0, max: (last() - first() + 1) * 365 - margin })
      .map((offset) => addCalendarDays(`${first()}-01-01`, offset));

  it('agrees with the package on every day', () => {
    fc.assert(
      fc.property(dayIn(1), (day) => {
        expect(isWorkingDay(calendar, day)).toBe(chineseDays.isWorkday(day));
      }),
      { numRuns: 2000 },
    );
  });

  it('adds and counts consistently: n working days later is n working days between', () => {
    fc.assert(
      fc.property(dayIn(200), fc.integer({ min: 0, max: 60 }), (from, days) => {
        const to = addWorkingDays(calendar, from, days);
        expect(workingDaysBetween(calendar, from, to)).toBe(days);
        expect(workingDaysBetween(calendar, to, from) + days).toBe(0);
        if (days > 0) {
          expect(isWorkingDay(calendar, to)).toBe(true);
          // The day before the answer still lacks one.
          expect(workingDaysBetween(calendar, from, addCalendarDays(to, -1))).toBe(days - 1);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('splits a count at any day in between', () => {
    fc.assert(
      fc.property(dayIn(400), fc.nat(150), fc.nat(150), (a, x, y) => {
        const b = addCalendarDays(a, x);
        const c = addCalendarDays(b, y);
        expect(workingDaysBetween(calendar, a, c)).toBe(
          workingDaysBetween(calendar, a, b) + workingDaysBetween(calendar, b, c),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('refuses any day beyond the known years, never counting it as a plain weekday', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3650 }), (offset) => {
        const beyond = addCalendarDays(`${last()}-12-31`, offset);
        expect(() => isWorkingDay(calendar, beyond)).toThrow(
          expect.objectContaining({ code: 'calendar_year_unknown' }),
        );
      }),
      { numRuns: 200 },
    );
    expect(() => addWorkingDays(calendar, `${last()}-12-30`, 3)).toThrow(
      /no official holiday schedule/,
    );
  });
});

const RATINGS: RuleRating[] = ['meets', 'partly_meets', 'does_not_meet'];
const RANK: Record<ReviewOutcome, number> = { fail: 0, conditional_pass: 1, pass: 2 };

describe('the score thresholds', () => {
  const ratingsArb = fc.array(
    fc.record({
      indicator: fc.constantFrom<AssessmentIndicator>(...INDICATORS),
      rating: fc.constantFrom(...RATINGS),
    }),
    { minLength: 3, maxLength: 15 },
  );
  const thresholdsArb = fc.tuple(
    ...INDICATORS.map((indicator) =>
      fc.tuple(fc.nat(10), fc.nat(10)).map(
        ([a, b]): IndicatorThreshold => ({
          indicator,
          version: 1,
          passMin: Math.max(a, b),
          conditionalMin: Math.min(a, b),
        }),
      ),
    ),
  );

  it('sums per indicator; the weakest indicator decides', () => {
    fc.assert(
      fc.property(ratingsArb, thresholdsArb, (ratings, thresholds) => {
        const scored = scoreReview(ratings, thresholds);
        for (const indicator of scored.indicators) {
          const threshold = thresholds.find((th) => th.indicator === indicator.indicator);
          const sum = ratings
            .filter((r) => r.indicator === indicator.indicator)
            .reduce((total, r) => total + RATING_SCORES[r.rating], 0);
          expect(indicator.score).toBe(sum);
          const expected =
            sum >= (threshold?.passMin ?? 0)
              ? 'pass'
              : sum >= (threshold?.conditionalMin ?? 0)
                ? 'conditional_pass'
                : 'fail';
          expect(indicator.outcome).toBe(expected);
        }
        const weakest = Math.min(...scored.indicators.map((i) => RANK[i.outcome]));
        expect(RANK[scored.outcome]).toBe(weakest);
      }),
      { numRuns: 1000 },
    );
  });

  it('never does worse when a rating improves', () => {
    fc.assert(
      fc.property(ratingsArb, thresholdsArb, fc.nat(), (ratings, thresholds, pick) => {
        const index = pick % ratings.length;
        const rule = ratings[index];
        if (!rule || rule.rating === 'meets') return;
        const better = ratings.map((r, i) =>
          i === index
            ? { ...r, rating: r.rating === 'does_not_meet' ? 'partly_meets' : 'meets' }
            : r,
        ) as typeof ratings;
        expect(RANK[scoreReview(better, thresholds).outcome]).toBeGreaterThanOrEqual(
          RANK[scoreReview(ratings, thresholds).outcome],
        );
      }),
      { numRuns: 1000 },
    );
  });
});

describe('separation of duties', () => {
  it('lets no one who applied for a filing take the office’s steps on it', async () => {
    const officer = (await createUser(t.database.db, 'reviewer', 'reform_office', null)).id;
    await fc.assert(
      fc.asyncProperty(fc.boolean(), async (applicantReviews) => {
        const filing = await filingIn(t.database.db, officer, 'submitted');
        const actor = applicantReviews ? filing.applicantUserId : officer;
        const attempt = inTransaction(t.database.db, (trx) =>
          recordPreliminaryReview(trx, filing.filingId, allCriteriaPassed(), {
            actorUserId: actor,
            at: new Date('2026-10-20T10:00:00+08:00'),
          }),
        );
        if (applicantReviews) {
          await expect(attempt).rejects.toMatchObject({ code: 'separation_of_duties' });
        } else {
          await attempt;
        }
      }),
      { numRuns: 10 },
    );
  });

  it('has every decision taken by a leader who did not prepare it', async () => {
    const admin = t.users.admin.id;
    const group: { id: string; isLeader: boolean }[] = [];
    for (const [name, isLeader] of [
      ['member A', false],
      ['member B', false],
      ['leader A', true],
      ['leader B', true],
    ] as const) {
      const user = await createUser(t.database.db, name, 'special_group', null);
      await inTransaction(t.database.db, (trx) =>
        appointMember(
          trx,
          { userId: user.id, unitCode: 'audit_bureau', isLeader },
          { actorUserId: admin, at: new Date() },
        ),
      );
      group.push({ id: user.id, isLeader });
    }
    const filing = await filingIn(
      t.database.db,
      t.users.reform_office.id,
      'registered',
      new Date('2026-03-02T10:00:00+08:00'),
    );
    const riskPointId = filing.riskPointIds[0] ?? '';
    await fc.assert(
      fc.asyncProperty(fc.nat(3), fc.nat(3), async (preparerIndex, deciderIndex) => {
        const preparer = group[preparerIndex];
        const decider = group[deciderIndex];
        if (!preparer || !decider) throw new Error('no such group user');
        const incident = await inTransaction(t.database.db, (trx) =>
          reportIncident(
            trx,
            {
              pool: 'county',
              riskPointId,
              occurredOn: '2026-06-01',
              description: 'Loss.',
              place: 'Town',
              reporter: 'Office',
            },
            t.users.insurer.id,
          ),
        );
        const { id: caseId } = await t.database.db
          .selectFrom('investigation')
          .select('id')
          .where('incident_id', '=', incident.id)
          .executeTakeFirstOrThrow();
        const draft = await inTransaction(t.database.db, (trx) =>
          prepareDecision(
            trx,
            caseId,
            { outcome: 'not_exempt', reasons: 'Not shown.' },
            { actorUserId: preparer.id, at: new Date() },
          ),
        );
        const attempt = inTransaction(t.database.db, (trx) =>
          decide(trx, draft.id, { actorUserId: decider.id, at: new Date() }),
        );
        if (decider.isLeader && decider.id !== preparer.id) {
          expect(await attempt).toMatchObject({ preparedBy: preparer.id, decidedBy: decider.id });
        } else {
          await expect(attempt).rejects.toMatchObject({ code: 'separation_of_duties' });
        }
        const decisions = await t.database.db
          .selectFrom('exemption_decision')
          .innerJoin('special_group_member as m', 'm.user_id', 'exemption_decision.decided_by')
          .select(['prepared_by', 'decided_by', 'm.is_leader'])
          .execute();
        for (const decision of decisions) {
          expect(decision.prepared_by).not.toBe(decision.decided_by);
          expect(decision.is_leader).toBe(true);
        }
      }),
      { numRuns: 25 },
    );
  });
});
