import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import type { WebhookEventType } from '@compute-ledger/contracts';

/**
 * Webhook registrations, their secrets and each endpoint's delivery state, kept in the data
 * directory and never in the event log: a secret in the log would be readable by every auditor
 * key and could never be erased from it (the log is append-only and hash-chained). The
 * directory is 0700 and every file 0600; each file is replaced whole (write, fsync, rename,
 * fsync of the directory), so a crash leaves the old file or the new one, never half of one.
 */

export interface EndpointRecord {
  endpointId: string;
  url: string;
  events: WebhookEventType[];
  secret: string;
  /** The secret before the last rotation, still signing beside the new one until it expires. */
  previousSecret?: { secret: string; expiresAt: string };
  createdAt: string;
  /** Delivery starts after this global position: the log's head when the endpoint was registered. */
  startAfterPosition: number;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface DeliveryRecord {
  /** The event id (with `:expired:<grantId>` for a credit expiry a billing run made final), also the `webhook-id` header. */
  deliveryId: string;
  position: number;
  type: WebhookEventType;
  status: DeliveryStatus;
  attempts: number;
  firstAttemptAt: string | null;
  lastAttemptAt: string | null;
  nextAttemptAt: string | null;
  lastResponseCode: number | null;
  lastError: string | null;
}

export interface EndpointState {
  /** Global position of the last event done with (delivered, or not subscribed to). */
  checkpoint: number;
  /** Set when the retries of a delivery ran out: nothing more is sent until an operator retries or replays. */
  failingSince: string | null;
  /** Counters since the endpoint was registered, for /metrics. */
  deliveredTotal: number;
  failedAttemptsTotal: number;
  /** The latest deliveries, newest last (at most deliveriesKeptMax). */
  deliveries: DeliveryRecord[];
  /**
   * The messages already delivered of the event after the checkpoint, when it carries several
   * (a billing run and the credit expiries it made final): the checkpoint moves past the event
   * once all of them are delivered. Absent in state files written before there were such events.
   */
  deliveredWithin?: { position: number; deliveryIds: string[] } | null;
}

/** The deliveries shown per endpoint: enough for an operator to see what happened today. */
export const deliveriesKeptMax = 1_000;

const directoryMode = 0o700;
const fileMode = 0o600;
const endpointsFile = 'endpoints.json';
const stateSuffix = '.state.json';

export class WebhookFiles {
  readonly directory: string;

  constructor(dataDir: string) {
    this.directory = join(dataDir, 'webhooks');
    mkdirSync(this.directory, { recursive: true, mode: directoryMode });
    // mkdir's mode is masked by the umask, and an existing directory keeps its own.
    chmodSync(this.directory, directoryMode);
  }

  readEndpoints(): EndpointRecord[] {
    const path = join(this.directory, endpointsFile);
    if (!existsSync(path)) return [];
    return (JSON.parse(readFileSync(path, 'utf8')) as { endpoints: EndpointRecord[] }).endpoints;
  }

  writeEndpoints(endpoints: readonly EndpointRecord[]): void {
    this.replace(endpointsFile, JSON.stringify({ endpoints }, null, 2));
  }

  readState(endpointId: string): EndpointState | null {
    const path = join(this.directory, `${endpointId}${stateSuffix}`);
    if (!existsSync(path)) return null;
    return JSON.parse(readFileSync(path, 'utf8')) as EndpointState;
  }

  writeState(endpointId: string, state: EndpointState): void {
    this.replace(`${endpointId}${stateSuffix}`, JSON.stringify(state));
  }

  removeState(endpointId: string): void {
    rmSync(join(this.directory, `${endpointId}${stateSuffix}`), { force: true });
    this.syncDirectory();
  }

  /** State files of endpoints no longer registered (a crash between the two writes of a delete). */
  orphanStates(registered: ReadonlySet<string>): string[] {
    return readdirSync(this.directory)
      .filter((name) => name.endsWith(stateSuffix))
      .map((name) => name.slice(0, -stateSuffix.length))
      .filter((endpointId) => !registered.has(endpointId));
  }

  private replace(name: string, text: string): void {
    const path = join(this.directory, name);
    const temporary = `${path}.tmp`;
    const fd = openSync(temporary, 'w', fileMode);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    chmodSync(temporary, fileMode);
    renameSync(temporary, path);
    this.syncDirectory();
  }

  private syncDirectory(): void {
    const fd = openSync(this.directory, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}
