import { describe, expect, it } from 'vitest';
import { esdbAppendBenchmark } from './esdb-append.bench.js';
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

  it('measure the EventStoreDB store on the double with injected latency, beside SQLite', async () => {
    const figures = await esdbAppendBenchmark.run('smoke');
    expect(figures.map((item) => item.case.split(' (')[0])).toEqual([
      'single-event appends, one instance',
      'single-event appends, two instances racing',
      'appendMany of 100 readings over 20 leases',
      'appendMany of 100 readings over 20 leases: bare log append, no fold',
    ]);
    expect(figures[2]?.baseline?.name).toBe('SQLite store');
    for (const item of figures) expect(item.value).toBeGreaterThan(0);
  }, 120_000);
});
