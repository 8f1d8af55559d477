import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, canonicalJsonDepthMax, CanonicalJsonError } from './canonical-json.js';
import { canonicalEventJson } from './hash-chain.js';
import { ledgerEventRegistry } from '@compute-ledger/contracts';

describe('canonicalJson', () => {
  it('sorts keys at every level and writes no white space', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: true, y: null }], c: 'x' } })).toBe('{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1}');
  });

  it('writes the same text for the same value whatever the key order', () => {
    expect(canonicalJson({ leaseId: 'l-1', gpuHours: '1050.5' })).toBe(canonicalJson({ gpuHours: '1050.5', leaseId: 'l-1' }));
  });

  it('sorts by UTF-16 code units, as RFC 8785 does', () => {
    expect(canonicalJson({ b: 0, a: 0, B: 0, é: 0, '': 0, aa: 0 })).toBe('{"":0,"B":0,"a":0,"aa":0,"b":0,"é":0}');
  });

  it('orders keys that look like array indexes as text, not as numbers', () => {
    // JSON.stringify would write "2" before "10"; canonical order compares the characters.
    expect(canonicalJson({ 2: 'two', 10: 'ten', a: 'a' })).toBe('{"10":"ten","2":"two","a":"a"}');
  });

  it('keeps decimals as the strings they are and writes integers plainly', () => {
    expect(canonicalJson({ amount: '88200.00', count: 3, negative: -0, big: 9007199254740991 })).toBe(
      '{"amount":"88200.00","big":9007199254740991,"count":3,"negative":0}',
    );
  });

  it('escapes strings as JSON.stringify does', () => {
    expect(canonicalJson({ text: 'a"b\\c\n\u0001é😀' })).toBe(`{"text":${JSON.stringify('a"b\\c\n\u0001é😀')}}`);
  });

  it('leaves out object properties that are undefined', () => {
    expect(canonicalJson({ actor: 'api-key-1', correlationId: undefined })).toBe('{"actor":"api-key-1"}');
  });

  it('writes top-level scalars, arrays and empty containers', () => {
    expect(canonicalJson('x')).toBe('"x"');
    expect(canonicalJson(null)).toBe('null');
    expect(canonicalJson([])).toBe('[]');
    expect(canonicalJson({})).toBe('{}');
    expect(canonicalJson(Object.create(null) as object)).toBe('{}');
  });

  it('refuses non-finite numbers and names where they are', () => {
    expect(() => canonicalJson({ usage: [{ gpuHours: Number.NaN }] })).toThrow(CanonicalJsonError);
    expect(() => canonicalJson({ usage: [{ gpuHours: Number.POSITIVE_INFINITY }] })).toThrow('at $.usage[0].gpuHours');
  });

  it('refuses values that have no single JSON text', () => {
    expect(() => canonicalJson(undefined)).toThrow(CanonicalJsonError);
    expect(() => canonicalJson([1, undefined])).toThrow('at $[1]');
    expect(() => canonicalJson({ when: new Date(0) })).toThrow('not plain (Date)');
    expect(() => canonicalJson({ ids: new Map() })).toThrow(CanonicalJsonError);
    expect(() => canonicalJson({ count: 10n })).toThrow('bigint');
    expect(() => canonicalJson({ run: () => 1 })).toThrow('function');
    expect(() => canonicalJson({ tag: Symbol('x') })).toThrow('symbol');
  });

  it('refuses nesting deeper than the limit, so a cycle is an error and not a stack overflow', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(`deeper than ${canonicalJsonDepthMax}`);
    let deep: unknown = 'leaf';
    for (let level = 0; level < canonicalJsonDepthMax - 1; level += 1) deep = [deep];
    expect(() => canonicalJson(deep)).not.toThrow();
  });

  it('parses back to an equal value with sorted keys, for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalJson(value);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
        expect(canonicalJson(JSON.parse(text))).toBe(text);
      }),
    );
  });

  it('agrees with a plain recursive definition, for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(canonicalJson(value)).toBe(reference(value));
      }),
    );
  });
});

describe('canonicalEventJson', () => {
  it('is canonicalJson of the event fields, built without sorting', () => {
    fc.assert(
      fc.property(
        fc.record({
          position: fc.nat(),
          streamId: fc.string({ minLength: 1 }),
          revision: fc.nat(),
          eventId: fc.string({ minLength: 1 }),
          type: fc.string({ minLength: 1 }),
          schemaVersion: fc.integer({ min: 1, max: 1000 }),
          data: fc.dictionary(fc.string(), fc.jsonValue()),
          metadata: fc.dictionary(fc.string(), fc.jsonValue()),
          recordedAt: fc.date({ noInvalidDate: true, min: new Date(0), max: new Date('9999-12-31') }).map((date) => date.toISOString()),
        }),
        (event) => {
          const dataJson = canonicalJson(event.data);
          const metadataJson = canonicalJson(event.metadata);
          expect(canonicalEventJson({ ...event, dataJson, metadataJson })).toBe(canonicalJson(event));
        },
      ),
    );
  });
});

describe('billing documents as checked before they are appended', () => {
  it('come out of the check in canonical key order, so JSON.stringify writes their canonical text', () => {
    // Keys in the order a billing run builds them, not sorted.
    const line = { leaseId: 'L-1001', serviceMonth: '2025-11', kind: 'overage', description: 'Usage above commitment', quantity: '25200', unitPrice: '3.5', amount: '88200.00', adjustment: false, sources: [{ position: 7, eventId: 'reading:r-1', type: 'UsageRecorded' }], omittedSources: 2 };
    const credit = { ...line, leaseId: null, kind: 'credit', amount: '-10.00', sources: [], grantId: 'G-1', drawnFrom: [{ leaseId: 'L-1001', serviceMonth: '2025-11', kind: 'overage', amount: '10.00' }] };
    const document = { invoiceId: 'INV-000001', kind: 'invoice', tenantId: 'frontier-lab', billingDate: '2025-12-01T00:00:00Z', issuedAt: '2025-12-01T00:00:05Z', dueAt: '2025-12-31T00:00:00Z', currency: 'USD', lines: [line, credit], total: '88190.00' };
    const { invoiceId: _invoiceId, issuedAt: _issuedAt, ...draft } = document;
    for (const [type, data] of [['InvoiceIssued', document], ['DraftCreated', { ...draft, draftId: 'D-1', createdBy: 'finance' }]] as const) {
      const checked = ledgerEventRegistry.parseCurrent(type, data);
      expect(JSON.stringify(checked)).toBe(reference(checked));
    }
  });
});

/** The definition, written the slow and obvious way. */
function reference(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, child]) => `${JSON.stringify(key)}:${reference(child)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
