import { SetMetadata } from '@nestjs/common';
import type { z } from 'zod';

/** What the OpenAPI document says about an endpoint beyond its schemas and permission. */
export interface EndpointDoc {
  summary: string;
  description?: string;
  /**
   * The schema of the success answer (JSON), one of @compute-ledger/contracts' `answerSchemas`;
   * also the answer of `alsoAnswers` that have a body. Absent only with `content`.
   */
  answer?: z.ZodType;
  /** A route of the service's own (the docs page's assets), left out of the OpenAPI document. */
  internal?: boolean;
  /** Success answers besides the route's own status (e.g. 200 for an idempotent repeat). */
  alsoAnswers?: Record<number, string>;
  tags?: string[];
  /** Media types and schemas of the success answer, for an endpoint that does not answer JSON. */
  content?: Record<string, Record<string, unknown>>;
  /** Optional request headers the endpoint reads, with what they hold. */
  requestHeaders?: Record<string, string>;
  /** Response headers of the success answer worth a client's attention, with what they hold. */
  headers?: Record<string, string>;
}

export const endpointDocKey = 'compute-ledger:endpoint-doc';

export const Doc = (doc: EndpointDoc) => SetMetadata(endpointDocKey, doc);

/** The answer an idempotent create gives when it repeats an earlier request. */
export const repeatAnswers = { 200: 'the same id with the same content again: the first answer, nothing recorded' };
