/**
 * @module Clarifications (澄清正名) for exempted officials: the scope (within the unit,
 * county-wide, public), the text and the publication date. Public ones are readable by
 * anyone, and show only what was published.
 */
import type { DB } from '../db/database.ts';
import type { ClarificationScope } from '../db/schema-exemption.ts';
import type { Tx } from '../db/transaction.ts';
import { DomainError } from '../domain-error.ts';
import { isLocalDate, type LocalDate, localDateOf, localDateText } from '../policy/local-date.ts';
import { latestDecision } from './decisions.ts';
import { investigationNotFound } from './investigations.ts';
import { requireMember } from './special-group.ts';

export interface NewClarification {
  readonly scope: ClarificationScope;
  readonly title: string;
  readonly text: string;
  readonly publishedOn: LocalDate;
}

export interface Clarification extends NewClarification {
  readonly id: string;
  readonly investigationId: string;
  readonly decisionId: string;
  readonly recordedAt: Date;
}

/** What anyone may read: the published words and date, nothing of the case behind them. */
export interface PublishedClarification {
  readonly id: string;
  readonly title: string;
  readonly text: string;
  readonly publishedOn: LocalDate;
}

const COLUMNS = [
  'id',
  'investigation_id as investigationId',
  'decision_id as decisionId',
  'scope',
  'title',
  'text',
  localDateText('published_on').as('publishedOn'),
  'recorded_at as recordedAt',
] as const;

export async function publishClarification(
  trx: Tx,
  investigationId: string,
  input: NewClarification,
  context: { readonly actorUserId: string; readonly at: Date; readonly today: LocalDate },
): Promise<Clarification> {
  const investigation = await trx
    .selectFrom('investigation')
    .select('id')
    .where('id', '=', investigationId)
    .forNoKeyUpdate()
    .executeTakeFirst();
  if (!investigation) throw investigationNotFound(investigationId);
  await requireMember(trx, context.actorUserId);
  const decision = await latestDecision(trx, investigationId);
  if (!decision || decision.outcome === 'not_exempt') {
    throw new DomainError(
      'illegal_transition',
      'a clarification is published for an exempted (or partly exempted) case only',
      { outcome: decision?.outcome ?? 'undecided' },
    );
  }
  if (!isLocalDate(input.publishedOn) || input.publishedOn > context.today) {
    throw new DomainError(
      'validation_failed',
      `publication date ${input.publishedOn} is not a past or present date`,
    );
  }
  const decidedOn = localDateOf(decision.decidedAt);
  if (input.publishedOn < decidedOn) {
    throw new DomainError(
      'validation_failed',
      `a clarification cannot be published before the decision of ${decidedOn}`,
    );
  }
  return trx
    .insertInto('clarification')
    .values({
      investigation_id: investigationId,
      decision_id: decision.id,
      scope: input.scope,
      title: input.title,
      text: input.text,
      published_on: input.publishedOn,
      recorded_at: context.at,
      recorded_by: context.actorUserId,
    })
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
}

export async function clarificationsOf(
  db: DB | Tx,
  investigationId: string,
): Promise<Clarification[]> {
  return db
    .selectFrom('clarification')
    .select(COLUMNS)
    .where('investigation_id', '=', investigationId)
    .orderBy('published_on')
    .limit(100)
    .execute();
}

/**
 * Public clarifications, newest first. One whose case was later revised to not exempt no
 * longer clears anyone, so it is no longer shown (the row stays, with the case).
 */
export async function publicClarifications(
  db: DB | Tx,
  limit: number,
): Promise<PublishedClarification[]> {
  return db
    .selectFrom('clarification')
    .select(['id', 'title', 'text', localDateText('published_on').as('publishedOn')])
    .where('scope', '=', 'public')
    .where((eb) =>
      eb(
        eb
          .selectFrom('exemption_decision')
          .select('outcome')
          .whereRef('exemption_decision.investigation_id', '=', 'clarification.investigation_id')
          .orderBy('version', 'desc')
          .limit(1),
        '<>',
        'not_exempt',
      ),
    )
    .orderBy('published_on', 'desc')
    .orderBy('id')
    .limit(limit)
    .execute();
}
