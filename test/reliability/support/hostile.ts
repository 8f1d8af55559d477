import fc from 'fast-check';
import { keys } from './ledger-server.js';
import type { Answer, Client } from './client.js';

/**
 * Hostile input for the fuzz and authorization tests: mutations of valid bodies, junk values,
 * odd headers and query strings, and the checks every refusal must pass.
 */

export type Path = readonly (string | number)[];

/** Values that do not belong where a field is expected. */
export const junkValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1e308, -1e-308, 2 ** 53 + 1, '', ' ', '0', '-0', '1e3', 'NaN', 'Infinity', '0x10', '١٢٣', '2.'),
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('\u0000', '\uD800', '\uFFFF', 'Ｌ‐１００１', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢', 'e\u0301', '\u202Eevil', '<script>alert(1)</script>', "'; DROP TABLE events; --", '../../etc/passwd', '%00', '${jndi:ldap://x}'),
  fc.integer({ min: 1_000, max: 200_000 }).map((length) => 'x'.repeat(length)),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 5 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
  fc.integer({ min: 100, max: 1_000 }).map(deeplyNested),
);

/** Keys that attack the parser or the objects built from the body. */
export const hostileKey = fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', '', ' ', 'toString', 'hasOwnProperty', '__defineGetter__', 'then', '$where'), fc.string({ maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 12 }));

export function deeplyNested(depth: number): unknown {
  let value: unknown = 'bottom';
  for (let level = 0; level < depth; level += 1) value = level % 2 === 0 ? [value] : { nested: value };
  return value;
}

/** The JSON text of a value nested `depth` levels deep, built as text: deeper than a stack can stringify. */
export function deeplyNestedJson(depth: number): string {
  const half = Math.floor(depth / 2);
  return `${'[{"nested":'.repeat(half)}"bottom"${'}]'.repeat(half)}`;
}

/** Paths below this depth are not mutated one by one: a deep value is mutated as a whole. */
const mutationDepthMax = 8;

export type Mutation =
  | { kind: 'drop'; at: number }
  | { kind: 'replace'; at: number; value: unknown }
  | { kind: 'decimal-as-number'; at: number }
  | { kind: 'add'; at: number; key: string; value: unknown }
  | { kind: 'whole'; value: unknown };

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('drop' as const), at: fc.nat() }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), value: junkValue }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('decimal-as-number' as const), at: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('add' as const), at: fc.nat(), key: hostileKey, value: junkValue }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('whole' as const), value: junkValue }) },
);

/** Every path in a JSON value (the root is []). */
export function pathsOf(value: unknown, prefix: Path = []): Path[] {
  const paths: Path[] = [prefix];
  if (prefix.length >= mutationDepthMax) return paths;
  if (Array.isArray(value)) value.forEach((item, index) => paths.push(...pathsOf(item, [...prefix, index])));
  else if (value !== null && typeof value === 'object') for (const [key, item] of Object.entries(value)) paths.push(...pathsOf(item, [...prefix, key]));
  return paths;
}

/** Applies mutations to a copy of `body`; the result may still be valid, which is fine. */
export function mutate(body: unknown, mutations: readonly Mutation[]): unknown {
  let result = structuredClone(body);
  for (const change of mutations) {
    if (change.kind === 'whole') {
      result = change.value;
      continue;
    }
    const paths = pathsOf(result);
    const path = paths[change.at % paths.length]!;
    result = applyAt(result, path, change);
  }
  return result;
}

function applyAt(root: unknown, path: Path, change: Exclude<Mutation, { kind: 'whole' }>): unknown {
  if (path.length === 0) {
    if (change.kind === 'add' && root !== null && typeof root === 'object' && !Array.isArray(root)) return defineOwn(root as Record<string, unknown>, change.key, change.value);
    if (change.kind === 'replace') return change.value;
    return root;
  }
  const parent = path.slice(0, -1).reduce<unknown>((node, key) => (node as Record<string | number, unknown>)[key], root) as Record<string | number, unknown>;
  const key = path[path.length - 1]!;
  switch (change.kind) {
    case 'drop':
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete parent[key];
      break;
    case 'replace':
      defineOwn(parent, key, change.value);
      break;
    case 'decimal-as-number': {
      const current = parent[key];
      if (typeof current === 'string' && /^-?\d+(\.\d+)?$/.test(current)) parent[key] = Number(current);
      break;
    }
    case 'add': {
      const target = parent[key];
      if (target !== null && typeof target === 'object' && !Array.isArray(target)) defineOwn(target as Record<string, unknown>, change.key, change.value);
      break;
    }
  }
  return root;
}

/** Sets an own property even for `__proto__`, so that JSON.stringify writes the key out. */
function defineOwn(target: Record<string | number, unknown>, key: string | number, value: unknown): Record<string | number, unknown> {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  return target;
}

