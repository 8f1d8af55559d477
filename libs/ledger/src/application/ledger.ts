import { join } from 'node:path';
import type { CurrencyCode } from '@compute-ledger/contracts';
import { foldLease } from '../domain/lease/lease.js';
import { modelDigest } from '../projections/model-snapshot.js';
import type { EventStore, VerifyResult } from '../store/event-store.js';
import type { BillingCommands } from './billing-commands.js';
import { LedgerCommands } from './ledger-commands.js';
import { checkpointState, loadVerifiedCheckpoint, noCheckpoint, type CheckpointState } from './model-checkpoint.js';
import { ModelRunner } from './model-runner.js';
import { PeriodService } from './period-service.js';
import { ReportService } from './report-service.js';
import { systemClock, type Clock } from './clock.js';

/**
 * The ledger as one object: the store, the model that follows it, and the services that the
 * HTTP API and the command line both call. Nothing else wires these together.
 */

export const modelCheckpointFile = 'model.checkpoint';

export interface LedgerOptions {
  /**
   * The opened store the ledger keeps (and closes with it). Opening one from a URL is the
   * application's composition (apps/api/src/composition/open-store.ts), so the core loads no driver.
   */
  store: EventStore;
  currency?: CurrencyCode;
  clock?: Clock;
  /** Where the model checkpoint lives; none is kept when omitted. */
  dataDir?: string;
  /** Follow the log live (a server); a one-shot command leaves it off. */
  follow?: boolean;
  /**
   * Facts the model must have folded since the last checkpoint for `close` to write one
   * (default 1: whenever it moved). Each checkpoint records its digest in the log, so a command
   * that runs often sets this high, and a small ledger, quick to replay, gets none.
   */
  checkpointEventsMin?: number;
  /** Billing documents whose absolute total is above this amount are drafts awaiting a second approver (`LEDGER_APPROVAL_ABOVE`). */
  approvalAbove?: string;
}

export interface LedgerVerifyResult {
  chain: VerifyResult;
  rebuild: { ok: boolean; liveDigest: string; rebuiltDigest: string; position: number };
  /** The checkpoint file against the log, and against a rebuild of the log up to its position. */
  model: CheckpointState;
}

/** What the ledger was opened from, and how it keeps its checkpoint. */
export interface LedgerOpening {
  checkpointPath: string | null;
  /** Position of the checkpoint the model was restored from at open, or null when it was built from the first event. */
  restoredFrom: number | null;
  /** The checkpoint file found at open, against the log. */
  checkpointAtOpen: CheckpointState;
  checkpointEventsMin: number;
}

export class Ledger {
  readonly commands: LedgerCommands;
  readonly billing: BillingCommands;
  readonly reports: ReportService;
  readonly periods: PeriodService;

  constructor(
    readonly store: EventStore,
    readonly runner: ModelRunner,
    readonly currency: CurrencyCode,
    readonly clock: Clock,
    readonly opening: LedgerOpening = { checkpointPath: null, restoredFrom: null, checkpointAtOpen: noCheckpoint, checkpointEventsMin: 1 },
    approvalAbove?: string,
  ) {
    this.commands = new LedgerCommands({ store, currency, clock, runner, approvalAbove });
    this.billing = this.commands.billing;
    this.reports = new ReportService({ store, runner, currency, clock });
    this.periods = new PeriodService({ store, runner, clock });
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
    return { chain, rebuild: { ok: liveDigest === rebuiltDigest, liveDigest, rebuiltDigest, position: rebuilt.model.position }, model: await this.verifyCheckpoint() };
  }

  /** Position of the checkpoint the model was restored from at open, or null when it was built from the first event. */
  get restoredFrom(): number | null {
    return this.opening.restoredFrom;
  }

  /** The checkpoint file as it is now, against the log (no rebuild). */
  async checkpointState(): Promise<CheckpointState> {
    return this.opening.checkpointPath === null ? noCheckpoint : checkpointState(this.opening.checkpointPath, this.store);
  }

  /**
   * The checkpoint file against the log, and the digest the log records against a model rebuilt
   * from the first event up to the checkpoint's position: a checkpoint that matches the log is
   * also the model the log gives.
   */
  private async verifyCheckpoint(): Promise<CheckpointState> {
    const state = await this.checkpointState();
    if (state.matchesLog !== true || state.checkpointPosition === null) return state;
    const rebuilt = new ModelRunner(this.store, foldLease);
    await rebuilt.catchUpTo(state.checkpointPosition);
    const rebuiltDigest = modelDigest(rebuilt.model);
    if (rebuiltDigest === state.digest) return state;
    return { ...state, matchesLog: false, reason: `the model rebuilt to position ${state.checkpointPosition} has digest ${rebuiltDigest}, not the checkpoint's` };
  }

  /** Saves the model checkpoint (when a data directory is set) so a restart skips the replay. */
  async checkpoint(): Promise<void> {
    if (this.opening.checkpointPath !== null) await this.runner.checkpoint(this.opening.checkpointPath);
  }

  /** Closes the ledger, writing the checkpoint first when the model folded enough facts since the last one. */
  async close(): Promise<void> {
    await this.runner.catchUp();
    if (this.runner.factsSinceCheckpoint >= this.opening.checkpointEventsMin) await this.checkpoint();
    await this.runner.close();
    await this.store.close();
  }
}

export async function openLedger(options: LedgerOptions): Promise<Ledger> {
  const clock = options.clock ?? systemClock;
  const { store } = options;
  const checkpointPath = options.dataDir === undefined ? null : join(options.dataDir, modelCheckpointFile);
  const loaded = checkpointPath === null ? { model: null, state: noCheckpoint } : await loadVerifiedCheckpoint(checkpointPath, store, foldLease);
  const restoredFrom = loaded.model?.position ?? null;
  const runner = new ModelRunner(store, foldLease, loaded.model ?? undefined);
  await runner.catchUp();
  if (options.follow === true) runner.follow();
  const opening = { checkpointPath, restoredFrom, checkpointAtOpen: loaded.state, checkpointEventsMin: options.checkpointEventsMin ?? 1 };
  return new Ledger(store, runner, options.currency ?? 'USD', clock, opening, options.approvalAbove);
}
