/**
 * @module The per-incident limit as ledger accounts: the cap is granted into "available"
 * (≥ 0) when the incident is reported, approvals hold from it, settlement consumes it.
 * The per-incident cap thus binds the sum over all claims and categories of the incident.
 */
import type { AccountSpec } from '../ledger/accounts.ts';

export function incidentAccountCodes(incidentId: string) {
  const prefix = `incident:${incidentId}`;
  return {
    limit: `${prefix}:coverage:limit`,
    available: `${prefix}:coverage:available`,
    consumed: `${prefix}:coverage:consumed`,
  };
}

export function incidentAccountSpecs(incidentId: string): AccountSpec[] {
  const codes = incidentAccountCodes(incidentId);
  const name = `incident ${incidentId.slice(0, 8)}`;
  return [
    {
      code: codes.limit,
      name: `${name}: per-incident cap`,
      unit: 'COVERAGE',
      normalSide: 'credit',
    },
    {
      code: codes.available,
      name: `${name}: cap left`,
      unit: 'COVERAGE',
      normalSide: 'debit',
      lowerBound: '0',
    },
    { code: codes.consumed, name: `${name}: consumed`, unit: 'COVERAGE', normalSide: 'debit' },
  ];
}
