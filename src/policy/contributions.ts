/**
 * @module Money into the pool: contributions grant coverage at the funding ratio up to the
 * cumulative cap (the rest is surplus, shown as such); refunds give it back only as far as
 * it is neither reserved nor consumed; insurer remittances add cash only.
 */
import type { DB } from '../db/database.ts';
import type { Tx } from '../db/transaction.ts';
import { accountBalance } from '../ledger/balances.ts';
import { LedgerError } from '../ledger/errors.ts';
import { formatAmount, Money, minAmount, roundToFen, sumAmounts, ZERO } from '../ledger/money.ts';
import { recordCommandInTransaction } from '../ledger/record.ts';
import type { PostingCommand } from '../ledger/types.ts';
import { PolicyError } from './errors.ts';
import { poolAccountCodes } from './pool-accounts.ts';
import { lockPool } from './pools.ts';
import { termsInForce } from './terms.ts';

export interface NewContribution {
  readonly amount: Money;
  readonly receivedOn: string;
  readonly payer: string;
  readonly bankReference: string;
}

export interface Contribution {
  readonly id: string;
  readonly poolId: string;
  readonly amount: string;
  readonly receivedOn: string;
  readonly payer: string;
  readonly bankReference: string;
  readonly coverageGranted: string;
  readonly surplus: string;
  readonly entryId: number;
}

/** Coverage a contribution buys: ratio × amount, but never past what the cap has left. */
export function coverageToGrant(
  amount: Money,
  ratio: Money,
  ungranted: Money,
): { granted: Money; surplus: Money } {
  const granted = minAmount(roundToFen(amount.times(ratio)), ungranted.gt(ZERO) ? ungranted : ZERO);
  // The part of the contribution that bought coverage, rounded half-up to the fen; it never
  // exceeds the amount, because granted ≤ ratio × amount and the amount has two decimals.
  const used = roundToFen(granted.dividedBy(ratio));
  return { granted, surplus: amount.minus(used) };
}

