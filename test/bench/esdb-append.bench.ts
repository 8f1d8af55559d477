import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import { openSqliteEventStore } from '@compute-ledger/store-sqlite';
import { openEsdbEventStore } from '@compute-ledger/store-esdb';
import type { EventStore, StreamWrite } from '@compute-ledger/ledger';
import { startEsdbDoubleProcess, type EsdbDoubleProcess } from './esdb-double-process.js';
import { figure, inTemporaryDirectory, perSecond, withTarget } from './figures.js';
import type { BenchMode, BenchmarkModule, Figure } from './figures.js';

/**
 * Appends through the EventStoreDB store on the in-process double of the server, over
 * BatchAppend, with `appendLatencyMs` injected into every server append (a quorum write over a
 * network; concurrent appends overlap, as the server's group commit lets them). The double runs
 * in a process of its own, as a server runs on other CPUs than its client. Not a real server:
 * the figure is the adapter's protocol cost (round trips, fold, checks) under that latency,
 * which is what decides how many appends a cluster takes from the ledger.
 *
 * Cases: single-event appends one after the other (each one server append), the
 * same from two store instances racing for the log head, and usage batches of `batchEvents`
 * readings over `streamCount` leases in one appendMany, beside the same batches on the SQLite
 * store, and beside the bare log append of the same batch with the client (no fold, no checks,
 * no chain): the floor the protocol could reach.
 */

interface Sizes {
  appendLatencyMs: number;
  singleAppends: number;
  batchEvents: number;
  streamCount: number;
  batches: number;
  runs: number;
}

const fullSizes: Sizes = { appendLatencyMs: 3, singleAppends: 300, batchEvents: 10_000, streamCount: 2_000, batches: 3, runs: 3 };
const smokeSizes: Sizes = { appendLatencyMs: 3, singleAppends: 10, batchEvents: 100, streamCount: 20, batches: 1, runs: 1 };

const benchmark = 'esdb-append';

/** A 10,000-reading batch over 2,000 leases must append in well under a second: at most half. */
const usageBatchTargetMs = 500;

export const esdbAppendBenchmark: BenchmarkModule = {
  name: benchmark,
  async run(mode: BenchMode): Promise<Figure[]> {
    const sizes = mode === 'full' ? fullSizes : smokeSizes;
    const double = await startEsdbDoubleProcess({ serverVersion: '25.1', appendLatencyMs: sizes.appendLatencyMs });
    try {
      return await measureAll(double, sizes);
    } finally {
      await double.stop();
    }
  },
};

async function measureAll(double: EsdbDoubleProcess, sizes: Sizes): Promise<Figure[]> {
  const latency = `${sizes.appendLatencyMs} ms per server append`;
  const single: number[] = [];
  const racing: number[] = [];
  const batched: number[] = [];
  const sqlite: number[] = [];
  const bare: number[] = [];
  for (let run = 0; run < sizes.runs; run += 1) {
    single.push(await singleAppends(double, sizes, 1));
    racing.push(await singleAppends(double, sizes, 2));
    const batches = usageBatches(sizes);
    batched.push(await batchAppends(double, batches));
    sqlite.push(await sqliteAppends(batches));
    bare.push(await bareLogAppends(double, batches));
  }
  const batchCase = `appendMany of ${sizes.batchEvents.toLocaleString('en-US')} readings over ${sizes.streamCount.toLocaleString('en-US')} leases`;
  const targetEventsPerSecond = (sizes.batchEvents * 1_000) / usageBatchTargetMs;
  return [
    figure({ benchmark, case: `single-event appends, one instance (${latency})`, unit: 'appends/s', samples: single }),
    figure({ benchmark, case: `single-event appends, two instances racing (${latency})`, unit: 'appends/s', samples: racing }),
    withTarget(figure({ benchmark, case: `${batchCase} (${latency})`, unit: 'events/s', samples: batched, baseline: { name: 'SQLite store', samples: sqlite } }), {
      on: 'value',
      atLeast: targetEventsPerSecond,
      text: `< ${usageBatchTargetMs} ms a batch`,
    }),
    figure({ benchmark, case: `${batchCase}: bare log append, no fold (${latency})`, unit: 'events/s', samples: bare }),
  ];
}

