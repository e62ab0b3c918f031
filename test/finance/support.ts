/**
 * Fixtures for settlement-matching tests: a funded pool whose ledger holds contributions,
 * an insurer remittance or two, a refund and payouts really paid — a claim approved
 * through decideAndOrder and paid by the in-process runner through the simulated bank —
 * and CSV statements built from them.
 */
import { changeClaimStatus, type NewClaimLine, submitClaim } from '../../src/claims/claims.ts';
import { decideAndOrder } from '../../src/claims/decisions.ts';
import { reportIncident } from '../../src/claims/incidents.ts';
import type { DB } from '../../src/db/database.ts';
import { inTransaction } from '../../src/db/transaction.ts';
import { Money } from '../../src/ledger/money.ts';
import { InProcessPayoutRunner } from '../../src/payouts/in-process.ts';
import { SimulatedBank } from '../../src/payouts/simulated-bank.ts';
import {
  type Contribution,
  type Refund,
  type Remittance,
  recordContribution,
  recordRemittance,
  refundContribution,
} from '../../src/policy/contributions.ts';
import { localDateOf } from '../../src/policy/local-date.ts';
import type { CostCategory } from '../../src/policy/pool-accounts.ts';
import type { Pool } from '../../src/policy/pools.ts';
import { ALL_PASS, fundedPool, riskPoint, type Staff, sha } from '../claims/support.ts';

export const today = () => localDateOf(new Date());

export async function contribution(
  db: DB,
  pool: Pool,
  staff: Staff,
  amount: string,
  bankReference: string,
  receivedOn = today(),
): Promise<Contribution> {
  return inTransaction(db, (trx) =>
    recordContribution(
      trx,
      pool.code,
      { amount: new Money(amount), receivedOn, payer: 'County finance bureau', bankReference },
      staff.finance,
    ),
  );
}

export async function remittance(
  db: DB,
  pool: Pool,
  staff: Staff,
  amount: string,
  reference: string,
): Promise<Remittance> {
  return inTransaction(db, (trx) =>
    recordRemittance(
      trx,
      pool.code,
      { amount: new Money(amount), receivedOn: today(), reference, note: '' },
      staff.finance,
    ),
  );
}

export async function refund(
  db: DB,
  contributionId: string,
  staff: Staff,
  amount: string,
  bankReference: string,
): Promise<Refund> {
  return inTransaction(db, (trx) =>
    refundContribution(
      trx,
      contributionId,
      { amount: new Money(amount), refundedOn: today(), bankReference, reason: 'paid twice' },
      staff.finance,
    ),
  );
}

export interface PaidPayout {
  readonly id: string;
  readonly amount: string;
  readonly payee: string;
  readonly gatewayReference: string;
}

let evidenceNo = 0;

function claimLine(category: CostCategory, amount: string, payee: string): NewClaimLine {
  evidenceNo += 1;
  return {
    category,
    amountClaimed: new Money(amount),
    payee,
    description: 'fixture line',
    evidence: [
      {
        title: 'invoice',
        documentNumber: `FIN-${process.pid}-${evidenceNo}`,
        sha256: sha(7_000_000 + process.pid * 1000 + evidenceNo),
      },
    ],
  };
}

/**
 * One claim with a line per payout, approved in full and paid: the runner relays the
 * outbox and pays each payout through the simulated bank, as embedded mode does.
 */
export async function paidPayouts(
  db: DB,
  pool: Pool,
  staff: Staff,
  lines: readonly { category: CostCategory; amount: string; payee: string }[],
): Promise<PaidPayout[]> {
  const point = await riskPoint(db, staff, '2026-02-01');
  const claimId = await inTransaction(db, async (trx) => {
    const incident = await reportIncident(
      trx,
      {
        pool: pool.code,
        riskPointId: point,
        occurredOn: '2026-06-01',
        description: 'loss',
        place: 'County',
        reporter: 'Reform office',
      },
      staff.office,
    );
    const claim = await submitClaim(
      trx,
      {
        incidentId: incident.id,
        claimant: 'Claimant Co.',
        lines: lines.map((l) => claimLine(l.category, l.amount, l.payee)),
      },
      staff.intake,
    );
    await changeClaimStatus(trx, claim.id, 'start_review', '', staff.handler);
    await decideAndOrder(
      trx,
      claim.id,
      {
        decision: 'approve',
        lines: claim.lines.map((l) => ({ lineId: l.id, approved: new Money(l.amountClaimed) })),
        attestations: ALL_PASS,
        note: 'approved in full',
      },
      staff.handler,
    );
    return claim.id;
  });
  await new InProcessPayoutRunner(db, new SimulatedBank(db)).runOnce();
  const rows = await db
    .selectFrom('payout')
    .select(['id', 'amount', 'payee', 'status', 'gateway_reference'])
    .where('claim_id', '=', claimId)
    .orderBy('amount', 'desc')
    .execute();
  return rows.map((row) => {
    if (row.status !== 'paid' || row.gateway_reference === null) {
      throw new Error(`payout ${row.id} is ${row.status}, not paid`);
    }
    return {
      id: row.id,
      amount: row.amount,
      payee: row.payee,
      gatewayReference: row.gateway_reference,
    };
  });
}

export { fundedPool };

/** Finance tables' row counts, to prove an import changed nothing. */
export async function financeCounts(db: DB): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of [
    'bank_statement',
    'statement_line',
    'statement_match',
    'statement_explanation',
  ] as const) {
    const row = await db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    counts[table] = Number(row.n);
  }
  return counts;
}

/** A CSV file from rows of cells, quoting every cell that needs it. */
export function csv(rows: readonly (readonly string[])[], lineEnd = '\n'): string {
  const quote = (cell: string) => (/[",\n]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell);
  return rows.map((row) => row.map(quote).join(',')).join(lineEnd);
}

/** "-1234.50" → "-1,234.50", as a bank prints it. */
export function withSeparators(amount: string): string {
  const [integer = '', decimals = '00'] = amount.replace('-', '').split('.');
  const grouped = integer.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${amount.startsWith('-') ? '-' : ''}${grouped}.${decimals}`;
}
