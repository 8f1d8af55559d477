import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { dataDirectoryMode, type EventStore, type VerifyAnchor, type VerifyResult } from '@compute-ledger/ledger';
import { openStore } from '../composition/open-store.js';

/**
 * The hash-chain check `ledger serve` runs before it serves anything. A full check reads every
 * event, which is too slow to repeat at every start of a large ledger, so the last verified
 * event (its position and hash) is kept in the data directory and each start checks only from
 * there: the anchor's stored hash must be unchanged, and every event after it must chain on.
 * That catches events altered, removed or reordered since the last check, a log cut below the
 * anchor, and a history rewritten with freshly computed hashes (the anchor's hash changes). An
 * edit of an event before the anchor that leaves its stored hash alone is only seen by a full
 * check (`ledger verify`, GET /v1/audit/verify), which is why both stay available.
 */

/** The file in the data directory that holds the last verified position and hash. */
export const chainVerifiedFile = 'chain.verified';

/**
 * Events a clean shutdown checks at most before it moves the anchor. Beyond this the check is
 * left to the next start, so that a long run cannot make a stop outlast the shutdown timeout.
 */
export const shutdownVerifyEventsMax = 250_000;

/** What chain.verified holds. The store is named by a digest, so a URL with credentials is never written down. */
interface VerifiedChainRecord {
  storeDigest: string;
  position: number;
  hash: string;
  verifiedAt: string;
}

export type StartupCheck =
  | { ok: true; anchor: VerifyAnchor | null; eventsChecked: number; headPosition: number }
  | { ok: false; anchor: VerifyAnchor | null; firstInvalidPosition: number; reason: string };

export class StartupVerification {
  private anchor: VerifyAnchor | null = null;
  /** False after a failed check: nothing may be recorded as verified for this store until it is repaired. */
  private trusted = false;

  private constructor(
    private readonly path: string,
    private readonly storeDigest: string,
  ) {}

  /** The verification of the store at `storeUrl`, with its anchor file in `dataDir`. */
  static of(storeUrl: string, dataDir: string): StartupVerification {
    return new StartupVerification(join(dataDir, chainVerifiedFile), digestOf(storeKey(storeUrl, dataDir)));
  }

  /**
   * Opens the store on its own (before the model reads a single event, so that an altered event
   * is reported as such rather than as whatever it breaks downstream), checks the chain from the
   * anchor, and on success moves the anchor to the head.
   */
  async checkAtStart(storeUrl: string): Promise<StartupCheck> {
    return withBareStore(storeUrl, (store) => this.check(store));
  }

  /** Checks the chain from the anchor kept in the data directory (from the first event without one). */
  async check(store: EventStore): Promise<StartupCheck> {
    this.anchor = this.readAnchor();
    const result = await store.verify(this.anchor ?? undefined);
    this.trusted = result.ok;
    if (!result.ok) return { ok: false, anchor: this.anchor, firstInvalidPosition: result.firstInvalidPosition, reason: result.reason };
    this.save(result);
    return { ok: true, anchor: this.anchor, eventsChecked: result.eventsChecked, headPosition: result.headPosition };
  }

  /**
   * On a clean stop: checks what was appended since the anchor and moves the anchor to the head,
   * so the next start checks only what comes after. Nothing moves after a failed check (the
   * next start must see the same failure) or when too much was appended to check in a stop.
   */
  async recordAtShutdown(store: EventStore): Promise<'recorded' | 'left-to-next-start' | 'untrusted'> {
    if (!this.trusted) return 'untrusted';
    const head = await store.headPosition();
    if (head - (this.anchor?.position ?? -1) > shutdownVerifyEventsMax) return 'left-to-next-start';
    const result = await store.verify(this.anchor ?? undefined);
    if (!result.ok) {
      this.trusted = false;
      return 'untrusted';
    }
    this.save(result);
    return 'recorded';
  }

  private readAnchor(): VerifyAnchor | null {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    const record = parseRecord(text);
    // An unreadable file, or one kept for another store, earns the strongest check: from the
    // first event. A file cannot weaken the check, only shorten it when it is right.
    if (record === null || record.storeDigest !== this.storeDigest) return null;
    return { position: record.position, hash: record.hash };
  }

