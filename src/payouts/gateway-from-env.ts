/**
 * @module Which gateway pays: `PAYOUT_GATEWAY=simulated-bank` (default; tune it with the
 * SIMULATED_BANK_* variables) or `payment-file` (instructions gathered into files for the
 * county treasury, settled when finance confirms a file).
 */
import type { DB } from '../db/database.ts';
import type { DisbursementGateway } from './gateway.ts';
import { PaymentFileGateway } from './payment-file.ts';
import { SimulatedBank } from './simulated-bank.ts';

function rate(name: string, env: NodeJS.ProcessEnv): number {
  const value = Number(env[name] ?? '0');
  if (!(value >= 0 && value <= 1)) throw new Error(`${name} must be a number from 0 to 1`);
  return value;
}

export function gatewayFromEnv(db: DB, env: NodeJS.ProcessEnv = process.env): DisbursementGateway {
  const kind = env.PAYOUT_GATEWAY ?? 'simulated-bank';
  if (kind === 'payment-file') return new PaymentFileGateway(db);
  if (kind !== 'simulated-bank')
    throw new Error(`PAYOUT_GATEWAY must be simulated-bank or payment-file, got "${kind}"`);
  const latencyMs = Number.parseInt(env.SIMULATED_BANK_LATENCY_MS ?? '0', 10);
  return new SimulatedBank(db, {
    latencyMs: Number.isInteger(latencyMs) && latencyMs >= 0 ? latencyMs : 0,
    failureRate: rate('SIMULATED_BANK_FAILURE_RATE', env),
    timeoutAfterPayRate: rate('SIMULATED_BANK_TIMEOUT_AFTER_PAY_RATE', env),
  });
}
