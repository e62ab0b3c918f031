/**
 * @module Documents behind a claim line: uploaded (bounded size, kept in the database), the
 * SHA-256 computed here from the bytes and written into the claim's history, so evidence is
 * what the service saw rather than what a client typed. A handler may waive a requirement
 * the terms list for the line's category, with a reason; both are kept, append-only.
 */
import { createHash } from 'node:crypto';
import type { DB } from '../db/database.ts';
import type { Tx } from '../db/transaction.ts';
import { DomainError } from '../domain-error.ts';
import type { CostCategory } from '../policy/pool-accounts.ts';
import { type DocumentKind, missingRequirements } from '../policy/required-documents.ts';
import { requiredDocumentsOf, termsInForce } from '../policy/terms.ts';
import { lockClaim, recordEvent } from './claims.ts';

/** 2 MiB: a scanned ruling or invoice; larger files belong in the insurer's archive. */
export const MAX_DOCUMENT_BYTES = 2 * 1024 * 1024;

/** A line holds at most this many uploads. */
const MAX_DOCUMENTS_PER_LINE = 50;

export interface NewDocument {
  readonly kind: DocumentKind;
  readonly title: string;
  readonly documentNumber: string;
  readonly mediaType: string;
  readonly content: Uint8Array;
}

export interface ClaimDocument {
  readonly id: string;
  readonly claimId: string;
  readonly claimLineId: string;
  readonly kind: DocumentKind;
  readonly title: string;
  readonly documentNumber: string;
  readonly mediaType: string;
  readonly sizeBytes: number;
  readonly sha256: string;
  readonly uploadedBy: string;
  readonly uploadedAt: string;
}

export interface DocumentWaiver {
  readonly claimLineId: string;
  readonly requirement: string;
  readonly reason: string;
  readonly waivedBy: string;
  readonly waivedAt: string;
}

async function lineOfClaim(trx: Tx, claimId: string, lineId: string) {
  const line = await trx
    .selectFrom('claim_line')
    .select(['id', 'line_no', 'category'])
    .where('id', '=', lineId)
    .where('claim_id', '=', claimId)
    .executeTakeFirst();
  if (!line) throw new DomainError('not_found', `claim ${claimId} has no line ${lineId}`);
  return line;
}

const OPEN_FOR_DOCUMENTS = ['submitted', 'under_review', 'reopened'];

/** Locks the claim, refusing one past the stages where its documents may change. */
async function lockOpenForDocuments(trx: Tx, claimId: string, what: string) {
  const claim = await lockClaim(trx, claimId);
  if (!OPEN_FOR_DOCUMENTS.includes(claim.status)) {
    throw new DomainError(
      'illegal_transition',
      `${what} a claim that is ${OPEN_FOR_DOCUMENTS.join(', ')}; this one is ${claim.status}`,
    );
  }
  return claim;
}

export async function attachDocument(
  trx: Tx,
  claimId: string,
  lineId: string,
  document: NewDocument,
  actorId: string,
): Promise<ClaimDocument> {
  const claim = await lockOpenForDocuments(trx, claimId, 'documents can be attached to');
  const line = await lineOfClaim(trx, claimId, lineId);
  if (document.content.byteLength === 0 || document.content.byteLength > MAX_DOCUMENT_BYTES) {
    throw new DomainError(
      'validation_failed',
      `a document is 1 to ${MAX_DOCUMENT_BYTES} bytes; this one is ${document.content.byteLength}`,
    );
  }
  const count = await trx
    .selectFrom('claim_document')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('claim_line_id', '=', lineId)
    .executeTakeFirstOrThrow();
  if (Number(count.n) >= MAX_DOCUMENTS_PER_LINE)
    throw new DomainError(
      'limit_exceeded',
      `a line holds at most ${MAX_DOCUMENTS_PER_LINE} documents`,
    );
  const sha256 = createHash('sha256').update(document.content).digest('hex');
  const row = await trx
    .insertInto('claim_document')
    .values({
      claim_id: claimId,
      claim_line_id: lineId,
      kind: document.kind,
      title: document.title,
      document_number: document.documentNumber,
      media_type: document.mediaType,
      size_bytes: document.content.byteLength,
      sha256,
      content: Buffer.from(document.content),
      uploaded_by: actorId,
    })
    .returning(['id', 'uploaded_at'])
    .executeTakeFirstOrThrow();
  // The same file or document number on another claim is found by the duplicate check.
  await trx
    .insertInto('claim_evidence')
    .values({ claim_line_id: lineId, document_number: document.documentNumber, sha256 })
    .execute();
  await recordEvent(
    trx,
    claimId,
    claim.status,
    claim.status,
    'attach_document',
    `line ${line.line_no}: ${document.kind} "${document.title}" no. ${document.documentNumber}, ${document.content.byteLength} bytes, sha256 ${sha256}`,
    actorId,
  );
  return {
    id: row.id,
    claimId,
    claimLineId: lineId,
    kind: document.kind,
    title: document.title,
    documentNumber: document.documentNumber,
    mediaType: document.mediaType,
    sizeBytes: document.content.byteLength,
    sha256,
    uploadedBy: actorId,
    uploadedAt: row.uploaded_at.toISOString(),
  };
}