/** `instances` stores appending one event at a time, each to a random stream, `singleAppends` in all. */
async function singleAppends(double: EsdbDoubleProcess, sizes: Sizes, instances: number): Promise<number> {
  const streamPrefix = `bench-${randomUUID().slice(0, 8)}-`;
  const stores = await Promise.all(Array.from({ length: instances }, () => openEsdbEventStore({ connectionString: double.url, streamPrefix })));
  try {
    await stores[0]!.append('warm-up', [reading(0)], 'any');
    const started = performance.now();
    const perInstance = Math.ceil(sizes.singleAppends / instances);
    await Promise.all(
      stores.map(async (store) => {
        for (let index = 0; index < perInstance; index += 1) await store.append(`lease-${Math.floor(Math.random() * sizes.streamCount)}`, [reading(index)], 'any');
      }),
    );
    return perSecond(perInstance * instances, performance.now() - started);
  } finally {
    await Promise.all(stores.map((store) => store.close()));
  }
}

async function batchAppends(double: EsdbDoubleProcess, batches: readonly StreamWrite[][]): Promise<number> {
  const store = await openEsdbEventStore({ connectionString: double.url, streamPrefix: `bench-${randomUUID().slice(0, 8)}-`, maxAppendSizeBytes: 256 * 1_048_576 });
  try {
    return await timeBatches(store, batches);
  } finally {
    await store.close();
  }
}

async function sqliteAppends(batches: readonly StreamWrite[][]): Promise<number> {
  return inTemporaryDirectory('bench-esdb-sqlite-', async (directory) => {
    const store = openSqliteEventStore({ path: join(directory, 'ledger.sqlite') });
    try {
      return await timeBatches(store, batches);
    } finally {
      await store.close();
    }
  });
}

async function timeBatches(store: EventStore, batches: readonly StreamWrite[][]): Promise<number> {
  await store.append('warm-up', [reading(0)], 'any');
  const started = performance.now();
  for (const batch of batches) await store.appendMany!(batch);
  return perSecond(countEvents(batches), performance.now() - started);
}

/** The same events in one client append each, to a stream of their own: what one round trip of that size costs. */
async function bareLogAppends(double: EsdbDoubleProcess, batches: readonly StreamWrite[][]): Promise<number> {
  const client = EventStoreDBClient.connectionString(double.url);
  try {
    await client.appendToStream(`bench-bare-${randomUUID()}`, jsonEvent({ type: 'WarmUp', data: {} }));
    const stream = `bench-bare-${randomUUID()}`;
    const started = performance.now();
    for (const batch of batches) {
      await client.appendToStream(
        stream,
        batch.flatMap((write) => write.events.map((event) => jsonEvent({ type: event.type, data: event.data, metadata: { ledger: { streamId: write.streamId }, metadata: event.metadata ?? {} } }))),
      );
    }
    return perSecond(countEvents(batches), performance.now() - started);
  } finally {
    await client.dispose();
  }
}

function usageBatches(sizes: Sizes): StreamWrite[][] {
  return Array.from({ length: sizes.batches }, () =>
    Array.from({ length: sizes.batchEvents }, (_, index) => ({
      streamId: `usage-lease-${String(index % sizes.streamCount).padStart(6, '0')}`,
      events: [reading(index)],
      expectedRevision: 'any' as const,
    })),
  );
}

function reading(index: number) {
  const readingId = randomUUID();
  return {
    eventId: `usage-${readingId}`,
    type: 'UsageRecorded',
    schemaVersion: 1,
    data: {
      gpuHours: '1050.5',
      leaseId: `lease-${index}`,
      periodEnd: '2026-03-01T01:00:00.000Z',
      periodStart: '2026-03-01T00:00:00.000Z',
      readingId,
      source: 'dcgm-exporter/fra-2/node-017',
    },
    metadata: { actor: 'meter-agent' },
  };
}

function countEvents(batches: readonly StreamWrite[][]): number {
  return batches.reduce((count, batch) => count + batch.reduce((sum, write) => sum + write.events.length, 0), 0);
}
