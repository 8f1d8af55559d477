/**
 * A broken invariant is a bug, not a domain error: it stops the operation with a message that
 * names the invariant. Domain errors answer a request (4xx, exit 1); an invariant failure means
 * the ledger computed something it must never compute, so nothing is recorded or answered from
 * it: the HTTP layer answers 500 and logs it loudly, the CLI exits with its own code.
 *
 * One home for every part of the workspace: the ledger, the API and the dashboard all stop the
 * same way, and `instanceof InvariantError` tells a bug from a refusal wherever it is caught.
 */
export class InvariantError extends Error {
  override readonly name = 'InvariantError';
  constructor(readonly invariant: string) {
    super(`invariant violated: ${invariant}`);
  }
}

/** One condition per call, so that the message says exactly what failed. */
export function assert(condition: boolean, invariant: string): asserts condition {
  if (!condition) throw new InvariantError(invariant);
}

/**
 * Ends every exhaustive `switch`: a new member of a union fails to compile where it is not
 * handled, and reaching it at run time is a bug.
 */
export function unreachable(value: never, what: string): never {
  throw new InvariantError(`unhandled ${what} ${JSON.stringify(value) ?? String(value)}`);
}
