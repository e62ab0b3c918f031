/**
 * @module One loss event, one cap. The same flood reported three times would otherwise draw
 * three per-incident caps. A new incident on the same risk point within a few days of
 * another, at a similar place, is flagged as a possible duplicate (possible-duplicates.ts);
 * approving a claim on either waits until a handler links them as one event or records why
 * they are separate.
 *
 * Linking moves the joining report's event onto the other's cap in the ledger: what is
 * left of its own cap is retired, and what it (and any report already linked to it) holds
 * or has consumed is charged to the event's cap — refused when the two together hold more
 * than one cap. From then on its claims draw on the event's accounts. Links and reasons
 * are kept, append-only.
 */

import type { Selectable } from 'kysely';
import { sql } from 'kysely';
import type { DB } from '../db/database.ts';
import type { Database } from '../db/schema.ts';
import type { Tx } from '../db/transaction.ts';
import { DomainError } from '../domain-error.ts';
import { accountBalances } from '../ledger/balances.ts';
import { formatAmount, Money, sumAmounts, ZERO } from '../ledger/money.ts';
import { recordCommandsInTransaction } from '../ledger/record.ts';
import { incidentAccountCodes } from '../policy/incident-accounts.ts';

const MAX_EVENT_MEMBERS = 500;

export interface IncidentLink {
  readonly id: string;
  readonly incidentId: string;
  readonly otherIncidentId: string;
  readonly sameEvent: boolean;
  readonly reason: string;
  readonly decidedBy: string;
  readonly decidedAt: string;
}

/** Flagged pairs involving this incident that nobody has linked or separated yet. */
export async function unresolvedDuplicates(db: DB | Tx, incidentId: string): Promise<string[]> {
  const rows = await sql<{ other: string }>`
    WITH flagged AS (
      SELECT (d ->> 'incidentId')::uuid AS other
      FROM incident, jsonb_array_elements(possible_duplicate_of) d
      WHERE id = ${incidentId}
      UNION
      SELECT id AS other FROM incident
      WHERE possible_duplicate_of @> ${JSON.stringify([{ incidentId }])}::jsonb
    )
    SELECT f.other::text AS other FROM flagged f
    JOIN incident me ON me.id = ${incidentId}
    JOIN incident o ON o.id = f.other
    -- Reports already in one event (linked through a third) need no answer between them.
    WHERE coalesce(o.event_incident_id, o.id) <> coalesce(me.event_incident_id, me.id)
    AND NOT EXISTS (
      SELECT 1 FROM incident_link l
      WHERE (l.incident_id = ${incidentId} AND l.other_incident_id = f.other)
         OR (l.other_incident_id = ${incidentId} AND l.incident_id = f.other)
    )
    ORDER BY 1
    LIMIT 100
  `.execute(db);
  return rows.rows.map((r) => r.other);
}

export async function incidentLinks(db: DB | Tx, incidentId: string): Promise<IncidentLink[]> {
  const rows = await db
    .selectFrom('incident_link')
    .selectAll()
    .where((eb) =>
      eb.or([eb('incident_id', '=', incidentId), eb('other_incident_id', '=', incidentId)]),
    )
    .orderBy('decided_at')
    .limit(200)
    .execute();
  return rows.map(toIncidentLink);
}

function toIncidentLink(row: Selectable<Database['incident_link']>): IncidentLink {
  return {
    id: row.id,
    incidentId: row.incident_id,
    otherIncidentId: row.other_incident_id,
    sameEvent: row.same_event,
    reason: row.reason,
    decidedBy: row.decided_by,
    decidedAt: row.decided_at.toISOString(),
  };
}

interface LockedIncident {
  id: string;
  pool_id: string;
  covered: boolean;
  event_incident_id: string | null;
}

async function lockIncidents(trx: Tx, ids: readonly string[]): Promise<LockedIncident[]> {
  // Always in id order, so two handlers linking the same pair cannot deadlock.
  const rows = await trx
    .selectFrom('incident')
    .select(['id', 'pool_id', 'covered', 'event_incident_id'])
    .where('id', 'in', [...ids])
    .orderBy('id')
    .forNoKeyUpdate()
    .execute();
  for (const id of ids)
    if (!rows.some((r) => r.id === id))
      throw new DomainError('not_found', `incident ${id} does not exist`);
  return rows;
}

