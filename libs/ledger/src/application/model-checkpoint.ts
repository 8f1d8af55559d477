import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { ledgerEventRegistry } from '@compute-ledger/contracts';
import type { EventStore, EventToAppend, JsonObject } from '../store/event-store.js';
import { dataDirectoryMode } from '../store/file-modes.js';
import type { LeaseFold, LedgerModel } from '../projections/ledger-model.js';
import { modelSnapshotVersion, restoreModel, writeModelSnapshot } from '../projections/model-snapshot.js';

/**
 * A checkpoint of the model on disk: the snapshot plus the hash of the last event it folded.
 * A restart loads it and replays only what came after.
 *
 * The file alone proves nothing: anyone who can write it could change an amount in it. So the
 * digest of every checkpoint written (sha256 of the snapshot's lines) is recorded as a fact of
 * the hash-chained log, `ModelCheckpointed` in the stream `ledger-model`, before the file takes
 * its name. A checkpoint is used only when the log holds its last event with the same hash AND
 * records its digest: forging the file means forging the chain, which the chain check, the
 * anchor kept at start and pinned heads catch. Any other checkpoint (another store's, a torn
 * write, an edited one, one written before digests were recorded) is ignored, and the model is
 * rebuilt from the first event.
 */

/** The ledger-internal stream of the checkpoint digests. */
export const modelCheckpointStream = 'ledger-model';
/** Digest facts read per page when a checkpoint's digest is looked up. */
const digestPageEventsMax = 1_000;

interface CheckpointHeader {
  position: number;
  eventHash: string;
}

/** What a checkpoint file is worth against the log (GET /v1/audit/verify and `ledger verify` report it). */
export interface CheckpointState {
  /** Position of the last event the checkpoint folded; null when there is no checkpoint file. */
  checkpointPosition: number | null;
  /** sha256 of the file's snapshot; null when there is no file, or it cannot be read. */
  digest: string | null;
  /** True when the log records this digest for this position; null when there is no checkpoint. */
  matchesLog: boolean | null;
  /** Why it does not match. */
  reason?: string;
}

export const noCheckpoint: CheckpointState = { checkpointPosition: null, digest: null, matchesLog: null };

/**
 * Writes the checkpoint beside `path` under a temporary name, synced: each writer has its own,
 * so a server and a command on one data directory never write into each other's. Answers the
 * temporary file and the snapshot's digest; `commitCheckpointFile` gives it its name.
 */
export function writeCheckpointFile(path: string, model: LedgerModel, eventHash: string): { temporary: string; digest: string } {
  mkdirSync(dirname(path), { recursive: true, mode: dataDirectoryMode });
  const header: CheckpointHeader = { position: model.position, eventHash };
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const digest = createHash('sha256');
  const fd = openSync(temporary, 'w', 0o600);
  try {
    const output = new BufferedOutput(fd);
    output.write(`${JSON.stringify(header)}\n`);
    writeModelSnapshot(model, (line) => {
      digest.update(line);
      output.write(line);
    });
    output.flush();
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(temporary, { force: true });
    throw error;
  }
  closeSync(fd);
  return { temporary, digest: digest.digest('hex') };
}

/** The rename is atomic: the last complete checkpoint wins. */
export function commitCheckpointFile(temporary: string, path: string): void {
  renameSync(temporary, path);
}

/** Writes a checkpoint file without recording its digest (a tool's copy; a restart ignores it unless the log records the digest). Answers the digest. */
export function saveCheckpoint(path: string, model: LedgerModel, eventHash: string): string {
  const { temporary, digest } = writeCheckpointFile(path, model, eventHash);
  commitCheckpointFile(temporary, path);
  return digest;
}

/** The fact that records a checkpoint's digest in the log. */
export function modelCheckpointedEvent(position: number, eventHash: string, digest: string): EventToAppend {
  const data = { checkpointPosition: position, eventHash, digest, snapshotVersion: modelSnapshotVersion };
  return {
    // The same model at the same position has the same digest: two processes that checkpoint it record it once.
    eventId: `model-checkpoint:${position}:${digest.slice(0, 16)}`,
    type: 'ModelCheckpointed',
    schemaVersion: ledgerEventRegistry.currentVersion('ModelCheckpointed'),
    data: ledgerEventRegistry.parseCurrent('ModelCheckpointed', data) as JsonObject,
    metadata: { actor: 'ledger:checkpoint' },
  };
}

/** Every digest the log records for a checkpoint at `position` of the event with `eventHash`. */
export async function recordedCheckpointDigests(store: EventStore, position: number, eventHash: string): Promise<Set<string>> {
  const digests = new Set<string>();
  for (let revision = 0; ; revision += digestPageEventsMax) {
    const events = await store.readStream(modelCheckpointStream, revision, digestPageEventsMax);
    for (const event of events) {
      if (event.type !== 'ModelCheckpointed') continue;
      const data = ledgerEventRegistry.read(event.type, event.schemaVersion, event.data) as { checkpointPosition: number; eventHash: string; digest: string };
      if (data.checkpointPosition === position && data.eventHash === eventHash) digests.add(data.digest);
    }
    if (events.length < digestPageEventsMax) return digests;
  }
}

/** The model of a checkpoint that matches the store, or null to rebuild from the log. */
export async function loadCheckpoint(path: string, store: EventStore, foldLease: LeaseFold): Promise<LedgerModel | null> {
  return (await loadVerifiedCheckpoint(path, store, foldLease)).model;
}

