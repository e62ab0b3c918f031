/**
 * @module The reform office's import of filings registered before the service went live,
 * with their real dates and filing documents: one audited, idempotent action per filing.
 */
import { z } from '@hono/zod-openapi';
import { importPreGoLiveFiling } from '../../../policy/filing-import.ts';
import { json, mutationRoute, type RouteApp, routes } from '../../route.ts';
import { LocalDateSchema, UuidSchema } from '../../schemas.ts';
import { requestNow } from '../../today.ts';
import { NewProjectSchema, NewRiskPointSchema } from './schemas.ts';

const text = (max: number) => z.string().trim().min(1).max(max);

const FilingDocumentSchema = z
  .object({
    title: text(200),
    documentNumber: z.string().regex(/^[A-Za-z0-9._/-]{1,100}$/, 'letters, digits and . _ / -'),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, '64 lower-case hex digits'),
  })
  .strict();

const PreGoLiveFilingSchema = z
  .object({
    pool: z
      .string()
      .regex(/^[a-z0-9-]{1,40}$/, 'a pool id or code')
      .optional(),
    project: NewProjectSchema,
    riskPoints: z.array(NewRiskPointSchema).min(1).max(100),
    submittedOn: LocalDateSchema,
    registeredOn: LocalDateSchema,
    source: z.enum(['paper', 'government_platform']),
    sourceReference: text(200),
    documents: z.array(FilingDocumentSchema).min(1).max(50),
    reason: text(1000),
  })
  .strict()
  .openapi('PreGoLiveFiling', {
    example: {
      pool: 'county',
      project: {
        name: 'Rural collective land market reform',
        ownerDepartment: 'County Natural Resources Bureau',
        description: 'Pilot of market entry for collectively owned construction land.',
      },
      riskPoints: [
        {
          description: 'Land valuation disputes delay transfers and lead to litigation.',
          likelihood: 'medium',
          impact: 'high',
          controlPlan: 'Independent appraisal before every transfer.',
        },
      ],
      submittedOn: '2026-02-03',
      registeredOn: '2026-02-10',
      source: 'government_platform',
      sourceReference: 'GZW-2026-0007',
      documents: [
        { title: 'Reform plan', documentNumber: 'GZW-2026-0007-1', sha256: 'a'.repeat(64) },
        { title: 'Risk-control plan', documentNumber: 'GZW-2026-0007-2', sha256: 'b'.repeat(64) },
      ],
      reason: 'filed on the government platform before the service went live',
    },
  });

const ImportedFilingSchema = z
  .object({
    importId: UuidSchema,
    filingId: UuidSchema,
    projectId: UuidSchema,
    riskPointIds: z.array(UuidSchema),
    registeredOn: z.string(),
  })
  .openapi('ImportedFiling');

export function filingImportRoutes(): RouteApp {
  const app = routes();
  mutationRoute(app, {
    roles: ['reform_office'],
    path: '/reform-office/filing-imports',
    tags: ['reform office'],
    summary:
      'Import a filing registered before go-live, with its real dates and documents (never after today, never in a closed month)',
    body: PreGoLiveFilingSchema,
    responses: { 201: json(ImportedFilingSchema, 'Imported') },
    action: 'filing.import',
    entity: 'filing',
    run: async ({ body, trx, actor, c }) => {
      const imported = await importPreGoLiveFiling(trx, body, {
        actorUserId: actor.userId,
        at: requestNow(c),
      });
      return { status: 201, body: imported, entityId: imported.filingId };
    },
  });
  return app;
}
