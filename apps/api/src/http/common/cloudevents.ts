import { ValidationError } from '@compute-ledger/ledger';
import type { IncomingHttpHeaders } from 'node:http';
import type { z } from 'zod';
import { parseInput } from '../../shared/parse-input.js';

/**
 * The CloudEvents HTTP protocol binding (1.0), as far as POST /v1/usage needs it: the three
 * content modes. Structured and batch mode carry the events in the body under their own media
 * types; binary mode carries one event's attributes in `ce-*` headers and its data as the body,
 * under the data's own media type (JSON here).
 */

export const cloudEventContentType = 'application/cloudevents+json';
export const cloudEventsBatchContentType = 'application/cloudevents-batch+json';

/** The prefix of a binary-mode attribute header. */
const attributeHeaderPrefix = 'ce-';

/**
 * The required attributes of a usage event in binary mode, with what each holds: named in the
 * OpenAPI document, checked by the same schema as the other modes.
 */
export const binaryModeHeaders: Record<string, string> = {
  'ce-specversion': '`1.0`: with it, the request is one CloudEvent in binary mode and the body is its data `{periodStart, periodEnd, gpuHours}`',
  'ce-id': 'the readingId',
  'ce-source': 'the meter',
  'ce-type': '`gpu.usage.v1`',
  'ce-subject': 'the leaseId',
};

/**
 * A request in binary mode: it has a `ce-*` header. The binding identifies binary mode by
 * `ce-specversion`; any attribute header is taken as the sign here, so that a request that
 * forgot `ce-specversion` is told so rather than told that `records` is missing.
 */
export function isBinaryModeEvent(headers: IncomingHttpHeaders): boolean {
  return Object.keys(headers).some((name) => name.startsWith(attributeHeaderPrefix));
}

/**
 * The event a binary-mode request carries, validated by `schema` (one CloudEvent, whose `data`
 * is the body). Header values are percent-decoded, as the binding has senders encode them; an
 * error names the header (`ce-id`) or the body field (`gpuHours`) at fault.
 */
export function binaryModeEvent<S extends z.ZodType>(schema: S, headers: IncomingHttpHeaders, body: unknown): z.output<S> {
  const event: Record<string, unknown> = { data: body };
  const errors: { path: string; message: string }[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith(attributeHeaderPrefix) || value === undefined) continue;
    const attribute = name.slice(attributeHeaderPrefix.length);
    if (attribute === 'data' || Array.isArray(value)) {
      errors.push({ path: name, message: attribute === 'data' ? 'is not an attribute: in binary mode the data is the body' : 'is given more than once' });
      continue;
    }
    try {
      event[attribute] = decodeURIComponent(value);
    } catch {
      errors.push({ path: name, message: 'has a percent-escape that does not decode' });
    }
  }
  const contentType = headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (contentType !== undefined) event['datacontenttype'] = contentType;
  if (errors.length > 0) throw new ValidationError(`invalid CloudEvent: ${errors.map((error) => `${error.path}: ${error.message}`).join('; ')}`, errors);
  try {
    return parseInput(schema, event);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const located = error.errors.map((fieldError) => ({ ...fieldError, path: binaryModePath(fieldError.path) }));
    throw new ValidationError(`invalid CloudEvent: ${located.map((fieldError) => `${fieldError.path}: ${fieldError.message}`).join('; ')}`, located);
  }
}

/** Where a binary-mode field lives: the body for `data...`, the Content-Type header for the data's type, else its `ce-` header. */
function binaryModePath(path: string): string {
  if (path === 'data') return '(body)';
  if (path.startsWith('data.')) return path.slice('data.'.length);
  if (path === 'datacontenttype') return 'content-type';
  return `${attributeHeaderPrefix}${path}`;
}
