import { anyText } from '../db/arrays.ts';
import type { DB } from '../db/database.ts';
import type { ClaimStatus, DuplicateRow, EvidenceRow } from '../db/schema.ts';
import type { Tx } from '../db/transaction.ts';
import { DomainError } from '../domain-error.ts';
import { formatAmount, type Money, sumAmounts } from '../ledger/money.ts';
import { COST_CATEGORIES, type CostCategory } from '../policy/pool-accounts.ts';
import { getIncident } from './incidents.ts';
import { assertTransition, type ClaimAction } from './lifecycle.ts';
import { releaseReserve, setInitialReserve } from './reserves.ts';

export const MAX_LINES_PER_CLAIM = 50;

export interface NewClaimLine {
  readonly category: CostCategory;
  readonly amountClaimed: Money;
  readonly payee: string;
  readonly description: string;
  readonly evidence: readonly EvidenceRow[];
}

export interface ClaimLine {
  readonly id: string;
  readonly lineNo: number;
  readonly category: CostCategory;
  readonly amountClaimed: string;
  readonly payee: string;
  readonly description: string;
  readonly evidence: readonly EvidenceRow[];
  readonly possibleDuplicateOf: readonly DuplicateRow[];
}

export interface Claim {
  readonly id: string;
  readonly incidentId: string;
  readonly status: ClaimStatus;
  readonly claimant: string;
  readonly submittedAt: string;
  readonly statusChangedAt: string;
  readonly lines: readonly ClaimLine[];
}

