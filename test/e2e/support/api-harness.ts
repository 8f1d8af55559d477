import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// End-to-end tests start the application itself, in this process, to move its clock: the one
// place outside apps/api that imports the application.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { ApiKeys, createLogger, startApiServer, type ApiServer, type Webhooks } from '@compute-ledger/api';
import { openEsdbEventStore, openLedger, type EventStore, type Ledger } from '@compute-ledger/ledger';
import { startEsdbDouble } from '../../esdb/double/esdb-double.js';

/**
 * The real HTTP server (Nest on Fastify, listening on a free port) over a fresh SQLite file, with
 * a clock the test moves forward: what a request records is recorded "on" the scenario's day, so
 * "as known at" questions have real answers. Requests go over the network with fetch.
 */

/** One key per role, as a real deployment would configure LEDGER_API_KEYS. */
export const keys = {
  admin: 'admin-key-000001',
  finance: 'finance-key-00001',
  operations: 'operations-key-01',
  metering: 'metering-key-0001',
  billing: 'billing-key-00001',
  auditor: 'auditor-key-00001',
  tenant: 'tenant-frontier-key',
  otherTenant: 'tenant-other-key-1',
} as const;
export type KeyName = keyof typeof keys;

export const apiKeysSpec = [
  `${keys.admin}=admin`,
  `${keys.finance}=finance`,
  `${keys.operations}=operations`,
  `${keys.metering}=metering`,
  `${keys.billing}=billing`,
  `${keys.auditor}=auditor`,
  `${keys.tenant}=tenant:frontier-lab`,
  `${keys.otherTenant}=tenant:other-lab`,
].join(',');

export interface Answer<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface RequestOptions {
  as?: KeyName | null;
  body?: unknown;
  /** A raw body, sent as it is (malformed JSON, huge payloads). */
  raw?: string | Buffer;
  headers?: Record<string, string>;
}

export interface ApiHarness {
  url: string;
  ledger: Ledger;
  server: ApiServer;
  /** Moves the clock (and so recordedAt of what is appended next). Never backwards. */
  at(instant: string): void;
  request<T = Record<string, unknown>>(method: string, path: string, options?: RequestOptions): Promise<Answer<T>>;
  get<T = Record<string, unknown>>(path: string, as: KeyName | null): Promise<Answer<T>>;
  post<T = Record<string, unknown>>(path: string, as: KeyName | null, body: unknown, headers?: Record<string, string>): Promise<Answer<T>>;
  /** Position of the last event of the log: unchanged after a refused request. */
  head(): Promise<number>;
  close(): Promise<void>;
}

/**
 * The store under test: a SQLite file by default; with LEDGER_E2E_STORE=esdb, an EventStoreDB
 * store on the in-process double of the server, so the same suite proves both adapters.
 */
async function openTestStore(directory: string, clock: () => Date): Promise<{ store: string | EventStore; stop(): Promise<void> }> {
  if (process.env['LEDGER_E2E_STORE'] !== 'esdb') return { store: `sqlite:${join(directory, 'ledger.db')}`, stop: async () => undefined };
  const double = await startEsdbDouble({ maxAppendSizeBytes: esdbDoubleAppendSizeBytesMax });
  const store = await openEsdbEventStore({ connectionString: double.url, clock });
  return { store, stop: () => double.stop() };
}

/** A real server is started with a larger --max-append-size for 10,000-reading batches; so is the double. */
const esdbDoubleAppendSizeBytesMax = 32 * 1024 * 1024;

export interface HarnessOptions {
  /** The server's webhooks, built over the harness's ledger and data directory. Default: none. */
  webhooks?: (ledger: Ledger, dataDir: string) => Webhooks;
}

export async function startHarness(start: string, options: HarnessOptions = {}): Promise<ApiHarness> {
  const directory = mkdtempSync(join(tmpdir(), 'ledger-e2e-'));
  let nowMs = Date.parse(start);
  const clock = () => new Date(nowMs);
  const testStore = await openTestStore(directory, clock);
  const ledger = await openLedger({ store: testStore.store, clock, dataDir: directory, follow: true });
  const webhooks = options.webhooks?.(ledger, directory);
  const server = await startApiServer({ ledger, apiKeys: ApiKeys.parse(apiKeysSpec), logger: createLogger('silent'), port: 0, ...(webhooks === undefined ? {} : { webhooks }) });
  const request = async <T>(method: string, path: string, options: RequestOptions = {}): Promise<Answer<T>> => {
    const headers: Record<string, string> = { ...options.headers };
    const as = options.as === undefined ? 'admin' : options.as;
    if (as !== null) headers['authorization'] = `Bearer ${keys[as]}`;
    let body: string | Buffer | undefined = options.raw;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    if (options.raw !== undefined) headers['content-type'] ??= 'application/json';
    const response = await fetch(`${server.url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Not JSON (metrics, docs): the text is the body.
    }
    return { status: response.status, headers: response.headers, body: parsed as T, text };
  };
  return {
    url: server.url,
    ledger,
    server,
    at(instant: string) {
      const nextMs = Date.parse(instant);
      if (nextMs < nowMs) throw new Error(`the test clock only moves forward (${instant})`);
      nowMs = nextMs;
    },
    request,
    get: (path, as) => request('GET', path, { as }),
    post: (path, as, body, headers) => request('POST', path, { as, body, ...(headers === undefined ? {} : { headers }) }),
    head: () => ledger.store.headPosition(),
    async close() {
      await server.close();
      await ledger.close();
      await testStore.stop();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** Hourly readings of `gpuHours` each over [from, to). */
export function hourlyReadings(leaseId: string, from: string, to: string, gpuHours: string, prefix = leaseId) {
  const records = [];
  for (let ms = Date.parse(from); ms < Date.parse(to); ms += 3_600_000) {
    records.push({ readingId: `${prefix}:${new Date(ms).toISOString().slice(0, 13)}`, leaseId, periodStart: instant(ms), periodEnd: instant(ms + 3_600_000), gpuHours });
  }
  return records;
}

export function instant(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}
