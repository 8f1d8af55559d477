import { UsageCloudEvent } from '@compute-ledger/contracts';
import { ValidationError } from '@compute-ledger/ledger';
import { describe, expect, it } from 'vitest';
import { binaryModeEvent, isBinaryModeEvent } from './cloudevents.js';

const data = { periodStart: '2025-11-21T00:00:00Z', periodEnd: '2025-11-21T01:00:00Z', gpuHours: '600' };
const headers = { 'content-type': 'application/json; charset=utf-8', 'ce-specversion': '1.0', 'ce-id': 'r-1', 'ce-source': 'meter%20colossus%2F1', 'ce-type': 'gpu.usage.v1', 'ce-subject': 'L-1001' };

function refusal(run: () => unknown): ValidationError {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('not refused');
}

describe('CloudEvents binary mode', () => {
  it('is any request with a ce- header', () => {
    expect(isBinaryModeEvent(headers)).toBe(true);
    expect(isBinaryModeEvent({ 'ce-id': 'r-1' })).toBe(true);
    expect(isBinaryModeEvent({ 'content-type': 'application/json', 'cache-control': 'no-cache' })).toBe(false);
  });

  it('reads the attributes from the headers, percent-decoded, the data from the body and its type from Content-Type', () => {
    expect(binaryModeEvent(UsageCloudEvent, headers, data)).toEqual({ specversion: '1.0', id: 'r-1', source: 'meter colossus/1', type: 'gpu.usage.v1', subject: 'L-1001', datacontenttype: 'application/json', data });
  });

  it('names the header or body field at fault', () => {
    const { ['ce-id']: _id, ...withoutId } = headers;
    expect(refusal(() => binaryModeEvent(UsageCloudEvent, withoutId, data)).errors).toEqual([{ path: 'ce-id', message: 'is required' }]);
    expect(refusal(() => binaryModeEvent(UsageCloudEvent, { ...headers, 'ce-source': '%E0%A4%A' }, data)).errors).toEqual([{ path: 'ce-source', message: 'has a percent-escape that does not decode' }]);
    expect(refusal(() => binaryModeEvent(UsageCloudEvent, headers, { ...data, gpuHours: '-1' })).errors).toEqual([{ path: 'gpuHours', message: expect.any(String) }]);
    expect(refusal(() => binaryModeEvent(UsageCloudEvent, headers, 'text')).errors).toEqual([{ path: '(body)', message: expect.any(String) }]);
    expect(refusal(() => binaryModeEvent(UsageCloudEvent, { ...headers, 'content-type': 'application/xml' }, data)).errors).toEqual([{ path: 'content-type', message: expect.stringContaining('application/json') }]);
  });
});
