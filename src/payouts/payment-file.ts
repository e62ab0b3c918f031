/**
 * @module The payment-file gateway for the county treasury. Paying a payout records a
 * payment instruction (once per payout id); finance gathers the open instructions into a
 * CSV file — one line per payout, a control total and a SHA-256 checksum of the lines —
 * and confirms the file once the treasury has paid it, which settles every payout in it.
 */
import type { DB } from '../db/database.ts';
import type { PayoutStatus } from '../db/schema.ts';
import type { Tx } from '../db/transaction.ts';
import { DomainError } from '../domain-error.ts';
import { sha256Hex } from '../ledger/hash.ts';
import { formatAmount, Money, parseAmount, sumAmounts } from '../ledger/money.ts';
import { findPool } from '../policy/pools.ts';
import type { DeferredPayment, DisbursementGateway, PaymentOrder } from './gateway.ts';
import { lockPayout } from './locked-payout.ts';
import { failPayout } from './payout-failure.ts';
import { MAX_PAYOUTS_PER_SETTLEMENT, settlePayouts } from './settlement.ts';

export const MAX_FILE_LINES = 5000;

export class PaymentFileGateway implements DisbursementGateway {
  readonly name = 'payment-file';

  constructor(private readonly db: DB) {}

  async pay(order: PaymentOrder): Promise<DeferredPayment> {
    await this.db
      .insertInto('payment_instruction')
      .values({
        payout_id: order.idempotencyKey,
        payee: order.payee,
        amount: formatAmount(parseAmount(order.amount)),
        payment_file_id: null,
      })
      // Sent again after the treasury returned it (and finance retried): the line is open again.
      .onConflict((oc) =>
        oc
          .column('payout_id')
          .doUpdateSet({ payment_file_id: null, returned_at: null, return_reason: null })
          .where('payment_instruction.returned_at', 'is not', null),
      )
      .execute();
    return { deferred: true };
  }
}

export interface PaymentFile {
  readonly id: string;
  readonly lineCount: number;
  readonly controlTotal: string;
  readonly checksum: string;
  readonly content: string;
  readonly confirmedAt: string | null;
}

const csvText = (text: string) =>
  /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;

