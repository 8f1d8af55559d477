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

/** A figure with its median, and the ratio to the baseline when one was measured. */
export function figure(
  fields: Omit<Figure, 'value' | 'ratio' | 'baseline'> & { baseline?: { name: string; samples: number[] } },
): Figure {
  const value = median(fields.samples);
  if (!fields.baseline) return { ...fields, value, baseline: undefined };
  const baselineValue = median(fields.baseline.samples);
  return { ...fields, value, baseline: { ...fields.baseline, value: baselineValue }, ratio: value / baselineValue };
}

/** Events per second of `count` events done in `elapsedMs`. */
export function perSecond(count: number, elapsedMs: number): number {
  return (count * 1000) / elapsedMs;
}
