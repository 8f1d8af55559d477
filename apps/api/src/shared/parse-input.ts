import { ValidationError, type FieldError } from '@compute-ledger/ledger';
import type { z } from 'zod';
import { usageBatchRecordsMax } from '@compute-ledger/contracts';

/**
 * The one validation step of the API and the command line: every body, query, path parameter
 * and option goes through `parseInput` with a schema of @compute-ledger/contracts, and a
 * refusal names each field with what is wrong with it. Free of Nest, so that the command line
 * does not load the HTTP stack to check an option.
 */

/** A body or batch over its limit (413). */
export class PayloadTooLargeError extends Error {
  override readonly name = 'PayloadTooLargeError';
}

export interface ParseOptions {
  /** Where in the input the value sits, for the error paths (`query`, a parameter name). */
  prefix?: string;
  /** Path of an array that is a batch: over the batch limit it is 413, not 400. */
  batchAt?: string;
}

export function parseInput<S extends z.ZodType>(schema: S, value: unknown, options: ParseOptions = {}): z.output<S> {
  if (options.batchAt !== undefined) refuseOversizedBatch(value, options.batchAt);
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const errors = parsed.error.issues.flatMap((issue) => fieldErrors(issue, options.prefix));
  const summary = errors
    .slice(0, 3)
    .map((error) => `${error.path}: ${error.message}`)
    .join('; ');
  const more = errors.length > 3 ? ` (and ${errors.length - 3} more)` : '';
  throw new ValidationError(`invalid input: ${summary}${more}`, errors);
}

function refuseOversizedBatch(value: unknown, path: string): void {
  let found: unknown = value;
  for (const part of path === '' ? [] : path.split('.')) {
    found = found !== null && typeof found === 'object' ? (found as Record<string, unknown>)[part] : undefined;
  }
  if (Array.isArray(found) && found.length > usageBatchRecordsMax) {
    throw new PayloadTooLargeError(`a usage batch holds at most ${usageBatchRecordsMax.toLocaleString('en-US')} records; this one has ${found.length.toLocaleString('en-US')}`);
  }
}

function fieldErrors(issue: z.core.$ZodIssue, prefix: string | undefined): FieldError[] {
  const path = joinPath(prefix, issue.path);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: joinPath(path, [key]), message: 'is not a known field' }));
  }
  if (issue.code === 'invalid_union') {
    // A union of encodings: report the branch that got furthest rather than every branch.
    const deepest = issue.errors.reduce<z.core.$ZodIssue[]>((best, branch) => (branch.length > 0 && (best.length === 0 || depth(branch) > depth(best)) ? branch : best), []);
    if (deepest.length > 0) return deepest.flatMap((inner) => fieldErrors(inner, path === '' ? undefined : path));
  }
  return [{ path: path === '' ? '(root)' : path, message: messageOf(issue) }];
}

/** Zod's wording, made plainer where a client most often trips. */
function messageOf(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && issue.message.endsWith('received undefined')) return 'is required';
  if (issue.code === 'invalid_type' && issue.expected === 'string' && issue.message.endsWith('received number')) {
    return 'must be a string, not a JSON number (decimals travel as strings, e.g. "2.10")';
  }
  return issue.message;
}

function depth(issues: z.core.$ZodIssue[]): number {
  return Math.max(...issues.map((issue) => issue.path.length));
}

function joinPath(prefix: string | undefined, path: readonly PropertyKey[]): string {
  const parts = path.map((part) => String(part));
  return [...(prefix === undefined || prefix === '' ? [] : [prefix]), ...parts].join('.');
}
