/**
 * @module A simulated bank for tests and demos. It keeps its own record of transfers
 * (bank_transfer, one row per idempotency key), so paying a key again returns the first
 * transfer. Latency, failures, time-outs before and after paying and an enquiry service that
 * is down are switchable.
 */
import type { DB } from '../db/database.ts';
import { formatAmount, parseAmount } from '../ledger/money.ts';
import {
  type DisbursementGateway,
  GatewayError,
  type PaymentOrder,
  type PaymentReceipt,
} from './gateway.ts';

export interface SimulatedBankBehaviour {
  latencyMs: number;
  /** Share of calls, 0–1, that fail before paying, saying so (try again later). */
  failureRate: number;
  /** Share of calls, 0–1, that time out before the bank received them. */
  timeoutBeforePayRate: number;
  /** Share of calls, 0–1, that pay and then time out, as a slow bank would. */
  timeoutAfterPayRate: number;
  /** Fail every call, as a bank that rejects the payee would (a definite no). */
  rejectAll: boolean;
  /** Whether the bank's lookup answers; when false it fails, as an enquiry service that is down. */
  lookupAvailable: boolean;
}

export class SimulatedBank implements DisbursementGateway {
  readonly name = 'simulated-bank';
  readonly behaviour: SimulatedBankBehaviour;

  constructor(
    private readonly db: DB,
    behaviour: Partial<SimulatedBankBehaviour> = {},
    private readonly random: () => number = Math.random,
  ) {
    this.behaviour = {
      latencyMs: 0,
      failureRate: 0,
      timeoutBeforePayRate: 0,
      timeoutAfterPayRate: 0,
      rejectAll: false,
      lookupAvailable: true,
      ...behaviour,
    };
  }

  async lookup(idempotencyKey: string): Promise<PaymentReceipt | null> {
    if (!this.behaviour.lookupAvailable)
      throw new GatewayError('the bank cannot answer enquiries now', 'unknown');
    const transfer = await this.db
      .selectFrom('bank_transfer')
      .select('id')
      .where('idempotency_key', '=', idempotencyKey)
      .executeTakeFirst();
    return transfer ? { reference: `SIM-${transfer.id}` } : null;
  }

  async pay(order: PaymentOrder): Promise<PaymentReceipt> {
    if (this.behaviour.latencyMs > 0)
      await new Promise((resolve) => setTimeout(resolve, this.behaviour.latencyMs));
    if (this.behaviour.rejectAll)
      throw new GatewayError(`the bank rejected payee "${order.payee}"`, 'refused');
    if (this.random() < this.behaviour.failureRate)
      throw new GatewayError('the bank is unavailable', 'not_sent');
    if (
      this.behaviour.timeoutBeforePayRate > 0 &&
      this.random() < this.behaviour.timeoutBeforePayRate
    )
      throw new GatewayError('the bank did not answer in time', 'unknown');
    const amount = formatAmount(parseAmount(order.amount));
    await this.db
      .insertInto('bank_transfer')
      .values({ idempotency_key: order.idempotencyKey, payee: order.payee, amount })
      .onConflict((oc) => oc.column('idempotency_key').doNothing())
      .execute();
    const transfer = await this.db
      .selectFrom('bank_transfer')
      .select(['id', 'amount', 'payee'])
      .where('idempotency_key', '=', order.idempotencyKey)
      .executeTakeFirstOrThrow();
    if (transfer.amount !== amount || transfer.payee !== order.payee) {
      throw new GatewayError(
        `idempotency key ${order.idempotencyKey} was used for a different transfer`,
        'refused',
      );
    }
    if (this.random() < this.behaviour.timeoutAfterPayRate) {
      throw new GatewayError('the bank did not answer in time', 'unknown');
    }
    return { reference: `SIM-${transfer.id}` };
  }
}
