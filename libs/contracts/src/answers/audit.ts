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

/** The model checkpoint on disk against the digest the log records for its position. */
export const CheckpointStateAnswer = z.strictObject({
  checkpointPosition: z.int().min(-1).nullable().describe('the last event the checkpoint folded; null when there is no checkpoint file'),
  digest: z.string().nullable().describe("sha256 of the file's snapshot"),
  matchesLog: z.boolean().nullable().describe('true when the log records this digest for this position; null when there is no checkpoint'),
  reason: z.string().optional(),
});

const verifyCommon = {
  model: CheckpointStateAnswer,
  demo: z.boolean().describe('true when the log is the demo neocloud, not real books'),
};

/**
 * The chain recomputed (and each pinned head found), then the checkpoint: `ok` only when all hold.
 * A chain that holds with a checkpoint that does not match answers the chain's head and `ok: false`.
 */
export const AuditVerifyAnswer = z.union([
  z.strictObject({ ok: z.boolean(), eventsChecked: z.int().min(0), headPosition: z.int().min(-1), headHash: z.string(), reason: z.string().optional().describe('why ok is false when the chain holds'), ...verifyCommon }),
  z.strictObject({ ok: z.literal(false), firstInvalidPosition: z.int().min(0), reason: z.string(), ...verifyCommon }),
]);
export type AuditVerifyAnswer = z.infer<typeof AuditVerifyAnswer>;

export const HealthAnswer = z.strictObject({ status: z.literal('ok'), headPosition: z.int().min(-1), modelPosition: z.int().min(-1), demo: z.boolean().describe('true when the log is the demo neocloud, not real books') });

/** The OpenAPI document itself (GET /v1/openapi.json). */
export const OpenApiDocumentAnswer = z.looseObject({ openapi: z.string(), info: z.looseObject({}), paths: z.record(z.string(), z.unknown()) });

export type CheckpointStateAnswer = z.infer<typeof CheckpointStateAnswer>;
export type AuditEventAnswer = z.infer<typeof AuditEventAnswer>;
export type AuditEventsAnswer = z.infer<typeof AuditEventsAnswer>;
export type AuditStreamAnswer = z.infer<typeof AuditStreamAnswer>;
export type HealthAnswer = z.infer<typeof HealthAnswer>;
export type OpenApiDocumentAnswer = z.infer<typeof OpenApiDocumentAnswer>;
