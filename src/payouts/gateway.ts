/**
 * @module The one small interface every way of paying implements. The payout's id is the
 * idempotency key: a gateway must never pay the same key twice.
 */
export interface PaymentOrder {
  readonly idempotencyKey: string;
  readonly payee: string;
  /** Two decimals, e.g. "150000.00". */
  readonly amount: string;
}

/** Paid: settle now with the gateway's reference. */
export interface PaymentReceipt {
  readonly reference: string;
}

/** Accepted but not yet paid (a payment file awaiting the treasury): settled later, elsewhere. */
export interface DeferredPayment {
  readonly deferred: true;
}

export interface DisbursementGateway {
  readonly name: string;
  pay(order: PaymentOrder): Promise<PaymentReceipt | DeferredPayment>;
  /**
   * What the gateway knows of a key: a receipt if it paid, null if it never received the
   * order; throws when it cannot say now. Asked for every payout in doubt, so one whose
   * every answer was lost ("paid, then timed out") is settled, never failed and voided.
   */
  lookup?(idempotencyKey: string): Promise<PaymentReceipt | null>;
}

/**
 * What a failed call tells about the money: `refused` — the gateway said no and will say no
 * again; `not_sent` — it certainly did not pay (it was unavailable), try again later;
 * `unknown` — it may have paid (a time-out, a lost answer): the payout is in doubt.
 */
export type GatewayFailure = 'refused' | 'not_sent' | 'unknown';

export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  constructor(
    message: string,
    readonly failure: GatewayFailure,
  ) {
    super(message);
  }
}
