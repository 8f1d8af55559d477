import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { buildOnce, ledger } from '../cli/support.js';
import { Client, type Answer, type Json } from './support/client.js';
import { seedFleet, UsageSource, type Fleet } from './support/fleet.js';
import { serverEnv, startServer, temporaryDirectory, type KeyName } from './support/ledger-server.js';
import { mebibyte } from '../support/heap.js';

/**
 * A soak: one `ledger serve` on loopback under mixed traffic for a bounded time (usage ingest,
 * reports as known at random instants, billing runs, payments and credit notes), then a quiet
 * phase of reports only. It samples the server's RSS throughout, counts every answer, and ends
 * with `ledger verify`: the model rebuilt from the log must equal the live one.
 *
 *   npm run soak                                    5 minutes (the full form)
 *   npx tsx test/reliability/soak-run.ts --seconds 60
 *
 * SOAK_SERVER_NODE_OPTIONS is handed to the server as its NODE_OPTIONS (for instance
 * `--require` of a profiler, or `--heapsnapshot-signal=SIGUSR2`), to look inside a slow soak.
 *
 * test/reliability/soak.e2e.spec.ts runs the short form in `npm test`; test/bench/soak.bench.ts
 * puts the full form's figures in the benchmark table.
 */

export interface SoakOptions {
  /** Total time under traffic, the quiet phase included. */
  durationMs: number;
  /** The last part of the run, with reports only: memory must hold still there. */
  quietMs: number;
  /** Upper bound of readings sent, so the log (and the final verify) stays bounded. */
  readingsMax: number;
  ingestWorkers: number;
  reportWorkers: number;
  batchRecords: number;
  /** A billing run (with its payments) this often, for successive billing dates. */
  billingEveryMs: number;
  tenants: number;
  leasesPerTenant: number;
  /** Print progress every this often (0: quiet). */
  progressEveryMs: number;
}

export const fullSoak: SoakOptions = {
  durationMs: 300_000,
  quietMs: 60_000,
  readingsMax: 1_000_000,
  ingestWorkers: 2,
  reportWorkers: 2,
  batchRecords: 2_000,
  billingEveryMs: 12_000,
  tenants: 20,
  leasesPerTenant: 10,
  progressEveryMs: 15_000,
};

export interface SoakReport {
  seconds: number;
  requests: number;
  requestsPerSecond: number;
  readings: number;
  readingsPerSecond: number;
  reports: number;
  billingRuns: number;
  payments: number;
  /** Answers that were not 2xx, and requests that failed outright: both must be empty. */
  failures: string[];
  /** By kind of request (its path without query or ids). */
  latencyMs: Record<string, Latency>;
  /** Every request, whatever its kind. */
  overallLatencyMs: Latency;
  /**
   * Requests answered per second in the run's first and last windows (a minute, or a fifth of a
   * shorter run): every request, and the reports alone (the GETs), the one kind that runs at
   * both ends. The last window is the quiet phase, reports only, when the quiet phase is as long,
   * so `lastMixed` is the window that ends where the quiet phase starts.
   */
  rate: { windowSeconds: number; first: number; last: number; lastMixed: number; reportsFirst: number; reportsLast: number };
  /**
   * RSS in MiB: at the start, the peak of the mixed phase, the peak of the quiet phase, at the
   * end; and at the end of the first window (the last sample before it) with the peak after it.
   */
  rss: { startMiB: number; mixedPeakMiB: number; quietPeakMiB: number; endMiB: number; firstWindowMiB: number; afterFirstWindowPeakMiB: number };
  /**
   * The lowest V8 heap in use in each half of the quiet phase. The heap drops to what is live
   * after each collection, so its floor rises only when something is kept: a leak. RSS follows
   * V8's heap sizing, which lets a busy heap grow to a multiple of the live set before a full
   * collection, so RSS alone cannot tell a leak from a collection not yet run.
   */
  heapFloorMiB: { quietFirstHalf: number; quietSecondHalf: number };
  /** RSS samples (seconds into the run, MiB), for a closer look. */
  rssSamples: [number, number][];
  verify: { code: number | null; output: string };
}

