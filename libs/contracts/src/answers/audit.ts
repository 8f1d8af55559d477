import { z } from 'zod';
import { Instant } from '../primitives.js';

/** The log itself, and the service's own answers. */

export const AuditEventAnswer = z.strictObject({
  position: z.int().min(0),
  streamId: z.string(),
  revision: z.int().min(0),
  eventId: z.string(),
  type: z.string(),
  schemaVersion: z.int().min(1),
  data: z.record(z.string(), z.unknown()),
  metadata: z.object({ actor: z.string().optional(), correlationId: z.string().optional(), causationId: z.string().optional() }).describe('who recorded the event, and the request that caused it'),
  recordedAt: Instant,
  hash: z.string().regex(/^[0-9a-f]{64}$/),
});

export const AuditEventsAnswer = z.strictObject({ events: z.array(AuditEventAnswer), nextPosition: z.int().min(0) });
export const AuditStreamAnswer = z.strictObject({ streamId: z.string(), events: z.array(AuditEventAnswer), nextRevision: z.int().min(0) });

export const AuditVerifyAnswer = z.discriminatedUnion('ok', [
  z.strictObject({ ok: z.literal(true), eventsChecked: z.int().min(0), headPosition: z.int().min(-1), headHash: z.string() }),
  z.strictObject({ ok: z.literal(false), firstInvalidPosition: z.int().min(0), reason: z.string() }),
]);
export type AuditVerifyAnswer = z.infer<typeof AuditVerifyAnswer>;

export const HealthAnswer = z.strictObject({ status: z.literal('ok'), headPosition: z.int().min(-1), modelPosition: z.int().min(-1) });

/** The OpenAPI document itself (GET /v1/openapi.json). */
export const OpenApiDocumentAnswer = z.looseObject({ openapi: z.string(), info: z.looseObject({}), paths: z.record(z.string(), z.unknown()) });

export type AuditEventAnswer = z.infer<typeof AuditEventAnswer>;
export type AuditEventsAnswer = z.infer<typeof AuditEventsAnswer>;
export type AuditStreamAnswer = z.infer<typeof AuditStreamAnswer>;
export type HealthAnswer = z.infer<typeof HealthAnswer>;
export type OpenApiDocumentAnswer = z.infer<typeof OpenApiDocumentAnswer>;
