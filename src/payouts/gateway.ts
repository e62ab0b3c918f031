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
   * What the gateway knows of a key, when it can say: asked before a payout is given up, so
   * one whose every answer was lost ("paid, then timed out") is settled, not parked as
   * failed and perhaps voided although the money left.
   */
  lookup?(idempotencyKey: string): Promise<PaymentReceipt | null>;
}

/** A refusal or fault of the gateway; `retryable` says whether trying again may help. */
export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}
