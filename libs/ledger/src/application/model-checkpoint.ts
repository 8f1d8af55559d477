import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import type { EventStore } from '../store/event-store.js';
import type { LeaseFold, LedgerModel } from '../projections/ledger-model.js';
import { restoreModel, serializeModel } from '../projections/model-snapshot.js';

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
    writeSync(fd, `${JSON.stringify(header)}\n`);
    writeSync(fd, serializeModel(model));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
}

/** The model of a checkpoint that matches the store, or null to rebuild from the log. */
export async function loadCheckpoint(path: string, store: EventStore, foldLease: LeaseFold): Promise<LedgerModel | null> {
  if (!existsSync(path)) return null;
  try {
    const text = readFileSync(path, 'utf8');
    const newline = text.indexOf('\n');
    const header = JSON.parse(text.slice(0, newline)) as CheckpointHeader;
    if (header.position >= 0) {
      const [event] = await store.readAll({ fromPosition: header.position, limit: 1 });
      if (event === undefined || event.position !== header.position || event.hash !== header.eventHash) return null;
    }
    return restoreModel(text.slice(newline + 1), foldLease);
  } catch {
    // A torn or foreign checkpoint costs a rebuild, never a wrong answer.
    return null;
  }
}
