import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openSqliteEventStore } from '@compute-ledger/store-sqlite';
import { readWholeLog } from './event-store.contract.js';
import { temporaryDirectory } from './sqlite-fixtures.js';

/**
 * Kills a writer process with SIGKILL in the middle of its work, three times on the same file,
 * and checks after each kill that every batch the writer acknowledged is there in full, that no
 * batch is there in part, and that the hash chain is intact.
 */

const writerScript = fileURLToPath(new URL('./crash-writer.ts', import.meta.url));
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const acknowledgedBatchesMin = 3;
const acknowledgedBatchesSpread = 8;
const writerTimeoutMs = 15_000;
/** Big enough that a kill often lands inside a commit, small enough to commit many in a second. */
const crashBatchEvents = 250;

interface KilledWriter {
  acknowledged: number[];
}

/** Starts the writer, lets it acknowledge a random number of batches, then kills it mid-stride. */
function runAndKill(path: string, round: string): Promise<KilledWriter> {
  const killAfter = acknowledgedBatchesMin + Math.floor(Math.random() * acknowledgedBatchesSpread);
  const child = spawn(process.execPath, ['--conditions=@compute-ledger/source', '--import', tsxLoader, writerScript, path, round, String(crashBatchEvents)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const acknowledged: number[] = [];
  let output = '';
  let errors = '';
  return new Promise((resolve, reject) => {
    const timeout = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`writer acknowledged ${acknowledged.length} batches in ${writerTimeoutMs} ms: ${errors}`));
    }, writerTimeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const lines = output.split('\n');
      output = lines.pop() ?? '';
      for (const line of lines) acknowledged.push(Number(line.replace('ack ', '')));
      // A random delay of a few milliseconds lands the kill anywhere in the next batch.
      if (acknowledged.length >= killAfter && !child.killed) setTimeout(() => child.kill('SIGKILL'), Math.random() * 8);
    });
    child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString('utf8')));
    child.on('exit', (code, signal) => {
      clearTimeout(timeout);
      if (signal === 'SIGKILL') resolve({ acknowledged });
      else reject(new Error(`writer exited with ${code ?? signal}: ${errors}`));
    });
  });
}

describe('SQLite event store killed while writing', () => {
  it('keeps every acknowledged batch whole and no batch in part, three kills in a row', async () => {
    const temporary = temporaryDirectory();
    const ledgerPath = join(temporary.path, 'crash.sqlite');
    let eventsBefore = 0;
    try {
      for (const round of ['r1', 'r2', 'r3']) {
        const { acknowledged } = await runAndKill(ledgerPath, round);
        expect(acknowledged.length).toBeGreaterThanOrEqual(acknowledgedBatchesMin);
        const store = openSqliteEventStore({ path: ledgerPath });
        const log = await readWholeLog(store, 5_000);
        const perBatch = new Map<number, number>();
        for (const event of log.slice(eventsBefore)) {
          const [eventRound, batchNumber] = event.eventId.split('/');
          expect(eventRound).toBe(round);
          perBatch.set(Number(batchNumber), (perBatch.get(Number(batchNumber)) ?? 0) + 1);
        }
        const lastAcknowledged = acknowledged[acknowledged.length - 1] ?? -1;
        const present = [...perBatch.keys()].sort((a, b) => a - b);
        // Batches are appended one after the other: what is there is 0..n, with at most one
        // batch the writer committed but was killed before it could acknowledge.
        expect(present).toEqual([...Array(present.length).keys()]);
        expect(present.length === lastAcknowledged + 1 || present.length === lastAcknowledged + 2).toBe(true);
        for (const count of perBatch.values()) expect(count).toBe(crashBatchEvents);
        expect(await store.verify()).toMatchObject({ ok: true, eventsChecked: log.length });
        eventsBefore = log.length;
        await store.close();
      }
    } finally {
      temporary.remove();
    }
  });
});
