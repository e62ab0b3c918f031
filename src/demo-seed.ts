/**
 * @module Embedded demo only (`npm start` on PGlite): one project whose risk point was
 * registered a week before the pool went live, imported as the county's paper filings are,
 * so a newcomer's first incident is covered at once. Never run against PostgreSQL.
 * Idempotent: a second start finds the demo filing by its paper reference.
 */
import type { DB } from './db/database.ts';
import { inTransaction } from './db/transaction.ts';
import { importPreGoLiveFiling } from './policy/filing-import.ts';
import {
  addCalendarDays,
  type LocalDate,
  localDateOf,
  localDateText,
} from './policy/local-date.ts';
import type { Pool } from './policy/pools.ts';

const DEMO_REFERENCE = 'DEMO-FILING-001';
const PROJECT_NAME = '县域营商环境改革试点';

export interface DemoRiskPoint {
  readonly riskPointId: string;
  readonly projectName: string;
  readonly registeredOn: LocalDate;
}

export async function seedDemoRiskPoint(db: DB, pool: Pool): Promise<DemoRiskPoint> {
  return inTransaction(db, async (trx) => {
    const existing = await trx
      .selectFrom('filing_import')
      .innerJoin('risk_point', 'risk_point.registered_by_filing_id', 'filing_import.filing_id')
      .select([
        'risk_point.id as riskPointId',
        localDateText('filing_import.registered_on').as('registeredOn'),
      ])
      .where('filing_import.source_reference', '=', DEMO_REFERENCE)
      .executeTakeFirst();
    if (existing) {
      return {
        riskPointId: existing.riskPointId,
        projectName: PROJECT_NAME,
        registeredOn: existing.registeredOn,
      };
    }
    const reformOffice = await trx
      .selectFrom('app_user')
      .select('id')
      .where('name', '=', 'demo-reform-office')
      .executeTakeFirstOrThrow();
    const { created_at: createdAt } = await trx
      .selectFrom('pool')
      .select('created_at')
      .where('id', '=', pool.id)
      .executeTakeFirstOrThrow();
    // The week before the pool went live: imports are refused on or after go-live.
    const goLive = localDateOf(new Date(createdAt));
    const registeredOn = addCalendarDays(goLive, -7);
    const imported = await importPreGoLiveFiling(
      trx,
      {
        pool: pool.id,
        project: {
          name: PROJECT_NAME,
          ownerDepartment: '县发展和改革局',
          description: '一窗通办与容缺受理试点（演示数据）',
        },
        riskPoints: [
          {
            description: '容缺受理后补正材料不实，造成企业或第三方经济损失',
            likelihood: 'medium',
            impact: 'high',
            controlPlan: '承诺书与事后核查；限期补正；每季度抽查',
          },
        ],
        submittedOn: addCalendarDays(registeredOn, -3),
        registeredOn,
        source: 'paper',
        sourceReference: DEMO_REFERENCE,
        documents: [
          {
            title: '改革方案（演示）',
            documentNumber: 'DEMO-PLAN-001',
            sha256: '0'.repeat(64),
          },
        ],
        reason: 'embedded demo: a risk point registered before go-live, so an incident is covered',
      },
      { actorUserId: reformOffice.id, at: new Date() },
    );
    const riskPointId = imported.riskPointIds[0];
    if (!riskPointId) throw new Error('the demo filing registered no risk point');
    return { riskPointId, projectName: PROJECT_NAME, registeredOn };
  });
}
