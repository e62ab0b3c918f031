/**
 * The embedded default runs on PGlite: the registry migration, both seeds and a whole
 * filing loop work there as on PostgreSQL (dates come back as the same local dates).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createUser } from '../../src/access/tokens.ts';
import { loadWorkingCalendar, seedWorkingCalendar } from '../../src/policy/calendar.ts';
import { getFiling } from '../../src/policy/filing-queries.ts';
import { seedReferenceLists } from '../../src/policy/reference-lists.ts';
import { getRiskPoint } from '../../src/policy/risk-points.ts';
import { freshPglite, type TestDatabase } from '../support/database.ts';
import { filingIn } from './support.ts';

let database: TestDatabase;
beforeAll(async () => {
  database = await freshPglite();
});
afterAll(() => database.close());

it('seeds idempotently and runs the filing loop on PGlite', async () => {
  expect(await seedWorkingCalendar(database.db, [2026])).toEqual({ seededYears: [2026] });
  expect(await seedWorkingCalendar(database.db, [2026])).toEqual({ seededYears: [] });
  expect((await seedReferenceLists(database.db)).inserted).toBe(30);
  expect((await seedReferenceLists(database.db)).inserted).toBe(0);

  const clerk = await createUser(database.db, 'pglite-clerk', 'reform_office', null);
  const filing = await filingIn(
    database.db,
    clerk.id,
    'registered',
    new Date('2026-09-30T10:00:00+08:00'),
  );
  const calendar = await loadWorkingCalendar(database.db);
  const detail = await getFiling(database.db, filing.filingId, calendar, '2026-10-13');
  expect(detail).toMatchObject({
    status: 'registered',
    submittedOn: '2026-09-30',
    filedOn: '2026-09-30',
  });
  expect(detail.deadline).toMatchObject({ state: 'met', closedOn: '2026-09-30' });
  const [first] = filing.riskPointIds;
  expect(await getRiskPoint(database.db, first ?? '')).toMatchObject({
    registeredOn: '2026-09-30',
  });
});
