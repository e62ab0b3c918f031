/**
 * Fixtures for claims tests: users, a pool with capacity, and risk points registered on a
 * given day. The registering filing is written directly (the filing loop has its own tests).
 */
import { sql } from 'kysely';
import { createUser } from '../../src/access/tokens.ts';
import { ATTESTED_FINDINGS, type Attestation } from '../../src/claims/eligibility.ts';
import type { DB } from '../../src/db/database.ts';
import { inTransaction } from '../../src/db/transaction.ts';
import { Money } from '../../src/ledger/money.ts';
import { recordContribution } from '../../src/policy/contributions.ts';
import { createPool, type Pool } from '../../src/policy/pools.ts';
import { COUNTY_TERMS } from '../../src/policy/terms.ts';

export interface Staff {
  readonly handler: string;
  readonly checker: string;
  readonly finance: string;
  readonly office: string;
}

export async function createStaff(db: DB, suffix: string): Promise<Staff> {
  return {
    handler: (await createUser(db, `handler ${suffix}`, 'insurer', null)).id,
    checker: (await createUser(db, `checker ${suffix}`, 'insurer', null)).id,
    finance: (await createUser(db, `finance ${suffix}`, 'finance', null)).id,
    office: (await createUser(db, `office ${suffix}`, 'reform_office', null)).id,
  };
}

/** A pool on the county's terms, funded to its full 5,000,000.00 of capacity unless told less. */
export async function fundedPool(
  db: DB,
  code: string,
  staff: Staff,
  overrides: { fourEyesThreshold?: string; contribution?: string } = {},
): Promise<Pool> {
  const terms = {
    ...COUNTY_TERMS,
    fourEyesThreshold: new Money(
      overrides.fourEyesThreshold ?? COUNTY_TERMS.fourEyesThreshold.toFixed(2),
    ),
  };
  const pool = await inTransaction(db, (trx) =>
    createPool(
      trx,
      { code, name: `Pool ${code}`, insurer: 'Insurer', policyNumber: `RP-${code}`, terms },
      null,
    ),
  );
  await inTransaction(db, (trx) =>
    recordContribution(
      trx,
      code,
      {
        amount: new Money(overrides.contribution ?? '100000.00'),
        receivedOn: '2026-01-05',
        payer: 'County finance bureau',
        bankReference: `${code}-1`,
      },
      staff.finance,
    ),
  );
  return pool;
}

let projectCount = 0;

/** A reform project with one risk point registered on `registeredOn` (null: never registered). */
export async function riskPoint(
  db: DB,
  staff: Staff,
  registeredOn: string | null,
): Promise<string> {
  projectCount += 1;
  const project = await db
    .insertInto('reform_project')
    .values({
      name: `Project ${process.pid}-${projectCount}`,
      owner_department: 'County reform office',
      description: 'fixture',
      created_by: staff.office,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const point = await db
    .insertInto('risk_point')
    .values({ project_id: project.id, number: 1, created_by: staff.office })
    .returning('id')
    .executeTakeFirstOrThrow();
  if (registeredOn) {
    const at = new Date(`${registeredOn}T10:00:00+08:00`);
    const filing = await sql<{ id: string }>`
      INSERT INTO filing (project_id, status, submission_count, submitted_at, submitted_on, answered_at, filed_at, filed_on, created_by)
      VALUES (${project.id}, 'registered', 1, ${at}, ${registeredOn}, ${at}, ${at}, ${registeredOn}, ${staff.office})
      RETURNING id
    `.execute(db);
    await db
      .updateTable('risk_point')
      .set({
        registered_at: at,
        registered_on: registeredOn,
        registered_by_filing_id: filing.rows[0]?.id ?? '',
      })
      .where('id', '=', point.id)
      .execute();
  }
  return point.id;
}

export const ALL_PASS: Attestation[] = ATTESTED_FINDINGS.map((code) => ({
  code,
  result: 'pass',
  note: 'checked',
}));

export function sha(n: number): string {
  return n.toString(16).padStart(64, '0');
}
