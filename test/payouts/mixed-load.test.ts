/**
 * Decisions, settlements, voids and month closes all at once on PostgreSQL, over many
 * connections: with one lock order everywhere nothing deadlocks and nothing is lost —
 * every step either lands whole or is refused whole, and afterwards the trial balance,
 * every payout's postings and every claim's sums agree.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Claim, changeClaimStatus, submitClaim } from '../../src/claims/claims.ts';
import { decideAndOrder } from '../../src/claims/decisions.ts';
import { lockIncident } from '../../src/claims/incidents.ts';
import { claimSummary } from '../../src/claims/views.ts';
import { inTransaction } from '../../src/db/transaction.ts';
import { closeMonth } from '../../src/finance/period-close.ts';
import { trialBalance } from '../../src/ledger/balances.ts';
import { Money } from '../../src/ledger/money.ts';
import { verifyLedger } from '../../src/ledger/verify.ts';
import { processPayout } from '../../src/payouts/attempt.ts';
import { voidPayout } from '../../src/payouts/payout-void.ts';
import { SimulatedBank } from '../../src/payouts/simulated-bank.ts';
import { lockPool, type Pool } from '../../src/policy/pools.ts';
import { ALL_PASS, createStaff, fundedPool, type Staff } from '../claims/support.ts';
import { ledgerProblems } from '../ledger/invariants.ts';
import { freshPostgres, type TestDatabase } from '../support/database.ts';
import { approveClaims, claimLine, incidentOn, payoutTrails } from './support.ts';

let database: TestDatabase;
let staff: Staff;
let pool: Pool;
let incident: string;
/** As the HTTP layer runs every change (src/http/mutation.ts). */
const GROUPED = { grouped: true } as const;
/** As another API process's change reaches the database: on a connection of its own. */
const ALONE = {} as const;
const OPTIONS = { retry: { attempts: 3, backoffMs: 1 }, leaseMs: 60_000 };

beforeAll(async () => {
  database = await freshPostgres(12);
  staff = await createStaff(database.db, 'mixed load');
  pool = await fundedPool(database.db, 'mixed', staff, { fourEyesThreshold: '1000000.00' });
  incident = await incidentOn(database.db, 'mixed', staff);
});
afterAll(() => database.close());

