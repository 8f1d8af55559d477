import type { CorrectUsageBody, LedgerEvent, UsageBatchBody } from '@compute-ledger/contracts';
import { usageBatchRecordsMax } from '@compute-ledger/contracts';
import { NotFoundError, UsageBatchRefusedError, ValidationError } from '../domain/errors.js';
import type { LeaseState } from '../domain/lease/lease-state.js';
import { decideMetering, decideUsageBatch, initialUsageState, type UsageBatchLease, type UsageLeaseContext } from '../domain/metering/usage.js';
import { allocationsOfLease, type SiteState } from '../domain/site/site.js';
import { leaseStream, readingIdOfEventId, siteStream, usageStream } from '../domain/streams.js';
import { assert } from '../shared/assert.js';
import { DuplicateEventIdError } from '../store/errors.js';
import type { AppendResult, FoldedEvent, StreamWrite } from '../store/event-store.js';
import type { AggregateStreams } from './aggregate-streams.js';
import type { CommandHandler, CommandOutcome } from './command-handler.js';
import { toStreamWrite, type CommandContext } from './event-codec.js';
import type { ModelRunner } from './model-runner.js';
import type { UsageLookup } from './usage-lookup.js';

export interface UsageBatchResult {
  outcome: CommandOutcome;
  /** Readings recorded by this request. */
  accepted: number;
  /** Records that repeated a reading already recorded (or repeated within the batch). */
  duplicates: number;
}

export interface CorrectionView {
  correctionId: string;
  readingId: string;
  leaseId: string;
  gpuHours: string;
}

export interface CorrectionResult {
  outcome: CommandOutcome;
  correction: CorrectionView;
}

/**
 * Metering: batches of readings and their corrections. Nothing is kept per reading: readings and
 * allocations are found through the ledger model, and recorded readings are read back from the
 * log when a request names them (usage-lookup.ts).
 */
export class UsageCommands {
  constructor(
    private readonly handler: CommandHandler,
    private readonly streams: AggregateStreams,
    private readonly runner: ModelRunner,
    private readonly usage: UsageLookup,
  ) {}

  /**
   * Records a batch of readings, all or nothing. The batch's usage streams are written in one
   * `appendMany` transaction when the store offers it. Without it they are written one lease at
   * a time: a failure in between leaves the first leases' readings recorded, and sending the
   * batch again records the rest (the recorded ones count as duplicates).
   *
   * Records are as parsed by `UsageBatchBody` (the API and the command line parse them): the
   * events built from them are not parsed again.
   *
   * Whether a reading is already recorded is the model's answer, caught up with the log first;
   * only readings it knows are read back from the log, to compare their content. A reading
   * recorded by another process after that is caught by the append, which expects each usage
   * stream's revision and whose store refuses an event id already taken.
   *
   * The bound of a reading is checked against the allocations as loaded; the site stream is not
   * part of the append, so a release recorded at the same moment may not be seen. Readings are
   * measurements, not reservations, and the capacity invariant does not depend on them.
   */
  async recordUsage(body: UsageBatchBody, context: CommandContext): Promise<UsageBatchResult> {
    const { records } = body;
    if (records.length === 0 || records.length > usageBatchRecordsMax) {
      throw new ValidationError(`a usage batch has 1 to ${usageBatchRecordsMax} records, not ${records.length}`, [
        { path: 'records', message: `must have 1 to ${usageBatchRecordsMax} records` },
      ]);
    }
    const leaseIds = [...new Set(records.map((record) => record.leaseId))];
    // Readings this request recorded in attempts that failed later (only without appendMany).
    let writtenByEarlierAttempts = 0;
    const decision = await this.handler.attempt(async () => {
      // A batch touches thousands of streams; those that have not moved since this process last
      // read or appended them are not read again.
      const head = await this.handler.store.headPosition();
      const leaseEntries = new Map(await Promise.all(leaseIds.map(async (leaseId) => [leaseId, await this.streams.leases.load(leaseStream(leaseId), head)] as const)));
      const siteIds = [...new Set([...leaseEntries.values()].flatMap((entry) => (entry.state === null ? [] : [entry.state.siteId])))];
      const siteEntries = new Map(await Promise.all(siteIds.map(async (siteId) => [siteId, await this.streams.sites.load(siteStream(siteId), head)] as const)));
      const existing = leaseIds.filter((leaseId) => leaseEntries.get(leaseId)?.state !== null);
      await this.usage.catchUp();
      const snapshot = this.usage.snapshot(readingIdsOf(records), existing);
      const usageStates = snapshot.readings.size === 0 ? null : await this.usage.statesOf(snapshot);
      const batchLeases = new Map<string, UsageBatchLease & { revision: number }>();
      for (const leaseId of leaseIds) {
        const lease = leaseEntries.get(leaseId)?.state ?? null;
        batchLeases.set(leaseId, {
          context: usageContext(lease, lease === null ? null : (siteEntries.get(lease.siteId)?.state ?? null)),
          usage: usageStates?.get(leaseId) ?? initialUsageState(),
          revision: lease === null ? -1 : snapshot.revisionOf(leaseId),
        });
      }
      const batch = decideUsageBatch(records, (leaseId) => {
        const found = batchLeases.get(leaseId);
        assert(found !== undefined, `lease ${leaseId} of the batch is loaded`);
        return found;
      });
      const writes = [...batch.eventsByLease].map(([leaseId, events]) => {
        const revision = batchLeases.get(leaseId)?.revision ?? -1;
        return toStreamWrite(usageStream(leaseId), revision, events, context, false);
      });
      // A write the store finds already recorded was recorded by the same readings sent at the
      // same moment through another process: they are duplicates for this request.
      let writtenNow = 0;
      const appendMany = this.handler.store.appendMany?.bind(this.handler.store);
      if (appendMany !== undefined && writes.length > 0) {
        const results = await appendMany(writes);
        writes.forEach((write, position) => {
          if (results[position]?.written === true) writtenNow += write.events.length;
        });
        const appended = contiguousAppend(writes, results);
        if (appended !== null) {
          this.runner.foldAppended(foldedWrites(writes, results));
          if (appended.first === head + 1) for (const cache of [this.streams.leases, this.streams.sites]) cache.advance(head, appended.last);
        }
      } else {
        for (const write of writes) {
          const result = await this.handler.store.append(write.streamId, write.events, write.expectedRevision);
          if (!result.written) continue;
          writtenNow += write.events.length;
          writtenByEarlierAttempts += write.events.length;
        }
        writtenByEarlierAttempts -= writtenNow;
      }
      return { batch, writtenNow };
    }, { translate: (error) => refusedReading(error, records) });
    const accepted = decision.writtenNow + writtenByEarlierAttempts;
    const duplicates = decision.batch.duplicates + (decision.batch.accepted - decision.writtenNow) - writtenByEarlierAttempts;
    return { outcome: accepted > 0 ? 'created' : 'unchanged', accepted, duplicates };
  }

