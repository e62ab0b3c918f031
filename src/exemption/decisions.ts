/**
 * @module Exemption decisions: a group member prepares (exempt, partly exempt or not, with
 * reasons), the group's leader — never the preparer — decides. A decision is immutable; a
 * revision is a new draft naming the decision it replaces, decided as the next version.
 * Where every condition holds the system proposes exemption (直接认定), and full exemption
 * is open only then.
 */
import type { DB } from '../db/database.ts';
import type { DraftState, ExemptionOutcome } from '../db/schema-exemption.ts';
import type { Tx } from '../db/transaction.ts';
import { DomainError } from '../domain-error.ts';
import { allowedOutcomes, conditionStates, proposedOutcome } from './findings.ts';
import { caseFindings, lockInvestigation } from './investigations.ts';
import { requireMember } from './special-group.ts';

interface Context {
  readonly actorUserId: string;
  readonly at: Date;
}

export interface Draft {
  readonly id: string;
  readonly investigationId: string;
  readonly supersedesId: string | null;
  readonly outcome: ExemptionOutcome;
  readonly reasons: string;
  readonly preparedBy: string;
  readonly preparedAt: Date;
  readonly state: DraftState;
}

export interface Decision {
  readonly id: string;
  readonly investigationId: string;
  readonly version: number;
  readonly supersedesId: string | null;
  readonly outcome: ExemptionOutcome;
  readonly proposedOutcome: 'exempt' | 'not_proposed';
  readonly reasons: string;
  readonly findings: unknown;
  readonly preparedBy: string;
  readonly preparedAt: Date;
  readonly decidedBy: string;
  readonly decidedAt: Date;
}

const DRAFT_COLUMNS = [
  'id',
  'investigation_id as investigationId',
  'supersedes_id as supersedesId',
  'outcome',
  'reasons',
  'prepared_by as preparedBy',
  'prepared_at as preparedAt',
  'state',
] as const;

const DECISION_COLUMNS = [
  'id',
  'investigation_id as investigationId',
  'version',
  'supersedes_id as supersedesId',
  'outcome',
  'proposed_outcome as proposedOutcome',
  'reasons',
  'findings',
  'prepared_by as preparedBy',
  'prepared_at as preparedAt',
  'decided_by as decidedBy',
  'decided_at as decidedAt',
] as const;

export async function latestDecision(
  db: DB | Tx,
  investigationId: string,
): Promise<Decision | null> {
  const row = await db
    .selectFrom('exemption_decision')
    .select(DECISION_COLUMNS)
    .where('investigation_id', '=', investigationId)
    .orderBy('version', 'desc')
    .executeTakeFirst();
  return row ?? null;
}

export async function decisionHistory(db: DB | Tx, investigationId: string): Promise<Decision[]> {
  return db
    .selectFrom('exemption_decision')
    .select(DECISION_COLUMNS)
    .where('investigation_id', '=', investigationId)
    .orderBy('version')
    .limit(100)
    .execute();
}

export async function openDraft(db: DB | Tx, investigationId: string): Promise<Draft | null> {
  const row = await db
    .selectFrom('exemption_draft')
    .select(DRAFT_COLUMNS)
    .where('investigation_id', '=', investigationId)
    .where('state', '=', 'awaiting_leader')
    .executeTakeFirst();
  return row ?? null;
}

/** What the findings propose and allow now. */
export async function proposalFor(db: DB | Tx, investigationId: string) {
  const states = conditionStates(await caseFindings(db, investigationId));
  return {
    conditions: states,
    proposed: proposedOutcome(states),
    allowed: allowedOutcomes(states),
  };
}

export interface NewDraft {
  readonly outcome: ExemptionOutcome;
  readonly reasons: string;
  /** A revision names the decision in force it replaces. */
  readonly supersedesDecisionId?: string;
}

