import { cpSync } from 'node:fs';
import { buildOnce } from '../cli/support.js';
import { Client } from '../reliability/support/client.js';
import { startServer, storePath, type LedgerServer } from '../reliability/support/ledger-server.js';

/**
 * The HTTP benchmarks' `ledger serve`: the built application as a process, started by the
 * reliability tests' helpers (test/reliability/support) on a ledger directory (`ledger.db`,
 * model checkpoint, chain anchor) and stopped gracefully after the work, so that whatever the
 * server logged at error level, or a stop that fails, fails the benchmark instead of hiding in
 * its figures.
 */

export { Client, storePath };

let built = false;
/**
 * A fleet's first start checks its whole hash chain and builds or loads its model: for 1.44 M
 * events that is tens of seconds on a loaded 2-core machine, more than a test's server may take.
 */
const serverStartTimeoutMs = 300_000;

/** Brings apps/api/dist up to date once per process (the server runs the compiled JavaScript). */
export function ensureBuilt(): void {
  if (built) return;
  buildOnce();
  built = true;
}

/** pino's error and fatal levels, as they appear in its JSON lines. */
const errorLogPattern = /"level":(?:50|60)\b/;

export interface ServerOptions {
  /** More environment for the server process (NODE_OPTIONS, LEDGER_*). */
  env?: Record<string, string>;
  /**
   * `discard`: SIGKILL after the work, for a ledger directory thrown away afterwards, so that
   * no checkpoint of a large model is written for nothing. Default `graceful` (SIGTERM).
   */
  stop?: 'graceful' | 'discard';
}

/**
 * Starts `ledger serve` on `directory`, runs `work` with a client of it, then stops it with
 * SIGTERM (the server saves its checkpoint and chain anchor), or SIGKILL with `stop: 'discard'`.
 * Its start is not part of any measurement: `work` takes its own times.
 */
export async function withServer<T>(directory: string, work: (client: Client, server: LedgerServer) => Promise<T>, options: ServerOptions = {}): Promise<T> {
  ensureBuilt();
  const server = await startServer({ directory, startTimeoutMs: serverStartTimeoutMs, ...(options.env === undefined ? {} : { env: options.env }) });
  let result: T;
  try {
    result = await work(new Client(server.url), server);
  } catch (error) {
    await server.kill();
    throw error;
  }
  if (options.stop === 'discard') {
    await server.kill();
  } else {
    const exit = await server.stop();
    if (exit.code !== 0) throw new Error(`ledger serve stopped with ${exit.code ?? exit.signal}:\n${tail(server.output())}`);
  }
  if (errorLogPattern.test(server.output())) throw new Error(`ledger serve logged errors:\n${tail(server.output())}`);
  return result;
}

/** A copy of a stopped server's ledger directory: the same log, checkpoint and chain anchor. */
export function copyLedgerDirectory(from: string, to: string): void {
  cpSync(from, to, { recursive: true });
}

function tail(text: string): string {
  return text.split('\n').slice(-20).join('\n');
}
