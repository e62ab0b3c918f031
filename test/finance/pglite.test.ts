/**
 * Embedded mode runs on PGlite: the statement tables migrate there, and an import, its
 * automatic matches and the report behave as on PostgreSQL.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { inTransaction } from '../../src/db/transaction.ts';
import { statementReport } from '../../src/finance/statement-report.ts';
import { importStatement } from '../../src/finance/statements.ts';
import { Money } from '../../src/ledger/money.ts';
import { createStaff, type Staff } from '../claims/support.ts';
import { freshPglite, type TestDatabase } from '../support/database.ts';
import { contribution, csv, fundedPool, today } from './support.ts';

let database: TestDatabase;
let staff: Staff;

beforeAll(async () => {
  database = await freshPglite();
  staff = await createStaff(database.db, 'pglite');
});
afterAll(() => database.close());

it('imports, matches and reports a statement on PGlite', async () => {
  const pool = await fundedPool(database.db, 'embedded', staff);
  const paid = await contribution(database.db, pool, staff, '1234.50', 'EMB-1');
  const text = csv([
    ['记账日期', '借方金额', '贷方金额', '附言', '流水号'],
    [today(), '', '1,234.50', '', 'EMB-1'],
    [today(), '3.00', '', '手续费', '900001'],
  ]);
  const outcome = await inTransaction(database.db, (trx) =>
    importStatement(
      trx,
      pool.code,
      { source: 'bank', filename: 'embedded.csv', text, tolerance: new Money('0.00') },
      staff.finance,
    ),
  );
  const report = await statementReport(database.db, outcome.statement.id);
  expect(report.summary).toMatchObject({ lines: 2, matched: 1, unmatchedStatementLines: 1 });
  expect(report.matched[0]?.item).toMatchObject({ kind: 'contribution', id: paid.id });
  expect(report.unmatchedStatementLines[0]).toMatchObject({
    valueDate: today(),
    amount: '-3.00',
    reference: '手续费',
    otherReferences: ['900001'],
  });
  const again = await inTransaction(database.db, (trx) =>
    importStatement(
      trx,
      pool.code,
      { source: 'bank', filename: 'again.csv', text: `${text}\n`, tolerance: new Money('0.00') },
      staff.finance,
    ),
  );
  expect(again).toMatchObject({ alreadyImported: true, statement: { id: outcome.statement.id } });
});
