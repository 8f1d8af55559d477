import type { LedgerEvent, UsageBatchBody } from '@compute-ledger/contracts';
import { usageBatchRecordsMax } from '@compute-ledger/contracts';
import { UsageBatchRefusedError, type RecordError } from '../domain/errors.js';
import type { LeaseState } from '../domain/lease/lease-state.js';
import { decideUsageBatch, evolveMetering, type UsageBatchLease, type UsageLeaseContext } from '../domain/metering/usage.js';
import { allocationsOfLease, type SiteState } from '../domain/site/site.js';
import { leaseStream, readingIdOfEventId, siteStream, usageStream } from '../domain/streams.js';
import { assert } from '../shared/assert.js';
import { DuplicateEventIdError } from '../store/errors.js';
import type { AppendResult, EventToAppend, FoldedEvent, StreamWrite } from '../store/event-store.js';
import { appendEventsMax } from '../store/limits.js';
import type { AggregateStreams } from './aggregate-streams.js';
import type { CommandHandler } from './command-handler.js';
import { expectedRevisionOf, metadataOf, toEventToAppend, type CommandContext } from './event-codec.js';
import { usageGroupRecordsMax } from './limits.js';
import type { ModelRunner } from './model-runner.js';
import type { UsageBatchResult } from './usage-commands.js';
import type { UsageLookup } from './usage-lookup.js';

assert(usageGroupRecordsMax >= usageBatchRecordsMax, 'a group holds at least one largest usage batch');
assert(usageGroupRecordsMax <= appendEventsMax, 'a group is one appendMany');

/** One request's batch of readings, as parsed. */
export interface UsageBatchRequest {
  records: UsageBatchBody['records'];
  context: CommandContext;
}

/** What one batch of a group was decided to: its counts, or its refusal (nothing of it is written). */
export type GroupBatchDecision = { refused: UsageBatchRefusedError } | { refused: null; accepted: number; duplicates: number };

/**
 * The batches of a group decided one after another, each on the state the earlier ones leave,
 * and what to append for them: one write per usage stream, whose events are those of every
 * accepted batch for that lease in arrival order (`shares` says how many came from which batch).
 */
export interface GroupDecision {
  /** The log's head when the group was decided. */
  head: number;
  batches: GroupBatchDecision[];
  writes: StreamWrite[];
  shares: { batch: number; events: number }[][];
}

interface WaitingBatch extends UsageBatchRequest {
  resolve: (result: UsageBatchResult) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit of usage batches. Requests that wait at the same time are decided together and
 * appended in one `appendMany` transaction, so a transaction's fixed costs (the log's head, the
 * leases' and sites' caches, catching the model up, the commit and its fsync) are paid per group,
 * not per batch.
 *
 * Each batch is still a request of its own: it is decided on its own, in arrival order, against
 * the state left by the batches before it in the group, exactly as if they had been recorded one
 * after another. A reading an earlier batch of the group records is a duplicate for a later one
 * with the same content and a conflict with other content; a refused batch gets its own error,
 * writes nothing, and leaves the others of its group alone; each request gets its own accepted
 * and duplicate counts. No request is answered before its group is committed.
 *
 * One group at a time per process: while a group is decided and committed the next one gathers,
 * so this process's batches never race each other for a usage stream's revision. A group is
 * started on the next turn of the event loop (setImmediate), so that requests whose bodies were
 * read in the same turn join it; a lone request waits for nothing more. A group holds at most
 * `usageGroupRecordsMax` records (one batch is always taken, whatever its size).
 */
export class UsageGroupCommit {
  private readonly waiting: WaitingBatch[] = [];
  private draining = false;

  constructor(
    private readonly handler: CommandHandler,
    private readonly streams: AggregateStreams,
    private readonly runner: ModelRunner,
    private readonly usage: UsageLookup,
  ) {}

  /** Records a batch with whatever batches are waiting with it; the store must offer appendMany. */
  record(request: UsageBatchRequest): Promise<UsageBatchResult> {
    assert(this.handler.store.appendMany !== undefined, 'group commit appends with appendMany');
    return new Promise((resolve, reject) => {
      this.waiting.push({ ...request, resolve, reject });
      if (!this.draining) {
        this.draining = true;
        void this.drain();
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.waiting.length > 0) {
        await nextTurn();
        await this.commit(this.nextGroup());
      }
    } finally {
      this.draining = false;
    }
  }

  /** The longest run of waiting batches, from the first, within `usageGroupRecordsMax` records. */
  private nextGroup(): WaitingBatch[] {
    let records = 0;
    let count = 0;
    for (const batch of this.waiting) {
      if (count > 0 && records + batch.records.length > usageGroupRecordsMax) break;
      records += batch.records.length;
      count += 1;
    }
    return this.waiting.splice(0, count);
  }

