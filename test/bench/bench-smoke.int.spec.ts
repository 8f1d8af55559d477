import { describe, expect, it } from 'vitest';
import { benchmarkModules } from './modules.js';
import { formatTable, runBenchmarks } from './runner.js';

/** Every benchmark still runs (tiny sizes, no timing asserted) and reports figures. */
describe('benchmarks in smoke mode', () => {
  it('run and produce rows for the table', async () => {
    const report = await runBenchmarks(benchmarkModules, 'smoke');
    expect(report.mode).toBe('smoke');
    for (const module of benchmarkModules) {
      expect(report.figures.some((item) => item.benchmark === module.name)).toBe(true);
    }
    for (const item of report.figures) {
      expect(item.value).toBeGreaterThan(0);
      expect(Number.isFinite(item.value)).toBe(true);
      if (item.baseline) expect(item.ratio).toBeCloseTo(item.value / item.baseline.value);
    }
    const table = formatTable(report.figures);
    expect(table.split('\n')).toHaveLength(report.figures.length + 2);
    // Every module in one test: two of them start the built server, on a machine other tests share.
  }, 180_000);
});
