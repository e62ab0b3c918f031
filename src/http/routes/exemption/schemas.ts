/**
 * @module What the exemption routes share: the case as a body (with its proposal, open draft,
 * decisions and clarifications), the roles, and the case's parameters.
 */
import { z } from '@hono/zod-openapi';
import type { DB } from '../../../db/database.ts';
import type { Tx } from '../../../db/transaction.ts';
import { clarificationsOf } from '../../../exemption/clarifications.ts';
import { decisionHistory, openDraft, proposalFor } from '../../../exemption/decisions.ts';
import { getInvestigation, type Investigation } from '../../../exemption/investigations.ts';
import { loadWorkingCalendar } from '../../../policy/calendar.ts';
import { localDateOf } from '../../../policy/local-date.ts';
import { UuidSchema } from '../../schemas.ts';

export const GROUP = ['special_group'] as const;
export const CASE_READERS = ['special_group', 'reform_office', 'insurer'] as const;

export const text = (max: number) => z.string().trim().min(1).max(max);
export const CaseParams = z.object({ investigationId: UuidSchema });
export const DraftParams = z.object({ draftId: UuidSchema });
export const OutcomeSchema = z.enum(['exempt', 'partly_exempt', 'not_exempt']);

export const InvestigationSchema = z.object({}).passthrough().openapi('Investigation');
export const DecisionSchema = z.object({}).passthrough().openapi('ExemptionDecision');
export const DraftSchema = z.object({}).passthrough().openapi('ExemptionDraft');

export const iso = (moment: Date | null) => (moment ? moment.toISOString() : null);

/** The case as a body: with what the findings propose, the open draft and every decision. */
export async function caseBody(db: DB | Tx, investigation: Investigation) {
  const proposal = await proposalFor(db, investigation.id);
  const draft = await openDraft(db, investigation.id);
  const decisions = await decisionHistory(db, investigation.id);
  const clarifications = await clarificationsOf(db, investigation.id);
  return {
    ...investigation,
    openedAt: iso(investigation.openedAt),
    decidedAt: iso(investigation.decidedAt),
    parties: investigation.parties.map((p) => ({ ...p, recordedAt: iso(p.recordedAt) })),
    evidence: investigation.evidence.map((e) => ({ ...e, recordedAt: iso(e.recordedAt) })),
    findings: investigation.findings.map((f) => ({ ...f, recordedAt: iso(f.recordedAt) })),
    conditions: proposal.conditions.map((c) => ({ code: c.code, met: c.met })),
    proposedOutcome: proposal.proposed,
    allowedOutcomes: proposal.allowed,
    openDraft: draft ? { ...draft, preparedAt: iso(draft.preparedAt) } : null,
    decisions: decisions.map((d) => ({
      ...d,
      preparedAt: iso(d.preparedAt),
      decidedAt: iso(d.decidedAt),
    })),
    clarifications: clarifications.map((c) => ({ ...c, recordedAt: iso(c.recordedAt) })),
  };
}

/** The case as it stands after a change, read in the change's own transaction. */
export async function caseAfter(trx: Tx, investigationId: string) {
  const calendar = await loadWorkingCalendar(trx);
  return caseBody(
    trx,
    await getInvestigation(trx, investigationId, calendar, localDateOf(new Date())),
  );
}

export const actingContext = (actorUserId: string) => ({ actorUserId, at: new Date() });
