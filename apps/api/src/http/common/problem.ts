import { HttpException } from '@nestjs/common';
import { ConcurrencyError, DomainError, DuplicateEventIdError, UsageBatchRefusedError, ValidationError } from '@compute-ledger/ledger';
import { PayloadTooLargeError } from '../../shared/parse-input.js';

/**
 * RFC 9457 problem details: the one shape every error answer has. Each family of error maps to
 * one status; anything not recognized is a 500 whose detail says nothing about the internals.
 */

export const problemContentType = 'application/problem+json';
const problemTypeBase = 'https://compute-ledger.dev/problems/';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: unknown[];
}

const titles: Record<number, [slug: string, title: string]> = {
  400: ['invalid-request', 'The request is malformed or breaks the schema'],
  401: ['unauthenticated', 'An API key is required'],
  403: ['forbidden', 'The API key’s role may not do this'],
  404: ['not-found', 'Not found'],
  405: ['method-not-allowed', 'Method not allowed'],
  406: ['not-acceptable', 'Not acceptable'],
  409: ['conflict', 'Conflict'],
  413: ['too-large', 'The request is too large'],
  414: ['uri-too-long', 'The URI is too long'],
  415: ['unsupported-media-type', 'Unsupported media type'],
  422: ['rule-violation', 'A business rule refused the request'],
  429: ['too-many-requests', 'Too many requests'],
  500: ['internal-error', 'Internal error'],
};

export function problem(status: number, detail: string, errors?: unknown[]): Problem {
  const [slug, title] = titles[status] ?? (status >= 500 ? titles[500]! : ['client-error', 'The request was refused']);
  return { type: `${problemTypeBase}${slug}`, title, status, detail, ...(errors === undefined ? {} : { errors }) };
}

/** The problem an error stands for, and whether it is the server's fault (to be logged). */
export function problemOf(error: unknown): { problem: Problem; serverFault: boolean } {
  const known = clientProblem(error);
  if (known !== null) return { problem: known, serverFault: false };
  return { problem: problem(500, 'the server failed to answer this request; it is logged with the request id'), serverFault: true };
}

function clientProblem(error: unknown): Problem | null {
  if (error instanceof UsageBatchRefusedError) return problem(422, error.message, error.recordErrors);
  if (error instanceof ValidationError) return problem(400, error.message, error.errors);
  if (error instanceof DomainError) return problem(statusOfFamily[error.family], error.message);
  if (error instanceof ConcurrencyError) return problem(409, 'another change to the same records was recorded first; send the request again');
  if (error instanceof DuplicateEventIdError) return problem(409, 'an id of this request is already used with other content');
  if (error instanceof PayloadTooLargeError) return problem(413, error.message);
  if (error instanceof HttpException) return httpProblem(error);
  return null;
}

const statusOfFamily = { validation: 400, not_found: 404, conflict: 409, rule: 422 } as const;

/** Nest's and Fastify's own errors (unknown route, body parser, guard). */
function httpProblem(error: HttpException): Problem | null {
  const status = error.getStatus();
  if (status >= 500) return null;
  const code = (error.cause as { code?: unknown } | undefined)?.code;
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return problem(413, 'the request body is over 16 MiB');
  if (code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return problem(400, 'the request has a JSON content type but no body');
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return problem(415, 'send JSON (application/json, or application/cloudevents-batch+json to POST /v1/usage)');
  if (code === 'FST_ERR_CTP_INVALID_JSON_BODY') return problem(400, 'the body is not valid JSON');
  return problem(status, messageOf(error));
}

function messageOf(error: HttpException): string {
  const response = error.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (typeof message === 'string') return message;
  if (Array.isArray(message)) return message.join('; ');
  return error.message;
}