async function lockPair(trx: Tx, incidentId: string, otherIncidentId: string) {
  const locked = await lockIncidents(trx, [incidentId, otherIncidentId]);
  const joining = locked.find((r) => r.id === incidentId);
  const other = locked.find((r) => r.id === otherIncidentId);
  if (!joining || !other) throw new Error('locked incidents went missing');
  return { joining, other, members: [] };
}

/**
 * Locks what a join changes in the order a decision locks it — a report before its event's
 * root: the joining event's reports and the other incident when it is not a root (id order),
 * then both roots. The reports and roots are read first without locks; if a join elsewhere
 * moved them in between, the link is refused, to be sent again.
 */
async function lockForJoin(trx: Tx, incidentId: string, otherIncidentId: string) {
  const eventsOf = async () => {
    const pair = await trx
      .selectFrom('incident')
      .select(['id', 'event_incident_id'])
      .where('id', 'in', [incidentId, otherIncidentId])
      .execute();
    const rootOf = (id: string) => {
      const row = pair.find((r) => r.id === id);
      if (!row) throw new DomainError('not_found', `incident ${id} does not exist`);
      return row.event_incident_id ?? row.id;
    };
    const joiningRoot = rootOf(incidentId);
    const otherRoot = rootOf(otherIncidentId);
    const reports = await trx
      .selectFrom('incident')
      .select('id')
      .where('event_incident_id', '=', joiningRoot)
      .orderBy('id')
      .limit(MAX_EVENT_MEMBERS)
      .execute();
    if (reports.length >= MAX_EVENT_MEMBERS) {
      throw new DomainError(
        'validation_failed',
        `the event of incident ${incidentId} has ${MAX_EVENT_MEMBERS} or more reports: link them in smaller events`,
      );
    }
    return { joiningRoot, otherRoot, reports: reports.map((r) => r.id) };
  };
  const seen = await eventsOf();
  const nonRoots = new Set(seen.reports);
  if (otherIncidentId !== seen.otherRoot) nonRoots.add(otherIncidentId);
  const locked = [
    ...(nonRoots.size > 0 ? await lockIncidents(trx, [...nonRoots]) : []),
    ...(await lockIncidents(trx, [...new Set([seen.joiningRoot, seen.otherRoot])])),
  ];
  const now = await eventsOf();
  if (
    now.joiningRoot !== seen.joiningRoot ||
    now.otherRoot !== seen.otherRoot ||
    now.reports.join() !== seen.reports.join()
  ) {
    throw new DomainError(
      'conflict',
      'the incidents joined or left other events while this link was made: send it again',
    );
  }
  const joining = locked.find((r) => r.id === incidentId);
  const other = locked.find((r) => r.id === otherIncidentId);
  if (!joining || !other) throw new Error('locked incidents went missing');
  return { joining, other, members: [seen.joiningRoot, ...seen.reports] };
}

/**
 * Records the handler's answer to a possible duplicate: one event (the incident joins the
 * other's event and its cap) or separate, with the reason.
 */
