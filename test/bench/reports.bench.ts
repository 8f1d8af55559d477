import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { instant } from '../reliability/support/fleet.js';
import { flatTarget, month, preparedFleet } from './billing.bench.js';
import { figure, inTemporaryDirectory, percentile, withTarget } from './figures.js';
import type { BenchMode, BenchmarkModule, Figure } from './figures.js';
import { storePath, withServer, type Client } from './server.js';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { openLedgerAt } from '@compute-ledger/api';

/**
 * Report latency over HTTP with knownAt in the past: MRR, revenue and the trial balance, asked of
 * a real `ledger serve` process, one request at a time, each timed around the request (sent,
 * answered, body read and parsed) with performance.now. Figures: p50 and p99 per report, the
 * raw latencies in `samples`.
 *
 * Fixture: a copy of billing.bench.ts's prepared fleet (`prepare`, cached between full runs by
 * `preparedFleet`: 2,000 leases x 720 hourly readings of October 2026, 1.44 M, recorded "on"
 * 2026-11-01), then the 2026-11-01 billing run in process (recorded
 * halfway between then and now), a close that saves the model checkpoint in the ledger
 * directory. The server then starts on that directory (checking the whole hash chain, as any
 * first start does); its start is not measured.
 *
 * The knownAt values are `knownAtInstants` distinct instants spread evenly from the first
 * event's recordedAt to the start of the measurement, used in turn, so about half the answers
 * are as known before the billing run and half after it. A few unmeasured requests per report
 * warm up first. Every answer must be 200 and repeat the knownAt asked, or the run throws.
 *
 * Growth: the same p50s on billing.bench.ts's scale series (100 leases, 1x, 4x and 16x the
 * readings per lease in the same month), with 1x as the baseline. The reports read per-lease
 * model state, never the readings, so the ratios must stay near 1 (billing.bench.ts's flat
 * target). Targets: p99 < 50 ms.
 */

interface Sizes {
  leases: number;
  hoursPerLease: number;
  requests: number;
  warmupRequests: number;
  knownAtInstants: number;
  /** The sizes of billing.bench.ts's scale series. */
  scaleLeases: number;
  scale: readonly number[];
  scaleRequests: number;
}

const fullSizes: Sizes = { leases: 2_000, hoursPerLease: 720, requests: 200, warmupRequests: 10, knownAtInstants: 8, scaleLeases: 100, scale: [1, 4, 16], scaleRequests: 100 };
/**
 * Smoke sizes make the fleet the scale series' only fixture: each fixture costs a server start
 * (3 to 6 s here), and the smoke run of every module shares one test's 30 s.
 */
const smokeSizes: Sizes = { leases: 10, hoursPerLease: 24, requests: 5, warmupRequests: 1, knownAtInstants: 3, scaleLeases: 10, scale: [1], scaleRequests: 5 };

const benchmark = 'reports';
/** When billing.bench.ts's prepare() records its events (its clock). */
const preparedAtMs = Date.parse('2026-11-01T00:00:00Z');

interface Report {
  name: string;
  path: string;
  /** The report's own parameters, besides knownAt. */
  query: Record<string, string>;
}

/** In the month prepare() fills with readings, and its end for the balances. */
const reports: readonly Report[] = [
  { name: 'MRR', path: '/v1/reports/mrr', query: { asOf: '2026-10-15T00:00:00Z' } },
  { name: 'revenue', path: '/v1/reports/revenue', query: { month: '2026-10' } },
  { name: 'trial balance', path: '/v1/reports/trial-balance', query: { asOf: '2026-11-01T00:00:00Z' } },
];

/** Per report name, the latencies of its measured requests in ms. */
type Latencies = Map<string, number[]>;

export const reportsBenchmark: BenchmarkModule = {
  name: benchmark,
  async run(mode: BenchMode): Promise<Figure[]> {
    const sizes = mode === 'full' ? fullSizes : smokeSizes;
    return inTemporaryDirectory('bench-reports-', async (directory) => {
    const fixtures = new Fixtures(directory, sizes, mode);
    const readings = (sizes.leases * sizes.hoursPerLease).toLocaleString('en-US');
    const fleet = await fixtures.latencies(sizes.leases, 1, sizes.requests);
    const figures = reports.flatMap((report) => percentileFigures(`${report.name}, ${sizes.leases.toLocaleString('en-US')} leases, ${readings} readings, knownAt in the past`, fleet.get(report.name) ?? []));
    figures.push(...(await growth(fixtures, sizes)));
    return figures;
    });
  },
};

/** p50 and p99 of one report's latencies (the p99 held to its target), the raw latencies as samples. */
function percentileFigures(name: string, samples: number[]): Figure[] {
  const at = (p: number): Figure => ({ benchmark, case: `${name}, p${p}`, unit: 'ms', value: percentile(samples, p), samples, baseline: undefined });
  return [at(50), withTarget(at(99), { on: 'value', below: 50, text: '< 50 ms' })];
}

