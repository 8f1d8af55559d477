import { openSqliteEventStore } from '@compute-ledger/store-sqlite';
import type { StreamWrite } from '@compute-ledger/ledger';

/**
 * The process the crash test kills (run as `crash-writer <ledger path> <round> <events per
 * batch>`): appends batches to the ledger for ever and prints `ack <batch>` after each append
 * has returned, that is, after its commit. Every batch is one appendMany whose event ids name
 * their round and batch, so the test can tell whole batches from partial ones.
 */
const crashStreamCount = 40;

function batch(round: string, batchNumber: number, batchEvents: number): StreamWrite[] {
  return Array.from({ length: batchEvents }, (_, index) => ({
    streamId: `crash-lease-${(batchNumber * 7 + index) % crashStreamCount}`,
    events: [
      {
        eventId: `${round}/${batchNumber}/${index}`,
        type: 'UsageRecorded',
        schemaVersion: 1,
        data: { gpuHours: '1.5', leaseId: `lease-${index % crashStreamCount}`, readingId: `${round}-${batchNumber}-${index}` },
      },
    ],
    expectedRevision: 'any',
  }));
}

const [path, round, batchEventsText] = process.argv.slice(2);
const batchEvents = Number(batchEventsText);
if (!path || !round || !Number.isSafeInteger(batchEvents)) throw new Error('usage: crash-writer <ledger path> <round> <events per batch>');
const store = openSqliteEventStore({ path });
for (let batchNumber = 0; ; batchNumber += 1) {
  await store.appendMany(batch(round, batchNumber, batchEvents));
  // Writes to a pipe are synchronous on Linux: once this returns, the parent can read the line.
  process.stdout.write(`ack ${batchNumber}\n`);
}