  /** Writes the head as the new anchor: a temporary file, synced, then renamed over the old one. */
  private save(result: Extract<VerifyResult, { ok: true }>): void {
    // An empty log has no event to anchor to; the next check starts from the beginning anyway.
    if (result.headPosition < 0) return;
    const record: VerifiedChainRecord = { storeDigest: this.storeDigest, position: result.headPosition, hash: result.headHash, verifiedAt: new Date().toISOString() };
    mkdirSync(dirname(this.path), { recursive: true, mode: dataDirectoryMode });
    const temporary = `${this.path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      const fd = openSync(temporary, 'w', 0o600);
      try {
        writeSync(fd, `${JSON.stringify(record)}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temporary, this.path);
    } catch (error) {
      rmSync(temporary, { force: true });
      throw error;
    }
    this.anchor = { position: record.position, hash: record.hash };
  }
}

/**
 * Opens the store at `storeUrl` on its own, with no model, runs `work` on it and closes it. The
 * hash chain is checked this way (by `serve` at start, by `verify` first) so that an event
 * altered until it no longer reads is named by its position, rather than reported as whatever
 * it breaks when a model folds it.
 */
export async function withBareStore<T>(storeUrl: string, work: (store: EventStore) => Promise<T>): Promise<T> {
  const store = await openStore(storeUrl);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

/** What failed and where, for every report of a chain that does not verify. `anchor` null: checked from the first event. */
export function chainFailureMessage(failure: Extract<VerifyResult, { ok: false }>, storeUrl: string, anchor: VerifyAnchor | null): string {
  const from = anchor === null ? 'from the first event' : `from the last verified position ${anchor.position}`;
  return `the hash chain of ${redactedStoreUrl(storeUrl)} does not verify (checked ${from}): the first bad position is ${failure.firstInvalidPosition}: ${failure.reason}.`;
}

/** The message a refused start prints: what failed, where, and the ways forward. */
export function refusalMessage(check: Extract<StartupCheck, { ok: false }>, storeUrl: string, dataDir: string): string {
  // A store replaced on purpose (a new file, a restore from an older backup) fails against the old anchor too.
  const replaced = check.anchor === null ? '' : ` A store replaced on purpose: remove ${join(dataDir, chainVerifiedFile)} to check it from its first event.`;
  return (
    `${chainFailureMessage(check, storeUrl, check.anchor)} ` +
    `The server does not start on a log that may have been altered. \`ledger verify\` runs the full check; \`ledger serve --allow-unverified\` serves the log anyway.${replaced}`
  );
}

function parseRecord(text: string): VerifiedChainRecord | null {
  try {
    const value = JSON.parse(text) as Partial<VerifiedChainRecord>;
    const { storeDigest, position, hash } = value;
    if (typeof storeDigest !== 'string' || typeof hash !== 'string' || !Number.isSafeInteger(position) || (position ?? -1) < 0) return null;
    return value as VerifiedChainRecord;
  } catch {
    return null;
  }
}

/**
 * What the anchor is kept for. A SQLite file inside the data directory (the default layout) is
 * named relative to it, so a ledger directory moved or restored elsewhere keeps its anchor; any
 * other file by its absolute path, so that the same file reached from another working directory
 * is the same store, and an anchor of one file never applies to another.
 */
function storeKey(storeUrl: string, dataDir: string): string {
  if (!storeUrl.startsWith('sqlite:')) return storeUrl;
  const path = storeUrl.slice('sqlite:'.length);
  if (path === ':memory:') return storeUrl;
  const inDataDir = relative(resolve(dataDir), resolve(path));
  return inDataDir.startsWith('..') || isAbsolute(inDataDir) ? `sqlite:${resolve(path)}` : `sqlite:<data>/${inDataDir}`;
}

function digestOf(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A store URL without the user and password it may carry, for messages. */
function redactedStoreUrl(storeUrl: string): string {
  return storeUrl.replace(/\/\/[^/@]*@/, '//');
}
