/**
 * The benchmarks import the ledger through its package name, which resolves to the TypeScript
 * sources only under the `@compute-ledger/source` condition; `tsx` loads them. These are the
 * node arguments a process running benchmark code needs.
 */
export const sourceCondition = '@compute-ledger/source';

export function typeScriptNodeArgs(): string[] {
  return [`--conditions=${sourceCondition}`, '--import', import.meta.resolve('tsx')];
}
