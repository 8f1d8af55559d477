/**
 * A broken invariant is a bug, not a domain error: it stops the operation with a message that
 * names the invariant. One condition per call, so that the message says exactly what failed.
 */
export class AssertionError extends Error {
  override readonly name = 'AssertionError';
}

export function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}
