import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import sharedPb from '@eventstore/db-client/generated/shared_pb.js';
import streamsGrpc from '@eventstore/db-client/generated/streams_grpc_pb.js';
import streamsPb from '@eventstore/db-client/generated/streams_pb.js';
import type { BatchAppendResp } from '@eventstore/db-client/generated/streams_pb.js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  binaryEvent,
  DeadlineExceededError,
  EventStoreDBClient,
  jsonEvent,
  MaxAppendSizeExceededError,
  NotLeaderError,
  START,
  StreamDeletedError,
  TimeoutError,
  UnavailableError,
  UnknownError,
} from '@eventstore/db-client';
import type { ResolvedEvent } from '@eventstore/db-client';
import { sizeRulesByVersion } from './double-log.js';
import { startEsdbDouble } from './esdb-double.js';
import type { EsdbDouble, EsdbDoubleOptions } from './esdb-double.js';

/**
 * The double's cluster behaviour, one behaviour per test, each naming the server code it copies
 * (KurrentDB, src/KurrentDB.Core/...): BatchAppend, the write timeout, errors as status details,
 * NotLeader, answers lost after a commit, repeats dropped while a write is not replicated, a
 * lagging follower, subscriptions ended by the server, and the size rules of each version.
 */
describe('EventStoreDB test double: what a cluster does', () => {
  const started: { double: EsdbDouble; client: EventStoreDBClient }[] = [];

  afterEach(async () => {
    for (const { double, client } of started.splice(0)) {
      await client.dispose();
      await double.stop();
    }
  });

  async function start(options: EsdbDoubleOptions = {}): Promise<{ double: EsdbDouble; client: EventStoreDBClient }> {
    const double = await startEsdbDouble(options);
    const client = EventStoreDBClient.connectionString(double.url);
    started.push({ double, client });
    return { double, client };
  }

  const stream = () => `cluster-${randomUUID()}`;
  const event = (n: number, id: string = randomUUID()) => jsonEvent({ id, type: 'Counted', data: { n } });

  async function readAll(client: EventStoreDBClient, name: string, requiresLeader = true): Promise<ResolvedEvent[]> {
    const events: ResolvedEvent[] = [];
    try {
      for await (const resolved of client.readStream(name, { requiresLeader })) events.push(resolved);
    } catch (error) {
      if ((error as { type?: string }).type === 'stream-not-found') return [];
      throw error;
    }
    return events;
  }

  async function failure(attempt: Promise<unknown>): Promise<unknown> {
    return attempt.then(
      () => {
        throw new Error('expected the call to fail');
      },
      (error: unknown) => error,
    );
  }

  async function waitFor(condition: () => boolean, withinMs = 3_000): Promise<void> {
    const deadline = Date.now() + withinMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`condition not met within ${withinMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  describe('BatchAppend (Streams.BatchAppend.cs, BatchAppendWorker)', () => {
    it('takes one append in several chunks and commits it once, on the final chunk, atomically', async () => {
      const { double, client } = await start();
      const name = stream();
      // The client cuts a write into chunks of batchAppendSize bytes (eventBatcher).
      const result = await client.appendToStream(
        name,
        Array.from({ length: 40 }, (_, n) => event(n)),
        { batchAppendSize: 512 },
      );
      expect(result.nextExpectedRevision).toBe(39n);
      expect(double.calls.get('BatchAppend chunks')).toBeGreaterThan(5);
      expect(double.log.stream(name)).toHaveLength(40);
    });

    it('answers a write whose final chunk does not come within WriteTimeoutMs with a Timeout status, writing nothing', async () => {
      const { double } = await start({ writeTimeoutMs: 100 });
      const name = stream();
      const raw = new streamsGrpc.StreamsClient(double.url.slice('esdb://'.length).split('?')[0]!, grpc.credentials.createInsecure());
      const call = raw.batchAppend();
      const answers: BatchAppendResp[] = [];
      call.on('data', (answer: BatchAppendResp) => answers.push(answer));
      call.on('error', () => undefined);
      const options = new streamsPb.BatchAppendReq.Options()
        .setStreamIdentifier(new sharedPb.StreamIdentifier().setStreamName(Buffer.from(name)))
        .setAny(new sharedPb.Empty());
      const message = new streamsPb.BatchAppendReq.ProposedMessage().setId(new sharedPb.UUID().setString(randomUUID())).setData(Buffer.from('{}'));
      message.getMetadataMap().set('type', 'Counted').set('content-type', 'application/json');
      call.write(
        new streamsPb.BatchAppendReq()
          .setCorrelationId(new sharedPb.UUID().setString(randomUUID()))
          .setOptions(options)
          .setProposedMessagesList([message])
          .setIsFinal(false),
      );
      await waitFor(() => answers.length === 1);
      expect(answers[0]?.getError()?.getDetails()?.getTypeName()).toBe('event_store.client.Timeout');
      expect(double.log.stream(name)).toBeUndefined();
      call.end();
      raw.close();
    });

    it('sends refusals as status details the client turns into its errors (Status.cs)', async () => {
      const { client } = await start({ maxAppendSizeBytes: 2_000 });
      const name = stream();
      await client.appendToStream(name, event(0));
      const wrong = await failure(client.appendToStream(name, event(1), { expectedRevision: 5n }));
      expect(wrong).toMatchObject({ type: 'wrong-expected-version', expectedVersion: 5n, actualVersion: 0n });
      const tooLarge = await failure(client.appendToStream(name, binaryEvent({ type: 'Big', data: Buffer.alloc(3_000) })));
      expect(tooLarge).toBeInstanceOf(MaxAppendSizeExceededError);
      expect(tooLarge).toMatchObject({ maxAppendSize: 2_000 });
    });

    it('fails the whole call on NotLeader, rejecting every append pending on it; the client reconnects and goes on', async () => {
      const { double, client } = await start({ appendLatencyMs: 30 });
      const name = stream();
      await client.appendToStream(name, event(0));
      double.faults.notLeader(1);
      const attempts = await Promise.allSettled([1, 2, 3, 4].map((n) => client.appendToStream(`${name}-${n}`, event(n))));
      const reasons = attempts.flatMap((attempt) => (attempt.status === 'rejected' ? [attempt.reason as unknown] : []));
      // The first write is refused; the others were in the core and commit, but their answers are lost with the call.
      expect(reasons).toHaveLength(4);
      for (const reason of reasons) expect(reason).toBeInstanceOf(NotLeaderError);
      const committed = () => [1, 2, 3, 4].filter((n) => double.log.stream(`${name}-${n}`) !== undefined);
      await waitFor(() => committed().length === 3);
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect(committed()).toHaveLength(3);
      expect((await client.appendToStream(name, event(5))).nextExpectedRevision).toBe(1n);
    });
  });

  describe('unknown outcomes', () => {
    it('loses the answer of a write that committed, as a CommitTimeout does: Timeout over BatchAppend, Aborted over Append', async () => {
      for (const batchAppend of [true, false]) {
        const { double, client } = await start({ batchAppend });
        const name = stream();
        double.faults.loseAnswers();
        const error = await failure(client.appendToStream(name, event(1)));
        expect(error).toBeInstanceOf(batchAppend ? DeadlineExceededError : TimeoutError);
        expect(double.log.stream(name)).toHaveLength(1);
      }
    });

    it('drops an exact repeat of a write not yet replicated (IdempotentNotReady): the repeat times out; once replicated it is an idempotent success', async () => {
      const { double, client } = await start({ writeTimeoutMs: 100 });
      const name = stream();
      const id = randomUUID();
      double.faults.loseAnswers({ replicationDelayMs: 400 });
      expect(await failure(client.appendToStream(name, event(1, id), { expectedRevision: 'no_stream' }))).toBeInstanceOf(DeadlineExceededError);
      const started = Date.now();
      expect(await failure(client.appendToStream(name, event(1, id), { expectedRevision: 'no_stream' }))).toBeInstanceOf(DeadlineExceededError);
      expect(Date.now() - started).toBeGreaterThanOrEqual(90);
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(await client.appendToStream(name, event(1, id), { expectedRevision: 'no_stream' })).toMatchObject({ success: true, nextExpectedRevision: 0n });
      expect(double.log.stream(name)).toHaveLength(1);
    });
  });

  it('answers a repeat whose ids the idempotency cache evicted as a wrong expected version (IndexWriter, "idempotent cache")', async () => {
    const { double, client } = await start();
    const name = stream();
    const id = randomUUID();
    await client.appendToStream(name, event(1, id), { expectedRevision: 'no_stream' });
    const remember = double.faults.forgetRepeats((streamName) => streamName === name);
    expect(await failure(client.appendToStream(name, event(1, id), { expectedRevision: 'no_stream' }))).toMatchObject({ type: 'wrong-expected-version' });
    remember();
    expect((await client.appendToStream(name, event(1, id), { expectedRevision: 'no_stream' })).success).toBe(true);
    expect(double.log.stream(name)).toHaveLength(1);
  });

  it('serves reads without requires-leader from a follower that lags, and reads with it from the leader', async () => {
    const { double, client } = await start();
    const name = stream();
    await client.appendToStream(name, event(0));
    const lift = double.faults.lagFollowers();
    await client.appendToStream(name, event(1));
    expect(await readAll(client, name, false)).toHaveLength(1);
    expect(await readAll(client, name, true)).toHaveLength(2);
    lift();
    expect(await readAll(client, name, false)).toHaveLength(2);
  });

  describe('subscriptions', () => {
    it('ends subscriptions as a node that goes away does: the client hears an error (unavailable) or an end', async () => {
      const { double, client } = await start();
      const name = stream();
      await client.appendToStream(name, event(0));
      const errors: unknown[] = [];
      let ended = false;
      const failing = client.subscribeToStream(name, { fromRevision: START });
      failing.on('error', (error) => errors.push(error));
      failing.on('data', () => undefined);
      await waitFor(() => double.faults.endSubscriptions('unavailable') === 1 || errors.length > 0);
      await waitFor(() => errors.length === 1);
      expect(errors[0]).toBeInstanceOf(UnavailableError);
      const ending = client.subscribeToStream(name, { fromRevision: START });
      ending.on('end', () => (ended = true));
      ending.on('data', () => undefined);
      ending.on('error', () => undefined);
      await waitFor(() => double.faults.endSubscriptions('end') === 1 || ended);
      await waitFor(() => ended);
    });

    it('says "caught up" again after live events when asked to (a subscription that fell behind and caught up again)', async () => {
      const { client } = await start({ repeatCaughtUp: true });
      const name = stream();
      let caughtUp = 0;
      const subscription = client.subscribeToStream(name, { fromRevision: START });
      subscription.on('caughtUp', () => (caughtUp += 1));
      subscription.on('data', () => undefined);
      await waitFor(() => caughtUp === 1);
      await client.appendToStream(name, event(1));
      await client.appendToStream(name, event(2));
      await waitFor(() => caughtUp === 3);
      await subscription.unsubscribe();
    });
  });

  describe('stream metadata and deletes (IndexReader, Streams.Delete.cs)', () => {
    it('hides events below $maxCount or $tb from stream reads and from links, and keeps them in $all', async () => {
      const { client } = await start();
      const name = stream();
      await client.appendToStream(name, [0, 1, 2, 3, 4].map((n) => event(n)));
      await client.appendToStream(`${name}-links`, binaryEvent({ type: '$>', data: Buffer.from(`0@${name}`) }));
      await client.setStreamMetadata(name, { maxCount: 2 });
      expect((await readAll(client, name)).map((resolved) => resolved.event?.revision)).toEqual([3n, 4n]);
      const [link] = await (async () => {
        const links: ResolvedEvent[] = [];
        for await (const resolved of client.readStream(`${name}-links`, { resolveLinkTos: true })) links.push(resolved);
        return links;
      })();
      expect(link?.event).toBeUndefined();
      await client.setStreamMetadata(name, { truncateBefore: 4 });
      expect((await readAll(client, name)).map((resolved) => resolved.event?.revision)).toEqual([4n]);
      let inAll = 0;
      for await (const resolved of client.readAll()) if (resolved.event?.streamId === name) inAll += 1;
      expect(inAll).toBe(5);
    });

    it('soft-deletes a stream: it reads as not found, and an append continues at the next revision', async () => {
      const { client } = await start();
      const name = stream();
      await client.appendToStream(name, [event(0), event(1)]);
      await client.deleteStream(name);
      await expect(readAll(client, name)).resolves.toEqual([]);
      expect((await client.appendToStream(name, event(2))).nextExpectedRevision).toBe(2n);
      expect((await readAll(client, name)).map((resolved) => resolved.event?.revision)).toEqual([2n]);
    });

    it('tombstones a stream: reads and appends answer StreamDeleted for ever', async () => {
      for (const batchAppend of [true, false]) {
        const { client } = await start({ batchAppend });
        const name = stream();
        await client.appendToStream(name, event(0));
        await client.tombstoneStream(name);
        await expect(readAll(client, name)).rejects.toThrow(StreamDeletedError);
        await expect(client.appendToStream(name, event(1))).rejects.toThrow(StreamDeletedError);
      }
    });
  });

  describe('size rules (Event.SizeOnDisk, ClusterVNodeOptions, TFConsts)', () => {
    it('has the defaults of each version: MaxAppendSize 1 MiB up to 25.0; 256 MiB and a 16 MiB event cap from 25.1', () => {
      expect(sizeRulesByVersion['24.10']).toEqual({ maxAppendSizeBytes: 1_048_576, maxAppendEventSizeBytes: undefined });
      expect(sizeRulesByVersion['25.0']).toEqual({ maxAppendSizeBytes: 1_048_576, maxAppendEventSizeBytes: undefined });
      expect(sizeRulesByVersion['25.1']).toEqual({ maxAppendSizeBytes: 268_435_456, maxAppendEventSizeBytes: 16_777_216 });
    });

    it('counts data + metadata + 2 x the type length against MaxAppendSize', async () => {
      const { client } = await start({ maxAppendSizeBytes: 1_000 });
      const name = stream();
      // 'Sized' is 5 characters: 10 bytes; 900 of data and 90 of metadata make exactly 1,000.
      const sized = (dataBytes: number) => binaryEvent({ type: 'Sized', data: Buffer.alloc(dataBytes), metadata: Buffer.alloc(90) });
      expect((await client.appendToStream(name, sized(900))).success).toBe(true);
      expect(await failure(client.appendToStream(name, sized(901)))).toBeInstanceOf(MaxAppendSizeExceededError);
    });

    it('refuses one event over MaxAppendEventSize (25.1) with an error client 6.2.1 does not recognise', async () => {
      const { double, client } = await start({ serverVersion: '25.1', maxAppendEventSizeBytes: 1_000 });
      const name = stream();
      const error = await failure(client.appendToStream(name, [event(0), binaryEvent({ type: 'Big', data: Buffer.alloc(1_000) })]));
      expect(error).toBeInstanceOf(UnknownError);
      expect(String((error as Error).message)).toMatch(/MaximumAppendEventSizeExceeded/);
      expect(double.log.stream(name)).toBeUndefined();
    });
  });
});
