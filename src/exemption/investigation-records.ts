/**
 * @module What the special group records in an investigation, each under the case's row lock and
 * only by a member: the units and officials concerned, evidence (stored with its SHA-256, the same
 * document once per case) and attested findings, a list situation named as the list stood on the
 * incident date. Nothing recorded is ever changed.
 */
import type { ExemptionFindingCode, PartyKind } from '../db/schema-exemption.ts';
import type { Tx } from '../db/transaction.ts';
import { DomainError } from '../domain-error.ts';
import { endOfLocalDay } from '../policy/local-date.ts';
import { referenceItemsInForce } from '../policy/reference-lists.ts';
import { type CaseFinding, NEEDS_EVIDENCE } from './findings.ts';
import {
  EVIDENCE_COLUMNS,
  type Evidence,
  FINDING_COLUMNS,
  lockInvestigation,
  type Party,
} from './investigations.ts';
import { requireMember } from './special-group.ts';

interface Context {
  readonly actorUserId: string;
  readonly at: Date;
}

export const MAX_EVIDENCE_BYTES = 1_048_576;

export interface NewParty {
  readonly kind: PartyKind;
  readonly name: string;
  readonly unit?: string;
  readonly post?: string;
}

export async function addParty(
  trx: Tx,
  investigationId: string,
  party: NewParty,
  context: Context,
): Promise<Party> {
  await lockInvestigation(trx, investigationId);
  await requireMember(trx, context.actorUserId);
  if (party.kind === 'unit' && (party.unit !== undefined || party.post !== undefined)) {
    throw new DomainError('validation_failed', 'a unit concerned has a name only, no unit or post');
  }
  return trx
    .insertInto('investigation_party')
    .values({
      investigation_id: investigationId,
      kind: party.kind,
      name: party.name,
      unit: party.unit ?? null,
      post: party.post ?? null,
      recorded_at: context.at,
      recorded_by: context.actorUserId,
    })
    .returning(['id', 'kind', 'name', 'unit', 'post', 'recorded_at as recordedAt'])
    .executeTakeFirstOrThrow();
}

async function sha256Hex(content: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new Uint8Array(content));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

export interface NewEvidence {
  readonly title: string;
  readonly mediaType: string;
  readonly content: Uint8Array;
  /** When given, the SHA-256 the sender computed: a document damaged on the way is refused. */
  readonly sha256?: string;
}

export async function addEvidence(
  trx: Tx,
  investigationId: string,
  evidence: NewEvidence,
  context: Context,
): Promise<Evidence> {
  await lockInvestigation(trx, investigationId);
  await requireMember(trx, context.actorUserId);
  if (evidence.content.length === 0 || evidence.content.length > MAX_EVIDENCE_BYTES) {
    throw new DomainError(
      'validation_failed',
      `a document is 1 byte to ${MAX_EVIDENCE_BYTES} bytes, got ${evidence.content.length}`,
    );
  }
  const sha256 = await sha256Hex(evidence.content);
  if (evidence.sha256 !== undefined && evidence.sha256.toLowerCase() !== sha256) {
    throw new DomainError(
      'validation_failed',
      `the document's SHA-256 is ${sha256}, not the ${evidence.sha256} sent`,
    );
  }
  const existing = await trx
    .selectFrom('investigation_evidence')
    .select('id')
    .where('investigation_id', '=', investigationId)
    .where('sha256', '=', sha256)
    .executeTakeFirst();
  if (existing) {
    throw new DomainError(
      'conflict',
      `this document is already evidence ${existing.id} of the case`,
      {
        evidenceId: existing.id,
      },
    );
  }
  return trx
    .insertInto('investigation_evidence')
    .values({
      investigation_id: investigationId,
      title: evidence.title,
      media_type: evidence.mediaType,
      sha256,
      size_bytes: evidence.content.length,
      content: Buffer.from(evidence.content),
      recorded_at: context.at,
      recorded_by: context.actorUserId,
    })
    .returning(EVIDENCE_COLUMNS)
    .executeTakeFirstOrThrow();
}

export interface NewFinding {
  readonly code: Exclude<ExemptionFindingCode, 'FILED_BEFORE_INCIDENT'>;
  readonly met: boolean;
  readonly note: string;
  readonly evidenceIds?: readonly string[];
  /** POSITIVE_LIST_APPLIES met: the positive situation; NO_NEGATIVE_LIST_SITUATION not met: the negative one. */
  readonly listItemCode?: string;
}

/** Which list item a finding must name, if any. */
function listNamed(finding: NewFinding): 'positive' | 'negative' | null {
  if (finding.code === 'POSITIVE_LIST_APPLIES' && finding.met) return 'positive';
  if (finding.code === 'NO_NEGATIVE_LIST_SITUATION' && !finding.met) return 'negative';
  return null;
}

/**
 * Records one attested finding. Lists are read as in force on the incident date: the case
 * is judged by the rules that held when the loss happened. A finding after a decision
 * serves a revision; the decision keeps the findings it was taken on.
 */
export async function recordFinding(
  trx: Tx,
  investigationId: string,
  finding: NewFinding,
  context: Context,
): Promise<CaseFinding> {
  const investigation = await lockInvestigation(trx, investigationId);
  await requireMember(trx, context.actorUserId);
  const evidenceIds = [...new Set(finding.evidenceIds ?? [])];
  if (NEEDS_EVIDENCE.includes(finding.code) && finding.met && evidenceIds.length === 0) {
    throw new DomainError('validation_failed', `${finding.code} is found met only with evidence`);
  }
  if (evidenceIds.length > 0) {
    const known = await trx
      .selectFrom('investigation_evidence')
      .select('id')
      .where('investigation_id', '=', investigationId)
      .where('id', 'in', evidenceIds)
      .execute();
    if (known.length !== evidenceIds.length) {
      throw new DomainError(
        'validation_failed',
        'a finding cites evidence that is not in this case',
      );
    }
  }
  const list = listNamed(finding);
  let item: { code: string; version: number } | null = null;
  if (list !== null) {
    if (!finding.listItemCode) {
      throw new DomainError(
        'validation_failed',
        `${finding.code} names the ${list}-list situation`,
      );
    }
    const inForce = await referenceItemsInForce(trx, {
      list,
      before: endOfLocalDay(investigation.occurredOn),
    });
    item = inForce.find((candidate) => candidate.code === finding.listItemCode) ?? null;
    if (!item) {
      throw new DomainError(
        'validation_failed',
        `the ${list} list had no item "${finding.listItemCode}" in force on ${investigation.occurredOn}`,
      );
    }
  } else if (finding.listItemCode !== undefined) {
    throw new DomainError('validation_failed', `this ${finding.code} finding names no list item`);
  }
  return trx
    .insertInto('investigation_finding')
    .values({
      investigation_id: investigationId,
      code: finding.code,
      kind: 'attested',
      met: finding.met,
      note: finding.note,
      list_item_code: item?.code ?? null,
      list_item_version: item?.version ?? null,
      evidence_ids: JSON.stringify(evidenceIds),
      recorded_at: context.at,
      recorded_by: context.actorUserId,
    })
    .returning(FINDING_COLUMNS)
    .executeTakeFirstOrThrow()
    .then((row) => ({ ...row, evidenceIds: row.evidenceIds as string[] }));
}
