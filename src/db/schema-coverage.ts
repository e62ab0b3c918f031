/**
 * @module Kysely's view of migration 0011: terms versions brought into force, and filings
 * registered before the service went live, imported with their documents.
 */
import type { ColumnType } from 'kysely';
import type { LocalDateColumn } from './schema-registry.ts';

export type TermsBroughtBy = 'write' | 'read' | 'schedule';

export interface PoolTermsInForceTable {
  pool_id: string;
  version: number;
  in_force_on: LocalDateColumn;
  entry_id: number | null;
  over_committed: ColumnType<string, string | undefined, never>;
  carried_committed: ColumnType<string, string | undefined, never>;
  brought_by: TermsBroughtBy;
  brought_at: ColumnType<Date, Date | undefined, never>;
}

export type FilingImportSource = 'paper' | 'government_platform';

export interface FilingImportTable {
  id: ColumnType<string, string | undefined, never>;
  filing_id: string;
  registered_on: LocalDateColumn;
  source: FilingImportSource;
  source_reference: string;
  /** jsonb written as JSON text: [{title, documentNumber, sha256}]. */
  documents: ColumnType<unknown, string, never>;
  reason: string;
  imported_by: string;
  imported_at: ColumnType<Date, Date | undefined, never>;
}

export interface CoverageTables {
  pool_terms_in_force: PoolTermsInForceTable;
  filing_import: FilingImportTable;
}