export const contentTypes = [
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/json;charset=latin1',
  'application/cloudevents-batch+json',
  'application/problem+json',
  'application/vnd.api+json',
  'text/plain',
  'text/json',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/octet-stream',
  '',
  ';;;',
  'application/json, text/plain',
];

/** The Authorization header: the right key mostly, else every kind of wrong. */
export function authorizationHeader(rightKey: string): fc.Arbitrary<string | null> {
  return fc.oneof(
    { weight: 8, arbitrary: fc.constant(`Bearer ${rightKey}`) },
    {
      weight: 4,
      arbitrary: fc.constantFrom(
        null,
        '',
        'Bearer',
        'Bearer ',
        `bearer ${rightKey}`,
        `Bearer  ${rightKey}`,
        `Bearer ${rightKey} `,
        `Bearer ${rightKey}x`,
        `Bearer ${rightKey.slice(0, -1)}`,
        `Basic ${Buffer.from(`user:${rightKey}`).toString('base64')}`,
        `Bearer ${keys.auditor}`,
        `Bearer ${keys.tenant}`,
        `Token ${rightKey}`,
        `Bearer ${'k'.repeat(2_000)}`,
        // Header values are bytes: Latin-1 is what a client can send beyond ASCII.
        'Bearer \u00e9-cl\u00e9-\u00ff',
        `Bearer ${rightKey},Bearer ${keys.admin}`,
      ),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 60 }).map((text) => `Bearer ${text.replace(/[\r\n]/g, '')}`) },
  );
}

/** A query string of junk parameters (or none). */
export const junkQuery: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constant('') },
  {
    weight: 2,
    arbitrary: fc
      .array(fc.tuple(fc.oneof(hostileKey, fc.constantFrom('knownAt', 'asOf', 'month', 'tenantId', 'limit')), fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('2025-01-01T00:00:00Z', '-1', '1e9', '[]', '{}', '%ZZ'))), { maxLength: 4 })
      .map((pairs) => `?${pairs.map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`).join('&')}`),
  },
  { weight: 1, arbitrary: fc.constantFrom('?', '?&&', '?a', '?a=1&a=2', '?%', '?__proto__[admin]=1', '?constructor[prototype][admin]=1', `?pad=${'p'.repeat(3_000)}`) },
);

/** What must not appear in an answer: a stack frame, a source path, a dependency. */
const leakPatterns = [
  // A stack frame: "at fn (file:///x.js:1:2)", "at /x.js:1:2", "at node:internal/...".
  /\bat (?:[\w$.<>[\] ]+ \()?(?:file:\/\/|node:|\/)[^\s)]*:\d+:\d+/,
  /node_modules/,
  /\/work\//,
  /\/(?:src|dist)\/[\w/.-]+\.(?:js|ts)\b/,
  /\bSqliteError\b/,
  /\bTypeError\b/,
  /\bReferenceError\b/,
  /better-sqlite3/,
];

/** What is wrong with a refusal (an empty list when nothing is): the answer's shape and that it leaks nothing. */
export function refusalProblems(answer: Answer): string[] {
  const problems: string[] = [];
  if (answer.status >= 500) problems.push(`a ${answer.status}`);
  if (answer.status < 400) return problems;
  const contentType = answer.headers.get('content-type') ?? '';
  if (!contentType.startsWith('application/problem+json')) problems.push(`content type ${contentType}`);
  const body = answer.body as Record<string, unknown>;
  if (typeof body !== 'object' || body === null) problems.push('no JSON body');
  else {
    if (body['status'] !== answer.status) problems.push(`body status ${String(body['status'])}`);
    for (const field of ['type', 'title', 'detail']) if (typeof body[field] !== 'string') problems.push(`no ${field}`);
  }
  problems.push(...leaks(answer.text));
  return problems;
}

/** Stack traces, internals and keys in a text. */
export function leaks(text: string): string[] {
  const found = leakPatterns.filter((pattern) => pattern.test(text)).map((pattern) => `leaks ${pattern}`);
  for (const [name, key] of Object.entries(keys)) if (text.includes(key)) found.push(`shows the ${name} key`);
  return found;
}

/**
 * Follows the head of the log through GET /v1/audit/events: `moved()` answers whether anything
 * was appended since the last call. Requests run one at a time, so a refused request that is
 * followed by a move has recorded something.
 */
export class LogWatch {
  private head = -1;

  constructor(private readonly client: Client) {}

  async moved(): Promise<boolean> {
    let moved = false;
    for (;;) {
      const page = await this.client.expect<{ events: { position: number }[] }>(200, 'GET', `/v1/audit/events?fromPosition=${this.head + 1}&limit=10000`, { as: 'auditor' });
      const last = page.body.events.at(-1);
      if (last === undefined) return moved;
      moved = true;
      this.head = last.position;
    }
  }
}
