/**
 * Fixtures and read-outs for payout tests: approved claims whose payouts wait in the outbox,
 * and what the pool, the bank and the ledger say about each payout afterwards.
 */
import { sql } from 'kysely';
import { changeClaimStatus, type NewClaimLine, submitClaim } from '../../src/claims/claims.ts';
import { decideAndOrder } from '../../src/claims/decisions.ts';
import { reportIncident } from '../../src/claims/incidents.ts';
import type { DB } from '../../src/db/database.ts';
import type { PayoutStatus } from '../../src/db/schema.ts';
import { inTransaction } from '../../src/db/transaction.ts';
import { accountBalance } from '../../src/ledger/balances.ts';
import { Money } from '../../src/ledger/money.ts';
import { poolCoverage } from '../../src/policy/coverage.ts';
import { type CostCategory, poolAccountCodes } from '../../src/policy/pool-accounts.ts';
import type { Pool } from '../../src/policy/pools.ts';
import { ALL_PASS, riskPoint, type Staff, sha } from '../claims/support.ts';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits until `check` holds or the deadline passes; returns whether it held. */
export async function eventually(
  check: () => Promise<boolean>,
  timeoutMs: number,
  pollMs = 100,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await sleep(pollMs);
  }
}

let evidenceNo = 0;

/** A claim line with evidence no other line names (a shared invoice would flag a duplicate). */
export function claimLine(category: CostCategory, amount: string, payee: string): NewClaimLine {
  evidenceNo += 1;
  const documentNumber = `INV-${process.pid}-${evidenceNo}`;
  return {
    category,
    amountClaimed: new Money(amount),
    payee,
    description: 'fixture line',
    evidence: [
      { title: 'invoice', documentNumber, sha256: sha(process.pid * 1_000_000 + evidenceNo) },
    ],
  };
}

/** An incident on a freshly registered risk point of `poolCode`. */
export async function incidentOn(db: DB, poolCode: string, staff: Staff): Promise<string> {
  const point = await riskPoint(db, staff, '2026-02-01');
  const incident = await inTransaction(db, (trx) =>
    reportIncident(
      trx,
      {
        pool: poolCode,
        riskPointId: point,
        occurredOn: '2026-06-01',
        description: 'loss',
        place: 'County',
        reporter: 'Reform office',
      },
      staff.office,
    ),
  );
  return incident.id;
}

export interface ApprovedClaim {
  readonly claimId: string;
  readonly payoutIds: readonly string[];
}

/**
 * Submits, reviews and approves in full one claim per entry of `claims` (each a list of
 * lines), `perTransaction` claims to a transaction, and orders their payouts as the
 * approval does. Decisions on one pool queue on the pool row anyway, so batching only saves
 * commits.
 */
