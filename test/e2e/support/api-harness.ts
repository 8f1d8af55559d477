import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// End-to-end tests start the application itself, in this process, to move its clock: the one
// place outside apps/api that imports the application.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { ApiKeys, createLogger, openLedgerAt, startApiServer, type ApiServer, type Webhooks } from '@compute-ledger/api';
import { answerSchemas, ProblemAnswer } from '@compute-ledger/contracts';
import type { ZodType } from 'zod';
import type { EventStore, Ledger } from '@compute-ledger/ledger';
import { openEsdbEventStore } from '@compute-ledger/store-esdb';
import { startEsdbDouble, type EsdbDoubleOptions } from '../../esdb/double/esdb-double.js';

/**
 * The real HTTP server (Nest on Fastify, listening on a free port) over a fresh SQLite file, with
 * a clock the test moves forward: what a request records is recorded "on" the scenario's day, so
 * "as known at" questions have real answers. Requests go over the network with fetch, and every
 * answer is checked against its contract: the schema the server's own OpenAPI document names for
 * the route and status (see `checkAnswer`), so each request of every test also checks a shape.
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
  const double = await startEsdbDouble(esdbDoubleOptions);
  const store = await openEsdbEventStore({ connectionString: double.url, clock, maxAppendSizeBytes: esdbDoubleAppendSizeBytesMax });
  return { store, stop: () => double.stop() };
}

/** A real server is started with a larger --max-append-size for 10,000-reading batches; so is the double. */
const esdbDoubleAppendSizeBytesMax = 32 * 1024 * 1024;

/**
 * The double as a cluster behaves, over BatchAppend: every few appends a fault strikes, each kind
 * in turn (an answer lost after the commit, repeats dropped while the write is not replicated,
 * NotLeader failing the BatchAppend call, a lagging follower, subscriptions ended by the node).
 * The suite's answers must not change.
 */
const esdbDoubleOptions: EsdbDoubleOptions = {
  maxAppendSizeBytes: esdbDoubleAppendSizeBytesMax,
  writeTimeoutMs: 150,
  repeatCaughtUp: true,
  chaos: { everyAppends: 7 },
};

export interface HarnessOptions {
  /** The server's webhooks, built over the harness's ledger and data directory. Default: none. */
  webhooks?: (ledger: Ledger, dataDir: string) => Webhooks;
  /** LEDGER_APPROVAL_ABOVE: documents above it are drafts awaiting approval. Default: none. */
  approvalAbove?: string;
}

export async function startHarness(start: string, options: HarnessOptions = {}): Promise<ApiHarness> {
  const directory = mkdtempSync(join(tmpdir(), 'ledger-e2e-'));
  let nowMs = Date.parse(start);
  const clock = () => new Date(nowMs);
  const testStore = await openTestStore(directory, clock);
  const ledger = await openLedgerAt(testStore.store, { clock, dataDir: directory, follow: true, ...(options.approvalAbove === undefined ? {} : { approvalAbove: options.approvalAbove }) });
  const webhooks = options.webhooks?.(ledger, directory);
  const server = await startApiServer({ ledger, apiKeys: ApiKeys.parse(apiKeysSpec), logger: createLogger('silent'), port: 0, ...(webhooks === undefined ? {} : { webhooks }) });
  let openApi: Promise<OpenApiDocument> | undefined;
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
    openApi ??= fetch(`${server.url}/v1/openapi.json`).then(async (answer) => (await answer.json()) as OpenApiDocument);
    checkAnswer(await openApi, method, path, response, parsed, text);
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

interface OpenApiMedia {
  schema?: { $ref?: string };
}
interface OpenApiOperation {
  responses: Record<string, { content?: Record<string, OpenApiMedia> }>;
}
interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
}

/** The operation of the document a request is answered by: exact paths first, then templates. */
function operationOf(document: OpenApiDocument, method: string, path: string): OpenApiOperation | undefined {
  const pathOnly = path.split('?')[0]!;
  const templates = Object.keys(document.paths).sort((a, b) => (a.match(/\{/g)?.length ?? 0) - (b.match(/\{/g)?.length ?? 0));
  for (const template of templates) {
    const pattern = new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`);
    const operation = document.paths[template]?.[method.toLowerCase()];
    if (pattern.test(pathOnly) && operation !== undefined) return operation;
  }
  return undefined;
}

/**
 * Checks an answer against the contract: its status is one the document lists for the operation
 * (or its `default`, which is problem details), its media type is one listed there, and a JSON
 * body parses with the answer schema the document names (`#/components/schemas/<name>`, one of
 * the contracts' answerSchemas). A request no operation answers (an unknown route) must get
 * problem details. A mismatch fails the test that sent the request.
 */
export function checkAnswer(document: OpenApiDocument, method: string, path: string, response: Response, body: unknown, text: string): void {
  const where = `${method} ${path} answered ${response.status}`;
  const mediaType = (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
  const operation = operationOf(document, method, path);
  if (operation === undefined) {
    // The service's own files (the docs page's script and assets, the dashboard) are not API.
    if (response.status < 400 && !path.startsWith('/v1/')) return;
    if (response.status < 400) throw new Error(`${where}, but the OpenAPI document has no such operation`);
    parseWith(ProblemAnswer, body, where, text);
    return;
  }
  const declared = operation.responses[String(response.status)] ?? (response.status >= 400 ? operation.responses['default'] : undefined);
  if (declared === undefined) throw new Error(`${where}, a status the OpenAPI document does not list for it`);
  if (response.status === 304 || declared.content === undefined) return;
  const media = declared.content[mediaType];
  if (media === undefined) throw new Error(`${where} as ${mediaType}, a media type the OpenAPI document does not list (${Object.keys(declared.content).join(', ')})`);
  const ref = media.schema?.$ref;
  if (ref === undefined) return;
  const name = ref.replace('#/components/schemas/', '');
  const schema = (answerSchemas as Record<string, ZodType>)[name];
  if (schema === undefined) throw new Error(`${where}: the OpenAPI document names ${ref}, which is not one of the contracts' answer schemas`);
  parseWith(schema, body, `${where} (${name})`, text);
}

function parseWith(schema: ZodType, body: unknown, where: string, text: string): void {
  const parsed = schema.safeParse(body);
  if (parsed.success) return;
  const issues = parsed.error.issues.slice(0, 5).map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
  throw new Error(`${where}: the answer breaks its contract: ${issues.join('; ')}\n${text.slice(0, 500)}`);
}
