/**
 * @module What a released coverage hold gives back when its incident has since joined a loss
 * event: the join charged the hold to the event's cap and retired the incident's own.
 */
import type { Tx } from '../db/transaction.ts';
import { Money } from '../ledger/money.ts';
import type { LedgerCommand } from '../ledger/types.ts';
import { incidentAccountCodes } from '../policy/incident-accounts.ts';

/**
 * Voiding a coverage hold gives its amount back to the cap it was made on. A hold made on
 * an incident's own cap before the incident joined a loss event was charged to the event's
 * cap at the join, and the own cap retired: the commands returned here retire the amount
 * given back again and undo its charge on the event's cap, so the event's remaining
 * coverage stays true. Record them in the same ledger write as the void.
 */
export async function eventCapReturns(
  trx: Tx,
  holdEntryIds: readonly number[],
  options: {
    /**
     * The caller holds the claim's incident and its event's root (as a decision does): a
     * join that could move the holds' incidents locks that incident too, so it waits for
     * the caller, and the share locks below — which would come after the root — are skipped.
     */
    readonly eventHeld?: boolean;
  } = {},
): Promise<LedgerCommand[]> {
  if (holdEntryIds.length === 0) return [];
  const holds = await trx
    .selectFrom('journal_entry')
    .select('incident_id')
    .where('id', 'in', [...holdEntryIds])
    .execute();
  const incidentIds = [...new Set(holds.flatMap((h) => (h.incident_id ? [h.incident_id] : [])))];
  if (incidentIds.length === 0) return [];
  // The incidents' event is read under a share lock: a join under way decides it first.
  if (!options.eventHeld)
    await trx
      .selectFrom('incident')
      .select('id')
      .where('id', 'in', incidentIds)
      .orderBy('id')
      .forShare()
      .execute();
  const postings = await trx
    .selectFrom('journal_entry')
    .innerJoin('incident', 'incident.id', 'journal_entry.incident_id')
    .innerJoin('posting', 'posting.entry_id', 'journal_entry.id')
    .innerJoin('ledger_account', 'ledger_account.id', 'posting.account_id')
    .select([
      'journal_entry.id as entryId',
      'journal_entry.pool_id as poolId',
      'incident.id as incidentId',
      'incident.event_incident_id as eventId',
      'ledger_account.code',
      'posting.amount',
    ])
    .where('journal_entry.id', 'in', [...holdEntryIds])
    .where('incident.event_incident_id', 'is not', null)
    .execute();
  return postings.flatMap((posting): LedgerCommand[] => {
    const own = incidentAccountCodes(posting.incidentId);
    if (posting.code !== own.available || posting.eventId === null) return [];
    const event = incidentAccountCodes(posting.eventId);
    const amount = new Money(posting.amount);
    const references = {
      poolId: posting.poolId,
      incidentId: posting.eventId,
    };
    return [
      {
        type: 'transfer',
        idempotencyKey: `hold:${posting.entryId}:released:retire`,
        description: `coverage released from hold ${posting.entryId} retired again: incident ${posting.incidentId} draws on the cap of its loss event ${posting.eventId}`,
        references: { ...references, incidentId: posting.incidentId },
        postings: [
          { accountCode: own.limit, direction: 'debit', amount },
          { accountCode: own.available, direction: 'credit', amount },
        ],
      },
      {
        type: 'transfer',
        idempotencyKey: `hold:${posting.entryId}:released:event-cap`,
        description: `hold ${posting.entryId}, charged to the loss event's cap when incident ${posting.incidentId} joined it, released: the charge is undone`,
        references,
        postings: [
          { accountCode: event.available, direction: 'debit', amount },
          { accountCode: event.limit, direction: 'credit', amount },
        ],
      },
    ];
  });
}
