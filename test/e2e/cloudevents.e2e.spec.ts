import { CloudEvent, CONSTANTS, HTTP, type Message } from 'cloudevents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Answer, type ApiHarness } from './support/api-harness.js';
import { recordContracts } from './support/worked-example.js';

/**
 * POST /v1/usage from a metering pipeline built on the CloudEvents SDK: every content mode of
 * the CloudEvents HTTP binding (structured, binary, batch) records the same readings with the
 * same answer, duplicates and refusals included.
 */

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let api: ApiHarness;

beforeAll(async () => {
  api = await startHarness('2025-10-20T12:00:00Z');
  await recordContracts(api);
});

afterAll(async () => {
  await api.close();
});

/** A usage reading of L-1001 for the hour starting at `hour`, as a meter emits it. */
function usageEvent(id: string, hour: string, gpuHours: string, attributes: Record<string, string> = {}): CloudEvent<Json> {
  const periodEnd = new Date(Date.parse(hour) + 3_600_000).toISOString().replace('.000Z', 'Z');
  return new CloudEvent<Json>({ id, source: 'meter-colossus-1', type: 'gpu.usage.v1', subject: 'L-1001', datacontenttype: 'application/json', data: { periodStart: hour, periodEnd, gpuHours }, ...attributes });
}

/** Sends what the SDK serialized, as it serialized it. */
function send(message: Message): Promise<Answer<Json>> {
  const headers = Object.fromEntries(Object.entries(message.headers).map(([name, value]) => [name, String(value)]));
  return api.request<Json>('POST', '/v1/usage', { as: 'metering', raw: String(message.body), headers });
}

function batch(events: CloudEvent<Json>[]): Message {
  return { headers: { 'content-type': CONSTANTS.MIME_CE_BATCH }, body: JSON.stringify(events) };
}

/** The readings of L-1001 recorded for November 2025, by reading id. */
async function recordedReadings(): Promise<Map<string, Json>> {
  const usage = await api.get<Json>('/v1/leases/L-1001/usage?month=2025-11', 'finance');
  return new Map((usage.body.readings as Json[]).map((reading) => [String(reading.eventId).replace(/^reading:/, ''), reading]));
}

describe('CloudEvents over HTTP, with the SDK as the client', () => {
  it('records one event in structured mode (application/cloudevents+json), and the same event again as a duplicate', async () => {
    const event = usageEvent('ce-structured-1', '2025-11-21T00:00:00Z', '600');
    const message = HTTP.structured(event);
    expect(message.headers['content-type']).toMatch(/^application\/cloudevents\+json/);
    const first = await send(message);
    expect(first.status, first.text).toBe(202);
    expect(first.body).toEqual({ accepted: 1, duplicates: 0 });
    const again = await send(HTTP.structured(event));
    expect(again.status).toBe(202);
    expect(again.body).toEqual({ accepted: 0, duplicates: 1 });
    expect((await recordedReadings()).has('ce-structured-1')).toBe(true);
  });

  it('records one event in binary mode (ce-* headers, the data as the body), and the same event again as a duplicate', async () => {
    const event = usageEvent('ce-binary-1', '2025-11-21T01:00:00Z', '601.5');
    const message = HTTP.binary(event);
    expect(message.headers['ce-id']).toBe('ce-binary-1');
    expect(JSON.parse(String(message.body))).toEqual(event.data);
    const first = await send(message);
    expect(first.status, first.text).toBe(202);
    expect(first.body).toEqual({ accepted: 1, duplicates: 0 });
    const again = await send(HTTP.binary(event));
    expect(again.body).toEqual({ accepted: 0, duplicates: 1 });
    const head = await api.head();
    // The same reading in another mode is the same reading.
    expect((await send(HTTP.structured(event))).body).toEqual({ accepted: 0, duplicates: 1 });
    expect(await api.head()).toBe(head);
  });

  it('records a batch (application/cloudevents-batch+json) with duplicates counted once', async () => {
    const events = [usageEvent('ce-batch-1', '2025-11-21T02:00:00Z', '500'), usageEvent('ce-batch-2', '2025-11-21T03:00:00Z', '500')];
    const first = await send(batch([...events, usageEvent('ce-structured-1', '2025-11-21T00:00:00Z', '600')]));
    expect(first.status, first.text).toBe(202);
    expect(first.body).toEqual({ accepted: 2, duplicates: 1 });
    expect((await send(batch(events))).body).toEqual({ accepted: 0, duplicates: 2 });
  });

  it('records the meter as the source, the lease as the subject and the reading id as the id, in every mode', async () => {
    const readings = await recordedReadings();
    const recorded = async (id: string) => {
      const position = readings.get(id)?.position as number;
      return (await api.get<Json>(`/v1/audit/events?fromPosition=${position}&limit=1`, 'auditor')).body.events[0].data as Json;
    };
    for (const id of ['ce-structured-1', 'ce-binary-1', 'ce-batch-1']) {
      expect(await recorded(id), id).toMatchObject({ readingId: id, leaseId: 'L-1001', source: 'meter-colossus-1' });
    }
    expect(await recorded('ce-binary-1')).toMatchObject({ gpuHours: '601.5', periodStart: '2025-11-21T01:00:00Z', periodEnd: '2025-11-21T02:00:00Z' });
  });

  it('answers a known id with other content 409 and a rule refusal 422 in one-event modes, like a batch, recording nothing', async () => {
    const changed = usageEvent('ce-structured-1', '2025-11-21T00:00:00Z', '599');
    for (const message of [HTTP.structured(changed), HTTP.binary(changed)]) {
      const head = await api.head();
      const answer = await send(message);
      expect(answer.status, answer.text).toBe(409);
      expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(answer.body.errors).toEqual([{ index: 0, readingId: 'ce-structured-1', message: 'reading ce-structured-1 is already recorded with other content', kind: 'conflict' }]);
      expect(await api.head()).toBe(head);
    }
    const beforeTerm = usageEvent('ce-before-term', '2025-11-01T00:00:00Z', '1');
    for (const message of [HTTP.structured(beforeTerm), HTTP.binary(beforeTerm)]) {
      const answer = await send(message);
      expect(answer.status, answer.text).toBe(422);
      expect(answer.body.errors).toEqual([{ index: 0, readingId: 'ce-before-term', message: expect.stringContaining('term'), kind: 'rule' }]);
    }
  });
});

