import { HttpException } from '@nestjs/common';
import { InvariantError } from '@compute-ledger/contracts';
import { ConcurrencyError, DomainError, DuplicateEventIdError, UsageBatchRefusedError, ValidationError } from '@compute-ledger/ledger';
import { PayloadTooLargeError } from '../../shared/parse-input.js';
import { pathParameterLengthMax, requestHeaderBytesMax } from '../limits.js';

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
  408: ['request-timeout', 'The request did not arrive in time'],
  409: ['conflict', 'Conflict'],
  413: ['too-large', 'The request is too large'],
  414: ['uri-too-long', 'The URI is too long'],
  415: ['unsupported-media-type', 'Unsupported media type'],
  422: ['rule-violation', 'A business rule refused the request'],
  429: ['too-many-requests', 'Too many requests'],
  431: ['headers-too-large', 'The request headers are too large'],
  500: ['internal-error', 'Internal error'],
  503: ['unavailable', 'The server is stopping'],
};

export function problem(status: number, detail: string, errors?: unknown[]): Problem {
  const [slug, title] = titles[status] ?? (status >= 500 ? titles[500]! : ['client-error', 'The request was refused']);
  return { type: `${problemTypeBase}${slug}`, title, status, detail, ...(errors === undefined ? {} : { errors }) };
}

/**
 * A broken invariant of the ledger (libs/contracts/src/invariant.ts): a bug that stopped the
 * request before anything was recorded. Its own type, so that a client and an operator can tell
 * it from a passing fault; the detail names no internals.
 */
export function invariantProblem(): Problem {
  return {
    type: `${problemTypeBase}internal-invariant-failure`,
    title: 'Internal invariant failure',
    status: 500,
    detail: 'the ledger stopped this request because an internal invariant failed; nothing was recorded, and the failure is logged with the request id',
  };
}

/**
 * The problem an error stands for, whether it is the server's fault (to be logged), and whether
 * it is a broken invariant (to be logged as the bug it is).
 */
export function problemOf(error: unknown): { problem: Problem; serverFault: boolean; invariant: boolean } {
  if (error instanceof InvariantError) return { problem: invariantProblem(), serverFault: true, invariant: true };
  const known = clientProblem(error);
  if (known !== null) return { problem: known, serverFault: false, invariant: false };
  return { problem: problem(500, 'the server failed to answer this request; it is logged with the request id'), serverFault: true, invariant: false };
}

/** Where an answered error is logged: a broken invariant at the top level, any other server fault as an error. */
interface ProblemLog {
  fatal(object: object, message: string): void;
  error(object: object, message: string): void;
}

/** The problem an error stands for, logged as what it is: a client's refusal is not logged. */
export function loggedProblemOf(error: unknown, log: ProblemLog): Problem {
  const { problem, serverFault, invariant } = problemOf(error);
  // A broken invariant is a bug of the ledger, never a passing fault.
  if (invariant) log.fatal({ err: error }, 'internal invariant failed');
  else if (serverFault) log.error({ err: error }, 'request failed');
  return problem;
}

function clientProblem(error: unknown): Problem | null {
  if (error instanceof UsageBatchRefusedError) return problem(statusOfFamily[error.family], error.message, error.recordErrors);
  if (error instanceof ValidationError) return problem(400, error.message, error.errors);
  if (error instanceof DomainError) return problem(statusOfFamily[error.family], error.message);
  if (error instanceof ConcurrencyError) return problem(409, 'another change to the same records was recorded first; send the request again');
  if (error instanceof DuplicateEventIdError) return problem(409, 'an id of this request is already used with other content');
  if (error instanceof PayloadTooLargeError) return problem(413, error.message);
  if (error instanceof HttpException) return httpProblem(error);
  return fastifyProblem(error);
}

const statusOfFamily = { validation: 400, not_found: 404, conflict: 409, rule: 422, forbidden: 403 } as const;

/**
 * Fastify's own refusals, by code: the content-type parser's (which reach the filter wrapped by
 * Nest) and the router's (a malformed percent-escape, an over-long path parameter), which are
 * answered before any hook or Nest sees the request. Each detail says what was wrong without
 * echoing the input.
 */
const frameworkRefusals: ReadonlyMap<unknown, readonly [status: number, detail: string]> = new Map([
  ['FST_ERR_CTP_BODY_TOO_LARGE', [413, 'the request body is over 16 MiB']],
  ['FST_ERR_CTP_EMPTY_JSON_BODY', [400, 'the request has a JSON content type but no body']],
  ['FST_ERR_CTP_INVALID_MEDIA_TYPE', [415, 'send JSON (application/json; to POST /v1/usage also application/cloudevents+json or application/cloudevents-batch+json)']],
  ['FST_ERR_CTP_INVALID_JSON_BODY', [400, 'the body is not valid JSON']],
  ['FST_ERR_CTP_INVALID_CONTENT_LENGTH', [400, 'the body is not as long as its Content-Length says']],
  ['FST_ERR_BAD_URL', [400, 'the URL is malformed: a percent-escape in its path does not decode']],
  ['FST_ERR_MAX_PARAM_LENGTH', [414, `a path segment is over ${pathParameterLengthMax} characters`]],
] as const);

/** Nest's and Fastify's own errors (unknown route, body parser, guard). */
function httpProblem(error: HttpException): Problem | null {
  const status = error.getStatus();
  if (status >= 500) return null;
  const refusal = frameworkRefusals.get((error.cause as { code?: unknown } | undefined)?.code);
  if (refusal !== undefined) return problem(...refusal);
  return problem(status, messageOf(error));
}

/** A client error Fastify raised itself (`FST_ERR_...` with a 4xx status), as it reaches us unwrapped. */
function fastifyProblem(error: unknown): Problem | null {
  if (!(error instanceof Error)) return null;
  const { code, statusCode } = error as Error & { code?: unknown; statusCode?: unknown };
  if (typeof code !== 'string' || !code.startsWith('FST_ERR_')) return null;
  if (typeof statusCode !== 'number' || statusCode < 400 || statusCode >= 500) return null;
  const refusal = frameworkRefusals.get(code);
  return refusal === undefined ? problem(statusCode, error.message) : problem(...refusal);
}

/**
 * What Node's HTTP parser refuses before there is a request to route (no id, no handler): the
 * request line and headers over the limit, a request that is not HTTP, one too slow to arrive.
 * `code` is the parser's (`HPE_...`) or Node's error code.
 */
export function unreadableRequestProblem(code: string | undefined): Problem {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return problem(431, `the request line and headers are over ${requestHeaderBytesMax / 1024} KiB`);
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return problem(413, 'a chunk extension of the body is too large');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return problem(408, 'the request did not arrive in time');
    default:
      return problem(400, 'the request is not valid HTTP');
  }
}

function messageOf(error: HttpException): string {
  const response = error.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (typeof message === 'string') return message;
  if (Array.isArray(message)) return message.join('; ');
  return error.message;
}