export interface Latency {
  p50: number;
  p99: number;
  count: number;
}

const memorySampleEveryMs = 500;
/** The windows the request rate is compared over: a minute, or a fifth of a run shorter than five. */
const rateWindowMaxMs = 60_000;
const failuresKeptMax = 20;

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  buildOnce();
  const directory = temporaryDirectory('soak');
  const serverNodeOptions = process.env['SOAK_SERVER_NODE_OPTIONS'];
  const server = await startServer({ directory: directory.path, ...(serverNodeOptions ? { env: { NODE_OPTIONS: serverNodeOptions } } : {}) });
  try {
    const client = new Client(server.url);
    const fleet = await seedFleet(client, { tenants: options.tenants, leasesPerTenant: options.leasesPerTenant });
    const traffic = new Traffic(client, fleet, options);
    const samples: Sample[] = [];
    const startMs = Date.now();
    // run() sets its deadlines before its first await, so the sampler sees them.
    const running = traffic.run(startMs);
    const sampling = sampleMemory(client, server.pid, startMs, samples, () => traffic.running());
    const progress = options.progressEveryMs > 0 ? setInterval(() => console.info(traffic.progressLine(Date.now() - startMs, samples.at(-1)?.rss ?? 0)), options.progressEveryMs) : null;
    await running;
    await sampling;
    if (progress !== null) clearInterval(progress);
    const seconds = (Date.now() - startMs) / 1000;

    const stop = await server.stop();
    if (stop.code !== 0) traffic.fail(`the server stopped with ${stop.code ?? stop.signal}: ${server.output().split('\n').slice(-5).join('\n')}`);
    const verify = await ledger(['verify'], serverEnv(directory.path), directory.path);
    const quietFromMs = options.durationMs - options.quietMs;
    const windowMs = Math.min(rateWindowMaxMs, options.durationMs / 5);
    const firstWindow = samples.filter((sample) => sample.atMs <= windowMs);
    const afterFirstWindow = samples.filter((sample) => sample.atMs > windowMs);
    if (afterFirstWindow.length === 0) afterFirstWindow.push(samples.at(-1)!);
    const quiet = samples.filter((sample) => sample.atMs >= quietFromMs);
    const halves = [quiet.slice(0, Math.ceil(quiet.length / 2)), quiet.slice(Math.ceil(quiet.length / 2))];
    const floor = (part: readonly Sample[]) => Math.min(...part.map((sample) => sample.heapUsed));
    const mib = (bytes: number) => Math.round((bytes / mebibyte) * 10) / 10;
    return {
      seconds: Math.round(seconds * 10) / 10,
      requests: traffic.requests,
      requestsPerSecond: Math.round(traffic.requests / seconds),
      readings: traffic.readings,
      readingsPerSecond: Math.round(traffic.readings / Math.max(1, (traffic.ingestEndMs - traffic.ingestStartMs) / 1000)),
      reports: traffic.reports,
      billingRuns: traffic.billingRuns,
      payments: traffic.payments,
      failures: traffic.failures,
      latencyMs: traffic.latencies(),
      overallLatencyMs: traffic.overallLatency(),
      rate: traffic.rates(windowMs, options.durationMs, quietFromMs),
      rss: {
        startMiB: mib(samples[0]!.rss),
        mixedPeakMiB: mib(Math.max(...samples.filter((sample) => sample.atMs < quietFromMs).map((sample) => sample.rss))),
        quietPeakMiB: mib(Math.max(...quiet.map((sample) => sample.rss))),
        endMiB: mib(samples.at(-1)!.rss),
        firstWindowMiB: mib((firstWindow.at(-1) ?? samples[0]!).rss),
        afterFirstWindowPeakMiB: mib(Math.max(...afterFirstWindow.map((sample) => sample.rss))),
      },
      heapFloorMiB: { quietFirstHalf: mib(floor(halves[0]!)), quietSecondHalf: mib(floor(halves[1]!)) },
      rssSamples: samples.filter((_, index) => index % 4 === 0).map((sample) => [Math.round(sample.atMs / 100) / 10, mib(sample.rss)]),
      verify: { code: verify.code, output: `${verify.stdout}${verify.stderr}`.trim() },
    };
  } finally {
    await server.kill();
    directory.remove();
  }
}

