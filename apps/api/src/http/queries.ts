import { Identifier, RequestBillingDate, RequestInstant } from '@compute-ledger/contracts';
import { parsePinnedHead, pinnedHeadFormat, pinnedHeadPattern } from '@compute-ledger/ledger';
import { z } from 'zod';
import { documentFormats } from '../shared/invoice-documents.js';
import { auditPageEventsDefault, auditPageEventsMax, pinnedHeadsMax } from './limits.js';

/**
 * Query parameters of the endpoints that only the HTTP API has (the reports' queries live in
 * @compute-ledger/contracts with the bodies). Query values arrive as strings.
 */

const position = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,14})$/, 'must be a whole number (a log position)')
  .transform(Number);

export const KnownAtQuery = z.strictObject({ knownAt: RequestInstant.optional() });
export type KnownAtQuery = z.infer<typeof KnownAtQuery>;

export const InvoiceListQuery = z.strictObject({
  tenantId: Identifier.optional(),
  billingDate: RequestBillingDate.optional(),
  knownAt: RequestInstant.optional(),
});
export type InvoiceListQuery = z.infer<typeof InvoiceListQuery>;

export const InvoiceDocumentQuery = z.strictObject({
  format: z.enum(documentFormats).optional().describe('`pdf` or `html`. Without it the Accept header chooses (application/pdf or text/html); PDF when it names neither.'),
  asIssued: z
    .enum(['true', 'false'])
    .optional()
    .transform((value) => value === 'true')
    .describe('`true`: the document as issued, without amount paid, amount due and status, addressed with the billing details of the day it was issued. Its bytes depend only on the log and the issuer configuration.'),
  knownAt: RequestInstant.optional(),
});
export type InvoiceDocumentQuery = z.infer<typeof InvoiceDocumentQuery>;

export const AuditEventsQuery = z.strictObject({
  fromPosition: position.optional(),
  limit: z
    .string()
    .regex(/^[1-9][0-9]{0,4}$/, `must be a whole number from 1 to ${auditPageEventsMax}`)
    .transform(Number)
    .refine((value) => value <= auditPageEventsMax, `must be at most ${auditPageEventsMax}`)
    .default(auditPageEventsDefault),
});
export type AuditEventsQuery = z.infer<typeof AuditEventsQuery>;

export const AuditStreamQuery = z.strictObject({
  fromRevision: position.optional(),
  limit: AuditEventsQuery.shape.limit,
});
export type AuditStreamQuery = z.infer<typeof AuditStreamQuery>;

const pinnedHead = z.string().regex(pinnedHeadPattern, `must be ${pinnedHeadFormat}`);

/** `expectHead` once or repeated: each a head the log must still hold. */
export const AuditVerifyQuery = z.strictObject({
  expectHead: z
    .union([pinnedHead, z.array(pinnedHead).max(pinnedHeadsMax)])
    .optional()
    .transform((value) => (value === undefined ? [] : Array.isArray(value) ? value : [value]).map((text) => parsePinnedHead(text)!))
    .describe('A head the log must still hold, `<position>:<hash>` (repeatable): a head written down earlier, or a period\'s seal. A log cut back below it fails.'),
});
export type AuditVerifyQuery = z.infer<typeof AuditVerifyQuery>;

/** Stream names of the log: a prefix and an identifier (`lease-L-1001`), or `billing`. */
export const StreamId = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'must be a stream name such as lease-L-1001 or billing');

export { Identifier };