/** The checkpoint's model when it matches the log (else null), and what it is worth. */
export async function loadVerifiedCheckpoint(path: string, store: EventStore, foldLease: LeaseFold): Promise<{ model: LedgerModel | null; state: CheckpointState }> {
  const read = await readCheckpoint(path, store, (lines) => restoreModel(lines, foldLease));
  return { model: read.state.matchesLog === true ? read.result : null, state: read.state };
}

/** What the checkpoint file at `path` is worth against the log, without restoring it. */
export async function checkpointState(path: string, store: EventStore): Promise<CheckpointState> {
  return (await readCheckpoint(path, store, (lines) => {
    while (lines.next().done !== true);
    return null;
  })).state;
}

/**
 * Reads a checkpoint file: its header against the log, its snapshot lines through `consume`
 * while they are hashed, then the digest against the ones the log records.
 */
async function readCheckpoint<T>(path: string, store: EventStore, consume: (lines: Iterator<string>) => T): Promise<{ result: T | null; state: CheckpointState }> {
  if (!existsSync(path)) return { result: null, state: noCheckpoint };
  let reader: LineReader | null = null;
  let header: CheckpointHeader | null = null;
  try {
    reader = new LineReader(path);
    const first = reader.next();
    if (first.done === true) return { result: null, state: { checkpointPosition: null, digest: null, matchesLog: false, reason: 'the checkpoint file is empty' } };
    header = JSON.parse(first.value) as CheckpointHeader;
    if (!Number.isSafeInteger(header.position) || typeof header.eventHash !== 'string') throw new Error('its header names no position and hash');
    const hash = createHash('sha256');
    const lines = reader;
    const hashed: Iterator<string> = {
      next: () => {
        const line = lines.next();
        if (line.done !== true) hash.update(`${line.value}\n`);
        return line;
      },
    };
    const result = consume(hashed);
    // Whatever `consume` left unread still counts: the digest covers the whole file.
    while (hashed.next().done !== true);
    const digest = hash.digest('hex');
    const state = { checkpointPosition: header.position, digest };
    if (header.position >= 0) {
      const [event] = await store.readAll({ fromPosition: header.position, limit: 1 });
      if (event === undefined || event.position !== header.position || event.hash !== header.eventHash) {
        return { result: null, state: { ...state, matchesLog: false, reason: `the log does not hold the checkpoint's last event (position ${header.position}, hash ${header.eventHash})` } };
      }
    }
    const recorded = await recordedCheckpointDigests(store, header.position, header.eventHash);
    if (!recorded.has(digest)) {
      const reason = recorded.size === 0 ? `the log records no digest of a checkpoint at position ${header.position}` : `its digest is not the one the log records for position ${header.position} (${[...recorded].join(', ')}): the file was changed after it was written`;
      return { result: null, state: { ...state, matchesLog: false, reason } };
    }
    return { result, state: { ...state, matchesLog: true } };
  } catch (error) {
    // A torn or foreign checkpoint costs a rebuild, never a wrong answer.
    return { result: null, state: { checkpointPosition: header?.position ?? null, digest: null, matchesLog: false, reason: `the checkpoint cannot be read: ${error instanceof Error ? error.message : String(error)}` } };
  } finally {
    reader?.close();
  }
}

const chunkBytes = 1 << 20;

/** Collects small writes into chunks of about a megabyte, so a large model costs few system calls. */
class BufferedOutput {
  private pending: string[] = [];
  private pendingLength = 0;

  constructor(private readonly fd: number) {}

  write(text: string): void {
    this.pending.push(text);
    this.pendingLength += text.length;
    if (this.pendingLength >= chunkBytes) this.flush();
  }

  flush(): void {
    if (this.pending.length === 0) return;
    writeSync(this.fd, this.pending.join(''));
    this.pending = [];
    this.pendingLength = 0;
  }
}

/** The lines of a UTF-8 file, read a chunk at a time: a checkpoint may be larger than one string can hold. */
class LineReader implements Iterator<string> {
  private readonly fd: number;
  private readonly buffer = Buffer.alloc(chunkBytes);
  private carry: Buffer[] = [];
  private lines: string[] = [];
  private ended = false;

  constructor(path: string) {
    this.fd = openSync(path, 'r');
  }

  next(): IteratorResult<string> {
    while (this.lines.length === 0 && !this.ended) this.readChunk();
    const line = this.lines.shift();
    return line === undefined ? { done: true, value: undefined } : { done: false, value: line };
  }

  close(): void {
    closeSync(this.fd);
  }

  private readChunk(): void {
    const read = readSync(this.fd, this.buffer, 0, this.buffer.length, null);
    if (read === 0) {
      this.ended = true;
      // A last line without its newline is a torn write: it is left out, and the snapshot found short.
      return;
    }
    let start = 0;
    for (let newline = this.buffer.indexOf(10, start); newline >= 0 && newline < read; newline = this.buffer.indexOf(10, start)) {
      if (this.carry.length === 0) {
        this.lines.push(this.buffer.toString('utf8', start, newline));
      } else {
        this.carry.push(this.buffer.subarray(start, newline));
        this.lines.push(Buffer.concat(this.carry).toString('utf8'));
        this.carry = [];
      }
      start = newline + 1;
    }
    if (start < read) this.carry.push(Buffer.from(this.buffer.subarray(start, read)));
  }
}
