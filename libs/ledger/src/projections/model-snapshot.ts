import { createHash } from 'node:crypto';
import { ledgerEventRegistry, readLedgerEvent, type LedgerEvent, type LineSource } from '@compute-ledger/contracts';
import type { LeaseState } from '../domain/lease/lease-state.js';
import { canonicalJson } from '../store/canonical-json.js';
import { compareIds, LedgerModel, type LeaseFold } from './ledger-model.js';

/**
 * The model written out as lines of canonical JSON: maps become arrays sorted by key, decimals
 * become strings. Two models that folded the same log give byte-identical snapshots, which is
 * how "a rebuild equals the live model" is checked (a digest of each), and a snapshot saved with
 * its position lets a restart resume from there instead of replaying the whole log.
 *
 * Lines, not one document: a fleet's usage events run to tens of millions, more text than one
 * string may hold. The first line holds everything but usage; then one line per usage series,
 * in the order the log created them, which a rebuild repeats; then pages of the readings the
 * model knows by id (KnownReading), by reading id.
 */

export const modelSnapshotVersion = 3;

/** Known readings per line of a snapshot. */
const knownReadingsPerLine = 10_000;

interface SnapshotHead {
  version: number;
  position: number;
  streamRevisions: [string, number][];
  tenants: unknown[];
  sites: unknown[];
  allocations: unknown[];
  leases: { leaseId: string; events: { position: number; eventId: string; type: string; data: unknown }[] }[];
  usageSourceOverrides: LineSource[];
  series: number;
  knownReadings: number;
  documents: unknown[];
  runs: unknown[];
  creditNotes: unknown[];
  payments: unknown[];
  /** Left out while no month is closed, so a snapshot of such a ledger is what it was before closes existed. */
  closes?: unknown[];
  /** Left out while no grant is recorded, likewise. */
  grants?: unknown[];
  /** Drafts in order of creation, with their approval or voiding; left out while there is none. */
  drafts?: unknown[];
}

/** leaseId, month, distinct readings, positions, cumulative totals in millionths */
type SeriesLine = [string, string, number, number[], string[]];
/** reading id, lease id, month, current value in millionths, positions */
type KnownReadingEntry = [string, string, string, string, number[]];

function sortedValues<T>(map: Map<string, T>): T[] {
  return [...map.keys()].sort(compareIds).map((key) => map.get(key)!);
}

function snapshotHead(model: LedgerModel): SnapshotHead {
  return {
    version: modelSnapshotVersion,
    position: model.position,
    streamRevisions: [...model.streamRevisions].sort(([a], [b]) => compareIds(a, b)),
    tenants: sortedValues(model.tenants),
    sites: sortedValues(model.sites),
    allocations: sortedValues(model.allocations),
    leases: sortedValues(model.leases).map((lease) => ({
      leaseId: lease.leaseId,
      events: lease.events.map((entry) => ({ position: entry.position, eventId: entry.eventId, type: entry.event.type, data: entry.event.data })),
    })),
    usageSourceOverrides: [...model.usageSourceOverrides.values()],
    series: model.seriesList.length,
    knownReadings: model.knownReadings.size,
    documents: model.documentOrder.map((id) => model.documents.get(id)!),
    runs: model.runs,
    creditNotes: sortedValues(model.creditNotes),
    payments: sortedValues(model.payments),
    ...(model.closes.length === 0 ? {} : { closes: model.closes }),
    ...(model.grants.size === 0 ? {} : { grants: sortedValues(model.grants) }),
    ...(model.draftOrder.length === 0 ? {} : { drafts: model.draftOrder.map((id) => model.drafts.get(id)!) }),
  };
}

/**
 * Hands the snapshot to `write` line by line, each ending in a newline. The head is canonical
 * JSON (sorted keys, so the text does not depend on the key order an event's data arrived in);
 * the other lines are arrays of strings and numbers, which JSON.stringify writes one way only.
 */
