/**
 * Fixtures for claims tests: users, a pool with capacity, and risk points registered on a
 * given day through the pre-go-live filing import (the filing loop has its own tests).
 */
import { createUser } from '../../src/access/tokens.ts';
import { ATTESTED_FINDINGS, type Attestation } from '../../src/claims/eligibility.ts';
import type { DB } from '../../src/db/database.ts';
import { inTransaction } from '../../src/db/transaction.ts';
import { Money } from '../../src/ledger/money.ts';
import { recordContribution } from '../../src/policy/contributions.ts';
import { importPreGoLiveFiling } from '../../src/policy/filing-import.ts';
import { createPool, type Pool } from '../../src/policy/pools.ts';
import { createProject } from '../../src/policy/projects.ts';
import { addRiskPoint } from '../../src/policy/risk-points.ts';
import { COUNTY_TERMS } from '../../src/policy/terms.ts';

export interface Staff {
  /** Takes claims in: the submitter, who may neither decide nor confirm them. */
  readonly intake: string;
  readonly handler: string;
  readonly checker: string;
  readonly finance: string;
  readonly office: string;
}

export async function createStaff(db: DB, suffix: string): Promise<Staff> {
  return {
    intake: (await createUser(db, `intake ${suffix}`, 'insurer', null)).id,
    handler: (await createUser(db, `handler ${suffix}`, 'insurer', null)).id,
    checker: (await createUser(db, `checker ${suffix}`, 'insurer', null)).id,
    finance: (await createUser(db, `finance ${suffix}`, 'finance', null)).id,
    office: (await createUser(db, `office ${suffix}`, 'reform_office', null)).id,
  };
}

/**
 * A pool on the county's terms, funded to its full 5,000,000.00 of capacity unless told
 * less. Its categories ask for no documents unless `documents: 'county'`: tests about caps
 * and the life cycle need not upload files.
 */
export async function fundedPool(
  db: DB,
  code: string,
  staff: Staff,
  overrides: {
    fourEyesThreshold?: string;
    contribution?: string;
    documents?: 'county' | 'none';
  } = {},
): Promise<Pool> {
  const terms = {
    ...(overrides.documents === 'county' ? COUNTY_TERMS : TERMS_WITHOUT_DOCUMENTS),
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

/** The county's terms with no documents required: for tests about something else. */
export const TERMS_WITHOUT_DOCUMENTS = {
  ...COUNTY_TERMS,
  categories: COUNTY_TERMS.categories.map((c) => ({ ...c, requiredDocuments: [] })),
};

let projectCount = 0;

/**
 * A reform project with one risk point registered on `registeredOn` (null: never
 * registered), imported as a filing registered before go-live — the way a covered
 * incident gets a risk point filed on a past day.
 */
export async function riskPoint(
  db: DB,
  staff: Staff,
  registeredOn: string | null,
): Promise<string> {
  projectCount += 1;
  const project = {
    name: `Project ${process.pid}-${projectCount}`,
    ownerDepartment: 'County reform office',
    description: 'fixture',
  };
  const content = {
    description: 'fixture risk',
    likelihood: 'medium' as const,
    impact: 'medium' as const,
    controlPlan: 'as filed',
  };
  const context = { actorUserId: staff.office, at: new Date() };
  if (registeredOn === null) {
    return inTransaction(db, async (trx) => {
      const created = await createProject(trx, project, context);
      return (await addRiskPoint(trx, created.id, content, context)).id;
    });
  }
  const imported = await inTransaction(db, (trx) =>
    importPreGoLiveFiling(
      trx,
      {
        project,
        riskPoints: [content],
        submittedOn: registeredOn,
        registeredOn,
        source: 'paper',
        sourceReference: `PAPER-${projectCount}`,
        documents: [
          { title: 'reform plan', documentNumber: `RP-${projectCount}`, sha256: sha(projectCount) },
        ],
        reason: 'filed on paper before go-live',
      },
      context,
    ),
  );
  const [id] = imported.riskPointIds;
  if (!id) throw new Error('the import registered no risk point');
  return id;
}

export const ALL_PASS: Attestation[] = ATTESTED_FINDINGS.map((code) => ({
  code,
  result: 'pass',
  note: 'checked',
}));

export function sha(n: number): string {
  return n.toString(16).padStart(64, '0');
}
