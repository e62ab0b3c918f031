/**
 * @module Incidents (事故): one loss event against one risk point. An incident dated after
 * today (Asia/Shanghai) is refused: it cannot have happened. One dated on or before its
 * risk point's registration day, or outside the policy period, is recorded but marked not
 * covered, with coded reasons. A covered incident gets its per-incident cap as ledger
 * accounts, from the terms in force on the day it occurred.
 */
import type { DB } from '../db/database.ts';
import type { PossibleDuplicateIncident } from '../db/schema.ts';
import type { Tx } from '../db/transaction.ts';
import { DomainError } from '../domain-error.ts';
import { openInvestigation } from '../exemption/investigations.ts';
import { openAccount } from '../ledger/accounts.ts';
import { accountBalances } from '../ledger/balances.ts';
import { formatAmount, Money } from '../ledger/money.ts';
import { recordCommandInTransaction } from '../ledger/record.ts';
import { incidentAccountCodes, incidentAccountSpecs } from '../policy/incident-accounts.ts';
import { type LocalDate, localDateOf, localDateText } from '../policy/local-date.ts';
import { lockPool } from '../policy/pools.ts';
import { termsInForce } from '../policy/terms.ts';
import { possibleDuplicates } from './possible-duplicates.ts';

export interface NewIncident {
  readonly pool: string;
  readonly riskPointId: string;
  readonly occurredOn: string;
  readonly description: string;
  readonly place: string;
  readonly reporter: string;
}

export interface Incident {
  readonly id: string;
  readonly poolId: string;
  readonly riskPointId: string;
  readonly occurredOn: string;
  readonly description: string;
  readonly place: string;
  readonly reporter: string;
  readonly covered: boolean;
  readonly notCoveredReasons: readonly NotCoveredReason[];
  readonly perIncidentCap: string;
  readonly reportedAt: string;
  /** Other reports that may be this loss event, flagged when it was reported. */
  readonly possibleDuplicateOf: readonly PossibleDuplicateIncident[];
  /** The incident whose per-incident cap this one shares as one loss event; null: its own. */
  readonly eventIncidentId: string | null;
}

export const NOT_COVERED_CODES = [
  'RISK_POINT_NOT_REGISTERED',
  'RISK_POINT_NOT_FILED_BEFORE_INCIDENT',
  'OUTSIDE_POLICY_PERIOD',
] as const;
export type NotCoveredCode = (typeof NOT_COVERED_CODES)[number];

/**
 * Why an incident is not covered, as findings are: a stable code (one of NOT_COVERED_CODES,
 * or UNCODED for a row written before reasons had codes) and a sentence.
 */
export interface NotCoveredReason {
  readonly code: string;
  readonly text: string;
}

/** Rows written before reasons had codes hold the sentence alone. */
function toReason(stored: NotCoveredReason | string): NotCoveredReason {
  return typeof stored === 'string' ? { code: 'UNCODED', text: stored } : stored;
}

type IncidentRow = {
  id: string;
  pool_id: string;
  risk_point_id: string;
  occurred_on: string;
  description: string;
  place: string;
  reporter: string;
  covered: boolean;
  not_covered_reasons: (NotCoveredReason | string)[];
  per_incident_cap: string;
  reported_at: Date;
  possible_duplicate_of: PossibleDuplicateIncident[];
  event_incident_id: string | null;
};

function toIncident(row: IncidentRow): Incident {
  return {
    id: row.id,
    poolId: row.pool_id,
    riskPointId: row.risk_point_id,
    occurredOn: row.occurred_on,
    description: row.description,
    place: row.place,
    reporter: row.reporter,
    covered: row.covered,
    notCoveredReasons: row.not_covered_reasons.map(toReason),
    perIncidentCap: row.per_incident_cap,
    reportedAt: row.reported_at.toISOString(),
    possibleDuplicateOf: row.possible_duplicate_of,
    eventIncidentId: row.event_incident_id,
  };
}

/** Why an incident is not covered; empty when it is. Pure: the facts decide. */
export function coverageGaps(facts: {
  riskPointRegisteredOn: string | null;
  occurredOn: string;
  periodStart: string;
  periodEnd: string;
}): NotCoveredReason[] {
  const gaps: { code: NotCoveredCode; text: string }[] = [];
  if (facts.riskPointRegisteredOn === null) {
    gaps.push({
      code: 'RISK_POINT_NOT_REGISTERED',
      text: 'the risk point was never registered (filed)',
    });
  } else if (facts.riskPointRegisteredOn >= facts.occurredOn) {
    gaps.push({
      code: 'RISK_POINT_NOT_FILED_BEFORE_INCIDENT',
      text: `the risk point was registered on ${facts.riskPointRegisteredOn}, not before the incident on ${facts.occurredOn}`,
    });
  }
  if (facts.occurredOn < facts.periodStart || facts.occurredOn > facts.periodEnd) {
    gaps.push({
      code: 'OUTSIDE_POLICY_PERIOD',
      text: `the incident on ${facts.occurredOn} is outside the policy period ${facts.periodStart} – ${facts.periodEnd}`,
    });
  }
  return gaps;
}

