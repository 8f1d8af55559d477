import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../store/canonical-json.js';
import type { FoldRow } from '../store/event-store.js';
import { monthOfInstant } from '../shared/time.js';
import { readUsageRecordedRow, type UsageRecordedFields } from './usage-recorded-text.js';

const row = (data: string, type = 'UsageRecorded', schemaVersion = 1): FoldRow => [7, 'usage-L-1', 3, 'reading:R-1', type, schemaVersion, data];
const read = (value: FoldRow): UsageRecordedFields | null => {
  const fields: UsageRecordedFields = { readingId: '', leaseId: '', month: '', gpuHours: '' };
  return readUsageRecordedRow(value, fields) ? fields : null;
};

const identifier = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,30}$/);
const instant = fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true }).map((date) => date.toISOString().replace('.000Z', 'Z'));
const gpuHours = fc.stringMatching(/^(0|[1-9][0-9]{0,12})(\.[0-9]{1,6})?$/);
const usageData = fc.record(
  { readingId: identifier, leaseId: identifier, periodStart: instant, periodEnd: instant, gpuHours, source: fc.string({ unit: 'binary', maxLength: 40 }) },
  { requiredKeys: ['readingId', 'leaseId', 'periodStart', 'periodEnd', 'gpuHours'] },
);

describe('readUsageRecordedRow', () => {
  it('reads the fields the fold needs from the data as the store writes it, with or without a source', () => {
    const data = { readingId: 'R-1', leaseId: 'L-1', periodStart: '2025-11-01T00:00:00Z', periodEnd: '2025-11-01T01:00:00Z', gpuHours: '1050.5' };
    const fields = { readingId: 'R-1', leaseId: 'L-1', month: '2025-11', gpuHours: '1050.5' };
    expect(read(row(canonicalJson(data)))).toEqual(fields);
    expect(read(row(canonicalJson({ ...data, source: 'meter 7, rack "B"'.replaceAll('"', "'") })))).toEqual(fields);
  });

  it('reads every UsageRecorded data whose canonical JSON has no escape, exactly as JSON.parse gives it, and leaves the others to JSON.parse', () => {
    fc.assert(
      fc.property(usageData, (data) => {
        const json = canonicalJson(data);
        const fields = read(row(json));
        if (json.includes('\\')) return fields === null;
        const parsed = JSON.parse(json) as typeof data;
        expect(fields).toEqual({ readingId: parsed.readingId, leaseId: parsed.leaseId, month: monthOfInstant(parsed.periodStart), gpuHours: parsed.gpuHours });
        return true;
      }),
    );
  });

  it('never reads a text differently from JSON.parse: keys out of order, missing, added or repeated, values of other kinds, escapes, spaces', () => {
    const canonical: [string, string][] = [
      ['gpuHours', '"1.5"'], ['leaseId', '"L-1"'], ['periodEnd', '"2025-11-01T01:00:00Z"'], ['periodStart', '"2025-11-01T00:00:00Z"'], ['readingId', '"R-1"'], ['source', '"m"'],
    ];
    const values = fc.constantFrom('"a\\"b"', '"\\\\"', '"\\u0041"', '1', 'null', '""', '{}', '["x"]', '"x\\",\\"y"', '"2025"');
    // One or more edits of the store's layout: most of them make a text that must be left to JSON.parse.
    const edit = fc.oneof(
      fc.record({ kind: fc.constant('swap'), at: fc.nat(5), to: fc.nat(5) }),
      fc.record({ kind: fc.constant('repeat'), at: fc.nat(5), value: values }),
      fc.record({ kind: fc.constant('drop'), at: fc.nat(5) }),
      fc.record({ kind: fc.constant('add'), at: fc.nat(6), key: fc.constantFrom('other', 'gpuHours', 'source', 'a'), value: values }),
      fc.record({ kind: fc.constant('value'), at: fc.nat(5), value: values }),
      fc.record({ kind: fc.constant('space'), at: fc.nat(5) }),
    );
    fc.assert(
      fc.property(fc.array(edit, { maxLength: 3 }), (edits) => {
        const members = canonical.map(([key, value]) => ({ key, value, space: '' }));
        for (const change of edits) {
          const at = Math.min(change.at, members.length - 1);
          if (at < 0) break;
          if (change.kind === 'swap') [members[at], members[Math.min(change.to, members.length - 1)]] = [members[Math.min(change.to, members.length - 1)]!, members[at]!];
          if (change.kind === 'repeat') members.splice(at, 0, { ...members[at]!, value: change.value });
          if (change.kind === 'drop') members.splice(at, 1);
          if (change.kind === 'add') members.splice(change.at, 0, { key: change.key, value: change.value, space: '' });
          if (change.kind === 'value') members[at]!.value = change.value;
          if (change.kind === 'space') members[at]!.space = ' ';
        }
        const json = `{${members.map(({ key, value, space }) => `"${key}":${space}${value}`).join(',')}}`;
        const fields = read(row(json));
        if (edits.length === 0) expect(fields).not.toBeNull();
        if (fields === null) return true;
        const parsed = JSON.parse(json) as Record<string, unknown>;
        expect(fields).toEqual({ readingId: parsed['readingId'], leaseId: parsed['leaseId'], month: monthOfInstant(parsed['periodStart'] as string), gpuHours: parsed['gpuHours'] });
        return true;
      }),
      { numRuns: 2_000 },
    );
  });

  it('reads only UsageRecorded events of the current schema version', () => {
    const json = canonicalJson({ readingId: 'R-1', leaseId: 'L-1', periodStart: '2025-11-01T00:00:00Z', periodEnd: '2025-11-01T01:00:00Z', gpuHours: '1' });
    expect(read(row(json, 'UsageCorrected'))).toBeNull();
    expect(read(row(json, 'UsageRecorded', 2))).toBeNull();
    expect(read(row(json, 'UsageRecorded', 0))).toBeNull();
    expect(read(row(json))).not.toBeNull();
  });
});
