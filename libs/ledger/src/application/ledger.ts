import { join } from 'node:path';
import type { CurrencyCode } from '@compute-ledger/contracts';
import { foldLease } from '../domain/lease/lease.js';
import { modelDigest } from '../projections/model-snapshot.js';
import type { EventStore, VerifyResult } from '../store/event-store.js';
import { isEsdbConnectionString } from '../store/esdb/connection.js';
import { openEsdbEventStore } from '../store/esdb/esdb-event-store.js';
import { openSqliteEventStore } from '../store/sqlite/sqlite-event-store.js';
import { BillingService } from './billing-service.js';
import { LedgerCommands } from './ledger-commands.js';
import { loadCheckpoint } from './model-checkpoint.js';
import { ModelRunner } from './model-runner.js';
import { ReportService } from './report-service.js';
import { systemClock, type Clock } from './clock.js';

/**
 * The ledger as one object: the store, the model that follows it, and the services that the
 * HTTP API and the command line both call. Nothing else wires these together.
 */

export const defaultStoreUrl = 'sqlite:./data/ledger.db';
export const modelCheckpointFile = 'model.checkpoint';

export interface LedgerOptions {
  /** `sqlite:<path>` (default `sqlite:./data/ledger.db`), or an already opened store. */
  store?: string | EventStore;
  currency?: CurrencyCode;
  clock?: Clock;
  /** Where the model checkpoint lives; none is kept when omitted. */
  dataDir?: string;
  /** Follow the log live (a server); a one-shot command leaves it off. */
  follow?: boolean;
}

export interface LedgerVerifyResult {
  chain: VerifyResult;
  rebuild: { ok: boolean; liveDigest: string; rebuiltDigest: string; position: number };
}

export class Ledger {
  readonly commands: LedgerCommands;
  readonly billing: BillingService;
  readonly reports: ReportService;

  constructor(
    readonly store: EventStore,
    readonly runner: ModelRunner,
    readonly currency: CurrencyCode,
    readonly clock: Clock,
    private readonly checkpointPath: string | null,
    /** Position of the checkpoint the model was restored from at open, or null when it was built from the first event. */
    readonly restoredFrom: number | null = null,
  ) {
    this.commands = new LedgerCommands({ store, currency, clock, runner });
    this.billing = new BillingService({ store, runner, currency, clock });
    this.reports = new ReportService({ store, runner, currency, clock });
  }

  /**
   * Checks the hash chain from the first event, then rebuilds the model from the log and
   * compares it byte for byte with the live one.
   */
  async verify(): Promise<LedgerVerifyResult> {
    const chain = await this.store.verify();
    await this.runner.catchUp();
    const rebuilt = new ModelRunner(this.store, foldLease);
    await rebuilt.catchUp();
    // The live model may have moved on while the rebuild read: compare at the same position.
    await this.runner.catchUp();
    await rebuilt.catchUp();
    const liveDigest = modelDigest(this.runner.model);
    const rebuiltDigest = modelDigest(rebuilt.model);
    return { chain, rebuild: { ok: liveDigest === rebuiltDigest, liveDigest, rebuiltDigest, position: rebuilt.model.position } };
  }

  /** Saves the model checkpoint (when a data directory is set) so a restart skips the replay. */
  async checkpoint(): Promise<void> {
    if (this.checkpointPath !== null) await this.runner.checkpoint(this.checkpointPath);
  }

  async close(): Promise<void> {
    await this.checkpoint();
    await this.runner.close();
    await this.store.close();
  }
}

/** Opens the store a URL names. */
export async function openStore(url: string, clock?: Clock): Promise<EventStore> {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    return openSqliteEventStore(clock === undefined ? { path } : { path, clock });
  }
  if (isEsdbConnectionString(url)) {
    return openEsdbEventStore(clock === undefined ? { connectionString: url } : { connectionString: url, clock });
  }
  throw new Error(`unsupported LEDGER_STORE ${url}: expected sqlite:<path>, or esdb://, esdb+discover://, kurrentdb:// or kurrent:// and a server`);
}

export async function openLedger(options: LedgerOptions = {}): Promise<Ledger> {
  const clock = options.clock ?? systemClock;
  const store = typeof options.store === 'object' ? options.store : await openStore(options.store ?? defaultStoreUrl, clock);
  const checkpointPath = options.dataDir === undefined ? null : join(options.dataDir, modelCheckpointFile);
  const restored = checkpointPath === null ? null : await loadCheckpoint(checkpointPath, store, foldLease);
  const restoredFrom = restored?.position ?? null;
  const runner = new ModelRunner(store, foldLease, restored ?? undefined);
  await runner.catchUp();
  if (options.follow === true) runner.follow();
  return new Ledger(store, runner, options.currency ?? 'USD', clock, checkpointPath, restoredFrom);
}