interface Sample {
  atMs: number;
  rss: number;
  heapUsed: number;
}

/** Samples the server's RSS (from outside) and its V8 heap in use (GET /metrics) until the traffic ends. */
async function sampleMemory(client: Client, pid: number, startMs: number, samples: Sample[], running: () => boolean): Promise<void> {
  do {
    const metrics = await client.request('GET', '/metrics', { as: null }).catch(() => null);
    const heapUsed = Number(/^nodejs_heap_size_used_bytes (\S+)/m.exec(metrics?.text ?? '')?.[1] ?? Number.NaN);
    if (Number.isFinite(heapUsed)) samples.push({ atMs: Date.now() - startMs, rss: rssOf(pid), heapUsed });
    await new Promise((resolve) => setTimeout(resolve, memorySampleEveryMs));
  } while (running());
}

/** The server's resident set size, from /proc where there is one, else from ps. */
function rssOf(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    if (match !== null) return Number(match[1]) * 1024;
  } catch {
    // No procfs (macOS): ask ps below.
  }
  try {
    return Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim()) * 1024;
  } catch {
    return 0;
  }
}

/** The mixed traffic: each kind of client its own loop, all sharing one deadline. */
class Traffic {
  requests = 0;
  readings = 0;
  reports = 0;
  billingRuns = 0;
  payments = 0;
  readonly failures: string[] = [];
  private failureCount = 0;
  private readonly timings = new Map<string, number[]>();
  /** When each answer came, in ms from the start of the traffic: every request, and the reports. */
  private readonly answeredAtMs: number[] = [];
  private readonly reportAnsweredAtMs: number[] = [];
  private startMs = 0;
  private readonly source: UsageSource;
  private batchNumber = 0;
  private readingsSent = 0;
  /** When ingest started and last answered: readings per second are counted over this span. */
  ingestStartMs = 0;
  ingestEndMs = 0;
  private quietAtMs = 0;
  private endAtMs = 0;
  private billingMonth = 1;

  constructor(
    private readonly client: Client,
    private readonly fleet: Fleet,
    private readonly options: SoakOptions,
  ) {
    this.source = new UsageSource(fleet.leases);
  }

  async run(startMs: number): Promise<void> {
    this.startMs = startMs;
    this.endAtMs = startMs + this.options.durationMs;
    this.quietAtMs = this.endAtMs - this.options.quietMs;
    const loops = [
      ...Array.from({ length: this.options.ingestWorkers }, () => this.ingest()),
      ...Array.from({ length: this.options.reportWorkers }, (_, index) => this.report(index)),
      this.billing(),
    ];
    await Promise.all(loops);
  }

  fail(message: string): void {
    this.failureCount += 1;
    if (this.failures.length < failuresKeptMax) this.failures.push(message);
  }

  progressLine(elapsedMs: number, rss: number): string {
    return `soak ${Math.round(elapsedMs / 1000)} s: ${this.requests} requests, ${this.readings} readings, ${this.reports} reports, ${this.billingRuns} billing runs, ${this.payments} payments, ${this.failureCount} failures, RSS ${Math.round(rss / mebibyte)} MiB`;
  }

  latencies(): SoakReport['latencyMs'] {
    const result: SoakReport['latencyMs'] = {};
    for (const [kind, values] of this.timings) result[kind] = latencyOf(values);
    return result;
  }

  overallLatency(): Latency {
    return latencyOf([...this.timings.values()].flat());
  }

