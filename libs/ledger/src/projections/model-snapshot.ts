import { createHash } from 'node:crypto';
import { ledgerEventRegistry, readLedgerEvent, type LedgerEvent } from '@compute-ledger/contracts';
import type { LeaseState } from '../domain/lease/lease-state.js';
import { canonicalJson } from '../store/canonical-json.js';
import { compareIds, LedgerModel, type LeaseFold, type UsageSeries } from './ledger-model.js';

/**
 * The model written out as plain, canonical JSON: maps become arrays sorted by key, decimals
 * become strings. Two models that folded the same log give byte-identical snapshots, which is
 * how "a rebuild equals the live model" is checked (a digest of each), and a snapshot saved with
 * its position lets a restart resume from there instead of replaying the whole log.
 */

export const modelSnapshotVersion = 1;

interface SnapshotShape {
  version: number;
  position: number;
  streamRevisions: [string, number][];
  tenants: unknown[];
  sites: unknown[];
  allocations: unknown[];
  leases: { leaseId: string; events: { position: number; eventId: string; type: string; data: unknown }[] }[];
  usage: { leaseId: string; month: string; positions: number[]; eventIds: string[]; types: string[]; totals: string[]; readings: number }[];
  readings: [string, string, string, string][];
  documents: unknown[];
  runs: unknown[];
  creditNotes: unknown[];
  payments: unknown[];
}

function sortedValues<T>(map: Map<string, T>): T[] {
  return [...map.keys()].sort(compareIds).map((key) => map.get(key)!);
}

export function snapshotModel(model: LedgerModel): SnapshotShape {
  const usage: SnapshotShape['usage'] = [];
  for (const leaseId of [...model.usage.keys()].sort(compareIds)) {
    const byMonth = model.usage.get(leaseId)!;
    for (const month of [...byMonth.keys()].sort()) {
      const series = byMonth.get(month)!;
      usage.push({ leaseId, month, positions: series.positions, eventIds: series.eventIds, types: series.types, totals: series.totals.map((total) => total.toString()), readings: series.readings });
    }
  }
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
    usage,
    readings: [...model.readings.keys()].sort(compareIds).map((readingId) => {
      const reading = model.readings.get(readingId)!;
      return [readingId, reading.leaseId, reading.month, reading.gpuHoursMicros.toString()];
    }),
    documents: model.documentOrder.map((id) => model.documents.get(id)!),
    runs: model.runs,
    creditNotes: sortedValues(model.creditNotes),
    payments: sortedValues(model.payments),
  };
}

/**
 * The snapshot as canonical JSON (sorted keys): the text depends only on what was folded, not on
 * the key order an event's data happened to arrive in.
 */
export function serializeModel(model: LedgerModel): string {
  return canonicalJson(snapshotModel(model));
}

/** sha256 of the serialized model: equal digests mean byte-identical projections. */
export function modelDigest(model: LedgerModel): string {
  return createHash('sha256').update(serializeModel(model)).digest('hex');
}

/** Rebuilds a model from a snapshot; the caller then catches it up from `position + 1`. */
export function restoreModel(text: string, foldLease: LeaseFold): LedgerModel {
  const snapshot = JSON.parse(text) as SnapshotShape;
  if (snapshot.version !== modelSnapshotVersion) throw new Error(`model snapshot version ${snapshot.version} is not ${modelSnapshotVersion}`);
  const model = new LedgerModel(foldLease);
  model.position = snapshot.position;
  for (const [streamId, revision] of snapshot.streamRevisions) model.streamRevisions.set(streamId, revision);
  for (const tenant of snapshot.tenants as LedgerModel['tenants'] extends Map<string, infer T> ? T[] : never) model.tenants.set(tenant.tenantId, tenant);
  for (const site of snapshot.sites as LedgerModel['sites'] extends Map<string, infer T> ? T[] : never) model.sites.set(site.siteId, site);
  for (const allocation of snapshot.allocations as LedgerModel['allocations'] extends Map<string, infer T> ? T[] : never) model.allocations.set(allocation.allocationId, allocation);
  for (const lease of snapshot.leases) {
    let current: LeaseState | null = null;
    const events = lease.events.map((entry) => {
      const event: LedgerEvent = readLedgerEvent(entry.type, ledgerEventRegistry.currentVersion(entry.type), entry.data, { trusted: true });
      current = foldLease(current, event);
      return { position: entry.position, eventId: entry.eventId, event };
    });
    model.leases.set(lease.leaseId, { leaseId: lease.leaseId, tenantId: current!.tenantId, events, current: current! });
  }
  for (const row of snapshot.usage) {
    let byMonth = model.usage.get(row.leaseId);
    if (byMonth === undefined) model.usage.set(row.leaseId, (byMonth = new Map()));
    const series: UsageSeries = { positions: row.positions, eventIds: row.eventIds, types: row.types, totals: row.totals.map((total) => BigInt(total)), readings: row.readings };
    byMonth.set(row.month, series);
  }
  for (const [readingId, leaseId, month, gpuHours] of snapshot.readings) model.readings.set(readingId, { leaseId, month, gpuHoursMicros: BigInt(gpuHours) });
  model.restoreBilling(snapshot.documents as never, snapshot.runs as never, snapshot.creditNotes as never, snapshot.payments as never);
  return model;
}
