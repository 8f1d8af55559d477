import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * The heap a process holds after full garbage collections, for memory bounds that must not
 * count garbage not yet collected (the memory-bound test, the benchmark's memory figure).
 */

export const mebibyte = 1024 * 1024;

/** `gc` of a process started with --expose-gc, or else exposed now (V8 lets a running process do so). */
export function forcedGc(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === 'function') return exposed;
  setFlagsFromString('--expose-gc');
  const gc: unknown = runInNewContext('gc');
  if (typeof gc !== 'function') throw new Error('cannot force a garbage collection in this process');
  return gc as () => void;
}

/** Full collections with the event loop let run between; the lowest heapUsed seen sheds what one collection happens to keep. */
export async function heapUsedAfterGc(gc: () => void, rounds = 4): Promise<number> {
  let lowest = Number.POSITIVE_INFINITY;
  for (let round = 0; round < rounds; round += 1) {
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    lowest = Math.min(lowest, process.memoryUsage().heapUsed);
  }
  return lowest;
}