  /** Answers per second in the first `windowMs` of the traffic and in the last `windowMs` before `durationMs`, and before `quietFromMs`. */
  rates(windowMs: number, durationMs: number, quietFromMs: number): SoakReport['rate'] {
    const perSecond = (answers: readonly number[], fromMs: number) => Math.round((answers.filter((atMs) => atMs >= fromMs && atMs < fromMs + windowMs).length * 10_000) / windowMs) / 10;
    const lastFromMs = durationMs - windowMs;
    return {
      windowSeconds: windowMs / 1000,
      first: perSecond(this.answeredAtMs, 0),
      last: perSecond(this.answeredAtMs, lastFromMs),
      lastMixed: perSecond(this.answeredAtMs, Math.max(0, quietFromMs - windowMs)),
      reportsFirst: perSecond(this.reportAnsweredAtMs, 0),
      reportsLast: perSecond(this.reportAnsweredAtMs, lastFromMs),
    };
  }

  private mixed(): boolean {
    return Date.now() < this.quietAtMs;
  }

  running(): boolean {
    return Date.now() < this.endAtMs;
  }

  /** One request, timed and checked: anything but a 2xx is a failure of the soak. */
  private async send(kind: string, method: string, path: string, as: KeyName, body?: unknown): Promise<Answer | null> {
    const startedMs = performance.now();
    this.requests += 1;
    try {
      const answer = await this.client.request(method, path, { as, ...(body === undefined ? {} : { body }) });
      const values = this.timings.get(kind) ?? [];
      values.push(performance.now() - startedMs);
      this.timings.set(kind, values);
      const answeredAtMs = Date.now() - this.startMs;
      this.answeredAtMs.push(answeredAtMs);
      if (method === 'GET') this.reportAnsweredAtMs.push(answeredAtMs);
      if (answer.status >= 300) this.fail(`${method} ${path}: ${answer.status} ${answer.text.slice(0, 300)}`);
      return answer;
    } catch (error) {
      this.fail(`${method} ${path}: ${error instanceof Error ? error.message : String(error)}`);
      return null;
    }
  }

  /**
   * Readings are paced over the mixed phase (`readingsMax` spread evenly up to the quiet
   * phase), so that every window of mixed traffic writes as much as the first and a server
   * that slows down as its log grows shows it in the last window, not only in the first. A
   * server slower than the pace is sent batches back to back.
   */
  private async ingest(): Promise<void> {
    if (this.ingestStartMs === 0) this.ingestStartMs = Date.now();
    const mixedMs = this.quietAtMs - this.ingestStartMs;
    // Readings are counted against the bound when sent, so that workers together never pass it.
    while (this.mixed() && this.readingsSent + this.options.batchRecords <= this.options.readingsMax) {
      const dueAtMs = this.ingestStartMs + (this.readingsSent / this.options.readingsMax) * mixedMs;
      if (dueAtMs > Date.now()) await new Promise((resolve) => setTimeout(resolve, dueAtMs - Date.now()));
      if (!this.mixed() || this.readingsSent + this.options.batchRecords > this.options.readingsMax) break;
      const records = this.source.batch(`soak-${this.batchNumber}`, this.options.batchRecords);
      this.batchNumber += 1;
      this.readingsSent += records.length;
      const answer = await this.send('usage', 'POST', '/v1/usage', 'metering', { records });
      if (answer?.status === 202) this.readings += records.length;
      this.ingestEndMs = Date.now();
    }
  }