export async function waiveRequirement(
  trx: Tx,
  claimId: string,
  lineId: string,
  input: { requirement: string; reason: string },
  actorId: string,
): Promise<DocumentWaiver> {
  const claim = await lockOpenForDocuments(trx, claimId, 'requirements can be waived on');
  // Waiving a document takes a gate off the claim: not for the one who took the claim in,
  // as deciding and confirming are not.
  if (claim.submittedBy === actorId) {
    throw new DomainError(
      'separation_of_duties',
      'the insurer user who submitted a claim cannot waive its required documents',
      { rule: 'submitter_cannot_waive' },
    );
  }
  if (input.reason.trim() === '')
    throw new DomainError('validation_failed', 'a waiver needs a reason');
  const line = await lineOfClaim(trx, claimId, lineId);
  const requirements = await lineRequirements(trx, claim.incidentId, line.category as CostCategory);
  if (!requirements.some((r) => r.requirement === input.requirement)) {
    throw new DomainError(
      'validation_failed',
      `the terms ask no "${input.requirement}" of a ${line.category} line; they ask: ${requirements.map((r) => r.requirement).join(', ') || 'nothing'}`,
    );
  }
  const row = await trx
    .insertInto('claim_document_waiver')
    .values({
      claim_line_id: lineId,
      requirement: input.requirement,
      reason: input.reason,
      waived_by: actorId,
    })
    .onConflict((oc) => oc.columns(['claim_line_id', 'requirement']).doNothing())
    .returning('waived_at')
    .executeTakeFirst();
  if (!row)
    throw new DomainError(
      'conflict',
      `line ${line.line_no}: ${input.requirement} is already waived`,
    );
  await recordEvent(
    trx,
    claimId,
    claim.status,
    claim.status,
    'waive_document',
    `line ${line.line_no}: ${input.requirement} waived — ${input.reason}`,
    actorId,
  );
  return {
    claimLineId: lineId,
    requirement: input.requirement,
    reason: input.reason,
    waivedBy: actorId,
    waivedAt: row.waived_at.toISOString(),
  };
}

async function lineRequirements(db: DB | Tx, incidentId: string, category: CostCategory) {
  const incident = await db
    .selectFrom('incident')
    .select(['pool_id', 'occurred_on'])
    .where('id', '=', incidentId)
    .executeTakeFirstOrThrow();
  const terms = await termsInForce(db, incident.pool_id, incident.occurred_on);
  return requiredDocumentsOf(terms.categories.find((c) => c.category === category));
}

