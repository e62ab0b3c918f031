/**
 * Randomised interleavings of everything that can happen to payouts — the bank paying,
 * refusing, unavailable, timing out before or after it paid; its lookup down and back; a
 * job delivered twice at once; a worker killed between sending and hearing; leases running
 * out; the sweep; finance voiding, retrying and deciding at every point — on real
 * PostgreSQL, checking after every step that the books never say what the bank does not.
 */
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { claimSummary } from '../../src/claims/views.ts';
import type { DB } from '../../src/db/database.ts';
import { inTransaction } from '../../src/db/transaction.ts';
import { DomainError } from '../../src/domain-error.ts';
import { Money, sumAmounts } from '../../src/ledger/money.ts';
import { verifyLedger } from '../../src/ledger/verify.ts';
import { processPayout } from '../../src/payouts/attempt.ts';
import type { DisbursementGateway, PaymentOrder } from '../../src/payouts/gateway.ts';
import { decideInDoubt } from '../../src/payouts/in-doubt-resolution.ts';
import { requeueStalePayouts } from '../../src/payouts/outbox.ts';
import { retryPayout } from '../../src/payouts/payout-failure.ts';
import { voidPayout } from '../../src/payouts/payout-void.ts';
import { SimulatedBank } from '../../src/payouts/simulated-bank.ts';
import type { Pool } from '../../src/policy/pools.ts';
import { createStaff, fundedPool, type Staff } from '../claims/support.ts';
import { freshPostgres, type TestDatabase } from '../support/database.ts';
import { approveClaims, claimLine, incidentOn, payoutTrails } from './support.ts';

const RUNS = Number(process.env.PAYOUT_PROPERTY_RUNS ?? '50');
const STEPS = 60;
const PAYOUTS_PER_RUN = 3;
const OPTIONS = { retry: { attempts: 3, backoffMs: 1 }, leaseMs: 60_000, recheckMs: 1 };

type BankMode = 'pays' | 'refuses' | 'unavailable' | 'timeout_before' | 'timeout_after';

type Step =
  | { readonly kind: 'attempt'; readonly payout: number; readonly bank: BankMode }
  | { readonly kind: 'duplicate'; readonly payout: number; readonly bank: BankMode }
  | { readonly kind: 'kill'; readonly payout: number; readonly paysFirst: boolean }
  | { readonly kind: 'lookup'; readonly up: boolean }
  | { readonly kind: 'leases_expire' }
  | { readonly kind: 'sweep' }
  | { readonly kind: 'void'; readonly payout: number }
  | { readonly kind: 'retry'; readonly payout: number }
  | { readonly kind: 'finance_decides'; readonly payout: number };

const payoutIndex = fc.integer({ min: 0, max: PAYOUTS_PER_RUN - 1 });
const bankMode = fc.constantFrom<BankMode>(
  'pays',
  'refuses',
  'unavailable',
  'timeout_before',
  'timeout_after',
);
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ kind: fc.constant('attempt'), payout: payoutIndex, bank: bankMode }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('duplicate'), payout: payoutIndex, bank: bankMode }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('kill'),
      payout: payoutIndex,
      paysFirst: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('lookup'), up: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('leases_expire') }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('sweep') }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('void'), payout: payoutIndex }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('retry'), payout: payoutIndex }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('finance_decides'), payout: payoutIndex }),
  },
) as fc.Arbitrary<Step>;

let database: TestDatabase;
let staff: Staff;
let pool: Pool;
let incident: string;
beforeAll(async () => {
  database = await freshPostgres();
  staff = await createStaff(database.db, 'payout property');
  pool = await fundedPool(database.db, 'payout-property', staff, {
    fourEyesThreshold: '1000000.00',
  });
  incident = await incidentOn(database.db, pool.code, staff);
});
afterAll(() => database.close());

function setBank(bank: SimulatedBank, mode: BankMode): void {
  bank.behaviour.rejectAll = mode === 'refuses';
  bank.behaviour.failureRate = mode === 'unavailable' ? 1 : 0;
  bank.behaviour.timeoutBeforePayRate = mode === 'timeout_before' ? 1 : 0;
  bank.behaviour.timeoutAfterPayRate = mode === 'timeout_after' ? 1 : 0;
}

