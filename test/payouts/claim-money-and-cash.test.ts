/**
 * What a claims handler and a finance officer read after payouts end apart: voided money
 * is shown as voided, never as paid, and the claim is not stuck; cash that arrives goes to
 * waiting payouts oldest first, and a refund cannot take it without a kept override.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { claimSummary, lossRun } from '../../src/claims/views.ts';
import { inTransaction } from '../../src/db/transaction.ts';
import { DomainError } from '../../src/domain-error.ts';
import { Money } from '../../src/ledger/money.ts';
import { verifyLedger } from '../../src/ledger/verify.ts';
import { processPayout } from '../../src/payouts/attempt.ts';
import {
  guardRefundAgainstWaitingPayouts,
  releaseWaitingPayouts,
} from '../../src/payouts/cash-priority.ts';
import { createPaymentFile, PaymentFileGateway } from '../../src/payouts/payment-file.ts';
import { voidPayout } from '../../src/payouts/payout-void.ts';
import { SimulatedBank } from '../../src/payouts/simulated-bank.ts';
import { recordContribution, refundContribution } from '../../src/policy/contributions.ts';
import { createStaff, fundedPool, type Staff } from '../claims/support.ts';
import { freshPostgres, type TestDatabase } from '../support/database.ts';
import { approveClaims, claimLine, incidentOn, payoutRow } from './support.ts';

let database: TestDatabase;
let staff: Staff;
const OPTIONS = { retry: { attempts: 3, backoffMs: 1 }, leaseMs: 60_000 };
beforeAll(async () => {
  database = await freshPostgres();
  staff = await createStaff(database.db, 'claim money');
});
afterAll(() => database.close());

const status = async (payoutId: string) => (await payoutRow(database.db, payoutId)).status;

it('shows 10,000.00 paid and 5,000.00 voided apart, and the claim ends paid, not stuck', async () => {
  const db = database.db;
  await fundedPool(db, 'money-apart', staff, { fourEyesThreshold: '1000000.00' });
  const incident = await incidentOn(db, 'money-apart', staff);
  const [claim] = await approveClaims(db, staff, incident, [
    [
      claimLine('property_loss', '10000.00', 'Farm P'),
      claimLine('appraisal', '5000.00', 'Appraiser Q'),
    ],
  ]);
  const [paidId, voidedId] = claim?.payoutIds ?? [];
  const claimId = claim?.claimId ?? '';
  const bank = new SimulatedBank(db, { rejectAll: true });
  expect(await processPayout(db, bank, voidedId ?? '', OPTIONS)).toMatchObject({
    status: 'failed',
  });
  expect((await claimSummary(db, claimId)).status).toBe('payout_failed');
  await inTransaction(db, (trx) =>
    voidPayout(trx, voidedId ?? '', 'payee account closed', staff.finance),
  );
  // The failed one is voided, the other still on its way: pending again, not failed.
  expect((await claimSummary(db, claimId)).status).toBe('payout_pending');
  bank.behaviour.rejectAll = false;
  expect(await processPayout(db, bank, paidId ?? '', OPTIONS)).toMatchObject({ status: 'paid' });

  const summary = await claimSummary(db, claimId);
  expect(summary.status).toBe('paid');
  expect(summary.money).toEqual({
    claimed: '15000.00',
    approved: '15000.00',
    paid: '10000.00',
    voided: '5000.00',
    caseReserve: '0.00',
    outstanding: '0.00',
    incurred: '10000.00',
    recovered: '0.00',
  });
  const [row] = (await lossRun(db, 'money-apart', '2099-12-31')).filter(
    (r) => r.claimId === claimId,
  );
  expect(row).toMatchObject({ status: 'paid', paid: '10000.00', voided: '5000.00' });
  const closing = await db
    .selectFrom('claim_event')
    .select('note')
    .where('claim_id', '=', claimId)
    .where('to_status', '=', 'paid')
    .executeTakeFirstOrThrow();
  expect(closing.note).toBe('1 payout(s) paid (10000.00); 1 voided (5000.00)');
});

it('releases waiting payouts on a contribution, oldest first, and keeps their cash from a refund unless finance overrides', async () => {
  const db = database.db;
  const pool = await fundedPool(db, 'cash-first', staff, { fourEyesThreshold: '1000000.00' });
  const incident = await incidentOn(db, 'cash-first', staff);
  const [big, older, younger] = await approveClaims(db, staff, incident, [
    [claimLine('property_loss', '90000.00', 'Farm R')],
    [claimLine('property_loss', '30000.00', 'Farm S')],
    [claimLine('appraisal', '5000.00', 'Appraiser T')],
  ]);
  const bank = new SimulatedBank(db);
  const ids = [big, older, younger].map((c) => c?.payoutIds[0] ?? '');
  for (const id of ids) await processPayout(db, bank, id, OPTIONS);
  // 10,000.00 left: the younger 5,000.00 would fit, but the older 30,000.00 waits first.
  expect(await Promise.all(ids.map(status))).toEqual(['paid', 'awaiting_funds', 'awaiting_funds']);

  const refund = (contributionId: string, override: string | null) =>
    inTransaction(db, async (trx) => {
      const made = await refundContribution(
        trx,
        contributionId,
        {
          amount: new Money('5000.00'),
          refundedOn: '2026-11-02',
          bankReference: `REF-${override ?? 'none'}`,
          reason: 'overpaid',
        },
        staff.finance,
      );
      await guardRefundAgainstWaitingPayouts(
        trx,
        made,
        override ? { reason: override, actorId: staff.finance } : null,
      );
      return made;
    });
  const contribution = await inTransaction(db, async (trx) => {
    const made = await recordContribution(
      trx,
      pool.code,
      {
        amount: new Money('24000.00'),
        receivedOn: '2026-11-01',
        payer: 'County finance bureau',
        bankReference: 'TOP-UP-1',
      },
      staff.finance,
    );
    await releaseWaitingPayouts(trx, made.poolId);
    return made;
  });
  // 34,000.00 available: the older payout is released; the younger no longer fits and waits.
  expect(await Promise.all(ids.map(status))).toEqual(['paid', 'pending', 'awaiting_funds']);

  const refused = await refund(contribution.id, null).catch((error: unknown) => error);
  expect(refused).toBeInstanceOf(DomainError);
  expect((refused as DomainError).code).toBe('limit_exceeded');
  const made = await refund(contribution.id, 'the county must return an overpayment by law');
  const kept = await db
    .selectFrom('refund_cash_override')
    .select(['reason', 'cash_needed_by_waiting'])
    .where('refund_id', '=', made.id)
    .executeTakeFirstOrThrow();
  expect(kept).toEqual({
    reason: 'the county must return an overpayment by law',
    cash_needed_by_waiting: '35000.00',
  });
  expect((await verifyLedger(db)).ok).toBe(true);
});

it('puts only payouts still with the treasury into a payment file', async () => {
  const db = database.db;
  await fundedPool(db, 'file-states', staff, { fourEyesThreshold: '1000000.00' });
  const incident = await incidentOn(db, 'file-states', staff);
  const [claim] = await approveClaims(db, staff, incident, [
    [claimLine('property_loss', '700.00', 'Farm U'), claimLine('appraisal', '300.00', 'Firm V')],
  ]);
  const [kept, voided] = claim?.payoutIds ?? [];
  // An instruction left behind by a payout that was then refused and voided.
  await db
    .insertInto('payment_instruction')
    .values({ payout_id: voided ?? '', payee: 'Firm V', amount: '300.00', payment_file_id: null })
    .execute();
  await inTransaction(db, (trx) => voidPayout(trx, voided ?? '', 'duplicate', staff.finance));
  await processPayout(db, new PaymentFileGateway(db), kept ?? '', OPTIONS);
  const file = await inTransaction(db, (trx) =>
    createPaymentFile(trx, 'file-states', staff.finance),
  );
  expect(file.lineCount).toBe(1);
  expect(file.content).toContain(kept);
  expect(file.content).not.toContain(voided);
  expect(file.controlTotal).toBe('700.00');
});