export function writeModelSnapshot(model: LedgerModel, write: (line: string) => void): void {
  write(`${canonicalJson(snapshotHead(model))}\n`);
  for (const series of model.seriesList) {
    const line: SeriesLine = [
      series.leaseId,
      series.month,
      series.readings,
      series.positions.toArray(),
      series.totals.toArray().map((total) => total.toString()),
    ];
    write(`${JSON.stringify(line)}\n`);
  }
  const readingIds = [...model.knownReadings.keys()].sort(compareIds);
  for (let first = 0; first < readingIds.length; first += knownReadingsPerLine) {
    const page = readingIds.slice(first, first + knownReadingsPerLine).map((readingId): KnownReadingEntry => {
      const { leaseId, month, micros, positions } = model.knownReadings.get(readingId)!;
      return [readingId, leaseId, month, micros.toString(), positions];
    });
    write(`${JSON.stringify(page)}\n`);
  }
}

/** sha256 of the snapshot: equal digests mean byte-identical projections. */
export function modelDigest(model: LedgerModel): string {
  const hash = createHash('sha256');
  writeModelSnapshot(model, (line) => hash.update(line));
  return hash.digest('hex');
}

type Records<K extends keyof LedgerModel> = LedgerModel[K] extends Map<string, infer T> ? T[] : never;

/** Rebuilds a model from the lines of a snapshot; the caller then catches it up from `position + 1`. */
export function restoreModel(lines: Iterator<string>, foldLease: LeaseFold): LedgerModel {
  const next = (what: string): string => {
    const line = lines.next();
    if (line.done === true) throw new Error(`the model snapshot ends before its ${what}`);
    return line.value;
  };
  const head = JSON.parse(next('head')) as SnapshotHead;
  if (head.version !== modelSnapshotVersion) throw new Error(`model snapshot version ${head.version} is not ${modelSnapshotVersion}`);
  const model = new LedgerModel(foldLease);
  model.position = head.position;
  for (const [streamId, revision] of head.streamRevisions) model.streamRevisions.set(streamId, revision);
  for (const tenant of head.tenants as Records<'tenants'>) model.tenants.set(tenant.tenantId, tenant);
  for (const site of head.sites as Records<'sites'>) model.sites.set(site.siteId, site);
  // Sorted by id in the snapshot: by position again, as the fold added them.
  for (const allocation of [...(head.allocations as Records<'allocations'>)].sort((a, b) => a.position - b.position)) model.addAllocation(allocation);
  for (const lease of head.leases) {
    let current: LeaseState | null = null;
    const states: LeaseState[] = [];
    const events = lease.events.map((entry) => {
      const event: LedgerEvent = readLedgerEvent(entry.type, ledgerEventRegistry.currentVersion(entry.type), entry.data, { trusted: true });
      current = foldLease(current, event);
      states.push(current);
      return { position: entry.position, eventId: entry.eventId, event };
    });
    model.leases.set(lease.leaseId, { leaseId: lease.leaseId, tenantId: current!.tenantId, events, states, current: current! });
  }
  for (const source of head.usageSourceOverrides) model.usageSourceOverrides.set(source.position, source);
  for (let index = 0; index < head.series; index += 1) {
    const [leaseId, month, readings, positions, totals] = JSON.parse(next('usage series')) as SeriesLine;
    const series = model.restoreSeries(leaseId, month);
    series.readings = readings;
    for (let entry = 0; entry < positions.length; entry += 1) {
      series.positions.push(positions[entry]!);
      series.total = BigInt(totals[entry]!);
      series.totals.push(series.total);
    }
    series.trim();
  }
  while (model.knownReadings.size < head.knownReadings) {
    for (const [readingId, leaseId, month, micros, positions] of JSON.parse(next('known readings')) as KnownReadingEntry[]) {
      model.knownReadings.set(readingId, { leaseId, month, micros: BigInt(micros), positions });
    }
  }
  if (model.knownReadings.size !== head.knownReadings || lines.next().done !== true) throw new Error('the model snapshot does not end where its head says');
  model.restoreBilling(head.documents as never, head.runs as never, head.creditNotes as never, head.payments as never, (head.drafts ?? []) as never);
  model.closes.push(...((head.closes ?? []) as LedgerModel['closes']));
  for (const grant of (head.grants ?? []) as Records<'grants'>) model.grants.set(grant.data.grantId, grant);
  return model;
}
