/**
 * @module A claim as a handler reads it: its lines and money, every decision, its history,
 * and the incident's error-tolerance case with whether payouts wait for its decision.
 */
import type { DB } from '../db/database.ts';
import type { Tx } from '../db/transaction.ts';
import { caseOfIncident, payoutAwaitsExemption } from '../exemption/claim-link.ts';
import { claimEvents } from './claims.ts';
import { claimDecisions } from './decision-view.ts';
import { claimSummary } from './views.ts';

export async function claimDetail(db: DB | Tx, claimId: string) {
  const summary = await claimSummary(db, claimId);
  const decisions = await claimDecisions(db, claimId);
  const history = await claimEvents(db, claimId);
  const exemptionCase = await caseOfIncident(db, summary.incidentId);
  const exemption = exemptionCase && {
    ...exemptionCase,
    payoutWaitsForDecision: await payoutAwaitsExemption(db, summary.incidentId),
  };
  return { summary, decisions, history, exemption };
}