  /**
   * Decides and appends a group. It is decided again, as any command is, when another process
   * got to one of its streams first: moved its revision, or took one of its event ids (the same
   * readings sent through both at once; once caught up they are duplicates, and a reading
   * recorded for another lease is refused when the batch is decided).
   *
   * When the store fails the group's transaction otherwise, nothing of it is recorded, and each
   * of its batches is recorded again on its own, in arrival order. The group is this process's
   * way of writing, not a unit the clients asked for: a batch that cannot be recorded must not
   * take the others of its group down with it, and alone it gets the answer it would have had
   * without the group. A failure of the store itself (a full disk, a lost connection) then fails
   * each batch alone too, so every request of the group gets it. Refused batches are decided
   * again as well: a refusal may rest on a reading of an earlier batch of the group that is not
   * recorded after all.
   */
  private async commit(group: readonly WaitingBatch[]): Promise<void> {
    const [only] = group;
    assert(only !== undefined, 'a group has a batch');
    let outcome: GroupBatchDecision[];
    try {
      outcome = await this.handler.attempt(() => this.decideAndAppend(group), {
        takenIdIsRace: true,
        translate: group.length === 1 ? (error) => refusedReading(error, only.records) : undefined,
      });
    } catch (error) {
      if (group.length === 1) return only.reject(error);
      for (const batch of group) await this.commit([batch]);
      return;
    }
    group.forEach((batch, index) => {
      const decision = outcome[index];
      assert(decision !== undefined, 'one decision per batch of the group');
      if (decision.refused !== null) batch.reject(decision.refused);
      else batch.resolve({ outcome: decision.accepted > 0 ? 'created' : 'unchanged', accepted: decision.accepted, duplicates: decision.duplicates });
    });
  }

  /**
   * One attempt: decides the group, appends its writes in one transaction, and folds them into
   * the model from memory. A write the store finds already recorded was recorded by the same
   * readings sent at the same moment through another process: they are duplicates for the
   * batches that sent them.
   */
  private async decideAndAppend(group: readonly UsageBatchRequest[]): Promise<GroupBatchDecision[]> {
    const decision = await this.decide(group);
    const { head, batches, writes, shares } = decision;
    const appendMany = this.handler.store.appendMany?.bind(this.handler.store);
    assert(appendMany !== undefined, 'group commit appends with appendMany');
    if (writes.length === 0) return batches;
    const results = await appendMany(writes);
    results.forEach((result, index) => {
      if (result.written) return;
      for (const share of shares[index] ?? []) {
        const batch = batches[share.batch];
        assert(batch !== undefined && batch.refused === null, 'a write holds events of accepted batches only');
        batch.accepted -= share.events;
        batch.duplicates += share.events;
      }
    });
    const appended = contiguousAppend(writes, results);
    if (appended !== null) {
      this.runner.foldAppended(foldedWrites(writes, results));
      if (appended.first === head + 1) for (const cache of [this.streams.leases, this.streams.sites]) cache.advance(head, appended.last);
    }
    return batches;
  }