/**
 * A worker that dies inside the gateway call, after the bank paid (or before it received
 * the order): the call never returns, so nothing after it runs. `reached` says it got there.
 */
function dyingWorker(bank: SimulatedBank, paysFirst: boolean) {
  let reachedGateway: () => void = () => undefined;
  const reached = new Promise<void>((resolve) => {
    reachedGateway = resolve;
  });
  const gateway: DisbursementGateway = {
    name: bank.name,
    async pay(order: PaymentOrder): Promise<never> {
      if (paysFirst) {
        setBank(bank, 'pays');
        await bank.pay(order);
      }
      reachedGateway();
      return new Promise<never>(() => undefined);
    },
  };
  return { gateway, reached };
}

/** Errors thrown by attempts left running in the background: any one is a bug. */
const backgroundErrors: unknown[] = [];

/** Finance's refusals are answers too; anything else is a bug. */
async function refusedOrDone(work: () => Promise<unknown>): Promise<void> {
  await work().catch((error: unknown) => {
    if (!(error instanceof DomainError)) throw error;
  });
}

async function bankPaid(db: DB, payoutId: string): Promise<boolean> {
  const row = await db
    .selectFrom('bank_transfer')
    .select('id')
    .where('idempotency_key', '=', payoutId)
    .executeTakeFirst();
  return row !== undefined;
}

async function runStep(
  db: DB,
  bank: SimulatedBank,
  payouts: readonly string[],
  s: Step,
): Promise<void> {
  const id = 'payout' in s ? (payouts[s.payout] ?? '') : '';
  switch (s.kind) {
    case 'attempt':
      setBank(bank, s.bank);
      await processPayout(db, bank, id, OPTIONS);
      return;
    case 'duplicate':
      setBank(bank, s.bank);
      await Promise.all([
        processPayout(db, bank, id, OPTIONS),
        processPayout(db, bank, id, OPTIONS),
      ]);
      return;
    case 'kill': {
      // Started, never finished: what it wrote before the gateway call stays, lease and all.
      // An attempt that found the payout leased or ended returns without calling the bank.
      const dying = dyingWorker(bank, s.paysFirst);
      const attempt = processPayout(db, dying.gateway, id, OPTIONS).catch((error: unknown) => {
        backgroundErrors.push(error);
      });
      await Promise.race([dying.reached, attempt]);
      return;
    }
    case 'lookup':
      bank.behaviour.lookupAvailable = s.up;
      return;
    case 'leases_expire':
      await db
        .updateTable('payout')
        .set({ lease_expires_at: new Date(Date.now() - 1000), next_attempt_at: new Date(0) })
        .where('id', 'in', [...payouts])
        .where('lease_token', 'is not', null)
        .execute();
      return;
    case 'sweep':
      await db
        .updateTable('payout')
        .set({ updated_at: new Date(0), next_attempt_at: new Date(0) })
        .where('id', 'in', [...payouts])
        .execute();
      await requeueStalePayouts(db, 0, async () => new Set());
      return;
    case 'void':
      await refusedOrDone(() =>
        inTransaction(db, (trx) => voidPayout(trx, id, 'property test', staff.finance)),
      );
      return;
    case 'retry':
      await refusedOrDone(() => inTransaction(db, (trx) => retryPayout(trx, id, staff.finance)));
      return;
    case 'finance_decides': {
      // Finance asks the bank by phone and records what it was told.
      const paid = await bankPaid(db, id);
      await refusedOrDone(() =>
        inTransaction(db, (trx) =>
          decideInDoubt(
            trx,
            id,
            {
              outcome: paid ? 'paid' : 'not_paid',
              evidence: { kind: 'bank_confirmation', reference: `call about ${id}` },
              note: 'confirmed with the bank',
            },
            staff.finance,
          ),
        ),
      );
      return;
    }
  }
}