  /** Reports as known at random instants of the run, for effective dates inside the terms. */
  private async report(worker: number): Promise<void> {
    const runStartMs = Date.now();
    for (let index = worker; this.running(); index += this.options.reportWorkers) {
      const knownAt = new Date(runStartMs + Math.random() * Math.max(1, Date.now() - runStartMs)).toISOString();
      const month = `2025-${String(1 + (index % 12)).padStart(2, '0')}`;
      const asOf = `${month}-15T00:00:00Z`;
      const lease = this.fleet.leases[index % this.fleet.leases.length]!;
      const paths = [
        `/v1/reports/mrr?asOf=${asOf}&knownAt=${knownAt}`,
        `/v1/reports/revenue?month=${month}&knownAt=${knownAt}`,
        `/v1/reports/trial-balance?asOf=${asOf}&knownAt=${knownAt}`,
        `/v1/reports/ar-aging?asOf=${asOf}&knownAt=${knownAt}`,
        `/v1/reports/reconciliation?month=${month}&knownAt=${knownAt}`,
        `/v1/reports/capacity?asOf=${asOf}`,
        `/v1/reports/backlog?asOf=${asOf}&knownAt=${knownAt}`,
        `/v1/reports/contract-balances?asOf=${asOf}&knownAt=${knownAt}`,
        `/v1/reports/mrr-movements?month=${month}&knownAt=${knownAt}`,
        `/v1/leases/${lease.leaseId}/usage?month=${month}&knownAt=${knownAt}`,
        `/v1/invoices?tenantId=${lease.tenantId}`,
      ];
      const path = paths[index % paths.length]!;
      await this.send(path.split('?')[0]!.replace(lease.leaseId, '{leaseId}'), 'GET', path, 'auditor');
      this.reports += 1;
    }
  }

  /** A billing run for the next month, then a payment for part of each invoice and a credit note. */
  private async billing(): Promise<void> {
    while (this.mixed() && this.billingMonth < 23) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(this.options.billingEveryMs, Math.max(0, this.quietAtMs - Date.now()))));
      if (!this.mixed()) return;
      const year = 2025 + Math.floor(this.billingMonth / 12);
      const billingDate = `${year}-${String(1 + (this.billingMonth % 12)).padStart(2, '0')}-01T00:00:00Z`;
      this.billingMonth += 1;
      const run = await this.send('billing-run', 'POST', '/v1/billing-runs', 'billing', { billingDate });
      if (run === null || run.status !== 201) continue;
      this.billingRuns += 1;
      const receivedAt = billingDate.replace('-01T', '-05T');
      for (const document of run.body['documents'] as Json[]) {
        if (document['kind'] !== 'invoice') continue;
        const answer = await this.send('payment', 'POST', '/v1/payments', 'finance', { paymentId: `pay-${document['invoiceId']}`, tenantId: document['tenantId'], amount: '100.00', receivedAt, invoiceId: document['invoiceId'] });
        if (answer?.status === 201) this.payments += 1;
      }
      const tenantId = this.fleet.tenantIds[this.billingMonth % this.fleet.tenantIds.length]!;
      await this.send('credit-note', 'POST', '/v1/credit-notes', 'finance', { creditNoteId: `cn-${billingDate.slice(0, 7)}`, tenantId, amount: '25.00', reason: 'service credit', issuedAt: receivedAt });
    }
  }
}

/** The median and 99th percentile of `values` (ms, to a tenth), and how many there were. */
function latencyOf(values: readonly number[]): Latency {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (fraction: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))]! * 10) / 10;
  return { p50: at(0.5), p99: at(0.99), count: sorted.length };
}

export interface MemoryBounds {
  /** What the server may keep per reading, RSS counted (see soak.e2e.spec.ts for the reasoning). */
  bytesPerReadingMax: number;
  /** RSS beyond the readings: the process, its caches, and V8's headroom. */
  processAllowanceMiB: number;
  /** How far RSS may climb above the mixed phase's peak once only reports run. */
  quietOverMixedPeakMiB: number;
  /** How far the heap's floor may rise from the first half of the quiet phase to the second; undefined: not checked. */
  heapFloorGrowthMaxMiB?: number;
}

