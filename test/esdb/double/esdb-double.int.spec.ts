import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import featuresGrpc from '@eventstore/db-client/generated/serverfeatures_grpc_pb.js';
import sharedPb from '@eventstore/db-client/generated/shared_pb.js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ANY,
  BACKWARDS,
  binaryEvent,
  END,
  EventStoreDBClient,
  jsonEvent,
  MaxAppendSizeExceededError,
  NO_STREAM,
  START,
  STREAM_EXISTS,
  StreamNotFoundError,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import type { ResolvedEvent } from '@eventstore/db-client';
import { startEsdbDouble } from './esdb-double.js';
import type { EsdbDouble } from './esdb-double.js';

/**
 * The double against the real client, held to the server's documented behaviour: what an
 * append with each kind of expected revision answers, idempotent repeats, `$all` order and
 * positions, reads in both directions, link resolution, `created`, and catch-up subscriptions
 * that continue live.
 */
describe('EventStoreDB test double', () => {
  let double: EsdbDouble;
  let client: EventStoreDBClient;
  let stream: string;

  beforeAll(async () => {
    double = await startEsdbDouble({ maxAppendSizeBytes: 4_096 });
    client = EventStoreDBClient.connectionString(double.url);
  });

  afterAll(async () => {
    await client.dispose();
    await double.stop();
  });

  beforeEach(() => {
    stream = `double-${randomUUID()}`;
  });

  const event = (n: number, id: string = randomUUID()) => jsonEvent({ id, type: 'Counted', data: { n } });

  async function readAll(name: string, options: Parameters<EventStoreDBClient['readStream']>[1] = {}): Promise<ResolvedEvent[]> {
    const events: ResolvedEvent[] = [];
    for await (const resolved of client.readStream(name, options)) events.push(resolved);
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

  it('advertises BatchAppend in ServerFeatures, so the client sends its appends over BatchAppend, as against a real server', async () => {
    const features = new featuresGrpc.ServerFeaturesClient(double.url.slice('esdb://'.length).split('?')[0]!, grpc.credentials.createInsecure());
    const methods = await new Promise<string[]>((resolve, reject) =>
      features.getSupportedMethods(new sharedPb.Empty(), (error, answer) => (error ? reject(error) : resolve(answer.getMethodsList().map((method) => method.getMethodName())))),
    );
    features.close();
    expect(methods).toContain('BatchAppend');
    const unaryBefore = double.calls.get('Append') ?? 0;
    expect((await client.appendToStream(stream, event(1))).success).toBe(true);
    expect(double.calls.get('BatchAppend')).toBeGreaterThanOrEqual(1);
    expect(double.calls.get('Append') ?? 0).toBe(unaryBefore);
  });

  it('with batchAppend off, answers ServerFeatures with UNIMPLEMENTED, and the client falls back to unary Append', async () => {
    const old = await startEsdbDouble({ batchAppend: false });
    const oldClient = EventStoreDBClient.connectionString(old.url);
    const features = new featuresGrpc.ServerFeaturesClient(old.url.slice('esdb://'.length).split('?')[0]!, grpc.credentials.createInsecure());
    const code = await new Promise<number | undefined>((resolve) => features.getSupportedMethods(new sharedPb.Empty(), (error) => resolve(error?.code)));
    features.close();
    expect(code).toBe(grpc.status.UNIMPLEMENTED);
    expect((await oldClient.appendToStream(stream, event(1))).success).toBe(true);
    expect(old.calls.get('Append')).toBe(1);
    expect(old.calls.get('BatchAppend')).toBeUndefined();
    await oldClient.dispose();
    await old.stop();
  });

  describe('expected revisions', () => {
    it('no_stream creates a stream once; later it is a wrong expected version naming the current revision', async () => {
      expect((await client.appendToStream(stream, [event(1), event(2)], { expectedRevision: NO_STREAM })).nextExpectedRevision).toBe(1n);
      const error = await failure(client.appendToStream(stream, event(3), { expectedRevision: NO_STREAM }));
      expect(error).toBeInstanceOf(WrongExpectedVersionError);
      expect(error).toMatchObject({ streamName: stream, expectedVersion: NO_STREAM, actualVersion: 1n });
    });

    it('an exact revision must be the last one, and the error carries both', async () => {
      await client.appendToStream(stream, [event(1), event(2)]);
      expect((await client.appendToStream(stream, event(3), { expectedRevision: 1n })).nextExpectedRevision).toBe(2n);
      const error = await failure(client.appendToStream(stream, event(4), { expectedRevision: 1n }));
      expect(error).toMatchObject({ expectedVersion: 1n, actualVersion: 2n });
      expect(await failure(client.appendToStream(stream, event(4), { expectedRevision: 7n }))).toBeInstanceOf(WrongExpectedVersionError);
    });

    it('stream_exists refuses a missing stream; any takes both', async () => {
      const error = await failure(client.appendToStream(stream, event(1), { expectedRevision: STREAM_EXISTS }));
      expect(error).toMatchObject({ expectedVersion: STREAM_EXISTS, actualVersion: NO_STREAM });
      expect((await client.appendToStream(stream, event(1), { expectedRevision: ANY })).nextExpectedRevision).toBe(0n);
      expect((await client.appendToStream(stream, event(2), { expectedRevision: STREAM_EXISTS })).nextExpectedRevision).toBe(1n);
    });

    it('the same ids again at the same expectation are an idempotent success that writes nothing', async () => {
      const ids = [randomUUID(), randomUUID()];
      await client.appendToStream(stream, event(0), { expectedRevision: NO_STREAM });
      const first = await client.appendToStream(stream, [event(1, ids[0]), event(2, ids[1])], { expectedRevision: 0n });
      await client.appendToStream(stream, event(3), { expectedRevision: 2n });
      const repeat = await client.appendToStream(stream, [event(1, ids[0]), event(2, ids[1])], { expectedRevision: 0n });
      expect(repeat).toMatchObject({ success: true, nextExpectedRevision: first.nextExpectedRevision, position: first.position });
      expect(await readAll(stream)).toHaveLength(4);
    });

    it('a repeat of only some of the ids is a wrong expected version', async () => {
      const id = randomUUID();
      await client.appendToStream(stream, [event(1, id), event(2)], { expectedRevision: NO_STREAM });
      expect(await failure(client.appendToStream(stream, [event(1, id), event(9)], { expectedRevision: NO_STREAM }))).toBeInstanceOf(WrongExpectedVersionError);
    });
  });

  describe('reads', () => {
    it('reads a stream forwards and backwards from a revision, with a count', async () => {
      await client.appendToStream(stream, [0, 1, 2, 3, 4].map((n) => event(n)));
      const revisions = (events: ResolvedEvent[]) => events.map((resolved) => resolved.event?.revision);
      expect(revisions(await readAll(stream, { fromRevision: 1n, maxCount: 2 }))).toEqual([1n, 2n]);
      expect(revisions(await readAll(stream, { direction: BACKWARDS, fromRevision: END, maxCount: 2 }))).toEqual([4n, 3n]);
      expect(revisions(await readAll(stream, { direction: BACKWARDS, fromRevision: 2n }))).toEqual([2n, 1n, 0n]);
      expect(await readAll(stream, { fromRevision: 5n })).toEqual([]);
      await expect(readAll(`${stream}-missing`)).rejects.toThrow(StreamNotFoundError);
    });

    it('keeps $all in append order with increasing positions, commit == prepare, and answers appends with the last position', async () => {
      const [a, b] = [`${stream}-a`, `${stream}-b`];
      const first = await client.appendToStream(a, [event(1), event(2)]);
      const second = await client.appendToStream(b, event(3));
      const third = await client.appendToStream(a, event(4));
      const all: ResolvedEvent[] = [];
      for await (const resolved of client.readAll({ fromPosition: START })) all.push(resolved);
      const ours = all.filter((resolved) => resolved.event?.streamId.startsWith(stream));
      expect(ours.map((resolved) => `${resolved.event?.streamId.slice(-1)}${resolved.event?.revision}`)).toEqual(['a0', 'a1', 'b0', 'a2']);
      const positions = ours.map((resolved) => resolved.event!.position!);
      for (const position of positions) expect(position.commit).toBe(position.prepare);
      for (let index = 1; index < positions.length; index += 1) expect(positions[index]!.commit > positions[index - 1]!.commit).toBe(true);
      expect([first.position, second.position, third.position]).toEqual([positions[1], positions[2], positions[3]]);
      const fromSecond: ResolvedEvent[] = [];
      for await (const resolved of client.readAll({ fromPosition: positions[2]!, maxCount: 2 })) fromSecond.push(resolved);
      expect(fromSecond.map((resolved) => resolved.event?.id)).toEqual(ours.slice(2, 4).map((resolved) => resolved.event?.id));
      const backwards: ResolvedEvent[] = [];
      for await (const resolved of client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 })) backwards.push(resolved);
      expect(backwards[0]?.event?.id).toBe(ours[3]?.event?.id);
    });

    it('records created as the server clock, which the client reads as a Date', async () => {
      const before = Date.now();
      await client.appendToStream(stream, event(1));
      const [read] = await readAll(stream);
      expect(read?.event?.created.getTime()).toBeGreaterThanOrEqual(before);
      expect(read?.event?.created.getTime()).toBeLessThanOrEqual(Date.now());
    });

    it('resolves links to the event they point to', async () => {
      await client.appendToStream(stream, [event(1), event(2)]);
      await client.appendToStream(`${stream}-links`, binaryEvent({ type: '$>', data: Buffer.from(`1@${stream}`) }));
      const [resolved] = await readAll(`${stream}-links`, { resolveLinkTos: true });
      expect(resolved?.event).toMatchObject({ streamId: stream, revision: 1n, data: { n: 2 } });
      expect(resolved?.link).toMatchObject({ streamId: `${stream}-links`, revision: 0n, type: '$>' });
    });

    it('refuses an append over the maximum append size', async () => {
      const big = jsonEvent({ type: 'Big', data: { text: 'x'.repeat(5_000) } });
      const error = await failure(client.appendToStream(stream, big));
      expect(error).toBeInstanceOf(MaxAppendSizeExceededError);
      expect(error).toMatchObject({ maxAppendSize: 4_096 });
    });
  });

  describe('catch-up subscriptions', () => {
    let subscriptions: { unsubscribe(): Promise<void> }[];

    beforeEach(() => {
      subscriptions = [];
    });

    afterEach(async () => {
      await Promise.all(subscriptions.map((subscription) => subscription.unsubscribe()));
    });

    async function waitFor(condition: () => boolean): Promise<void> {
      const deadline = Date.now() + 2_000;
      while (!condition()) {
        if (Date.now() > deadline) throw new Error('condition not met within 2 s');
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }

    it('delivers a stream from the start, says it caught up, then delivers live events', async () => {
      await client.appendToStream(stream, [event(0), event(1)]);
      const seen: string[] = [];
      const subscription = client.subscribeToStream(stream, { fromRevision: START });
      subscriptions.push(subscription);
      subscription.on('data', (resolved: ResolvedEvent) => seen.push(`event ${resolved.event?.revision}`));
      subscription.on('caughtUp', () => seen.push('caught up'));
      await waitFor(() => seen.includes('caught up'));
      await client.appendToStream(stream, event(2));
      await client.appendToStream(`${stream}-other`, event(9));
      await waitFor(() => seen.length === 4);
      expect(seen).toEqual(['event 0', 'event 1', 'caught up', 'event 2']);
    });

    it('starts after the revision it is given (the checkpoint is exclusive)', async () => {
      await client.appendToStream(stream, [0, 1, 2].map((n) => event(n)));
      const revisions: bigint[] = [];
      const subscription = client.subscribeToStream(stream, { fromRevision: 0n });
      subscriptions.push(subscription);
      subscription.on('data', (resolved: ResolvedEvent) => revisions.push(resolved.event!.revision));
      await waitFor(() => revisions.length === 2);
      expect(revisions).toEqual([1n, 2n]);
    });

    it('follows $all from a position, exclusive, then live', async () => {
      const first = await client.appendToStream(stream, event(0));
      await client.appendToStream(stream, event(1));
      const revisions: bigint[] = [];
      const subscription = client.subscribeToAll({ fromPosition: first.position! });
      subscriptions.push(subscription);
      subscription.on('data', (resolved: ResolvedEvent) => {
        if (resolved.event?.streamId === stream) revisions.push(resolved.event.revision);
      });
      await client.appendToStream(stream, event(2));
      await waitFor(() => revisions.length === 2);
      expect(revisions).toEqual([1n, 2n]);
    });
  });
});
