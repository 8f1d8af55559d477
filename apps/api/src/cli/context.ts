import { mkdirSync } from 'node:fs';
import { dataDirectoryMode, type Ledger } from '@compute-ledger/ledger';
import { openLedgerAt, openStore } from '../composition/open-store.js';
import { killingAfterCommit, type KillAfterCommit } from './fault-injection.js';
import { ValidationError } from '@compute-ledger/ledger';
import type { z } from 'zod';
import type { LedgerConfig } from '../config.js';
import { parseInput } from '../shared/parse-input.js';
import { CliUsageError } from './errors.js';
import type { OutputFormat } from './format.js';

/** What every command gets: where to write, the configuration, and how to open the ledger. */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
}

export interface CliContext {
  io: CliIo;
  config: LedgerConfig;
  /** From --json: machine-readable output everywhere. */
  json: boolean;
  /** Set by tests only, to record facts "on" a given day. */
  clock?: () => Date;
}

export const cliActor = (command: string) => ({ actor: `cli:${command}`, correlationId: `cli-${process.pid}-${Date.now()}` });

/**
 * Opens the configured ledger, runs `work`, and closes it whatever happens, saving the model
 * checkpoint when it is worth it; `readOnly` (verify) leaves the data directory and the log as
 * they were.
 */
export async function withLedger<T>(context: CliContext, work: (ledger: Ledger) => Promise<T>, follow = false, readOnly = false): Promise<T> {
  const ledger = await openConfiguredLedger(context, follow, readOnly);
  try {
    return await work(ledger);
  } finally {
    await ledger.close();
  }
}

export async function openConfiguredLedger(context: CliContext, follow: boolean, readOnly = false, fault: KillAfterCommit | null = null): Promise<Ledger> {
  const { storeUrl, currency, dataDir, approvalAbove } = context.config;
  mkdirSync(dataDir, { recursive: true, mode: dataDirectoryMode });
  // A checkpoint records its digest in the log: written when worth a shorter replay, not after every command.
  const checkpointEventsMin = readOnly ? Number.POSITIVE_INFINITY : context.config.checkpointEventsMin;
  const clock = context.clock === undefined ? {} : { clock: context.clock };
  // The crash tests' seam (fault-injection.ts): only then is the store wrapped.
  const store = fault === null ? storeUrl : killingAfterCommit(await openStore(storeUrl, context.clock), fault);
  return openLedgerAt(store, { currency, dataDir, follow, checkpointEventsMin, ...clock, ...(approvalAbove === undefined ? {} : { approvalAbove }) });
}

/**
 * Option values through the same schemas the API validates with. A malformed value is a misuse
 * of the command (exit 2), named as the option the user typed.
 */
export function parseOptions<S extends z.ZodType>(schema: S, value: Record<string, unknown>, names: Record<string, string>): z.output<S> {
  try {
    return parseInput(schema, stripUndefined(value));
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const first = error.errors[0];
    const option = first === undefined ? '' : (names[first.path] ?? first.path);
    throw new CliUsageError(first === undefined ? error.message : `${option}: ${first.message}`);
  }
}

/** `2025-12-15` is taken as the instant `2025-12-15T00:00:00Z`; a full instant passes as it is. */
export function instantOption(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value;
}

export function formatOption(value: string | undefined, json: boolean, allowed: readonly OutputFormat[], fallback: OutputFormat): OutputFormat {
  if (json) return 'json';
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) throw new CliUsageError(`--format must be one of ${allowed.join(', ')}`);
  return value as OutputFormat;
}

function stripUndefined(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined));
}
