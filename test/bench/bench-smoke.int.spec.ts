import { describe, expect, it } from 'vitest';
import { esdbAppendBenchmark } from './esdb-append.bench.js';
import { benchmarkModules } from './modules.js';
import { formatTable, runBenchmarks } from './runner.js';

/**
 * Every benchmark still runs (tiny sizes, no timing asserted) and reports figures: one test per
 * module of `npm run bench`, so that a new module is smoked as soon as it is listed there, and
 * a failure or a timeout names its module. Several start the built server (http-ingest,
 * reports, server-memory, soak) on a machine other tests share: hence the generous timeout.
 */
describe('benchmarks in smoke mode', () => {
  for (const module of benchmarkModules) {
    it(`${module.name} runs and produces rows for the table`, async () => {
      const report = await runBenchmarks([module], 'smoke');
      expect(report.mode).toBe('smoke');
      expect(report.figures.length).toBeGreaterThan(0);
      for (const item of report.figures) {
        expect(item.benchmark).toBe(module.name);
        expect(item.value).toBeGreaterThan(0);
        expect(Number.isFinite(item.value)).toBe(true);
        if (item.baseline) expect(item.ratio).toBeCloseTo(item.value / item.baseline.value);
      }
      const table = formatTable(report.figures);
      expect(table.split('\n')).toHaveLength(report.figures.length + 2);
    }, 180_000);
  }

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