export async function prepareDecision(
  trx: Tx,
  investigationId: string,
  draft: NewDraft,
  context: Context,
): Promise<Draft> {
  await lockInvestigation(trx, investigationId);
  await requireMember(trx, context.actorUserId);
  const current = await latestDecision(trx, investigationId);
  if ((current?.id ?? null) !== (draft.supersedesDecisionId ?? null)) {
    throw new DomainError(
      'conflict',
      current
        ? `decision ${current.id} (version ${current.version}) is in force: a revision names it in supersedesDecisionId`
        : 'the case has no decision yet: a first draft supersedes nothing',
      { currentDecisionId: current?.id ?? '' },
    );
  }
  if (await openDraft(trx, investigationId)) {
    throw new DomainError('conflict', 'a draft already awaits the group leader for this case');
  }
  const { allowed } = await proposalFor(trx, investigationId);
  if (!allowed.includes(draft.outcome)) {
    throw new DomainError(
      'validation_failed',
      `the findings allow ${allowed.join(' or ')}, not ${draft.outcome}`,
      { allowed: allowed.join(',') },
    );
  }
  return trx
    .insertInto('exemption_draft')
    .values({
      investigation_id: investigationId,
      supersedes_id: draft.supersedesDecisionId ?? null,
      outcome: draft.outcome,
      reasons: draft.reasons,
      prepared_by: context.actorUserId,
      prepared_at: context.at,
    })
    .returning(DRAFT_COLUMNS)
    .executeTakeFirstOrThrow();
}

async function lockDraft(trx: Tx, draftId: string): Promise<Draft> {
  const draft = await trx
    .selectFrom('exemption_draft')
    .select(DRAFT_COLUMNS)
    .where('id', '=', draftId)
    .forNoKeyUpdate()
    .executeTakeFirst();
  if (!draft) throw new DomainError('not_found', `draft ${draftId} does not exist`);
  if (draft.state !== 'awaiting_leader') {
    throw new DomainError(
      'illegal_transition',
      `draft ${draftId} is ${draft.state}, not awaiting the leader`,
    );
  }
  return draft;
}

/** The leader's check: a group leader, and not the one who prepared the draft. */
async function requireDecider(trx: Tx, draft: Draft, actorUserId: string): Promise<void> {
  const member = await requireMember(trx, actorUserId);
  if (!member.isLeader) {
    throw new DomainError('separation_of_duties', "the group's leader decides; members prepare");
  }
  if (draft.preparedBy === actorUserId) {
    throw new DomainError(
      'separation_of_duties',
      'you prepared this draft: another user, the group leader, decides it',
    );
  }
}

/**
 * Decides a draft as prepared. The findings are copied into the decision as they stand, so
 * it says forever what it was decided on.
 */
export async function decide(trx: Tx, draftId: string, context: Context): Promise<Decision> {
  const draft = await lockDraft(trx, draftId);
  await requireDecider(trx, draft, context.actorUserId);
  await lockInvestigation(trx, draft.investigationId);
  const proposal = await proposalFor(trx, draft.investigationId);
  if (!proposal.allowed.includes(draft.outcome)) {
    throw new DomainError(
      'conflict',
      `the findings changed since the draft: they allow ${proposal.allowed.join(' or ')} now`,
    );
  }
  const current = await latestDecision(trx, draft.investigationId);
  if ((current?.id ?? null) !== draft.supersedesId) {
    throw new DomainError('conflict', 'another decision was taken since this draft was prepared');
  }
  const decision = await trx
    .insertInto('exemption_decision')
    .values({
      investigation_id: draft.investigationId,
      version: (current?.version ?? 0) + 1,
      supersedes_id: draft.supersedesId,
      outcome: draft.outcome,
      proposed_outcome: proposal.proposed,
      reasons: draft.reasons,
      findings: JSON.stringify(proposal.conditions),
      prepared_by: draft.preparedBy,
      prepared_at: draft.preparedAt,
      decided_by: context.actorUserId,
      decided_at: context.at,
    })
    .returning(DECISION_COLUMNS)
    .executeTakeFirstOrThrow();
  await trx
    .updateTable('exemption_draft')
    .set({ state: 'decided', closed_at: context.at })
    .where('id', '=', draftId)
    .execute();
  // The first decision keeps its date: the deadline asks when the case was first decided.
  await trx
    .updateTable('investigation')
    .set({ status: 'decided', decided_at: current ? undefined : context.at })
    .where('id', '=', draft.investigationId)
    .execute();
  return decision;
}

/** The leader sends a draft back; the group prepares another. */
export async function sendBack(trx: Tx, draftId: string, context: Context): Promise<Draft> {
  const draft = await lockDraft(trx, draftId);
  await requireDecider(trx, draft, context.actorUserId);
  return trx
    .updateTable('exemption_draft')
    .set({ state: 'sent_back', closed_at: context.at })
    .where('id', '=', draftId)
    .returning(DRAFT_COLUMNS)
    .executeTakeFirstOrThrow();
}