/** Memory that broke a bound (an empty list when none did). */
export function memoryProblems(report: SoakReport, bounds: MemoryBounds): string[] {
  const problems: string[] = [];
  const allowedMiB = report.rss.startMiB + (report.readings * bounds.bytesPerReadingMax) / mebibyte + bounds.processAllowanceMiB;
  const peakMiB = Math.max(report.rss.mixedPeakMiB, report.rss.quietPeakMiB);
  if (peakMiB > allowedMiB) problems.push(`RSS peaked at ${peakMiB} MiB, over the ${Math.round(allowedMiB)} MiB that ${report.readings} readings allow`);
  if (report.rss.quietPeakMiB > report.rss.mixedPeakMiB + bounds.quietOverMixedPeakMiB) {
    problems.push(`RSS climbed to ${report.rss.quietPeakMiB} MiB with reports only, over the ${report.rss.mixedPeakMiB} MiB of mixed traffic`);
  }
  const floorGrowth = report.heapFloorMiB.quietSecondHalf - report.heapFloorMiB.quietFirstHalf;
  if (bounds.heapFloorGrowthMaxMiB !== undefined && floorGrowth > bounds.heapFloorGrowthMaxMiB) problems.push(`the heap's floor rose ${floorGrowth} MiB with reports only`);
  return problems;
}

/**
 * The full soak's bounds. Its quiet phase is a minute long, so each half holds several full
 * collections and the heap's floor is a fair measure of what is live.
 */
export const fullSoakBounds: MemoryBounds = { bytesPerReadingMax: 4_096, processAllowanceMiB: 512, quietOverMixedPeakMiB: 1_024, heapFloorGrowthMaxMiB: 64 };

export function formatReport(report: SoakReport): string {
  const latency = Object.entries(report.latencyMs)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([kind, figures]) => `  ${kind.padEnd(34)} p50 ${String(figures.p50).padStart(7)} ms   p99 ${String(figures.p99).padStart(7)} ms   (${figures.count})`);
  return [
    `soak: ${report.seconds} s, ${report.requests} requests (${report.requestsPerSecond} requests/s), ${report.readings} readings ingested (${report.readingsPerSecond} readings/s while ingesting)`,
    `      ${report.reports} reports, ${report.billingRuns} billing runs, ${report.payments} payments, ${report.failures.length} failures`,
    `      requests/s in the first ${report.rate.windowSeconds} s ${report.rate.first}, in the last ${report.rate.last} (of mixed traffic ${report.rate.lastMixed}); reports alone ${report.rate.reportsFirst}, then ${report.rate.reportsLast}`,
    `      RSS ${report.rss.startMiB} MiB at start, peak ${report.rss.mixedPeakMiB} MiB under mixed traffic, peak ${report.rss.quietPeakMiB} MiB under reports only, ${report.rss.endMiB} MiB at the end`,
    `      RSS ${report.rss.firstWindowMiB} MiB after the first ${report.rate.windowSeconds} s, peak ${report.rss.afterFirstWindowPeakMiB} MiB after them`,
    `      heap floor in the quiet phase: ${report.heapFloorMiB.quietFirstHalf} MiB, then ${report.heapFloorMiB.quietSecondHalf} MiB`,
    `      ledger verify: exit ${report.verify.code}`,
    'latency:',
    `  ${'every request'.padEnd(34)} p50 ${String(report.overallLatencyMs.p50).padStart(7)} ms   p99 ${String(report.overallLatencyMs.p99).padStart(7)} ms   (${report.overallLatencyMs.count})`,
    ...latency,
    ...report.failures.map((failure) => `failure: ${failure}`),
  ].join('\n');
}

function optionsFromArgs(args: readonly string[]): SoakOptions {
  const seconds = args.includes('--seconds') ? Number(args[args.indexOf('--seconds') + 1]) : fullSoak.durationMs / 1000;
  if (!Number.isFinite(seconds) || seconds < 10) throw new Error('--seconds must be a number of at least 10');
  const durationMs = seconds * 1000;
  return { ...fullSoak, durationMs, quietMs: Math.round(durationMs * (fullSoak.quietMs / fullSoak.durationMs)) };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const report = await runSoak(optionsFromArgs(process.argv.slice(2)));
  console.info(formatReport(report));
  console.info(`RSS over time (s MiB): ${report.rssSamples.map(([seconds, mib]) => `${seconds} ${mib}`).join(', ')}`);
  const memory = memoryProblems(report, fullSoakBounds);
  for (const problem of memory) console.info(`memory: ${problem}`);
  process.exitCode = report.failures.length === 0 && report.verify.code === 0 && memory.length === 0 ? 0 : 1;
}