export async function recordContribution(
  trx: Tx,
  poolRef: string,
  input: NewContribution,
  recordedBy: string,
): Promise<Contribution> {
  const pool = await lockPool(trx, poolRef);
  const duplicate = await trx
    .selectFrom('contribution')
    .select('id')
    .where('pool_id', '=', pool.id)
    .where('bank_reference', '=', input.bankReference)
    .executeTakeFirst();
  if (duplicate) {
    throw new PolicyError(
      'conflict',
      `bank reference ${input.bankReference} is already recorded as contribution ${duplicate.id}`,
    );
  }
  const terms = await termsInForce(trx, pool.id, input.receivedOn);
  const codes = poolAccountCodes(pool.code);
  const ungranted = (await accountBalance(trx, codes.coverageUngranted)).availableBalance;
  const { granted, surplus } = coverageToGrant(
    input.amount,
    terms.fundingRatio,
    new Money(ungranted),
  );
  const used = input.amount.minus(surplus);
  const postings: PostingCommand[] = [
    { accountCode: codes.fund, direction: 'debit', amount: input.amount },
    ...(used.gt(ZERO)
      ? [{ accountCode: codes.contributions, direction: 'credit' as const, amount: used }]
      : []),
    ...(surplus.gt(ZERO)
      ? [{ accountCode: codes.surplus, direction: 'credit' as const, amount: surplus }]
      : []),
    ...(granted.gt(ZERO)
      ? [
          { accountCode: codes.coverageAvailable, direction: 'debit' as const, amount: granted },
          { accountCode: codes.coverageUngranted, direction: 'credit' as const, amount: granted },
        ]
      : []),
  ];
  const entry = await recordCommandInTransaction(trx, {
    type: 'transfer',
    description: `contribution from ${input.payer} (${input.bankReference})`,
    references: { poolId: pool.id },
    postings,
  });
  const row = await trx
    .insertInto('contribution')
    .values({
      pool_id: pool.id,
      amount: formatAmount(input.amount),
      received_on: input.receivedOn,
      payer: input.payer,
      bank_reference: input.bankReference,
      coverage_granted: formatAmount(granted),
      surplus: formatAmount(surplus),
      entry_id: entry.id,
      recorded_by: recordedBy,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toContribution(row);
}

type ContributionRow = {
  id: string;
  pool_id: string;
  amount: string;
  received_on: string;
  payer: string;
  bank_reference: string;
  coverage_granted: string;
  surplus: string;
  entry_id: number;
};

function toContribution(row: ContributionRow): Contribution {
  return {
    id: row.id,
    poolId: row.pool_id,
    amount: row.amount,
    receivedOn: row.received_on,
    payer: row.payer,
    bankReference: row.bank_reference,
    coverageGranted: row.coverage_granted,
    surplus: row.surplus,
    entryId: row.entry_id,
  };
}

export async function listContributions(db: DB | Tx, poolId: string): Promise<Contribution[]> {
  const rows = await db
    .selectFrom('contribution')
    .selectAll()
    .where('pool_id', '=', poolId)
    .orderBy('received_on')
    .orderBy('recorded_at')
    .limit(1000)
    .execute();
  return rows.map(toContribution);
}

export interface NewRefund {
  readonly amount: Money;
  readonly refundedOn: string;
  readonly bankReference: string;
  readonly reason: string;
}

export interface Refund {
  readonly id: string;
  readonly contributionId: string;
  readonly amount: string;
  readonly refundedOn: string;
  readonly surplusReturned: string;
  readonly coverageReleased: string;
  readonly entryId: number;
}

/**
 * Returns part or all of a contribution: first from its surplus (no coverage moves), then
 * from what bought coverage, releasing ratio × that much — refused if that coverage is
 * reserved or consumed, which the ledger's bound on "available" decides.
 */
export async function refundContribution(
  trx: Tx,
  contributionId: string,
  input: NewRefund,
  recordedBy: string,
): Promise<Refund> {
  const contribution = await trx
    .selectFrom('contribution')
    .selectAll()
    .where('id', '=', contributionId)
    .executeTakeFirst();
  if (!contribution)
    throw new PolicyError('not_found', `contribution ${contributionId} does not exist`);
  const pool = await lockPool(trx, contribution.pool_id);
  const earlier = await trx
    .selectFrom('contribution_refund')
    .select(['amount', 'surplus_returned', 'coverage_released'])
    .where('contribution_id', '=', contribution.id)
    .execute();
  const refundable = new Money(contribution.amount).minus(
    sumAmounts(earlier.map((r) => new Money(r.amount))),
  );
  if (input.amount.gt(refundable)) {
    throw new PolicyError(
      'validation_failed',
      `at most ${formatAmount(refundable)} of this contribution is left to refund`,
    );
  }
  const surplusLeft = new Money(contribution.surplus).minus(
    sumAmounts(earlier.map((r) => new Money(r.surplus_returned))),
  );
  const coverageLeft = new Money(contribution.coverage_granted).minus(
    sumAmounts(earlier.map((r) => new Money(r.coverage_released))),
  );
  const fromSurplus = minAmount(input.amount, surplusLeft);
  const fromContribution = input.amount.minus(fromSurplus);
  const terms = await termsInForce(trx, pool.id, contribution.received_on);
  const released = minAmount(roundToFen(fromContribution.times(terms.fundingRatio)), coverageLeft);
  const codes = poolAccountCodes(pool.code);
  const postings: PostingCommand[] = [
    ...(fromSurplus.gt(ZERO)
      ? [{ accountCode: codes.surplus, direction: 'debit' as const, amount: fromSurplus }]
      : []),
    ...(fromContribution.gt(ZERO)
      ? [
          {
            accountCode: codes.contributions,
            direction: 'debit' as const,
            amount: fromContribution,
          },
        ]
      : []),
    { accountCode: codes.fund, direction: 'credit', amount: input.amount },
    ...(released.gt(ZERO)
      ? [
          { accountCode: codes.coverageUngranted, direction: 'debit' as const, amount: released },
          { accountCode: codes.coverageAvailable, direction: 'credit' as const, amount: released },
        ]
      : []),
  ];
  const entry = await recordCommandInTransaction(trx, {
    type: 'transfer',
    description: `refund of contribution ${contribution.bank_reference} (${input.bankReference})`,
    references: { poolId: pool.id },
    postings,
  }).catch(async (error: unknown) => {
    if (!(error instanceof LedgerError) || error.code !== 'limit_exceeded') throw error;
    if (error.details.account === codes.coverageAvailable) {
      const free = (await accountBalance(trx, codes.coverageAvailable)).availableBalance;
      throw new PolicyError(
        'limit_exceeded',
        `the refund would release ${formatAmount(released)} of coverage, but only ${free} is neither reserved nor consumed`,
        { coverageToRelease: formatAmount(released), coverageFree: free },
      );
    }
    const cash = (await accountBalance(trx, codes.fund)).availableBalance;
    throw new PolicyError('limit_exceeded', `the pool account holds only ${cash}`, {
      fundBalance: cash,
    });
  });
  const row = await trx
    .insertInto('contribution_refund')
    .values({
      contribution_id: contribution.id,
      amount: formatAmount(input.amount),
      refunded_on: input.refundedOn,
      bank_reference: input.bankReference,
      reason: input.reason,
      surplus_returned: formatAmount(fromSurplus),
      coverage_released: formatAmount(released),
      entry_id: entry.id,
      recorded_by: recordedBy,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return {
    id: row.id,
    contributionId: row.contribution_id,
    amount: row.amount,
    refundedOn: row.refunded_on,
    surplusReturned: row.surplus_returned,
    coverageReleased: row.coverage_released,
    entryId: row.entry_id,
  };
}

export interface NewRemittance {
  readonly amount: Money;
  readonly receivedOn: string;
  readonly reference: string;
  readonly note: string;
}

export interface Remittance {
  readonly id: string;
  readonly poolId: string;
  readonly amount: string;
  readonly receivedOn: string;
  readonly reference: string;
  readonly note: string;
  readonly entryId: number;
}

/** The insurer's money into the pool's account: cash only, no coverage. */
export async function recordRemittance(
  trx: Tx,
  poolRef: string,
  input: NewRemittance,
  recordedBy: string,
): Promise<Remittance> {
  const pool = await lockPool(trx, poolRef);
  const duplicate = await trx
    .selectFrom('remittance')
    .select('id')
    .where('pool_id', '=', pool.id)
    .where('reference', '=', input.reference)
    .executeTakeFirst();
  if (duplicate)
    throw new PolicyError('conflict', `remittance ${input.reference} is already recorded`);
  const codes = poolAccountCodes(pool.code);
  const entry = await recordCommandInTransaction(trx, {
    type: 'transfer',
    description: `insurer remittance ${input.reference}`,
    references: { poolId: pool.id },
    postings: [
      { accountCode: codes.fund, direction: 'debit', amount: input.amount },
      { accountCode: codes.remittances, direction: 'credit', amount: input.amount },
    ],
  });
  const row = await trx
    .insertInto('remittance')
    .values({
      pool_id: pool.id,
      amount: formatAmount(input.amount),
      received_on: input.receivedOn,
      reference: input.reference,
      note: input.note,
      entry_id: entry.id,
      recorded_by: recordedBy,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return {
    id: row.id,
    poolId: row.pool_id,
    amount: row.amount,
    receivedOn: row.received_on,
    reference: row.reference,
    note: row.note,
    entryId: row.entry_id,
  };
}
