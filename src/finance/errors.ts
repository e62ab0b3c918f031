/**
 * @module A statement file refused as a whole: every bad row with its line number and
 * reason, so finance can fix the file in one go. It is the one domain error that carries
 * rows; every other refusal of this module is a plain DomainError.
 */
import { DomainError } from '../domain-error.ts';
import type { RowError } from './statement-csv.ts';

/** Row errors shown in one answer; a file with more says how many there were in all. */
export const MAX_REPORTED_ROW_ERRORS = 100;

export class StatementFileError extends DomainError {
  override readonly name = 'StatementFileError';
  constructor(readonly rows: readonly RowError[]) {
    super(
      'statement_file_invalid',
      rows.length === 1
        ? 'the statement file has 1 bad row; nothing was imported'
        : `the statement file has ${rows.length} bad rows; nothing was imported`,
    );
  }

  /** The rows to show, first ones first (a file of 5,000 bad rows is not a useful answer). */
  get reportedRows(): readonly RowError[] {
    return this.rows.slice(0, MAX_REPORTED_ROW_ERRORS);
  }
}