async function checkInvariants(db: DB, claimId: string, payouts: readonly string[]) {
  expect(backgroundErrors).toEqual([]);
  const trails = await payoutTrails(db, pool, payouts);
  for (const trail of trails) {
    const where = `payout ${trail.payoutId} (${trail.status})`;
    expect(trail.bankTransfers, `${where}: at most one transfer`).toBeLessThanOrEqual(1);
    expect(trail.cashPosts, `${where}: settled at most once`).toBeLessThanOrEqual(1);
    // Settled in the ledger only if the bank paid it.
    if (trail.status === 'paid' || trail.cashPosts > 0) expect(trail.bankTransfers, where).toBe(1);
    expect(trail.status === 'paid', `${where}: paid ⇔ cash posted`).toBe(trail.cashPosts === 1);
    // Money the bank paid is never void, failed or waiting: the books say it may have left.
    if (trail.bankTransfers === 1)
      expect(['sending', 'in_doubt', 'paid'], where).toContain(trail.status);
  }
  const released = await db
    .selectFrom('journal_entry')
    .select('payout_id')
    .where('idempotency_key', 'like', 'payout:%:coverage-release')
    .where('payout_id', 'in', [...payouts])
    .execute();
  for (const { payout_id } of released) {
    const trail = trails.find((t) => t.payoutId === payout_id);
    expect(trail?.bankTransfers, `coverage released for ${payout_id}`).toBe(0);
    expect(trail?.status).toBe('void');
  }
  const summary = await claimSummary(db, claimId);
  const sum = (status: string) =>
    sumAmounts(trails.filter((t) => t.status === status).map((t) => new Money(t.amount))).toFixed(
      2,
    );
  expect(summary.money.paid).toBe(sumAmounts(trails.map((t) => new Money(t.cashPaid))).toFixed(2));
  expect(summary.money.voided).toBe(sum('void'));
  expect(summary.money.approved).toBe(
    sumAmounts(trails.map((t) => new Money(t.amount))).toFixed(2),
  );
  const failed = trails.some((t) => t.status === 'failed');
  const open = trails.some((t) => !['paid', 'void', 'failed'].includes(t.status));
  const expected = failed
    ? 'payout_failed'
    : open
      ? 'payout_pending'
      : trails.some((t) => t.status === 'paid')
        ? 'paid'
        : 'closed';
  expect(summary.status, 'the claim follows its payouts').toBe(expected);
}

/** The bank works again and answers enquiries: everything it paid settles, the rest ends. */
async function drain(db: DB, bank: SimulatedBank, payouts: readonly string[]) {
  bank.behaviour.lookupAvailable = true;
  setBank(bank, 'pays');
  for (let round = 0; round < 10; round++) {
    await runStep(db, bank, payouts, { kind: 'leases_expire' });
    for (const id of payouts) await processPayout(db, bank, id, OPTIONS);
  }
  const trails = await payoutTrails(db, pool, payouts);
  for (const trail of trails) {
    // Once the bank can be asked: settled if and only if the bank paid it.
    expect(trail.status === 'paid', `payout ${trail.payoutId} is ${trail.status}`).toBe(
      trail.bankTransfers === 1,
    );
    expect(['paid', 'void', 'failed'], `payout ${trail.payoutId} still open`).toContain(
      trail.status,
    );
  }
}

it(`keeps the books true to the bank over ${RUNS} runs of ${STEPS} random steps`, async () => {
  const db = database.db;
  let run = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: STEPS, maxLength: STEPS }), async (steps) => {
      run += 1;
      const bank = new SimulatedBank(db);
      const [claim] = await approveClaims(db, staff, incident, [
        Array.from({ length: PAYOUTS_PER_RUN }, (_, n) =>
          claimLine('appraisal', `${100 + n}.00`, `Payee ${run}-${n}`),
        ),
      ]);
      const claimId = claim?.claimId ?? '';
      const payouts = claim?.payoutIds ?? [];
      for (const s of steps) {
        await runStep(db, bank, payouts, s);
        await checkInvariants(db, claimId, payouts);
      }
      await drain(db, bank, payouts);
      await checkInvariants(db, claimId, payouts);
      const verification = await verifyLedger(db);
      expect(verification.problems).toEqual([]);
    }),
    { numRuns: RUNS, endOnFailure: true },
  );
  const ended = await db
    .selectFrom('payout')
    .select(['status', sql<string>`count(*)`.as('count')])
    .where('pool_id', '=', pool.id)
    .groupBy('status')
    .execute();
  // The runs did reach every ending: paid, failed after a definite no, voided.
  expect(ended.map((e) => e.status).sort()).toEqual(['failed', 'paid', 'void']);
}, 600_000);
