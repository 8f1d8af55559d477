import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Decimal } from '@compute-ledger/ledger';
import { month, leaseIdOf, preparedFleet } from './billing.bench.js';
import { figure, withTarget, inTemporaryDirectory } from './figures.js';
import type { BenchMode, BenchmarkModule, Figure } from './figures.js';
import { storePath, withServer, type Client } from './server.js';
import type { LedgerServer } from '../reliability/support/ledger-server.js';
import { mebibyte } from '../support/heap.js';

/**
 * The server's memory as the readings it holds grow tenfold: a real `ledger serve` (the built
 * application, started as the HTTP benchmarks start it) on a copy of a billing fleet
 * (billing.bench.ts: 2,000 leases, hourly readings from October 2026), once with 500 readings
 * per lease (1 M) and once with 5,000 (10 M, about seven months: the fleet of the rebuild's
 * peak-memory figure, from the same cache). Each server starts with no model checkpoint, so it
 * checks the hash chain and folds the whole log before it listens; the figure is taken once
 * /metrics shows no event left to fold and a lease's usage answers. Then full collections run
 * in the server (test/bench/gc-probe.mjs, preloaded with --expose-gc: the application is not
 * changed for it) and the resident set after them is the figure. The heap after collection
 * and what lies outside it (buffers and typed arrays, where the model keeps its columns) are
 * reported beside it, to tell where memory goes. One run of each: the 10 M fleet's start alone
 * takes minutes.
 *
 * Memory must depend on leases and months, never on readings: RSS with 10 M < 500 MiB, and
 * within 1.3x of the same server holding 1 M.
 */

interface Sizes {
  leases: number;
  /** Readings per lease of the small and the large fleet: ten times as many in the large. */
  smallHoursPerLease: number;
  largeHoursPerLease: number;
}

const fullSizes: Sizes = { leases: 2_000, smallHoursPerLease: 500, largeHoursPerLease: 5_000 };
const smokeSizes: Sizes = { leases: 10, smallHoursPerLease: 24, largeHoursPerLease: 240 };

const benchmark = 'server-memory';
const probeScript = fileURLToPath(new URL('./gc-probe.mjs', import.meta.url));
/** How long the collections may take to report (a 10 M model's heap takes a few seconds to mark). */
const probeTimeoutMs = 60_000;

/** process.memoryUsage() of the server after its collections, as gc-probe.mjs writes it. */
interface ProbedMemory {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

interface Held {
  readings: number;
  events: number;
  memory: ProbedMemory;
}

export const serverMemoryBenchmark: BenchmarkModule = {
  name: benchmark,
  async run(mode: BenchMode): Promise<Figure[]> {
    const sizes = mode === 'full' ? fullSizes : smokeSizes;
    return inTemporaryDirectory('bench-server-memory-', async (directory) => {
      const small = await serverHolding(mode, directory, sizes.leases, sizes.smallHoursPerLease);
      const large = await serverHolding(mode, directory, sizes.leases, sizes.largeHoursPerLease);
      const rssOf = (held: Held) => held.memory.rss / mebibyte;
      const count = (held: Held) => `${held.readings.toLocaleString('en-US')} readings (${held.events.toLocaleString('en-US')} events)`;
      const smallRss = figure({ benchmark, case: `RSS after GC, ${sizes.leases.toLocaleString('en-US')} leases, ${count(small)}`, unit: 'MiB', samples: [rssOf(small)] });
      const largeRss = figure({ benchmark, case: `RSS after GC, ${sizes.leases.toLocaleString('en-US')} leases, ${count(large)}`, unit: 'MiB', samples: [rssOf(large)], baseline: { name: `${small.readings.toLocaleString('en-US')} readings`, samples: [rssOf(small)] } });
      const parts = (held: Held) => [
        figure({ benchmark, case: `heap used after GC, ${count(held)}`, unit: 'MiB', samples: [held.memory.heapUsed / mebibyte] }),
        figure({ benchmark, case: `outside the heap after GC (external, buffers included), ${count(held)}`, unit: 'MiB', samples: [held.memory.external / mebibyte] }),
      ];
      return [
        smallRss,
        withTarget(largeRss, { on: 'value', below: 500, text: '< 500 MiB' }),
        withTarget(largeRss, { on: 'ratio', below: 1.3, text: `< 1.3x the ${small.readings.toLocaleString('en-US')}` }),
        ...parts(small),
        ...parts(large),
      ];
    });
  },
};

/** A server on a fresh copy of the fleet of these sizes, measured once it holds the whole log; its copy is removed after. */
async function serverHolding(mode: BenchMode, directory: string, leases: number, hoursPerLease: number): Promise<Held> {
  const fleet = await preparedFleet(mode, directory, leases, hoursPerLease, 1);
  const ledgerDirectory = join(directory, `server-${hoursPerLease}`);
  mkdirSync(ledgerDirectory, { recursive: true });
  // The cached fleet is never opened by a writer: the server runs on a copy of it.
  copyFileSync(fleet, storePath(ledgerDirectory));
  try {
    const env = {
      NODE_OPTIONS: `--expose-gc --import ${pathToFileURL(probeScript).href}`,
      // No periodic checkpoint while measuring: it would serialize the model and count that too.
      LEDGER_CHECKPOINT_INTERVAL_SECONDS: '0',
    };
    return await withServer(
      ledgerDirectory,
      async (client, server) => {
        const events = await caughtUp(client);
        await answersUsage(client);
        return { readings: leases * hoursPerLease, events, memory: await probe(server) };
      },
      { env, stop: 'discard' },
    );
  } finally {
    rmSync(ledgerDirectory, { recursive: true, force: true });
  }
}

/** Events the model holds, once /metrics shows none left to fold (the server folds the log before it listens, so at once). */
async function caughtUp(client: Client): Promise<number> {
  for (;;) {
    const metrics = (await client.request('GET', '/metrics', { as: null })).text;
    const gauge = (name: string) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(metrics)?.[1] ?? Number.NaN);
    const lag = gauge('ledger_projection_lag_events');
    if (lag === 0) return gauge('ledger_projection_position') + 1;
    if (!Number.isFinite(lag)) throw new Error(`GET /metrics has no ledger_projection_lag_events:\n${metrics.slice(0, 2_000)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The server answers from what it folded: the first lease's usage in the fleet's first month was metered. */
async function answersUsage(client: Client): Promise<void> {
  const billedMonth = new Date(month.start).toISOString().slice(0, 7);
  const answer = await client.expect<{ meteredGpuHours: string }>(200, 'GET', `/v1/leases/${leaseIdOf(0)}/usage?month=${billedMonth}`, { as: 'auditor' });
  if (!new Decimal(answer.body.meteredGpuHours).gt(0)) throw new Error(`GET /v1/leases/${leaseIdOf(0)}/usage?month=${billedMonth} metered nothing: ${answer.text.slice(0, 500)}`);
}

/** Asks the server's gc-probe for its memory after full collections and reads its report. */
async function probe(server: LedgerServer): Promise<ProbedMemory> {
  const seen = server.output().length;
  server.child.kill('SIGUSR2');
  const deadline = Date.now() + probeTimeoutMs;
  for (;;) {
    const line = /gc-probe (\{.*\})\n/.exec(server.output().slice(seen))?.[1];
    if (line !== undefined) {
      const reported = JSON.parse(line) as ProbedMemory | { error: string };
      if ('error' in reported) throw new Error(`gc-probe: ${reported.error}`);
      return reported;
    }
    if (Date.now() > deadline) throw new Error(`the server reported no memory within ${probeTimeoutMs} ms:\n${server.output().slice(-2_000)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