/** Per line: the document kinds attached and the requirements waived. */
export async function documentsByLine(
  db: DB | Tx,
  lineIds: readonly string[],
): Promise<Map<string, { attached: DocumentKind[]; waived: string[] }>> {
  const byLine = new Map(
    lineIds.map((id) => [id, { attached: [] as DocumentKind[], waived: [] as string[] }]),
  );
  if (lineIds.length === 0) return byLine;
  const documents = await db
    .selectFrom('claim_document')
    .select(['claim_line_id', 'kind'])
    .where('claim_line_id', 'in', [...lineIds])
    .execute();
  const waivers = await db
    .selectFrom('claim_document_waiver')
    .select(['claim_line_id', 'requirement'])
    .where('claim_line_id', 'in', [...lineIds])
    .execute();
  for (const d of documents) byLine.get(d.claim_line_id)?.attached.push(d.kind);
  for (const w of waivers) byLine.get(w.claim_line_id)?.waived.push(w.requirement);
  return byLine;
}

export interface LineDocuments {
  readonly claimLineId: string;
  readonly required: readonly string[];
  readonly missing: readonly string[];
  readonly documents: readonly ClaimDocument[];
  readonly waivers: readonly DocumentWaiver[];
}

/** What each line of a claim needs, has and lacks; for the handler's screen. */
export async function claimDocuments(db: DB | Tx, claimId: string): Promise<LineDocuments[]> {
  const claim = await db
    .selectFrom('claim')
    .select(['incident_id'])
    .where('id', '=', claimId)
    .executeTakeFirst();
  if (!claim) throw new DomainError('not_found', `claim ${claimId} does not exist`);
  const lines = await db
    .selectFrom('claim_line')
    .select(['id', 'category'])
    .where('claim_id', '=', claimId)
    .orderBy('line_no')
    .execute();
  const documents = await db
    .selectFrom('claim_document')
    .select([
      'id',
      'claim_line_id',
      'kind',
      'title',
      'document_number',
      'media_type',
      'size_bytes',
      'sha256',
      'uploaded_by',
      'uploaded_at',
    ])
    .where('claim_id', '=', claimId)
    .orderBy('uploaded_at')
    .execute();
  const waivers = await db
    .selectFrom('claim_document_waiver')
    .selectAll()
    .where(
      'claim_line_id',
      'in',
      lines.length ? lines.map((l) => l.id) : ['00000000-0000-0000-0000-000000000000'],
    )
    .orderBy('waived_at')
    .execute();
  const result: LineDocuments[] = [];
  for (const line of lines) {
    const requirements = await lineRequirements(
      db,
      claim.incident_id,
      line.category as CostCategory,
    );
    const own = documents.filter((d) => d.claim_line_id === line.id);
    const ownWaivers = waivers.filter((w) => w.claim_line_id === line.id);
    result.push({
      claimLineId: line.id,
      required: requirements.map((r) => r.requirement),
      missing: missingRequirements(
        requirements,
        own.map((d) => d.kind),
        ownWaivers.map((w) => w.requirement),
      ),
      documents: own.map((d) => ({
        id: d.id,
        claimId,
        claimLineId: d.claim_line_id,
        kind: d.kind,
        title: d.title,
        documentNumber: d.document_number,
        mediaType: d.media_type,
        sizeBytes: d.size_bytes,
        sha256: d.sha256,
        uploadedBy: d.uploaded_by,
        uploadedAt: d.uploaded_at.toISOString(),
      })),
      waivers: ownWaivers.map((w) => ({
        claimLineId: w.claim_line_id,
        requirement: w.requirement,
        reason: w.reason,
        waivedBy: w.waived_by,
        waivedAt: w.waived_at.toISOString(),
      })),
    });
  }
  return result;
}

/** The stored bytes of one document, for download. */
export async function documentContent(
  db: DB | Tx,
  claimId: string,
  documentId: string,
): Promise<{ mediaType: string; content: Uint8Array; sha256: string; title: string }> {
  const row = await db
    .selectFrom('claim_document')
    .select(['media_type', 'content', 'sha256', 'title'])
    .where('id', '=', documentId)
    .where('claim_id', '=', claimId)
    .executeTakeFirst();
  if (!row) throw new DomainError('not_found', `claim ${claimId} has no document ${documentId}`);
  return { mediaType: row.media_type, content: row.content, sha256: row.sha256, title: row.title };
}
