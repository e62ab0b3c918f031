/**
 * @module The coded reference lists the reform office keeps: the positive list (where
 * tolerance applies), the negative list (where it never does), the admission criteria of
 * the preliminary review and the assessment rules of the review.
 *
 * Each item is versioned: an edit adds the next version and the old ones stay, so a
 * review records which wording it was assessed against and the lists can be read as in
 * force on any date.
 */
import type { DB } from '../db/database.ts';
import type { AssessmentIndicator, ReferenceListName, ReformArea } from '../db/schema-registry.ts';
import { databaseErrorCode, type Tx } from '../db/transaction.ts';
import { DomainError } from '../domain-error.ts';
import { SAMPLE_REFERENCE_ITEMS } from './reference-list-samples.ts';

export const REFERENCE_LISTS: readonly ReferenceListName[] = [
  'positive',
  'negative',
  'admission_criterion',
  'assessment_rule',
];

export interface ReferenceItem {
  readonly list: ReferenceListName;
  readonly code: string;
  readonly version: number;
  readonly title: string;
  readonly wording: string;
  readonly area: ReformArea | null;
  readonly indicator: AssessmentIndicator | null;
  /** Still the seeded placeholder wording. */
  readonly isSample: boolean;
  readonly note: string | null;
  readonly recordedAt: Date;
  readonly recordedBy: string | null;
}

/** A list has a few dozen items; this bounds every read of them. */
const MAX_ITEMS = 1000;

const ITEM_COLUMNS = [
  'list',
  'code',
  'version',
  'title',
  'wording',
  'area',
  'indicator',
  'is_sample as isSample',
  'note',
  'recorded_at as recordedAt',
  'recorded_by as recordedBy',
] as const;

export interface InForceQuery {
  readonly list?: ReferenceListName;
  /** Only versions recorded before this moment count; absent: the latest versions. */
  readonly before?: Date;
}

/** The version of each item in force, ordered by list and code. */
export async function referenceItemsInForce(
  db: DB | Tx,
  query: InForceQuery = {},
): Promise<ReferenceItem[]> {
  let select = db
    .selectFrom('reference_list_item')
    .select(ITEM_COLUMNS)
    .distinctOn(['list', 'code'])
    .orderBy('list')
    .orderBy('code')
    .orderBy('version', 'desc')
    .limit(MAX_ITEMS);
  if (query.list) select = select.where('list', '=', query.list);
  if (query.before) select = select.where('recorded_at', '<', query.before);
  return select.execute();
}

export async function referenceItemHistory(
  db: DB | Tx,
  list: ReferenceListName,
  code: string,
): Promise<ReferenceItem[]> {
  const versions = await db
    .selectFrom('reference_list_item')
    .select(ITEM_COLUMNS)
    .where('list', '=', list)
    .where('code', '=', code)
    .orderBy('version')
    .limit(MAX_ITEMS)
    .execute();
  if (versions.length === 0) throw unknownItem(list, code);
  return versions;
}

const unknownItem = (list: ReferenceListName, code: string) =>
  new DomainError('not_found', `the ${list} list has no item "${code}"`, { list, code });

export interface ReferenceItemRevision {
  /** The version the edit was made from; a newer one means someone else edited first. */
  readonly basedOnVersion: number;
  readonly title: string;
  readonly wording: string;
  /** For positive and negative list items: the area, or null for every area; absent keeps it. */
  readonly area?: ReformArea | null;
  /** Why the wording changed. */
  readonly note: string;
}

/** Records the next version of an item. The indicator of an assessment rule never changes. */
export async function reviseReferenceItem(
  trx: Tx,
  list: ReferenceListName,
  code: string,
  revision: ReferenceItemRevision,
  context: { readonly actorUserId: string; readonly at: Date },
): Promise<ReferenceItem> {
  const [current] = await referenceItemsInForce(trx, { list }).then((items) =>
    items.filter((item) => item.code === code),
  );
  if (!current) throw unknownItem(list, code);
  if (current.version !== revision.basedOnVersion) throw staleRevision(current, revision);
  // Versions are read "in force before a moment", so they must be recorded in order.
  if (context.at < current.recordedAt) {
    throw new DomainError(
      'conflict',
      `an edit cannot be recorded before the version it replaces (${current.recordedAt.toISOString()})`,
      { list, code },
    );
  }
  if (
    revision.area !== undefined &&
    revision.area !== null &&
    list !== 'positive' &&
    list !== 'negative'
  ) {
    throw new DomainError('validation_failed', `items of the ${list} list have no area`, { list });
  }
  const values = {
    list,
    code,
    version: current.version + 1,
    title: revision.title,
    wording: revision.wording,
    area: revision.area === undefined ? current.area : revision.area,
    indicator: current.indicator,
    is_sample: false,
    note: revision.note,
    recorded_at: context.at,
    recorded_by: context.actorUserId,
  };
  return trx
    .insertInto('reference_list_item')
    .values(values)
    .returning(ITEM_COLUMNS)
    .executeTakeFirstOrThrow()
    .catch((error: unknown) => {
      // Two edits from the same version race for the same next version: one wins.
      if (databaseErrorCode(error) === '23505') throw staleRevision(current, revision);
      throw error;
    });
}

function staleRevision(current: ReferenceItem, revision: ReferenceItemRevision): DomainError {
  return new DomainError(
    'conflict',
    `${current.list} item "${current.code}" is at version ${current.version} or later, not ${revision.basedOnVersion}: reload it and edit again`,
    { currentVersion: String(current.version), basedOnVersion: String(revision.basedOnVersion) },
  );
}

/**
 * Seeds version 1 of every sample item that has none. Idempotent: an item already present,
 * edited or not, is left alone.
 */
export async function seedReferenceLists(db: DB | Tx): Promise<{ readonly inserted: number }> {
  const rows = SAMPLE_REFERENCE_ITEMS.map((item) => ({
    ...item,
    version: 1,
    is_sample: true,
    note: null,
    recorded_by: null,
  }));
  const inserted = await db
    .insertInto('reference_list_item')
    .values(rows)
    .onConflict((oc) => oc.columns(['list', 'code', 'version']).doNothing())
    .returning('code')
    .execute();
  return { inserted: inserted.length };
}
