/**
 * The embedded default end to end on PGlite: seeds, a contribution, a filed risk point, an
 * incident, a claim approved under the per-incident cap, and its payouts paid in-process by
 * the same settlement code the BullMQ workers run — then the ledger verifies.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createUser } from '../../src/access/tokens.ts';
import { changeClaimStatus, submitClaim } from '../../src/claims/claims.ts';
import { decideAndOrder } from '../../src/claims/decisions.ts';
import { attachDocument } from '../../src/claims/documents.ts';
import { reportIncident } from '../../src/claims/incidents.ts';
import { claimSummary } from '../../src/claims/views.ts';
import { inTransaction } from '../../src/db/transaction.ts';
import { poolStatement } from '../../src/finance/reports.ts';
import { Money } from '../../src/ledger/money.ts';
import { verifyLedger } from '../../src/ledger/verify.ts';
import { InProcessPayoutRunner } from '../../src/payouts/in-process.ts';
import { SimulatedBank } from '../../src/payouts/simulated-bank.ts';
import { recordContribution } from '../../src/policy/contributions.ts';
import { poolCoverage } from '../../src/policy/coverage.ts';
import { localDateOf } from '../../src/policy/local-date.ts';
import { seedDefaults } from '../../src/seed.ts';
import { ALL_PASS, sha } from '../claims/support.ts';
import { filingIn } from '../policy/support.ts';
import { freshPglite, type TestDatabase } from '../support/database.ts';

let database: TestDatabase;
beforeAll(async () => {
  database = await freshPglite();
});
afterAll(() => database.close());

it('runs a claim from contribution to paid on PGlite, and the ledger verifies', async () => {
  const db = database.db;
  const pool = await seedDefaults(db);
  expect((await seedDefaults(db)).id).toBe(pool.id);
  const finance = await createUser(db, 'finance', 'finance', null);
  const office = await createUser(db, 'office', 'reform_office', null);
  const handler = await createUser(db, 'handler', 'insurer', null);
  const intake = await createUser(db, 'intake', 'insurer', null);

  await inTransaction(db, (trx) =>
    recordContribution(
      trx,
      'county',
      {
        amount: new Money('100000.00'),
        receivedOn: '2026-01-10',
        payer: 'County finance bureau',
        bankReference: 'BOC-1',
      },
      finance.id,
    ),
  );
  const filing = await filingIn(db, office.id, 'registered', new Date('2026-09-30T10:00:00+08:00'));
  const riskPointId = filing.riskPointIds[0] ?? '';
  const incident = await inTransaction(db, (trx) =>
    reportIncident(
      trx,
      {
        pool: 'county',
        riskPointId,
        occurredOn: '2026-10-20',
        description: 'flood',
        place: 'township',
        reporter: 'office',
      },
      handler.id,
    ),
  );
  expect(incident.covered).toBe(true);
  const claim = await inTransaction(db, (trx) =>
    submitClaim(
      trx,
      {
        incidentId: incident.id,
        claimant: 'Cooperative',
        lines: [
          {
            category: 'property_loss',
            amountClaimed: new Money('90000.00'),
            payee: 'Cooperative',
            description: '',
            evidence: [{ title: 'appraisal', documentNumber: 'APR-1', sha256: sha(1) }],
          },
        ],
      },
      intake.id,
    ),
  );
  await inTransaction(db, (trx) =>
    changeClaimStatus(trx, claim.id, 'start_review', '', handler.id),
  );
  // The county's terms ask a property line for its loss inventory or appraisal, uploaded.
  const appraisal = await inTransaction(db, (trx) =>
    attachDocument(
      trx,
      claim.id,
      claim.lines[0]?.id ?? '',
      {
        kind: 'appraisal_report',
        title: 'appraisal',
        documentNumber: 'APR-1',
        mediaType: 'application/pdf',
        content: new TextEncoder().encode('%PDF-1.7 appraisal'),
      },
      handler.id,
    ),
  );
  expect(appraisal.sha256).toBe(createHash('sha256').update('%PDF-1.7 appraisal').digest('hex'));
  const decision = await inTransaction(db, (trx) =>
    decideAndOrder(
      trx,
      claim.id,
      {
        decision: 'approve',
        lines: [{ lineId: claim.lines[0]?.id ?? '', approved: new Money('90000.00') }],
        attestations: ALL_PASS,
        note: '',
      },
      handler.id,
    ),
  );
  expect(decision).toMatchObject({ state: 'effective', payable: '90000.00' });

  const runner = new InProcessPayoutRunner(db, new SimulatedBank(db));
  expect(await runner.runOnce()).toBe(1);
  expect((await claimSummary(db, claim.id)).money).toMatchObject({
    paid: '90000.00',
    outstanding: '0.00',
  });
  expect(await poolCoverage(db, pool)).toMatchObject({
    consumed: '90000.00',
    reserved: '0.00',
    fundBalance: '10000.00',
  });
  const today = localDateOf(new Date());
  const statement = await poolStatement(db, pool, { from: '2026-01-01', to: today });
  expect(statement.cash).toMatchObject({
    contributions: '100000.00',
    payouts: '90000.00',
    closingBalance: '10000.00',
  });
  expect((await verifyLedger(db)).ok).toBe(true);
});
