import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { preparedFleet } from './billing.bench.js';
import { figure, inTemporaryDirectory, perSecond, withTarget } from './figures.js';
import { typeScriptNodeArgs } from './node-args.js';
import type { BenchMode, BenchmarkModule, Figure } from './figures.js';

/**
 * Rebuilding the model from the log: the time a cold start spends before it can answer.
 *
 * - Events per second of a rebuild (open the file, fold every event into the model; no
 *   checkpoint) of the billing fleet, 2,000 leases with a month of hourly readings, against
 *   the floor: a raw better-sqlite3 SELECT of the same rows' data, in position order, with
 *   JSON.parse of each. Rebuild and raw runs alternate, each in a process of its own, so that
 *   neither inherits the other's warm heap and both pay for starting cold.
 * - Peak memory (the resident set's high-water mark) of a rebuild of 10 million events: the
 *   same fleet with 5,000 hourly readings per lease, about seven months.
 */

interface Sizes {
  leases: number;
  hoursPerLease: number;
  runs: number;
  /** Readings per lease of the large rebuild (times `leases`: the events it folds, give or take the contracts). */
  largeHoursPerLease: number;
}

const fullSizes: Sizes = { leases: 2_000, hoursPerLease: 720, runs: 3, largeHoursPerLease: 5_000 };
const smokeSizes: Sizes = { leases: 10, hoursPerLease: 24, runs: 1, largeHoursPerLease: 48 };

const benchmark = 'rebuild';
const childScript = fileURLToPath(new URL('./rebuild-child.ts', import.meta.url));

interface ChildResult {
  events: number;
  elapsedMs: number;
  maxRssMiB: number;
  heldMiB: number;
}

export const rebuildBenchmark: BenchmarkModule = {
  name: benchmark,
  async run(mode: BenchMode): Promise<Figure[]> {
    const sizes = mode === 'full' ? fullSizes : smokeSizes;
    return inTemporaryDirectory('bench-rebuild-', async (directory) => {
    const fleet = await preparedFleet(mode, directory, sizes.leases, sizes.hoursPerLease, 1);
    const rebuilds: number[] = [];
    const raws: number[] = [];
    let events = 0;
    for (let run = 0; run < sizes.runs; run += 1) {
      const rebuilt = rebuildInChild(fleet);
      events = rebuilt.events;
      rebuilds.push(perSecond(rebuilt.events, rebuilt.elapsedMs));
      raws.push(rawSelectAndParse(fleet));
    }
    const count = events.toLocaleString('en-US');
    const rate = figure({ benchmark, case: `rebuild of ${count} events`, unit: 'events/s', samples: rebuilds, baseline: { name: 'raw SELECT + JSON.parse', samples: raws } });
    const figures = [withTarget(rate, { on: 'ratio', atLeast: 0.6, text: '>= 0.6x raw' })];

    const large = await preparedFleet(mode, directory, sizes.leases, sizes.largeHoursPerLease, 1);
    const result = rebuildInChild(large);
    const largeCount = result.events.toLocaleString('en-US');
    figures.push(
      withTarget(figure({ benchmark, case: `rebuild of ${largeCount} events, peak resident memory`, unit: 'MiB', samples: [result.maxRssMiB] }), { on: 'value', below: 1_536, text: '< 1.5 GiB' }),
      figure({ benchmark, case: `rebuild of ${largeCount} events, memory held after (heap + buffers)`, unit: 'MiB', samples: [result.heldMiB] }),
      figure({ benchmark, case: `rebuild of ${largeCount} events`, unit: 'events/s', samples: [perSecond(result.events, result.elapsedMs)] }),
    );
    return figures;
    });
  },
};

/** Rebuilds in a fresh process and reads its report. */
function rebuildInChild(path: string): ChildResult {
  const child = spawnSync(process.execPath, [...typeScriptNodeArgs(), '--expose-gc', childScript, path], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (child.status !== 0) throw new Error(`the rebuild process failed (${child.status ?? child.signal}): ${child.stderr}`);
  const lastLine = child.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(lastLine) as ChildResult;
}

/** Rows per second of the floor: every event's data selected in position order and parsed. */
function rawSelectAndParse(path: string): number {
  const startedAt = performance.now();
  const db = new BetterSqlite3(path, { readonly: true });
  let rows = 0;
  try {
    for (const row of db.prepare<[], [string]>('SELECT data FROM events ORDER BY position').raw().iterate()) {
      JSON.parse(row[0]);
      rows += 1;
    }
  } finally {
    db.close();
  }
  return perSecond(rows, performance.now() - startedAt);
}