export async function resolvePossibleDuplicate(
  trx: Tx,
  input: { incidentId: string; otherIncidentId: string; sameEvent: boolean; reason: string },
  actorId: string,
): Promise<IncidentLink> {
  if (input.incidentId === input.otherIncidentId)
    throw new DomainError('validation_failed', 'an incident cannot be linked to itself');
  if (input.reason.trim() === '')
    throw new DomainError('validation_failed', 'say why: a link or a separation needs a reason');
  const { joining, other, members } = input.sameEvent
    ? await lockForJoin(trx, input.incidentId, input.otherIncidentId)
    : await lockPair(trx, input.incidentId, input.otherIncidentId);
  const existing = await trx
    .selectFrom('incident_link')
    .select('same_event')
    .where((eb) =>
      eb.or([
        eb.and([eb('incident_id', '=', joining.id), eb('other_incident_id', '=', other.id)]),
        eb.and([eb('incident_id', '=', other.id), eb('other_incident_id', '=', joining.id)]),
      ]),
    )
    .executeTakeFirst();
  if (existing) {
    throw new DomainError(
      'conflict',
      `incidents ${joining.id} and ${other.id} were already ${existing.same_event ? 'linked as one event' : 'recorded as separate'}`,
    );
  }
  if (input.sameEvent) await joinEvent(trx, joining, other, members);
  const row = await trx
    .insertInto('incident_link')
    .values({
      incident_id: joining.id,
      other_incident_id: other.id,
      same_event: input.sameEvent,
      reason: input.reason,
      decided_by: actorId,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toIncidentLink(row);
}

async function joinEvent(
  trx: Tx,
  joining: LockedIncident,
  other: LockedIncident,
  /** Every report of the joining event, its root included, all locked. */
  members: readonly string[],
): Promise<void> {
  if (joining.pool_id !== other.pool_id)
    throw new DomainError('validation_failed', 'incidents of different pools are never one event');
  if (!joining.covered || !other.covered) {
    throw new DomainError(
      'validation_failed',
      'only covered incidents share a cap; an incident that is not covered has none to share',
    );
  }
  const eventId = other.event_incident_id ?? other.id;
  const joiningEventId = joining.event_incident_id ?? joining.id;
  if (eventId === joiningEventId)
    throw new DomainError('conflict', 'the two incidents are already one loss event');
  const codes = members.map((id) => incidentAccountCodes(id));
  const retiring = incidentAccountCodes(joiningEventId);
  const event = incidentAccountCodes(eventId);
  const balances = await accountBalances(trx, [
    ...codes.flatMap((c) => [c.available, c.consumed]),
    event.available,
  ]);
  const held = sumAmounts(
    codes.flatMap((c) => [
      new Money(balances.get(c.available)?.heldAgainst ?? '0'),
      new Money(balances.get(c.consumed)?.balance ?? '0'),
    ]),
  );
  const eventLeft = new Money(balances.get(event.available)?.availableBalance ?? '0');
  if (held.gt(eventLeft)) {
    throw new DomainError(
      'limit_exceeded',
      `as one event the reports would hold ${formatAmount(held)} more than the event's cap has left (${formatAmount(eventLeft)}): one loss event has one per-incident cap`,
      { cap: 'per_incident_cap', held: formatAmount(held), left: formatAmount(eventLeft) },
    );
  }
  const retiredLeft = new Money(balances.get(retiring.available)?.availableBalance ?? '0');
  // The retirement and the charge in one ledger write: one turn at the chain head.
  await recordCommandsInTransaction(trx, [
    ...(retiredLeft.gt(ZERO)
      ? [
          {
            type: 'transfer' as const,
            idempotencyKey: `incident:${joiningEventId}:joins:${eventId}:retire`,
            description: `per-incident cap of incident ${joiningEventId} retired: it joins the loss event of ${eventId}`,
            references: { poolId: joining.pool_id, incidentId: joiningEventId },
            postings: [
              { accountCode: retiring.limit, direction: 'debit' as const, amount: retiredLeft },
              {
                accountCode: retiring.available,
                direction: 'credit' as const,
                amount: retiredLeft,
              },
            ],
          },
        ]
      : []),
    ...(held.gt(ZERO)
      ? [
          {
            type: 'transfer' as const,
            idempotencyKey: `incident:${joiningEventId}:joins:${eventId}:charge`,
            description: `what incident ${joiningEventId} holds, charged to the cap of its loss event ${eventId}`,
            references: { poolId: joining.pool_id, incidentId: eventId },
            postings: [
              { accountCode: event.limit, direction: 'debit' as const, amount: held },
              { accountCode: event.available, direction: 'credit' as const, amount: held },
            ],
          },
        ]
      : []),
  ]);
  await trx
    .updateTable('incident')
    .set({ event_incident_id: eventId })
    .where((eb) =>
      eb.or([eb('id', '=', joiningEventId), eb('event_incident_id', '=', joiningEventId)]),
    )
    .execute();
}
