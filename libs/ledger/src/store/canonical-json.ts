/**
 * Canonical JSON: the one byte-exact text of a JSON value that the hash chain is computed over.
 * Object keys are sorted by UTF-16 code units, there is no insignificant white space, strings
 * and numbers are written as `JSON.stringify` writes them (the ECMAScript forms that RFC 8785
 * also uses). Decimals travel as strings, so a number here is an integer count or an id.
 *
 * Anything that has no single JSON text is refused rather than guessed at: non-finite numbers,
 * `undefined` inside arrays or at the top, functions, symbols, bigints, and objects that are not
 * plain (a `Date` or a `Map` would otherwise turn into whatever its `toJSON` says). An object
 * property whose value is `undefined` is left out, as `JSON.stringify` does, because optional
 * fields of event metadata are typed that way.
 */

/** Event data is shallow; the limit turns a reference cycle into an error instead of a stack overflow. */
export const canonicalJsonDepthMax = 64;

export class CanonicalJsonError extends TypeError {
  override readonly name = 'CanonicalJsonError';
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`cannot write canonical JSON: ${problem} at ${path}`);
  }
}

export function canonicalJson(value: unknown): string {
  return isStringifyCanonical(value, 0) ? JSON.stringify(value) : writeValue(value, 0);
}

/**
 * True when `JSON.stringify` already writes the canonical text, which it does several times
 * faster than the writer below and in one flat string: plain objects whose keys are in sorted
 * order and none of which looks like an array index (those `JSON.stringify` would move to the
 * front), arrays without `undefined`, finite numbers. Anything else takes the writer below,
 * which also says what is wrong with a value it refuses.
 */
function isStringifyCanonical(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object':
      if (value === null) return true;
      if (depth >= canonicalJsonDepthMax) return false;
      return Array.isArray(value) ? isStringifyCanonicalArray(value, depth + 1) : isStringifyCanonicalObject(value, depth + 1);
    default:
      return false;
  }
}

function isStringifyCanonicalArray(items: readonly unknown[], depth: number): boolean {
  for (const item of items) {
    if (item === undefined || !isStringifyCanonical(item, depth)) return false;
  }
  return true;
}

function isStringifyCanonicalObject(object: object, depth: number): boolean {
  const prototype: unknown = Object.getPrototypeOf(object);
  if (prototype !== Object.prototype && prototype !== null) return false;
  const record = object as Record<string, unknown>;
  let previousKey: string | undefined;
  // for...in walks the keys without allocating an array; an inherited enumerable key can only
  // make this answer false (then the writer below, which uses own keys, decides).
  for (const key in record) {
    if (previousKey !== undefined && !(previousKey < key)) return false;
    if (startsWithDigit(key)) return false;
    const child = record[key];
    if (child !== undefined && !isStringifyCanonical(child, depth)) return false;
    previousKey = key;
  }
  return true;
}

function startsWithDigit(key: string): boolean {
  const code = key.charCodeAt(0);
  return code >= digitZeroCode && code <= digitNineCode;
}

const digitZeroCode = 48;
const digitNineCode = 57;

function writeValue(value: unknown, depth: number): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError('$', `non-finite number ${value}`);
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      if (depth >= canonicalJsonDepthMax) {
        throw new CanonicalJsonError('$', `nesting deeper than ${canonicalJsonDepthMax} levels`);
      }
      return Array.isArray(value) ? writeArray(value, depth + 1) : writeObject(value, depth + 1);
    default:
      throw new CanonicalJsonError('$', `a value of type ${typeof value}`);
  }
}

function writeArray(items: readonly unknown[], depth: number): string {
  let out = '[';
  for (let index = 0; index < items.length; index += 1) {
    const item = items[index];
    if (item === undefined) throw new CanonicalJsonError(`$[${index}]`, 'undefined');
    if (index > 0) out += ',';
    out += writeChild(item, depth, index);
  }
  return out + ']';
}

function writeObject(object: object, depth: number): string {
  const prototype: unknown = Object.getPrototypeOf(object);
  if (prototype !== Object.prototype && prototype !== null) {
    throw new CanonicalJsonError('$', `an object that is not plain (${object.constructor?.name ?? 'unknown'})`);
  }
  const record = object as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let out = '{';
  for (const key of keys) {
    const child = record[key];
    if (child === undefined) continue;
    if (out.length > 1) out += ',';
    out += JSON.stringify(key) + ':' + writeChild(child, depth, key);
  }
  return out + '}';
}

/** Writes a nested value and, when it is refused, puts the step to it in front of the error's path. */
function writeChild(child: unknown, depth: number, step: string | number): string {
  try {
    return writeValue(child, depth);
  } catch (error) {
    if (!(error instanceof CanonicalJsonError)) throw error;
    const prefix = typeof step === 'number' ? `[${step}]` : `.${step}`;
    throw new CanonicalJsonError(`$${prefix}${error.path.slice(1)}`, error.problem);
  }
}