export async function approveClaims(
  db: DB,
  staff: Staff,
  incidentId: string,
  claims: readonly (readonly NewClaimLine[])[],
  perTransaction = 1,
): Promise<ApprovedClaim[]> {
  const approved: ApprovedClaim[] = [];
  for (let start = 0; start < claims.length; start += perTransaction) {
    const batch = claims.slice(start, start + perTransaction);
    const decided = await inTransaction(db, async (trx) => {
      const ids: string[] = [];
      for (const lines of batch) {
        const claim = await submitClaim(
          trx,
          { incidentId, claimant: 'Claimant Co.', lines },
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
        ids.push(claim.id);
      }
      return ids;
    });
    for (const claimId of decided) {
      const payouts = await db
        .selectFrom('payout')
        .select('id')
        .where('claim_id', '=', claimId)
        .orderBy('created_at')
        .execute();
      approved.push({ claimId, payoutIds: payouts.map((p) => p.id) });
    }
  }
  return approved;
}

/** What the ledger and the bank hold for one payout. */
export interface PayoutTrail {
  readonly payoutId: string;
  readonly status: PayoutStatus;
  readonly amount: string;
  /** Journal entries naming the payout (cash hold, cash post, coverage post, releases…). */
  readonly entries: number;
  /** Entries that moved cash out of the pool's fund as posted money. */
  readonly cashPosts: number;
  /** The posted cash those entries took from the fund. */
  readonly cashPaid: string;
  /** Transfers the bank made under the payout's idempotency key. */
  readonly bankTransfers: number;
  readonly bankAmount: string;
}

/** One row per payout of `poolCode`, from the ledger's postings and the bank's own record. */
export async function payoutTrails(
  db: DB,
  pool: Pool,
  payoutIds?: readonly string[],
): Promise<PayoutTrail[]> {
  const fund = poolAccountCodes(pool.code).fund;
  const filter =
    payoutIds === undefined
      ? sql`true`
      : sql`p.id IN (SELECT jsonb_array_elements_text(${JSON.stringify(payoutIds)}::jsonb)::uuid)`;
  const { rows } = await sql<{
    payout_id: string;
    status: PayoutStatus;
    amount: string;
    entries: number;
    cash_posts: number;
    cash_paid: string;
    bank_transfers: number;
    bank_amount: string;
  }>`
    WITH chosen AS (
      SELECT p.id, p.status, p.amount, p.created_at FROM payout p
      WHERE p.pool_id = ${pool.id} AND ${filter}
    ), entries AS (
      SELECT e.payout_id, count(*)::int AS entries
      FROM journal_entry e JOIN chosen c ON c.id = e.payout_id
      GROUP BY e.payout_id
    ), cash AS (
      SELECT e.payout_id, count(DISTINCT e.id)::int AS cash_posts, sum(po.amount) AS cash_paid
      FROM journal_entry e
      JOIN chosen c ON c.id = e.payout_id
      JOIN posting po ON po.entry_id = e.id
      WHERE po.account_id = (SELECT id FROM ledger_account WHERE code = ${fund})
        AND po.phase = 'posted' AND po.direction = 'credit'
      GROUP BY e.payout_id
    ), bank AS (
      SELECT c.id AS payout_id, count(*)::int AS bank_transfers, sum(b.amount) AS bank_amount
      FROM bank_transfer b JOIN chosen c ON b.idempotency_key = c.id::text
      GROUP BY c.id
    )
    SELECT c.id AS payout_id, c.status, c.amount::text AS amount,
      coalesce(entries.entries, 0) AS entries,
      coalesce(cash.cash_posts, 0) AS cash_posts,
      coalesce(cash.cash_paid, 0)::numeric(20,2)::text AS cash_paid,
      coalesce(bank.bank_transfers, 0) AS bank_transfers,
      coalesce(bank.bank_amount, 0)::numeric(20,2)::text AS bank_amount
    FROM chosen c
    LEFT JOIN entries ON entries.payout_id = c.id
    LEFT JOIN cash ON cash.payout_id = c.id
    LEFT JOIN bank ON bank.payout_id = c.id
    ORDER BY c.created_at, c.id
  `.execute(db);
  return rows.map((r) => ({
    payoutId: r.payout_id,
    status: r.status,
    amount: r.amount,
    entries: r.entries,
    cashPosts: r.cash_posts,
    cashPaid: r.cash_paid,
    bankTransfers: r.bank_transfers,
    bankAmount: r.bank_amount,
  }));
}

/** The trails that are not "paid once": the empty list is the claim under test. */
export function notPaidExactlyOnce(trails: readonly PayoutTrail[]): PayoutTrail[] {
  return trails.filter(
    (t) =>
      t.status !== 'paid' ||
      t.cashPosts !== 1 ||
      t.cashPaid !== t.amount ||
      t.bankTransfers !== 1 ||
      t.bankAmount !== t.amount,
  );
}

/** Every transfer the bank has made, under whatever key: a second payment cannot hide here. */
export async function bankTransferCount(db: DB): Promise<number> {
  const row = await db
    .selectFrom('bank_transfer')
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

export async function payoutStatusCounts(
  db: DB,
  pool: Pool,
): Promise<Partial<Record<PayoutStatus, number>>> {
  const rows = await db
    .selectFrom('payout')
    .select(['status', (eb) => eb.fn.countAll<string>().as('count')])
    .where('pool_id', '=', pool.id)
    .groupBy('status')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.count)]));
}

/** Polls until every payout of the pool is paid, or the deadline passes; returns the counts. */
export async function waitUntilAllPaid(
  db: DB,
  pool: Pool,
  expected: number,
  timeoutMs: number,
): Promise<Partial<Record<PayoutStatus, number>>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const counts = await payoutStatusCounts(db, pool);
    if ((counts.paid ?? 0) >= expected || Date.now() > deadline) return counts;
    await sleep(100);
  }
}

/** The pool's money and coverage, as the finance office reads them. */
export async function poolFigures(db: DB, pool: Pool) {
  const coverage = await poolCoverage(db, pool);
  const codes = poolAccountCodes(pool.code);
  const fund = await accountBalance(db, codes.fund);
  const payable = await accountBalance(db, codes.claimsPayable);
  return {
    coverageAvailable: coverage.available,
    coverageReserved: coverage.reserved,
    coverageConsumed: coverage.consumed,
    fundBalance: fund.balance,
    fundAvailable: fund.availableBalance,
    claimsPayable: payable.balance,
  };
}

export const plus = (a: string, b: string) => new Money(a).plus(new Money(b)).toFixed(2);
export const minus = (a: string, b: string) => new Money(a).minus(new Money(b)).toFixed(2);

export async function payoutRow(db: DB, payoutId: string) {
  return db.selectFrom('payout').selectAll().where('id', '=', payoutId).executeTakeFirstOrThrow();
}

export async function claimStatusOf(db: DB, claimId: string) {
  const row = await db
    .selectFrom('claim')
    .select('status')
    .where('id', '=', claimId)
    .executeTakeFirstOrThrow();
  return row.status;
}