/** Gathers a pool's open instructions into a new file; refuses when there is none. */
export async function createPaymentFile(
  trx: Tx,
  poolRef: string,
  actorId: string,
): Promise<PaymentFile> {
  const pool = await findPool(trx, poolRef);
  const open = await trx
    .selectFrom('payment_instruction')
    .innerJoin('payout', 'payout.id', 'payment_instruction.payout_id')
    .select([
      'payment_instruction.payout_id',
      'payment_instruction.payee',
      'payment_instruction.amount',
    ])
    .where('payment_instruction.payment_file_id', 'is', null)
    .where('payment_instruction.returned_at', 'is', null)
    .where('payout.pool_id', '=', pool.id)
    // Only a payout handed to the treasury and still waiting for it; never a voided, failed
    // or paid one, whatever instruction it left behind.
    .where('payout.status', '=', 'sending')
    .where('payout.gateway', '=', 'payment-file')
    .orderBy('payment_instruction.created_at')
    .orderBy('payment_instruction.payout_id')
    .limit(MAX_FILE_LINES)
    .forNoKeyUpdate()
    .execute();
  if (open.length === 0)
    throw new DomainError('conflict', 'no payment instructions are waiting for a file');
  const lines = open.map((i, n) => [n + 1, i.payout_id, csvText(i.payee), i.amount].join(','));
  const total = sumAmounts(open.map((i) => new Money(i.amount)));
  const checksum = sha256Hex(lines.join('\r\n'));
  const content = [
    'line,payout_id,payee,amount_cny',
    ...lines,
    `control_total,${open.length},,${formatAmount(total)}`,
    `sha256,${checksum},,`,
  ].join('\r\n');
  const file = await trx
    .insertInto('payment_file')
    .values({
      line_count: open.length,
      control_total: formatAmount(total),
      checksum,
      content: `${content}\r\n`,
      created_by: actorId,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await trx
    .updateTable('payment_instruction')
    .set({ payment_file_id: file.id })
    .where(
      'payout_id',
      'in',
      open.map((i) => i.payout_id),
    )
    .execute();
  return toPaymentFile(file);
}

/** Locks a file the treasury has not yet confirmed; refuses an unknown or confirmed one. */
async function lockUnconfirmedFile(trx: Tx, fileId: string): Promise<void> {
  const file = await trx
    .selectFrom('payment_file')
    .select(['id', 'confirmed_at'])
    .where('id', '=', fileId)
    .forNoKeyUpdate()
    .executeTakeFirst();
  if (!file) throw new DomainError('not_found', `payment file ${fileId} does not exist`);
  if (file.confirmed_at)
    throw new DomainError('illegal_transition', `payment file ${fileId} is already confirmed`);
}

/** The treasury has paid the file: settle each of its payouts, once. */
export async function confirmPaymentFile(
  trx: Tx,
  fileId: string,
  actorId: string,
): Promise<PaymentFile> {
  await lockUnconfirmedFile(trx, fileId);
  const instructions = await trx
    .selectFrom('payment_instruction')
    .select('payout_id')
    .where('payment_file_id', '=', fileId)
    .where('returned_at', 'is', null)
    .execute();
  // Bounded batches: each settles its payouts with one ledger write, so a file of 5,000
  // lines takes the chain head 25 times, not 10,000.
  for (let start = 0; start < instructions.length; start += MAX_PAYOUTS_PER_SETTLEMENT) {
    const batch = instructions.slice(start, start + MAX_PAYOUTS_PER_SETTLEMENT);
    await settlePayouts(
      trx,
      batch.map((instruction) => instruction.payout_id),
      'payment-file',
      () => `file ${fileId}`,
    );
  }
  const confirmed = await trx
    .updateTable('payment_file')
    .set({ confirmed_at: new Date(), confirmed_by: actorId })
    .where('id', '=', fileId)
    .returningAll()
    .executeTakeFirstOrThrow();
  return toPaymentFile(confirmed);
}

/**
 * The treasury handed one line of an unconfirmed file back unpaid: the money certainly did
 * not leave, so the payout fails (its cash hold released) and may then be retried or voided.
 */
export async function returnPaymentFileLine(
  trx: Tx,
  fileId: string,
  payoutId: string,
  reason: string,
): Promise<{ readonly payoutId: string; readonly status: PayoutStatus }> {
  await lockUnconfirmedFile(trx, fileId);
  const returned = await trx
    .updateTable('payment_instruction')
    .set({ returned_at: new Date(), return_reason: reason })
    .where('payment_file_id', '=', fileId)
    .where('payout_id', '=', payoutId)
    .where('returned_at', 'is', null)
    .returning('payout_id')
    .executeTakeFirst();
  if (!returned)
    throw new DomainError('not_found', `payout ${payoutId} is not an open line of file ${fileId}`);
  const payout = await lockPayout(trx, payoutId);
  const failed = await failPayout(trx, payout, 'refuse', `the treasury returned it: ${reason}`);
  return { payoutId, status: failed.status };
}

export async function getPaymentFile(db: DB | Tx, fileId: string): Promise<PaymentFile> {
  const file = await db
    .selectFrom('payment_file')
    .selectAll()
    .where('id', '=', fileId)
    .executeTakeFirst();
  if (!file) throw new DomainError('not_found', `payment file ${fileId} does not exist`);
  return toPaymentFile(file);
}

function toPaymentFile(row: {
  id: string;
  line_count: number;
  control_total: string;
  checksum: string;
  content: string;
  confirmed_at: Date | null;
}): PaymentFile {
  return {
    id: row.id,
    lineCount: row.line_count,
    controlTotal: row.control_total,
    checksum: row.checksum,
    content: row.content,
    confirmedAt: row.confirmed_at?.toISOString() ?? null,
  };
}
