/**
 * @module A claim line's documents: uploaded as base64 in JSON (bounded; the server keeps the
 * bytes and computes the SHA-256 it records in the claim's history), the requirements the
 * terms list for the line's category and which are missing, waivers with reasons, and the
 * stored bytes for download.
 */
import { z } from '@hono/zod-openapi';
import {
  attachDocument,
  claimDocuments,
  documentContent,
  MAX_DOCUMENT_BYTES,
  waiveRequirement,
} from '../../../claims/documents.ts';
import { DOCUMENT_KINDS } from '../../../policy/required-documents.ts';
import { ProblemError } from '../../problem.ts';
import { json, mutationRoute, type RouteApp, roleRoute, routes } from '../../route.ts';
import { UuidSchema } from '../../schemas.ts';
import { CLAIM_READERS, CLAIM_STAFF, ClaimParams, Text } from './schemas.ts';

const LineParams = z.object({ claimId: UuidSchema, lineId: UuidSchema });

/** Base64 of at most MAX_DOCUMENT_BYTES bytes. */
const MAX_BASE64_CHARS = Math.ceil(MAX_DOCUMENT_BYTES / 3) * 4;

const NewDocumentSchema = z
  .object({
    kind: z.enum(DOCUMENT_KINDS),
    title: Text(200),
    documentNumber: z.string().regex(/^[A-Za-z0-9._/-]{1,100}$/, 'letters, digits and . _ / -'),
    mediaType: z
      .string()
      .max(100)
      .regex(/^[a-z]+\/[a-z0-9.+-]{1,80}$/, 'a media type such as application/pdf'),
    contentBase64: z
      .string()
      .min(4)
      .max(MAX_BASE64_CHARS)
      .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'standard base64'),
  })
  .strict()
  .openapi('NewClaimDocument', {
    example: {
      kind: 'invoice',
      title: 'Law firm invoice',
      documentNumber: 'INV-2026-0042',
      mediaType: 'application/pdf',
      contentBase64: 'JVBERi0xLjcK',
    },
  });

const DocumentSchema = z
  .object({
    id: UuidSchema,
    claimId: UuidSchema,
    claimLineId: UuidSchema,
    kind: z.enum(DOCUMENT_KINDS),
    title: z.string(),
    documentNumber: z.string(),
    mediaType: z.string(),
    sizeBytes: z.number().int(),
    sha256: z.string().openapi({ description: 'computed by the service from the bytes received' }),
    uploadedBy: UuidSchema,
    uploadedAt: z.string(),
  })
  .openapi('ClaimDocument');

const WaiverInputSchema = z
  .object({ requirement: z.string().regex(/^[a-z_]{1,60}$/), reason: Text(1000) })
  .strict()
  .openapi('DocumentWaiverInput', {
    example: {
      requirement: 'invoice',
      reason: 'the court fee was paid in cash; the ruling states it',
    },
  });

const WaiverSchema = z
  .object({
    claimLineId: UuidSchema,
    requirement: z.string(),
    reason: z.string(),
    waivedBy: UuidSchema,
    waivedAt: z.string(),
  })
  .openapi('DocumentWaiver');

const LineDocumentsSchema = z
  .object({
    lines: z.array(
      z.object({
        claimLineId: UuidSchema,
        required: z.array(z.string()),
        missing: z.array(z.string()),
        documents: z.array(DocumentSchema),
        waivers: z.array(WaiverSchema),
      }),
    ),
  })
  .openapi('ClaimDocuments');

function decodeBase64(text: string): Uint8Array {
  const bytes = Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
  if (bytes.byteLength > MAX_DOCUMENT_BYTES) {
    throw new ProblemError(
      422,
      'validation_failed',
      `a document is at most ${MAX_DOCUMENT_BYTES} bytes`,
      {
        errors: [{ field: 'json.contentBase64', reason: `at most ${MAX_DOCUMENT_BYTES} bytes` }],
      },
    );
  }
  return bytes;
}

export function documentRoutes(): RouteApp {
  const app = routes();
  mutationRoute(app, {
    roles: CLAIM_STAFF,
    path: '/insurer/claims/{claimId}/lines/{lineId}/documents',
    tags: ['claims'],
    summary: `Upload a document for a claim line (at most ${MAX_DOCUMENT_BYTES} bytes, base64); the service computes its SHA-256`,
    params: LineParams,
    body: NewDocumentSchema,
    responses: { 201: json(DocumentSchema, 'Attached') },
    action: 'claim.attach_document',
    entity: 'claim',
    run: async ({ params: { claimId, lineId }, body, trx, actor }) => {
      const document = await attachDocument(
        trx,
        claimId,
        lineId,
        {
          kind: body.kind,
          title: body.title,
          documentNumber: body.documentNumber,
          mediaType: body.mediaType,
          content: decodeBase64(body.contentBase64),
        },
        actor.userId,
      );
      return { status: 201, body: document, entityId: claimId };
    },
  });

  mutationRoute(app, {
    roles: CLAIM_STAFF,
    path: '/insurer/claims/{claimId}/lines/{lineId}/waivers',
    tags: ['claims'],
    summary: 'Waive a document the terms require for the line, with a reason',
    params: LineParams,
    body: WaiverInputSchema,
    responses: { 201: json(WaiverSchema, 'Waived') },
    action: 'claim.waive_document',
    entity: 'claim',
    run: async ({ params: { claimId, lineId }, body, trx, actor }) => {
      const waiver = await waiveRequirement(trx, claimId, lineId, body, actor.userId);
      return { status: 201, body: waiver, entityId: claimId };
    },
  });

  app.openapi(
    roleRoute(CLAIM_READERS, {
      method: 'get',
      path: '/insurer/claims/{claimId}/documents',
      tags: ['claims'],
      summary: 'Per line: the documents the terms require, those attached, waived and missing',
      request: { params: ClaimParams },
      responses: { 200: json(LineDocumentsSchema, 'Documents') },
    }),
    async (c) => {
      const lines = await claimDocuments(c.var.deps.db, c.req.valid('param').claimId);
      return c.json(
        {
          lines: lines.map((l) => ({
            ...l,
            required: [...l.required],
            missing: [...l.missing],
            documents: [...l.documents],
            waivers: [...l.waivers],
          })),
        },
        200,
      );
    },
  );

  app.openapi(
    roleRoute(CLAIM_READERS, {
      method: 'get',
      path: '/insurer/claims/{claimId}/documents/{documentId}/content',
      tags: ['claims'],
      summary: 'The stored bytes of a document, with its SHA-256 in a header',
      request: { params: z.object({ claimId: UuidSchema, documentId: UuidSchema }) },
      responses: {
        200: {
          description: 'The document',
          content: {
            'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) },
          },
        },
      },
    }),
    async (c) => {
      const { claimId, documentId } = c.req.valid('param');
      const document = await documentContent(c.var.deps.db, claimId, documentId);
      return c.body(new Uint8Array(document.content), 200, {
        'Content-Type': document.mediaType,
        'Content-Disposition': 'attachment',
        'X-Content-SHA256': document.sha256,
        'X-Content-Type-Options': 'nosniff',
      });
    },
  );
  return app;
}