  /**
   * Decides the batches of a group in order, on one load of their leases, sites and recorded
   * readings. A batch touches thousands of streams; those that have not moved since this process
   * last read or appended them are not read again.
   *
   * Whether a reading is already recorded is the store's index of event ids at the model's
   * position, caught up with the log first; only readings recorded are read back from the log,
   * to compare their content. A reading
   * recorded by another process after that is caught by the append, which expects each usage
   * stream's revision and whose store refuses an event id already taken.
   *
   * The bound of a reading is checked against the allocations as loaded; the site stream is not
   * part of the append, so a release recorded at the same moment may not be seen. Readings are
   * measurements, not reservations, and the capacity invariant does not depend on them.
   */
  async decide(group: readonly UsageBatchRequest[]): Promise<GroupDecision> {
    const leaseIds = [...new Set(group.flatMap((batch) => batch.records.map((record) => record.leaseId)))];
    const head = await this.handler.store.headPosition();
    const leaseEntries = new Map(await Promise.all(leaseIds.map(async (leaseId) => [leaseId, await this.streams.leases.load(leaseStream(leaseId), head)] as const)));
    const siteIds = [...new Set([...leaseEntries.values()].flatMap((entry) => (entry.state === null ? [] : [entry.state.siteId])))];
    const siteEntries = new Map(await Promise.all(siteIds.map(async (siteId) => [siteId, await this.streams.sites.load(siteStream(siteId), head)] as const)));
    const existing = leaseIds.filter((leaseId) => leaseEntries.get(leaseId)?.state !== null);
    await this.usage.catchUp();
    const snapshot = await this.usage.snapshot(readingIdsOf(group), existing);
    const leases = new Map<string, UsageBatchLease & { revision: number }>();
    for (const leaseId of leaseIds) {
      const lease = leaseEntries.get(leaseId)?.state ?? null;
      leases.set(leaseId, {
        context: usageContext(lease, lease === null ? null : (siteEntries.get(lease.siteId)?.state ?? null)),
        usage: snapshot.stateOf(leaseId),
        revision: lease === null ? -1 : snapshot.revisionOf(leaseId),
      });
    }
    const leaseOf = (leaseId: string): UsageBatchLease & { revision: number } => {
      const found = leases.get(leaseId);
      assert(found !== undefined, `lease ${leaseId} of the group is loaded`);
      return found;
    };
    // The lease each reading already belongs to: recorded before (the log), or by an earlier batch of the group.
    const recordedInGroup = new Map<string, string>();
    const leaseOfRecorded = (readingId: string): string | undefined => snapshot.readings.get(readingId) ?? recordedInGroup.get(readingId);
    const writesByLease = new Map<string, { revision: number; events: EventToAppend[]; shares: { batch: number; events: number }[] }>();
    const batches = group.map((request, batchIndex): GroupBatchDecision => {
      let batch;
      try {
        batch = decideUsageBatch(request.records, leaseOf);
      } catch (error) {
        if (error instanceof UsageBatchRefusedError) return { refused: error };
        throw error;
      }
      const foreign = readingsOfAnotherLease(request.records, leaseOfRecorded);
      if (foreign.length > 0) return { refused: new UsageBatchRefusedError(foreign) };
      const metadata = metadataOf(request.context);
      for (const [leaseId, events] of batch.eventsByLease) {
        const lease = leaseOf(leaseId);
        let write = writesByLease.get(leaseId);
        if (write === undefined) {
          write = { revision: lease.revision, events: [], shares: [] };
          writesByLease.set(leaseId, write);
        }
        for (const event of events) {
          write.events.push(toEventToAppend(event, metadata, write.revision + 1 + write.events.length, false));
          // The later batches of the group see this reading as recorded.
          evolveMetering(lease.usage, event);
          recordedInGroup.set(event.data.readingId, leaseId);
        }
        write.shares.push({ batch: batchIndex, events: events.length });
      }
      return { refused: null, accepted: batch.accepted, duplicates: batch.duplicates };
    });
    const writes: StreamWrite[] = [];
    const shares: { batch: number; events: number }[][] = [];
    for (const [leaseId, write] of writesByLease) {
      writes.push({ streamId: usageStream(leaseId), expectedRevision: expectedRevisionOf(write.revision), events: write.events });
      shares.push(write.shares);
    }
    return { head, batches, writes, shares };
  }
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function recordedForAnotherLease(index: number, readingId: string): RecordError {
  return { index, readingId, message: `reading ${readingId} is already recorded for another lease`, kind: 'conflict' };
}

/**
 * Records (first of each reading) whose reading is already recorded for another lease. Their
 * event ids are taken: the store would refuse them, and with them the whole group's transaction.
 */
function readingsOfAnotherLease(records: UsageBatchBody['records'], leaseOfRecorded: (readingId: string) => string | undefined): RecordError[] {
  const errors: RecordError[] = [];
  const seen = new Set<string>();
  records.forEach((record, index) => {
    if (seen.has(record.readingId)) return;
    seen.add(record.readingId);
    const leaseId = leaseOfRecorded(record.readingId);
    if (leaseId !== undefined && leaseId !== record.leaseId) errors.push(recordedForAnotherLease(index, record.readingId));
  });
  return errors;
}

/**
 * A reading id the store still finds taken after the last attempt (recorded for another lease
 * by another process each time this one caught up): name the record.
 */
export function refusedReading(error: unknown, records: UsageBatchBody['records']): Error | null {
  if (!(error instanceof DuplicateEventIdError)) return null;
  const readingId = readingIdOfEventId(error.eventId);
  const index = readingId === null ? -1 : records.findIndex((record) => record.readingId === readingId);
  if (readingId === null || index < 0) return null;
  return new UsageBatchRefusedError([recordedForAnotherLease(index, readingId)]);
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

/** The reading ids of a group's batches, without building an array of them. */
function* readingIdsOf(group: readonly UsageBatchRequest[]): Iterable<string> {
  for (const batch of group) for (const record of batch.records) yield record.readingId;
}

export function usageContext(lease: LeaseState | null, site: SiteState | null): UsageLeaseContext {
  return { lease, allocations: lease === null || site === null ? [] : allocationsOfLease(site, lease.leaseId) };
}