describe('required attributes, checked with a clear problem', () => {
  const valid = { specversion: '1.0', id: 'ce-bad-1', source: 'meter-colossus-1', type: 'gpu.usage.v1', subject: 'L-1001', data: { periodStart: '2025-11-22T00:00:00Z', periodEnd: '2025-11-22T01:00:00Z', gpuHours: '10' } };

  async function refused(message: Message): Promise<Json[]> {
    const head = await api.head();
    const answer = await send(message);
    expect(answer.status, answer.text).toBe(400);
    expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(answer.body).toMatchObject({ status: 400, title: expect.any(String), detail: expect.stringContaining('invalid') });
    expect(await api.head()).toBe(head);
    return answer.body.errors as Json[];
  }

  it('names the attribute a structured event lacks or gets wrong', async () => {
    const structured = (event: Json): Message => ({ headers: { 'content-type': CONSTANTS.DEFAULT_CE_CONTENT_TYPE }, body: JSON.stringify(event) });
    for (const attribute of ['id', 'source', 'subject']) {
      const { [attribute]: _left, ...event } = valid as Json;
      expect(await refused(structured(event))).toEqual([{ path: attribute, message: 'is required' }]);
    }
    expect(await refused(structured({ ...valid, specversion: '0.3' }))).toEqual([{ path: 'specversion', message: 'must be "1.0": the ledger reads CloudEvents 1.0' }]);
    const { specversion: _specversion, ...withoutVersion } = valid;
    expect(await refused(structured(withoutVersion))).toEqual([{ path: 'specversion', message: 'must be "1.0": the ledger reads CloudEvents 1.0' }]);
    expect(await refused(structured({ ...valid, type: 'gpu.usage.v2' }))).toEqual([{ path: 'type', message: 'must be "gpu.usage.v1", the type of a usage reading' }]);
    expect(await refused(structured({ ...valid, data: { ...valid.data, gpuHours: 10 } }))).toEqual([{ path: 'data.gpuHours', message: expect.stringContaining('string') }]);
  });

  it('names the header a binary event lacks or gets wrong, and the body field at fault', async () => {
    const binary = HTTP.binary(new CloudEvent({ ...valid, datacontenttype: 'application/json' }));
    const without = (header: string): Message => ({ ...binary, headers: Object.fromEntries(Object.entries(binary.headers).filter(([name]) => name !== header)) });
    expect(await refused(without('ce-id'))).toEqual([{ path: 'ce-id', message: 'is required' }]);
    expect(await refused(without('ce-subject'))).toEqual([{ path: 'ce-subject', message: 'is required' }]);
    expect(await refused(without('ce-specversion'))).toEqual([{ path: 'ce-specversion', message: expect.stringContaining('"1.0"') }]);
    expect(await refused({ ...binary, headers: { ...binary.headers, 'ce-type': 'gpu.usage.v2' } })).toEqual([{ path: 'ce-type', message: expect.stringContaining('gpu.usage.v1') }]);
    expect(await refused({ ...binary, body: JSON.stringify({ ...valid.data, gpuHours: '-1', extra: 1 }) })).toEqual(expect.arrayContaining([{ path: 'extra', message: 'is not a known field' }]));
  });
});