export async function submitClaim(
  trx: Tx,
  input: {
    incidentId: string;
    claimant: string;
    lines: readonly NewClaimLine[];
    /** The handler's first estimate; what is claimed when not given. */
    initialReserve?: Money;
    reserveReason?: string;
  },
  submittedBy: string,
): Promise<Claim> {
  await getIncident(trx, input.incidentId);
  const row = await trx
    .insertInto('claim')
    .values({
      incident_id: input.incidentId,
      status: 'submitted',
      claimant: input.claimant,
      submitted_by: submittedBy,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await insertLines(trx, row.id, input.lines, 1);
  await recordEvent(trx, row.id, null, 'submitted', 'submit', '', submittedBy);
  const claimed = sumAmounts(input.lines.map((l) => l.amountClaimed));
  await setInitialReserve(
    trx,
    row.id,
    input.initialReserve ?? claimed,
    input.reserveReason?.trim() ||
      (input.initialReserve ? 'initial case reserve' : 'initial case reserve: the amount claimed'),
    submittedBy,
  );
  return getClaim(trx, row.id);
}

/** Late costs (a final lawyer's invoice) on a reopened claim; the handler sets their reserve. */
export async function addClaimLines(
  trx: Tx,
  claimId: string,
  lines: readonly NewClaimLine[],
  actorId: string,
): Promise<Claim> {
  const claim = await lockClaim(trx, claimId);
  if (claim.status !== 'reopened') {
    throw new DomainError(
      'illegal_transition',
      `lines can be added only to a reopened claim; this one is ${claim.status}`,
    );
  }
  const last = await trx
    .selectFrom('claim_line')
    .select((eb) => eb.fn.max('line_no').as('lastNo'))
    .where('claim_id', '=', claimId)
    .executeTakeFirst();
  await insertLines(trx, claimId, lines, (last?.lastNo ?? 0) + 1);
  await recordEvent(
    trx,
    claimId,
    claim.status,
    claim.status,
    'add_lines',
    `${lines.length} line(s) added`,
    actorId,
  );
  return getClaim(trx, claimId);
}

async function insertLines(
  trx: Tx,
  claimId: string,
  lines: readonly NewClaimLine[],
  firstLineNo: number,
): Promise<void> {
  if (lines.length === 0 || lines.length > MAX_LINES_PER_CLAIM) {
    throw new DomainError('validation_failed', `a claim has 1 to ${MAX_LINES_PER_CLAIM} lines`);
  }
  for (const [index, line] of lines.entries()) {
    if (!COST_CATEGORIES.includes(line.category))
      throw new DomainError('validation_failed', `unknown category ${line.category}`);
    const duplicates = await findDuplicates(trx, line.evidence);
    const inserted = await trx
      .insertInto('claim_line')
      .values({
        claim_id: claimId,
        line_no: firstLineNo + index,
        category: line.category,
        amount_claimed: formatAmount(line.amountClaimed),
        payee: line.payee,
        description: line.description,
        evidence: JSON.stringify(line.evidence),
        possible_duplicate_of: JSON.stringify(duplicates),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    if (line.evidence.length > 0) {
      await trx
        .insertInto('claim_evidence')
        .values(
          line.evidence.map((e) => ({
            claim_line_id: inserted.id,
            document_number: e.documentNumber,
            sha256: e.sha256,
          })),
        )
        .execute();
    }
  }
}

async function findDuplicates(trx: Tx, evidence: readonly EvidenceRow[]): Promise<DuplicateRow[]> {
  if (evidence.length === 0) return [];
  const numbers = evidence.map((e) => e.documentNumber);
  const hashes = evidence.map((e) => e.sha256);
  const rows = await trx
    .selectFrom('claim_evidence')
    .innerJoin('claim_line', 'claim_line.id', 'claim_evidence.claim_line_id')
    .select([
      'claim_line.id as claimLineId',
      'claim_line.claim_id as claimId',
      'claim_evidence.document_number',
      'claim_evidence.sha256',
    ])
    .innerJoin('claim', 'claim.id', 'claim_line.claim_id')
    .where((eb) =>
      eb.or([
        eb('claim_evidence.document_number', '=', anyText(numbers)),
        eb('claim_evidence.sha256', '=', anyText(hashes)),
      ]),
    )
    // A withdrawn claim paid nothing: its invoice may be claimed again.
    .where('claim.status', '<>', 'withdrawn')
    .limit(50)
    .execute();
  return rows.map((row) =>
    numbers.includes(row.document_number)
      ? {
          claimLineId: row.claimLineId,
          claimId: row.claimId,
          matchedOn: 'document_number' as const,
          value: row.document_number,
        }
      : {
          claimLineId: row.claimLineId,
          claimId: row.claimId,
          matchedOn: 'sha256' as const,
          value: row.sha256,
        },
  );
}

export async function getClaim(db: DB | Tx, claimId: string): Promise<Claim> {
  const row = await db.selectFrom('claim').selectAll().where('id', '=', claimId).executeTakeFirst();
  if (!row) throw new DomainError('not_found', `claim ${claimId} does not exist`);
  const lines = await db
    .selectFrom('claim_line')
    .selectAll()
    .where('claim_id', '=', claimId)
    .orderBy('line_no')
    .execute();
  return {
    id: row.id,
    incidentId: row.incident_id,
    status: row.status,
    claimant: row.claimant,
    submittedAt: row.submitted_at.toISOString(),
    statusChangedAt: row.status_changed_at.toISOString(),
    lines: lines.map((line) => ({
      id: line.id,
      lineNo: line.line_no,
      category: line.category as CostCategory,
      amountClaimed: line.amount_claimed,
      payee: line.payee,
      description: line.description,
      evidence: line.evidence,
      possibleDuplicateOf: line.possible_duplicate_of,
    })),
  };
}

/** Locks the claim row: every change to one claim runs one at a time. */
export async function lockClaim(
  trx: Tx,
  claimId: string,
): Promise<{ id: string; incidentId: string; status: ClaimStatus; submittedBy: string }> {
  const row = await trx
    .selectFrom('claim')
    .select(['id', 'incident_id as incidentId', 'status', 'submitted_by as submittedBy'])
    .where('id', '=', claimId)
    .forNoKeyUpdate()
    .executeTakeFirst();
  if (!row) throw new DomainError('not_found', `claim ${claimId} does not exist`);
  return row;
}

export async function recordEvent(
  trx: Tx,
  claimId: string,
  from: ClaimStatus | null,
  to: ClaimStatus,
  action: string,
  note: string,
  actorId: string,
): Promise<void> {
  await trx
    .insertInto('claim_event')
    .values({
      claim_id: claimId,
      from_status: from,
      to_status: to,
      action,
      note,
      actor_user_id: actorId,
    })
    .execute();
}

/** Moves a locked claim along the life cycle and records who did it and why. */
export async function moveClaim(
  trx: Tx,
  claim: { id: string; status: ClaimStatus },
  action: ClaimAction,
  to: ClaimStatus,
  note: string,
  actorId: string,
): Promise<void> {
  assertTransition(action, claim.status, to);
  await trx
    .updateTable('claim')
    .set({ status: to, status_changed_at: new Date() })
    .where('id', '=', claim.id)
    .execute();
  await recordEvent(trx, claim.id, claim.status, to, action, note, actorId);
}

export async function changeClaimStatus(
  trx: Tx,
  claimId: string,
  action: 'start_review' | 'withdraw' | 'reopen',
  note: string,
  actorId: string,
): Promise<Claim> {
  const claim = await lockClaim(trx, claimId);
  const to: ClaimStatus =
    action === 'start_review' ? 'under_review' : action === 'withdraw' ? 'withdrawn' : 'reopened';
  if (action === 'reopen' && note.trim() === '')
    throw new DomainError('validation_failed', 'reopening needs a reason');
  await moveClaim(trx, claim, action, to, note, actorId);
  if (action === 'withdraw')
    await releaseReserve(trx, claimId, 'released: the claim was withdrawn', actorId);
  return getClaim(trx, claimId);
}

export async function claimEvents(db: DB | Tx, claimId: string) {
  return db
    .selectFrom('claim_event')
    .select([
      'from_status as from',
      'to_status as to',
      'action',
      'note',
      'actor_user_id as actorUserId',
      'recorded_at as recordedAt',
    ])
    .where('claim_id', '=', claimId)
    .orderBy('id')
    .execute();
}
