import { z } from 'zod';

/**
 * The answers of the HTTP API, one schema per shape: the OpenAPI document describes every
 * answer with them, the API's handlers are typed by them, and the end-to-end tests check every
 * answer against them. A field added to an answer is added here first.
 */

/** One field of invalid input (400). */
export const FieldErrorAnswer = z.strictObject({ path: z.string(), message: z.string() });

/** One refused record of a usage batch (409 or 422): `kind` says which family refused it. */
export const RecordErrorAnswer = z.strictObject({ index: z.int().min(0), readingId: z.string(), message: z.string(), kind: z.enum(['conflict', 'rule']) });

/** RFC 9457 problem details: every error answer (`application/problem+json`). */
export const ProblemAnswer = z
  .strictObject({
    type: z.url(),
    title: z.string(),
    status: z.int().min(400).max(599),
    detail: z.string(),
    errors: z
      .array(z.union([FieldErrorAnswer, RecordErrorAnswer]))
      .optional()
      .describe('For invalid input: `{path, message}` per field. For a refused usage batch: `{index, readingId, message, kind}` per record.'),
  })
  .describe('RFC 9457 problem details');
export type ProblemAnswer = z.infer<typeof ProblemAnswer>;

export type FieldErrorAnswer = z.infer<typeof FieldErrorAnswer>;
export type RecordErrorAnswer = z.infer<typeof RecordErrorAnswer>;
