import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { RecordedEvent } from '@compute-ledger/ledger';
import { encodeRecords, fromServerEvent, recordType } from './log-codec.js';
import { serverEventSizeBytes } from './sizes.js';

function ledgerEvent(position: number, note: string): RecordedEvent {
  return {
    position,
    streamId: `lease-${position % 3}`,
    revision: Math.floor(position / 3),
    eventId: `event-${position}`,
    type: 'UsageRecorded',
    schemaVersion: 1,
    data: { gpuHours: '12.5', note },
    metadata: { actor: 'meter-agent' },
    recordedAt: '2026-03-01T00:00:00.000Z',
    hash: position.toString(16).padStart(64, '0'),
  };
}

describe('EventStoreDB records (envelope format 2)', () => {
  it('cuts an append into records within the budget, counts their bytes as the server does, and reads them back as the same events', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme', maxLength: 300 }), { minLength: 1, maxLength: 60 }), fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 200, max: 4_000 }), (notes, start, budget) => {
        const events = notes.map((note, index) => ledgerEvent(start + index, note));
        const encoded = encodeRecords(events, 7, budget);
        expect(encoded.records.flatMap((record) => record.events)).toEqual(events);
        expect(encoded.records.map((record) => record.revision)).toEqual(encoded.records.map((_, index) => 7 + index));
        for (const [index, data] of encoded.eventData.entries()) {
          expect(data.type).toBe(recordType);
          // The size the writer checks is the size the server counts (data + metadata + 2 x type length).
          expect(encoded.sizes[index]).toBe(serverEventSizeBytes(data));
          // Over the budget only when the record holds one event that alone is larger.
          if ((encoded.records[index]?.events.length ?? 0) > 1) expect(encoded.sizes[index]! - 2 * recordType.length).toBeLessThanOrEqual(budget);
          const resolved = { event: { streamId: 'log', revision: BigInt(7 + index), type: data.type, isJson: false, data: data.data, metadata: undefined } };
          expect(fromServerEvent(resolved as never, 'log')).toEqual(encoded.records[index]);
        }
      }),
      { numRuns: 200 },
    );
  });
});
