import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * What a benchmark module reports: one figure per measured case, the median of its runs, and,
 * where there is one, the same case measured on a baseline in the same run.
 */
export interface Figure {
  benchmark: string;
  case: string;
  unit: string;
  /** Median of `samples`. */
  value: number;
  samples: number[];
  baseline?: { name: string; value: number; samples: number[] };
  /** value / baseline.value, when there is a baseline. */
  ratio?: number;
  /** The goal the figure is held to, and whether this run met it. */
  target?: { text: string; met: boolean };
}

/** A goal on a figure's value or on its ratio to the baseline. */
export interface TargetSpec {
  on: 'value' | 'ratio';
  atLeast?: number;
  below?: number;
  /** How the table states it, e.g. ">= 0.5x raw". */
  text: string;
}

/** Full runs measure; smoke runs only prove that every benchmark still runs, with tiny sizes. */
export type BenchMode = 'full' | 'smoke';

export interface BenchmarkModule {
  name: string;
  run(mode: BenchMode): Promise<Figure[]>;
}

export function median(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] ?? Number.NaN;
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] ?? Number.NaN) + upper) / 2;
}

/** The `p`th percentile of `samples` (0 < p <= 100), by nearest rank: a value that was measured. */
export function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] ?? Number.NaN;
}

/** A figure with its median, and the ratio to the baseline when one was measured. */
export function figure(
  fields: Omit<Figure, 'value' | 'ratio' | 'baseline'> & { baseline?: { name: string; samples: number[] } },
): Figure {
  const value = median(fields.samples);
  if (!fields.baseline) return { ...fields, value, baseline: undefined };
  const baselineValue = median(fields.baseline.samples);
  return { ...fields, value, baseline: { ...fields.baseline, value: baselineValue }, ratio: value / baselineValue };
}

/** The figure with its target, and whether it was met. */
export function withTarget(item: Figure, spec: TargetSpec): Figure {
  const measured = spec.on === 'value' ? item.value : item.ratio;
  const met = measured !== undefined && (spec.atLeast === undefined || measured >= spec.atLeast) && (spec.below === undefined || measured < spec.below);
  return { ...item, target: { text: spec.text, met } };
}

/** Runs `work` in a new temporary directory, removed afterwards whatever happens. */
export async function inTemporaryDirectory<T>(prefix: string, work: (directory: string) => Promise<T>): Promise<T> {
  const directory = mkdtempSync(join(tmpdir(), prefix));
  try {
    return await work(directory);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

/** Events per second of `count` events done in `elapsedMs`. */
export function perSecond(count: number, elapsedMs: number): number {
  return (count * 1000) / elapsedMs;
}
