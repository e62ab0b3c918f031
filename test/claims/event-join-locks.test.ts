/**
 * A join takes its locks in the order a decision does — a report before its event's root —
 * so a decision holding a report while it waits for the root, and a join of that root's
 * event under way at the same moment, both finish: neither is a deadlock's victim.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { lockIncident } from '../../src/claims/incidents.ts';
import { resolvePossibleDuplicate } from '../../src/claims/loss-events.ts';
import { inTransaction } from '../../src/db/transaction.ts';
import { incidentOn, sleep } from '../payouts/support.ts';
import { freshPostgres, type TestDatabase } from '../support/database.ts';
import { createStaff, fundedPool, type Staff } from './support.ts';

let database: TestDatabase;
let staff: Staff;

beforeAll(async () => {
  database = await freshPostgres(4);
  staff = await createStaff(database.db, 'event join locks');
  await fundedPool(database.db, 'joins', staff);
});
afterAll(() => database.close());

const link = (incidentId: string, otherIncidentId: string) =>
  inTransaction(
    database.db,
    (trx) =>
      resolvePossibleDuplicate(
        trx,
        { incidentId, otherIncidentId, sameEvent: true, reason: 'one flood' },
        staff.handler,
      ),
    // One attempt: a deadlock would surface here instead of being retried away.
    { attempts: 1 },
  );

it('joins an event while a decision holds one of its reports and then takes the root', async () => {
  const root = await incidentOn(database.db, 'joins', staff);
  const report = await incidentOn(database.db, 'joins', staff);
  const other = await incidentOn(database.db, 'joins', staff);
  await link(report, root);

  let holding = () => {};
  const held = new Promise<void>((resolve) => {
    holding = resolve;
  });
  // As a decision on a claim of `report` does: the report, then (a moment later) its root.
  const decision = inTransaction(
    database.db,
    async (trx) => {
      await lockIncident(trx, report);
      holding();
      await sleep(500);
      await lockIncident(trx, root);
    },
    { attempts: 1 },
  );
  await held;
  const joined = link(root, other);
  const results = await Promise.allSettled([decision, joined]);
  expect(results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'done'))).toEqual([
    'done',
    'done',
  ]);
  const events = await database.db
    .selectFrom('incident')
    .select(['id', 'event_incident_id'])
    .where('id', 'in', [root, report])
    .execute();
  expect(events.map((e) => e.event_incident_id)).toEqual([other, other]);
});
