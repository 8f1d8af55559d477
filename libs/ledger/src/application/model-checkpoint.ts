import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readSync, renameSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import type { EventStore } from '../store/event-store.js';
import type { LeaseFold, LedgerModel } from '../projections/ledger-model.js';
import { restoreModel, writeModelSnapshot } from '../projections/model-snapshot.js';

/**
 * A checkpoint of the model on disk: the snapshot plus the hash of the last event it folded.
 * A restart loads it and replays only what came after; a checkpoint whose last event is not in
 * the log with the same hash (another store, a rewritten file) is ignored and the model is
 * rebuilt from the first event.
 */

interface CheckpointHeader {
  position: number;
  eventHash: string;
}

export function saveCheckpoint(path: string, model: LedgerModel, eventHash: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const header: CheckpointHeader = { position: model.position, eventHash };
  // Each writer has its own temporary file: a server and a command on one data directory never
  // write into each other's; the rename is atomic, so the last complete checkpoint wins.
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(temporary, 'w', 0o600);
  try {
    const output = new BufferedOutput(fd);
    output.write(`${JSON.stringify(header)}\n`);
    writeModelSnapshot(model, (line) => output.write(line));
    output.flush();
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
}

/** The model of a checkpoint that matches the store, or null to rebuild from the log. */
export async function loadCheckpoint(path: string, store: EventStore, foldLease: LeaseFold): Promise<LedgerModel | null> {
  if (!existsSync(path)) return null;
  let lines: LineReader | null = null;
  try {
    lines = new LineReader(path);
    const first = lines.next();
    if (first.done === true) return null;
    const header = JSON.parse(first.value) as CheckpointHeader;
    if (header.position >= 0) {
      const [event] = await store.readAll({ fromPosition: header.position, limit: 1 });
      if (event === undefined || event.position !== header.position || event.hash !== header.eventHash) return null;
    }
    return restoreModel(lines, foldLease);
  } catch {
    // A torn or foreign checkpoint costs a rebuild, never a wrong answer.
    return null;
  } finally {
    lines?.close();
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
