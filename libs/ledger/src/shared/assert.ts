/**
 * The ledger's asserts: a broken invariant throws an `InvariantError`, a bug that stops the
 * work, never a domain error (see libs/contracts/src/invariant.ts, where both live for the
 * whole workspace).
 */
export { InvariantError, assert, unreachable } from '@compute-ledger/contracts';