  async correctUsage(body: CorrectUsageBody, context: CommandContext): Promise<CorrectionResult> {
    await this.usage.catchUp();
    const leaseId = this.usage.leaseOfReading(body.readingId);
    if (leaseId === undefined) throw new NotFoundError(`reading ${body.readingId} does not exist`);
    const streamId = usageStream(leaseId);
    const outcome = await this.handler.attempt(async () => {
      const leaseEntry = await this.streams.leases.load(leaseStream(leaseId));
      const lease = leaseEntry.state;
      const siteEntry = lease === null ? null : await this.streams.sites.load(siteStream(lease.siteId));
      await this.usage.catchUp();
      const snapshot = this.usage.snapshot([body.readingId], [leaseId]);
      const usage = (await this.usage.statesOf(snapshot)).get(leaseId) ?? initialUsageState();
      const revision = snapshot.revisionOf(leaseId);
      const command = { type: 'CorrectUsage', data: body, context: usageContext(leaseEntry.state, siteEntry?.state ?? null) } as const;
      const events = decideMetering(command, usage);
      if (events.length === 0) return 'unchanged';
      const write = toStreamWrite(streamId, revision, events, context);
      const result = await this.handler.store.append(write.streamId, write.events, write.expectedRevision);
      return result.written ? 'created' : 'unchanged';
    });
    // The correction as recorded (by this request, or by the one it repeats).
    await this.usage.catchUp();
    const usage = (await this.usage.statesOf(this.usage.snapshot([body.readingId], [leaseId]))).get(leaseId);
    const correction = usage?.corrections.get(body.correctionId);
    assert(correction !== undefined, `correction ${body.correctionId} exists once recorded`);
    return { outcome, correction: { correctionId: correction.correctionId, readingId: correction.readingId, leaseId, gpuHours: correction.gpuHours } };
  }
}

/** A reading id already recorded for another lease: the store refuses its event id; name the record. */
function refusedReading(error: unknown, records: UsageBatchBody['records']): Error | null {
  if (!(error instanceof DuplicateEventIdError)) return null;
  const readingId = readingIdOfEventId(error.eventId);
  const index = readingId === null ? -1 : records.findIndex((record) => record.readingId === readingId);
  if (readingId === null || index < 0) return null;
  return new UsageBatchRefusedError([{ index, readingId, message: `reading ${readingId} is already recorded for another lease`, kind: 'conflict' }]);
}

/** The positions one appendMany wrote, when it wrote every one of its events (none was already recorded). */
function contiguousAppend(writes: readonly { events: readonly unknown[] }[], results: readonly AppendResult[]): { first: number; last: number } | null {
  const first = results[0];
  const last = results[results.length - 1];
  if (first === undefined || last === undefined || results.some((result) => !result.written)) return null;
  const events = writes.reduce((count, write) => count + write.events.length, 0);
  const start = first.position - (writes[0]?.events.length ?? 0) + 1;
  return last.position - start + 1 === events ? { first: start, last: last.position } : null;
}

/**
 * The events of writes that were all written, as recorded (positions and revisions from the
 * results: each write's events are consecutive and end at its result), for the model to fold.
 */
function foldedWrites(writes: readonly StreamWrite[], results: readonly AppendResult[]): { recorded: FoldedEvent; decoded: LedgerEvent }[] {
  const folded: { recorded: FoldedEvent; decoded: LedgerEvent }[] = [];
  writes.forEach((write, index) => {
    const result = results[index];
    assert(result !== undefined && result.written, `write ${index} of the append was written`);
    const count = write.events.length;
    write.events.forEach((event, offset) => {
      const recorded: FoldedEvent = {
        position: result.position - count + 1 + offset,
        streamId: write.streamId,
        revision: result.nextRevision - count + 1 + offset,
        eventId: event.eventId,
        type: event.type,
        schemaVersion: event.schemaVersion,
        data: event.data,
      };
      folded.push({ recorded, decoded: { type: event.type, data: event.data } as LedgerEvent });
    });
  });
  return folded;
}

/** The reading ids of a batch, without building an array of them. */
function* readingIdsOf(records: UsageBatchBody['records']): Iterable<string> {
  for (const record of records) yield record.readingId;
}

function usageContext(lease: LeaseState | null, site: SiteState | null): UsageLeaseContext {
  return { lease, allocations: lease === null || site === null ? [] : allocationsOfLease(site, lease.leaseId) };
}
