import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ledgerBin, root } from '../../cli/support.js';

/**
 * `ledger serve` as a real process (the compiled JavaScript, as `npx ledger serve` runs it) on a
 * temporary SQLite file and data directory, listening on a free loopback port. The tests kill
 * it, restart it on the same file, run several on one file, and read everything it writes.
 */

/**
 * One key per role: the same roles and tenant ids as test/e2e/support/api-harness.ts. They are
 * defined again here because importing that module loads the whole application into the test
 * process (about 3 s per test file), which these tests never use: they talk to a process.
 */
export const keys = {
  admin: 'reliability-admin-key-0001',
  finance: 'reliability-finance-key-01',
  operations: 'reliability-operations-key',
  metering: 'reliability-metering-key-1',
  billing: 'reliability-billing-key-01',
  auditor: 'reliability-auditor-key-01',
  tenant: 'reliability-tenant-frontier',
  otherTenant: 'reliability-tenant-other-1',
} as const;
export type KeyName = keyof typeof keys;

/** The tenant each tenant key belongs to. */
export const tenantOfKey = { tenant: 'frontier-lab', otherTenant: 'other-lab' } as const;

export const apiKeysSpec = [
  `${keys.admin}=admin`,
  `${keys.finance}=finance`,
  `${keys.operations}=operations`,
  `${keys.metering}=metering`,
  `${keys.billing}=billing`,
  `${keys.auditor}=auditor`,
  `${keys.tenant}=tenant:${tenantOfKey.tenant}`,
  `${keys.otherTenant}=tenant:${tenantOfKey.otherTenant}`,
].join(',');

/** How long a start may take before the test gives up: a cold start on this machine takes 1-3 s. */
export const serverStartTimeoutMs = 30_000;
/** How long a graceful stop may take (the server's own limit is 10 s). */
export const serverStopTimeoutMs = 15_000;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface LedgerServer {
  url: string;
  pid: number;
  child: ChildProcessWithoutNullStreams;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  exited: Promise<Exit>;
  /** SIGKILL: the process gets no chance to finish anything. */
  kill(): Promise<Exit>;
  /** SIGTERM: a graceful stop. */
  stop(): Promise<Exit>;
  /** SIGTERM, and throws unless the process exits 0: the error says how it ended and what it wrote. */
  stopCleanly(): Promise<void>;
}

export interface StartOptions {
  /** The directory of the ledger file (`ledger.db`) and the data directory. */
  directory: string;
  args?: readonly string[];
  env?: Record<string, string>;
  /** Default `warn`: the tests that read the logs ask for `info`. */
  logLevel?: string;
  /** Default serverStartTimeoutMs; a large ledger's first start checks its whole hash chain. */
  startTimeoutMs?: number;
}

/** A temporary directory for one test file's ledgers. */
export function temporaryDirectory(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `ledger-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export function storePath(directory: string): string {
  return join(directory, 'ledger.db');
}

export function serverEnv(directory: string, env: Record<string, string> = {}, logLevel = 'warn'): Record<string, string> {
  return {
    PATH: process.env['PATH'] ?? '',
    LEDGER_SKIP_BUILD: '1',
    LEDGER_STORE: `sqlite:${storePath(directory)}`,
    LEDGER_DATA_DIR: directory,
    LEDGER_API_KEYS: apiKeysSpec,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: logLevel,
    ...env,
  };
}

function spawnLedger(options: StartOptions): { child: ChildProcessWithoutNullStreams; output: () => string; exited: Promise<Exit> } {
  const child = spawn(process.execPath, [ledgerBin, 'serve', ...(options.args ?? [])], { cwd: root, env: serverEnv(options.directory, options.env, options.logLevel) });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<Exit>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return { child, output: () => output, exited };
}

/** Starts `ledger serve` and resolves once it listens (its banner is complete). */
export async function startServer(options: StartOptions): Promise<LedgerServer> {
  const startTimeoutMs = options.startTimeoutMs ?? serverStartTimeoutMs;
  const { child, output, exited } = spawnLedger(options);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`ledger serve did not start in ${startTimeoutMs} ms:\n${output()}`));
    }, startTimeoutMs);
    const onData = () => {
      const match = /listening on (http:\/\/\S+)/.exec(output());
      if (match === null || !output().includes('Try:')) return;
      clearTimeout(timer);
      child.stdout.off('data', onData);
      resolve(match[1]!);
    };
    child.stdout.on('data', onData);
    void exited.then((exit) => {
      clearTimeout(timer);
      reject(new Error(`ledger serve exited (${exit.code ?? exit.signal}) before listening:\n${output()}`));
    });
  });
  let killedAfterMs: number | null = null;
  const signal = async (name: NodeJS.Signals, timeoutMs: number): Promise<Exit> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(name);
    const sentMs = performance.now();
    const timer = setTimeout(() => {
      killedAfterMs = Math.round(performance.now() - sentMs);
      child.kill('SIGKILL');
    }, timeoutMs);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  };
  const stop = () => signal('SIGTERM', serverStopTimeoutMs);
  return {
    url,
    pid: child.pid ?? -1,
    child,
    output,
    exited,
    kill: () => signal('SIGKILL', serverStopTimeoutMs),
    stop,
    stopCleanly: async () => {
      const exit = await stop();
      if (exit.code === 0) return;
      const how = killedAfterMs === null ? `exit code ${exit.code}, signal ${exit.signal}` : `still running ${killedAfterMs} ms after SIGTERM, so killed`;
      throw new Error(`ledger serve did not stop cleanly (${how}):\n${output()}`);
    },
  };
}

/**
 * Starts `ledger serve` where it is expected not to start: resolves with its exit and output. A
 * server that starts after all is stopped at once, and `listened` says so.
 */
export async function startRefused(options: StartOptions): Promise<Exit & { output: string; listened: boolean }> {
  const { child, output, exited } = spawnLedger(options);
  let listened = false;
  child.stdout.on('data', () => {
    if (listened || !output().includes('Try:')) return;
    listened = true;
    child.kill('SIGTERM');
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), serverStartTimeoutMs);
  const exit = await exited;
  clearTimeout(timer);
  return { ...exit, output: output(), listened };
}