export async function reportIncident(
  trx: Tx,
  input: NewIncident,
  reportedBy: string,
  today: LocalDate = localDateOf(new Date()),
): Promise<Incident> {
  if (input.occurredOn > today) {
    throw new DomainError(
      'impossible_date',
      `an incident cannot have occurred on ${input.occurredOn}, after today (${today}, Asia/Shanghai)`,
      { occurredOn: input.occurredOn, today },
    );
  }
  const pool = await lockPool(trx, input.pool);
  const riskPoint = await trx
    .selectFrom('risk_point')
    .select(['id', localDateText<string | null>('registered_on').as('registered_on')])
    .where('id', '=', input.riskPointId)
    .executeTakeFirst();
  if (!riskPoint)
    throw new DomainError('not_found', `risk point ${input.riskPointId} does not exist`);
  const terms = await termsInForce(trx, pool.id, input.occurredOn);
  const gaps = coverageGaps({
    riskPointRegisteredOn: riskPoint.registered_on,
    occurredOn: input.occurredOn,
    periodStart: terms.periodStart,
    periodEnd: terms.periodEnd,
  });
  const sameRiskPoint = await trx
    .selectFrom('incident')
    .select(['id', 'occurred_on', 'place'])
    .where('risk_point_id', '=', riskPoint.id)
    .orderBy('reported_at', 'desc')
    .limit(200)
    .execute();
  const duplicates = possibleDuplicates(
    { occurredOn: input.occurredOn, place: input.place },
    sameRiskPoint.map((r) => ({ incidentId: r.id, occurredOn: r.occurred_on, place: r.place })),
  );
  const row = await trx
    .insertInto('incident')
    .values({
      pool_id: pool.id,
      risk_point_id: riskPoint.id,
      occurred_on: input.occurredOn,
      description: input.description,
      place: input.place,
      reporter: input.reporter,
      covered: gaps.length === 0,
      not_covered_reasons: JSON.stringify(gaps),
      per_incident_cap: formatAmount(terms.perIncidentCap),
      reported_by: reportedBy,
      possible_duplicate_of: JSON.stringify(duplicates),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  // Nobody applies for it (免申请): the error-tolerance case opens with the incident.
  await openInvestigation(
    trx,
    { id: row.id, poolId: pool.id, riskPointId: riskPoint.id, occurredOn: input.occurredOn },
    row.reported_at,
  );
  if (row.covered) {
    for (const spec of incidentAccountSpecs(row.id)) await openAccount(trx, spec);
    const codes = incidentAccountCodes(row.id);
    await recordCommandInTransaction(trx, {
      type: 'transfer',
      idempotencyKey: `incident:${row.id}:open`,
      description: `per-incident cap for incident ${row.id}`,
      references: { poolId: pool.id, incidentId: row.id },
      postings: [
        { accountCode: codes.available, direction: 'debit', amount: terms.perIncidentCap },
        { accountCode: codes.limit, direction: 'credit', amount: terms.perIncidentCap },
      ],
    });
  }
  return toIncident(row);
}

export async function getIncident(db: DB | Tx, incidentId: string): Promise<Incident> {
  const row = await db
    .selectFrom('incident')
    .selectAll()
    .where('id', '=', incidentId)
    .executeTakeFirst();
  if (!row) throw new DomainError('not_found', `incident ${incidentId} does not exist`);
  return toIncident(row);
}

export async function lockIncident(trx: Tx, incidentId: string): Promise<Incident> {
  const row = await trx
    .selectFrom('incident')
    .selectAll()
    .where('id', '=', incidentId)
    .forNoKeyUpdate()
    .executeTakeFirst();
  if (!row) throw new DomainError('not_found', `incident ${incidentId} does not exist`);
  return toIncident(row);
}

export interface IncidentCoverage {
  readonly incidentId: string;
  readonly cap: string;
  readonly reserved: string;
  readonly consumed: string;
  /** cap − reserved − consumed: what the incident's claims can still draw. */
  readonly remaining: string;
}

/**
 * What is left of the incident's per-incident cap. Reports linked as one loss event share
 * the cap of the event's first incident: reserved and consumed are summed over every
 * report's own accounts (what each held before the link, and the event's since), and
 * what remains is what the event's accounts have left.
 */
export async function incidentCoverage(
  db: DB | Tx,
  incident: Incident,
  asOf?: Date,
): Promise<IncidentCoverage> {
  if (!incident.covered) {
    return {
      incidentId: incident.id,
      cap: '0.00',
      reserved: '0.00',
      consumed: '0.00',
      remaining: '0.00',
    };
  }
  const eventId = incident.eventIncidentId ?? incident.id;
  const members = await db
    .selectFrom('incident')
    .select(['id', 'per_incident_cap'])
    .where((eb) => eb.or([eb('id', '=', eventId), eb('event_incident_id', '=', eventId)]))
    .where('covered', '=', true)
    .limit(500)
    .execute();
  const codes = members.map((m) => incidentAccountCodes(m.id));
  const balances = await accountBalances(
    db,
    codes.flatMap((c) => [c.available, c.consumed]),
    asOf,
  );
  let reserved = new Money(0);
  let consumed = new Money(0);
  for (const code of codes) {
    const available = balances.get(code.available);
    const used = balances.get(code.consumed);
    if (!available || !used) throw new Error(`incident ${code.available} is missing its accounts`);
    reserved = reserved.plus(new Money(available.heldAgainst));
    consumed = consumed.plus(new Money(used.balance));
  }
  const event = balances.get(incidentAccountCodes(eventId).available);
  const eventRow = members.find((m) => m.id === eventId);
  if (!event || !eventRow) throw new Error(`incident ${eventId} is missing its ledger accounts`);
  return {
    incidentId: incident.id,
    cap: formatAmount(new Money(eventRow.per_incident_cap)),
    reserved: formatAmount(reserved),
    consumed: formatAmount(consumed),
    remaining: event.availableBalance,
  };
}