// 38 units of work at once on a shared 2-core machine: room beyond the default 30 s.
it('runs decisions, settlements, voids and month closes at once: no deadlock, no lost write', async () => {
  const db = database.db;
  const toSettle = await approveClaims(
    db,
    staff,
    incident,
    Array.from({ length: 12 }, (_, i) => [
      claimLine('property_loss', `${1000 + i}.00`, `Payee S${i}`),
    ]),
    4,
  );
  const toVoid = await approveClaims(
    db,
    staff,
    incident,
    Array.from({ length: 8 }, (_, i) => [claimLine('appraisal', `${500 + i}.00`, `Payee V${i}`)]),
    4,
  );
  const bank = new SimulatedBank(db);

  // Submitted and under review beforehand, as they are when a handler decides them.
  const toDecide: Claim[] = [];
  for (let i = 0; i < 12; i++) {
    const claim = await inTransaction(db, async (trx) => {
      const submitted = await submitClaim(
        trx,
        {
          incidentId: incident,
          claimant: 'Claimant Co.',
          lines: [claimLine('lawyer_fees', `${200 + i}.00`, `Payee D${i}`)],
        },
        staff.intake,
      );
      await changeClaimStatus(trx, submitted.id, 'start_review', '', staff.handler);
      return submitted;
    });
    toDecide.push(claim);
  }
  const decide = (claim: (typeof toDecide)[number], i: number) =>
    inTransaction(
      db,
      async (trx) => {
        await decideAndOrder(
          trx,
          claim.id,
          {
            decision: 'approve',
            lines: claim.lines.map((l) => ({ lineId: l.id, approved: new Money(l.amountClaimed) })),
            attestations: ALL_PASS,
            note: 'approved under load',
          },
          staff.handler,
        );
        return claim.id;
      },
      // Half as this process's HTTP layer runs them, half as if from another process.
      i % 2 === 0 ? GROUPED : ALONE,
    );
  const months = ['2026-02', '2026-03', '2026-04', '2026-05', '2026-06', '2026-07'];

  const results = await Promise.allSettled([
    ...toDecide.map(decide),
    ...toSettle.map((c) => processPayout(db, bank, c.payoutIds[0] ?? '', OPTIONS)),
    ...toVoid.map((c, i) =>
      inTransaction(
        db,
        (trx) => voidPayout(trx, c.payoutIds[0] ?? '', 'payee withdrew', staff.finance),
        i % 2 === 0 ? GROUPED : ALONE,
      ),
    ),
    ...months.map((month) =>
      inTransaction(db, (trx) => closeMonth(trx, month, staff.finance, null), GROUPED),
    ),
  ]);
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
  expect(failures).toEqual([]);

  // Every settled payout is paid once, every voided one moved no cash.
  const trails = await payoutTrails(db, pool);
  const byId = new Map(trails.map((t) => [t.payoutId, t]));
  for (const claim of toSettle) {
    const trail = byId.get(claim.payoutIds[0] ?? '');
    expect(trail).toMatchObject({ status: 'paid', cashPosts: 1, bankTransfers: 1 });
    expect(trail?.cashPaid).toBe(trail?.amount);
    expect((await claimSummary(db, claim.claimId)).status).toBe('paid');
  }
  for (const claim of toVoid) {
    expect(byId.get(claim.payoutIds[0] ?? '')).toMatchObject({ status: 'void', cashPosts: 0 });
    expect((await claimSummary(db, claim.claimId)).status).toBe('closed');
  }
  // Every decision made under load has its payout ordered, for the approved amount.
  const decided = results.slice(0, 12).flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  expect(decided).toHaveLength(12);
  for (const claimId of decided as string[]) {
    const summary = await claimSummary(db, claimId);
    expect(summary.status).toBe('payout_pending');
    expect(summary.money.approved).toBe(summary.money.claimed);
  }

  // The sums: the pool's fund paid exactly the settled payouts; the ledger balances.
  const paidTotal = toSettle.reduce((sum, _, i) => sum.plus(1000 + i), new Money(0));
  const cashOut = trails.reduce((sum, t) => sum.plus(t.cashPaid), new Money(0));
  expect(cashOut.toFixed(2)).toBe(paidTotal.toFixed(2));
  const closed = await sql<{ month: string }>`
    SELECT month FROM ledger_closed_period ORDER BY month
  `.execute(db);
  expect(closed.rows.map((r) => r.month)).toEqual(months);
  expect((await trialBalance(db)).balanced).toBe(true);
  expect(await ledgerProblems(db)).toEqual([]);
  expect((await verifyLedger(db)).ok).toBe(true);
}, 120_000);

// A decision locks its pool and incident rows; a payout's second change in one transaction
// has PostgreSQL re-check the payout's foreign keys to them (FOR KEY SHARE). Taken FOR
// UPDATE, the decision's locks made that check wait — and a worker waiting there while it
// held ledger accounts was one half of a deadlock. Taken FOR NO KEY UPDATE, they do not.
it('pays a payout while a decision on its pool holds the pool and the incident', async () => {
  const db = database.db;
  const [claim] = await approveClaims(db, staff, incident, [
    [claimLine('property_loss', '300.00', 'Payee during a decision')],
  ]);
  let release = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let locked = () => {};
  const holding = new Promise<void>((resolve) => {
    locked = resolve;
  });
  const decision = inTransaction(db, async (trx) => {
    await lockPool(trx, pool.id);
    await lockIncident(trx, incident);
    locked();
    await released;
  });
  await holding;
  try {
    const paid = processPayout(db, new SimulatedBank(db), claim?.payoutIds[0] ?? '', OPTIONS);
    const outcome = await Promise.race([
      paid.then((step) => step),
      new Promise<'still waiting'>((resolve) => setTimeout(() => resolve('still waiting'), 5_000)),
    ]);
    expect(outcome).toEqual({ kind: 'done', status: 'paid' });
  } finally {
    release();
    await decision;
  }
});
