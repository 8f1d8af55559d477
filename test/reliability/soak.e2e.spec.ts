import { describe, expect, it } from 'vitest';
import { formatReport, memoryProblems, runSoak, type MemoryBounds, type SoakOptions } from './soak-run.js';

/**
 * The short form of the soak (`npm run soak` is the full one): mixed traffic against one
 * `ledger serve` on loopback for 15 s, then `ledger verify`. No answer may be an error, the
 * server's memory must hold still once ingest stops, and the model rebuilt from the log must
 * equal the live one.
 */

const shortSoak: SoakOptions = {
  durationMs: 15_000,
  quietMs: 4_000,
  readingsMax: 40_000,
  ingestWorkers: 1,
  reportWorkers: 2,
  batchRecords: 2_000,
  billingEveryMs: 2_500,
  tenants: 8,
  leasesPerTenant: 5,
  progressEveryMs: 0,
};
/**
 * Memory bounds of the short form: a gross check, since a few seconds are too short to tell a
 * slow leak from a collection not yet run (the full soak measures the heap's floor over a
 * minute of reports for that). The server keeps 12 bytes a reading in the model's usage
 * columns, and V8 lets a busy heap grow to a multiple
 * of what is live before a full collection: RSS may hold the readings twice over plus a fixed
 * allowance, and may not climb far past the mixed phase's peak once only reports run.
 */
const bounds: MemoryBounds = { bytesPerReadingMax: 4_096, processAllowanceMiB: 384, quietOverMixedPeakMiB: 256 };

describe('soak: mixed traffic against one server', () => {
  it('answers everything without an error, holds its memory, and rebuilds to the same model', async () => {
    const report = await runSoak(shortSoak);
    console.info(formatReport(report));
    expect(report.failures).toEqual([]);
    expect(report.verify.code, report.verify.output).toBe(0);
    expect(report.readings).toBeGreaterThan(0);
    expect(report.reports).toBeGreaterThan(0);
    expect(report.billingRuns).toBeGreaterThanOrEqual(2);
    expect(report.payments).toBeGreaterThan(0);
    expect(memoryProblems(report, bounds)).toEqual([]);
  }, 120_000);
});