/** One p50 figure per report and factor of the scale series, the first factor as baseline. */
async function growth(fixtures: Fixtures, sizes: Sizes): Promise<Figure[]> {
  const byFactor: { factor: number; latencies: Latencies }[] = [];
  for (const factor of sizes.scale) byFactor.push({ factor, latencies: await fixtures.latencies(sizes.scaleLeases, factor, sizes.scaleRequests) });
  const base = byFactor[0];
  if (base === undefined) return [];
  return reports.flatMap((report) =>
    byFactor.map(({ factor, latencies }) => {
      const count = (sizes.scaleLeases * sizes.hoursPerLease * factor).toLocaleString('en-US');
      const scaled = figure({
        benchmark,
        case: `${report.name}, ${sizes.scaleLeases} leases, ${factor}x readings (${count}), p50`,
        unit: 'ms',
        samples: latencies.get(report.name) ?? [],
        baseline: { name: `${base.factor}x`, samples: base.latencies.get(report.name) ?? [] },
      });
      return withTarget(scaled, flatTarget);
    }),
  );
}

/** The measured fixtures, each prepared and measured once (the fleet may be a fixture of the scale series). */
class Fixtures {
  private readonly measured = new Map<string, { requests: number; latencies: Latencies }>();

  constructor(
    private readonly directory: string,
    private readonly sizes: Sizes,
    private readonly mode: BenchMode,
  ) {}

  async latencies(leases: number, factor: number, requests: number): Promise<Latencies> {
    const name = `${leases}-leases-${factor}x`;
    const known = this.measured.get(name);
    if (known !== undefined && known.requests >= requests) return known.latencies;
    // billing.bench.ts's fleet (cached between full runs), copied: the copy is billed and served.
    const prepared = await preparedFleet(this.mode, this.directory, leases, this.sizes.hoursPerLease, factor);
    const latencies = await measure(join(this.directory, name), prepared, requests, this.sizes);
    this.measured.set(name, { requests, latencies });
    return latencies;
  }
}

/** Bills a copy of a prepared fleet in its own ledger directory, then times the reports on a server started on it. */
async function measure(directory: string, prepared: string, requests: number, sizes: Sizes): Promise<Latencies> {
  mkdirSync(directory, { recursive: true });
  try {
    copyFileSync(prepared, storePath(directory));
    await billInProcess(directory);
    return await withServer(directory, async (client) => {
      const instants = knownAtInstants(await firstRecordedAtMs(client), Date.now(), sizes.knownAtInstants);
      const latencies: Latencies = new Map();
      for (const report of reports) {
        await timeReport(client, report, instants, sizes.warmupRequests);
        latencies.set(report.name, await timeReport(client, report, instants, requests));
      }
      return latencies;
    });
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

/**
 * The month's billing run, recorded halfway between prepare()'s events and now (so about half of
 * the knownAt instants see it), then a close that saves the model checkpoint.
 */
async function billInProcess(directory: string): Promise<void> {
  const billedAt = new Date((preparedAtMs + Date.now()) / 2);
  const ledger = await openLedgerAt(`sqlite:${storePath(directory)}`, { dataDir: directory, clock: () => billedAt });
  try {
    const run = await ledger.billing.runBilling(month.billingDate, { actor: 'bench' });
    if (run.result.documents.length === 0) throw new Error('the billing run issued nothing');
  } finally {
    await ledger.close();
  }
}

async function firstRecordedAtMs(client: Client): Promise<number> {
  const page = await client.expect<{ events: { recordedAt: string }[] }>(200, 'GET', '/v1/audit/events?fromPosition=0&limit=1', { as: 'auditor' });
  const first = page.body.events[0];
  if (first === undefined) throw new Error('the ledger has no events');
  return Date.parse(first.recordedAt);
}

/** `count` distinct whole-second instants from `fromMs` on, evenly spread before `toMs`. */
function knownAtInstants(fromMs: number, toMs: number, count: number): string[] {
  const stepMs = (toMs - fromMs) / count;
  return Array.from({ length: count }, (_, index) => instant(Math.floor((fromMs + index * stepMs) / 1000) * 1000));
}

/** `requests` requests of one report, one at a time, knownAt taking the instants in turn; their latencies in ms. */
async function timeReport(client: Client, report: Report, instants: readonly string[], requests: number): Promise<number[]> {
  const latencies: number[] = [];
  for (let index = 0; index < requests; index += 1) {
    const knownAt = instants[index % instants.length] ?? '';
    const path = `${report.path}?${new URLSearchParams({ ...report.query, knownAt }).toString()}`;
    const startedAt = performance.now();
    const answer = await client.request<{ knownAt?: string }>('GET', path, { as: 'auditor' });
    latencies.push(performance.now() - startedAt);
    if (answer.status !== 200) throw new Error(`GET ${path}: ${answer.status}: ${answer.text.slice(0, 2_000)}`);
    if (answer.body.knownAt !== knownAt) throw new Error(`GET ${path} answered for knownAt ${String(answer.body.knownAt)}`);
  }
  return latencies;
}
