import { Decimal, ZERO, shownQuantity } from '../../shared/decimal.js';
import { msPerHour, overlapMs } from '../../shared/time.js';

/**
 * Capacity arithmetic over allocations. An allocation holds its GPUs over the half-open interval
 * [startsAtMs, endsAtMs), open-ended (endsAtMs null) until it is released.
 */

export interface AllocationInterval {
  gpuCount: number;
  startsAtMs: number;
  /** Null while the allocation is open. */
  endsAtMs: number | null;
}

/** The highest load over an interval and the first instant at which it is reached. */
export interface PeakLoad {
  gpuCount: number;
  atMs: number;
}

interface LoadChange {
  atMs: number;
  deltaGpus: number;
}

/**
 * The peak number of GPUs the allocations hold at any instant of [fromMs, toMs), with a sweep
 * over their start and end instants: O(n log n) for n allocations. Ends are applied before
 * starts at the same instant because intervals are half-open: an allocation that ends at t and
 * one that starts at t never hold GPUs together.
 */
export function peakLoad(allocations: Iterable<AllocationInterval>, fromMs: number, toMs: number): PeakLoad {
  const changes: LoadChange[] = [];
  for (const allocation of allocations) {
    const startMs = Math.max(allocation.startsAtMs, fromMs);
    const endMs = Math.min(allocation.endsAtMs ?? Number.POSITIVE_INFINITY, toMs);
    if (endMs <= startMs) continue;
    changes.push({ atMs: startMs, deltaGpus: allocation.gpuCount });
    if (endMs !== Number.POSITIVE_INFINITY) changes.push({ atMs: endMs, deltaGpus: -allocation.gpuCount });
  }
  changes.sort((a, b) => a.atMs - b.atMs || a.deltaGpus - b.deltaGpus);
  let load = 0;
  let peak: PeakLoad = { gpuCount: 0, atMs: fromMs };
  for (const change of changes) {
    load += change.deltaGpus;
    if (load > peak.gpuCount) peak = { gpuCount: load, atMs: change.atMs };
  }
  return peak;
}

/**
 * GPU-milliseconds the allocations hold over [startMs, endMs): an exact integer, kept as a
 * decimal because GPU count x milliseconds can pass 2^53. Bounds are compared in GPU-milliseconds
 * because an hour is 3,600,000 ms and a division by it need not terminate.
 */
export function allocatedGpuMs(allocations: Iterable<AllocationInterval>, startMs: number, endMs: number): Decimal {
  const exact = allocatedGpuMsIfSafe(allocations, startMs, endMs);
  if (exact !== null) return new Decimal(exact);
  let total = ZERO;
  for (const allocation of allocations) {
    const heldMs = overlapMs(allocation.startsAtMs, allocation.endsAtMs ?? Number.POSITIVE_INFINITY, startMs, endMs);
    if (heldMs > 0) total = total.plus(new Decimal(heldMs).times(allocation.gpuCount));
  }
  return total;
}

/**
 * The same GPU-milliseconds as a JS number when every product and the sum are safe integers
 * (so exact), which is almost always; null when they would pass 2^53. This runs for every
 * reading, and a number costs no allocation.
 */
export function allocatedGpuMsIfSafe(allocations: Iterable<AllocationInterval>, startMs: number, endMs: number): number | null {
  let total = 0;
  for (const allocation of allocations) {
    const heldMs = overlapMs(allocation.startsAtMs, allocation.endsAtMs ?? Number.POSITIVE_INFINITY, startMs, endMs);
    if (heldMs <= 0) continue;
    const gpuMs = heldMs * allocation.gpuCount;
    if (!Number.isSafeInteger(gpuMs) || !Number.isSafeInteger(total + gpuMs)) return null;
    total += gpuMs;
  }
  return total;
}

/**
 * GPU-hours the allocations hold over [startMs, endMs) as shown to people: sum of gpuCount x
 * hours of overlap, exact in milliseconds, then half up to 6 fractional digits.
 */
export function allocatedGpuHours(allocations: Iterable<AllocationInterval>, startMs: number, endMs: number): Decimal {
  return shownQuantity(allocatedGpuMs(allocations, startMs, endMs), msPerHour);
}
