import type {
  AllocateCapacityBody,
  AmendLeaseBody,
  CommissionSiteBody,
  CorrectUsageBody,
  CurrencyCode,
  RecordOutageBody,
  RegisterTenantBody,
  ReleaseCapacityBody,
  SignLeaseBody,
  TerminateLeaseBody,
  UpdateTenantBillingDetailsBody,
  UsageBatchBody,
} from '@compute-ledger/contracts';
import { usageBatchRecordsMax } from '@compute-ledger/contracts';
import { ZodError } from 'zod';
import { ConflictError, NotFoundError, UsageBatchRefusedError, ValidationError } from '../domain/errors.js';
import { decideLease } from '../domain/lease/decide.js';
import { evolveLease, isLeaseEvent, leaseStatus, type LeaseEvent, type LeaseStreamState } from '../domain/lease/lease.js';
import type { LeaseState, LeaseStatus, OutageState } from '../domain/lease/lease-state.js';
import type { LedgerEvent } from '@compute-ledger/contracts';
import { foldLease } from '../domain/lease/lease.js';
import { decideMetering, decideUsageBatch, initialUsageState, type UsageBatchLease, type UsageLeaseContext } from '../domain/metering/usage.js';
import {
  allocationsOfLease,
  decideSite,
  evolveSite,
  isSiteEvent,
  type AllocationState,
  type SiteEvent,
  type SiteState,
  type SiteStreamState,
} from '../domain/site/site.js';
import { leaseStream, readingIdOfEventId, siteStream, tenantStream, usageStream, type ContractEvent } from '../domain/streams.js';
import { decideTenant, evolveTenant, isTenantEvent, type TenantEvent, type TenantState, type TenantStreamState } from '../domain/tenant/tenant.js';
import { assert } from '../shared/assert.js';
import { toInstant } from '../shared/time.js';
import { ConcurrencyError, DuplicateEventIdError } from '../store/errors.js';
import type { AppendResult, EventMetadata, EventStore, FoldedEvent, StreamWrite } from '../store/event-store.js';
import { systemClock, type Clock } from './clock.js';
import { toEventToAppend } from './event-codec.js';
import { commandAttemptsMax } from './limits.js';
import { ModelRunner } from './model-runner.js';
import { expectedRevisionOf, StreamStateCache } from './stream-cache.js';
import { UsageLookup } from './usage-lookup.js';

/** Who asks, for the events' metadata. */
export interface CommandContext {
  /** The API key or job that sent the request. */
  actor: string;
  correlationId?: string;
  causationId?: string;
}

/** `created` when the request recorded something (the API answers 201), `unchanged` for a repeat (200). */
export type CommandOutcome = 'created' | 'unchanged';

export interface TenantResult {
  outcome: CommandOutcome;
  tenant: TenantState;
}

export interface SiteView {
  siteId: string;
  name: string;
  gpuSku: string;
  gpuCount: number;
  powerMw: string | null;
}

export interface SiteResult {
  outcome: CommandOutcome;
  site: SiteView;
}

export interface LeaseResult {
  outcome: CommandOutcome;
  lease: LeaseState;
  status: LeaseStatus;
}

export interface AllocationView {
  allocationId: string;
  leaseId: string;
  siteId: string;
  gpuCount: number;
  startsAt: string;
  /** Null while the allocation is open. */
  endsAt: string | null;
}

export interface AllocationResult {
  outcome: CommandOutcome;
  allocation: AllocationView;
}

export interface OutageView {
  outageId: string;
  leaseId: string;
  startsAt: string;
  endsAt: string;
  affectedGpus: number;
}

export interface OutageResult {
  outcome: CommandOutcome;
  outage: OutageView;
}

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

export interface LedgerCommandsOptions {
  store: EventStore;
  /** The ledger's one currency (default USD): tenants in another are refused. */
  currency?: CurrencyCode;
  clock?: Clock;
  /**
   * The ledger model that knows every reading and allocation (the ledger's own, which follows
   * the log). Without it the commands keep a model of their own.
   */
  runner?: ModelRunner;
}

/**
 * Command handling over the event store: load the streams a command needs (folded, cached, and
 * caught up with what was appended since), decide with the pure domain, append at the revision
 * the decision was made on, and when another writer got there first (ConcurrencyError) load
 * again and decide again, at most `commandAttemptsMax` times.
 *
 * Each instance keeps its own cache of tenant, site and lease streams; any number of instances
 * may share one store, because every load reads what was appended since and every append checks
 * the revision. Nothing is kept per reading: readings and allocations are found through the
 * ledger model, and recorded readings are read back from the log when a request names them
 * (usage-lookup.ts).
 */
export class LedgerCommands {
  readonly currency: CurrencyCode;
  private readonly store: EventStore;
  private readonly clock: Clock;
  private readonly tenants: StreamStateCache<TenantStreamState, TenantEvent>;
  private readonly sites: StreamStateCache<SiteStreamState, SiteEvent>;
  private readonly leases: StreamStateCache<LeaseStreamState, LeaseEvent>;
  private readonly runner: ModelRunner;
  private readonly usage: UsageLookup;

  constructor(options: LedgerCommandsOptions) {
    this.store = options.store;
    this.currency = options.currency ?? 'USD';
    this.clock = options.clock ?? systemClock;
    this.tenants = new StreamStateCache(this.store, { initialState: () => null, evolve: evolveTenant, accepts: isTenantEvent });
    this.sites = new StreamStateCache(this.store, { initialState: () => null, evolve: evolveSite, accepts: isSiteEvent });
    this.leases = new StreamStateCache(this.store, { initialState: () => null, evolve: evolveLease, accepts: isLeaseEvent });
    this.runner = options.runner ?? new ModelRunner(this.store, foldLease);
    this.usage = new UsageLookup(this.store, this.runner);
  }

  /**
   * Brings the model up to the log so that the first command after a start does not wait for
   * it. Optional: every command that needs the model catches it up.
   */
  async warmUp(): Promise<void> {
    await this.runner.catchUp();
  }

  async registerTenant(body: RegisterTenantBody, context: CommandContext): Promise<TenantResult> {
    const streamId = tenantStream(body.tenantId);
    const outcome = await this.attempt(async () => {
      const entry = await this.tenants.load(streamId);
      const revision = entry.revision;
      const events = decideTenant({ type: 'RegisterTenant', data: body, ledgerCurrency: this.currency }, entry.state);
      return this.appendTo(this.tenants, streamId, revision, events, context);
    });
    const tenant = (await this.tenants.load(streamId)).state;
    assert(tenant !== null, `tenant ${body.tenantId} exists once registered`);
    return { outcome, tenant };
  }

  /**
   * Replaces the tenant's billing details (what its invoices print in the bill-to block) as a
   * whole. The same details again answer `unchanged` and record nothing.
   */
  async updateTenantBillingDetails(tenantId: string, body: UpdateTenantBillingDetailsBody, context: CommandContext): Promise<TenantResult> {
    const streamId = tenantStream(tenantId);
    const outcome = await this.attempt(async () => {
      const entry = await this.tenants.load(streamId);
      const revision = entry.revision;
      const events = decideTenant({ type: 'UpdateTenantBillingDetails', data: { tenantId, billingDetails: body } }, entry.state);
      return this.appendTo(this.tenants, streamId, revision, events, context);
    });
    const tenant = (await this.tenants.load(streamId)).state;
    assert(tenant !== null, `tenant ${tenantId} exists once its billing details are recorded`);
    return { outcome, tenant };
  }

  async commissionSite(body: CommissionSiteBody, context: CommandContext): Promise<SiteResult> {
    const streamId = siteStream(body.siteId);
    const outcome = await this.attempt(async () => {
      const entry = await this.sites.load(streamId);
      const revision = entry.revision;
      const events = decideSite({ type: 'CommissionSite', data: body }, entry.state);
      return this.appendTo(this.sites, streamId, revision, events, context);
    });
    const site = await this.getSite(body.siteId);
    assert(site !== null, `site ${body.siteId} exists once commissioned`);
    return { outcome, site };
  }

  async signLease(body: SignLeaseBody, context: CommandContext): Promise<LeaseResult> {
    const streamId = leaseStream(body.leaseId);
    const outcome = await this.attempt(async () => {
      const [tenant, site, entry] = await Promise.all([
        this.tenants.load(tenantStream(body.tenantId)),
        this.sites.load(siteStream(body.siteId)),
        this.leases.load(streamId),
      ]);
      const revision = entry.revision;
      const command = { type: 'SignLease', data: body, tenant: tenant.state, site: site.state, ledgerCurrency: this.currency } as const;
      return this.appendTo(this.leases, streamId, revision, decideLease(command, entry.state), context);
    });
    return this.leaseResult(body.leaseId, outcome);
  }

  async amendLease(leaseId: string, body: AmendLeaseBody, context: CommandContext): Promise<LeaseResult> {
    const streamId = leaseStream(leaseId);
    const outcome = await this.attempt(async () => {
      const entry = await this.leases.load(streamId);
      const revision = entry.revision;
      const events = decideLease({ type: 'AmendLease', data: { ...body, leaseId } }, entry.state);
      return this.appendTo(this.leases, streamId, revision, events, context);
    });
    return this.leaseResult(leaseId, outcome);
  }

  /**
   * Terminates a lease and ends its allocations still open at the termination instant. With a
   * store that offers `appendMany`, the termination and the releases are one transaction. Without
   * it the termination is appended first and the releases second: a crash in between leaves a
   * terminated lease whose allocations are still open. Sending the same termination again
   * repairs that, because this handler always releases what the termination leaves open, also
   * when the termination itself is already recorded.
   */
  async terminateLease(leaseId: string, body: TerminateLeaseBody, context: CommandContext): Promise<LeaseResult> {
    const leaseStreamId = leaseStream(leaseId);
    let terminated = false;
    await this.attempt(async () => {
      const leaseEntry = await this.leases.load(leaseStreamId);
      const siteId = leaseEntry.state?.siteId;
      const siteEntry = siteId === undefined ? null : await this.sites.load(siteStream(siteId));
      const leaseRevision = leaseEntry.revision;
      const leaseEvents = decideLease({ type: 'TerminateLease', data: { ...body, leaseId }, ledgerCurrency: this.currency }, leaseEntry.state);
      const lease = leaseEvents.reduce<LeaseState | null>((state, event) => evolveLease(state, event), leaseEntry.state);
      assert(lease !== null && lease.termination !== null, `lease ${leaseId} is terminated once its termination is decided`);
      assert(siteEntry !== null && siteId !== undefined, `lease ${leaseId}'s site is loaded`);
      const siteStreamId = siteStream(siteId);
      const siteRevision = siteEntry.revision;
      const endsAt = toInstant(lease.termination.effectiveAtMs);
      const siteEvents = decideSite({ type: 'EndLeaseAllocations', data: { leaseId, endsAt } }, siteEntry.state);
      const appendMany = this.store.appendMany?.bind(this.store);
      if (leaseEvents.length > 0 && siteEvents.length > 0 && appendMany !== undefined) {
        const results = await appendMany([
          this.write(leaseStreamId, leaseRevision, leaseEvents, context),
          this.write(siteStreamId, siteRevision, siteEvents, context),
        ]);
        this.leases.appended(leaseStreamId, leaseRevision, leaseEvents, resultRevision(results, 0));
        this.sites.appended(siteStreamId, siteRevision, siteEvents, resultRevision(results, 1));
        terminated = results[0]?.written === true;
        return;
      }
      if ((await this.appendTo(this.leases, leaseStreamId, leaseRevision, leaseEvents, context)) === 'created') terminated = true;
      await this.appendTo(this.sites, siteStreamId, siteRevision, siteEvents, context);
    });
    return this.leaseResult(leaseId, terminated ? 'created' : 'unchanged');
  }

  async recordOutage(body: RecordOutageBody, context: CommandContext): Promise<OutageResult> {
    const streamId = leaseStream(body.leaseId);
    const outcome = await this.attempt(async () => {
      const entry = await this.leases.load(streamId);
      const revision = entry.revision;
      const events = decideLease({ type: 'RecordOutage', data: body }, entry.state);
      return this.appendTo(this.leases, streamId, revision, events, context);
    });
    const lease = await this.getLease(body.leaseId);
    const outage = lease?.outages.find((candidate) => candidate.outageId === body.outageId);
    assert(lease !== null && outage !== undefined, `outage ${body.outageId} exists once recorded`);
    return { outcome, outage: outageView(lease.leaseId, outage) };
  }

  async allocateCapacity(body: AllocateCapacityBody, context: CommandContext): Promise<AllocationResult> {
    const streamId = siteStream(body.siteId);
    const outcome = await this.attempt(async () => {
      // The lease is loaded before the site: a termination appends to the site stream after its
      // lease stream, so an allocation decided on a lease that was not yet terminated either
      // reaches the site first (and the termination releases it) or finds the site moved and
      // decides again with the terminated lease.
      const leaseEntry = await this.leases.load(leaseStream(body.leaseId));
      const siteEntry = await this.sites.load(streamId);
      const revision = siteEntry.revision;
      const events = decideSite({ type: 'AllocateCapacity', data: body, lease: leaseEntry.state }, siteEntry.state);
      return this.appendTo(this.sites, streamId, revision, events, context);
    });
    return { outcome, allocation: await this.allocationView(body.siteId, body.allocationId) };
  }

  async releaseCapacity(allocationId: string, body: ReleaseCapacityBody, context: CommandContext): Promise<AllocationResult> {
    await this.usage.catchUp();
    const siteId = this.usage.siteOfAllocation(allocationId);
    if (siteId === undefined) throw new NotFoundError(`allocation ${allocationId} does not exist`);
    const streamId = siteStream(siteId);
    const outcome = await this.attempt(async () => {
      const entry = await this.sites.load(streamId);
      const revision = entry.revision;
      const events = decideSite({ type: 'ReleaseCapacity', data: { allocationId, endsAt: body.endsAt } }, entry.state);
      return this.appendTo(this.sites, streamId, revision, events, context);
    });
    return { outcome, allocation: await this.allocationView(siteId, allocationId) };
  }

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
    const decision = await this.attempt(async () => {
      // A batch touches thousands of streams; those that have not moved since this process last
      // read or appended them are not read again.
      const head = await this.store.headPosition();
      const leaseEntries = new Map(await Promise.all(leaseIds.map(async (leaseId) => [leaseId, await this.leases.load(leaseStream(leaseId), head)] as const)));
      const siteIds = [...new Set([...leaseEntries.values()].flatMap((entry) => (entry.state === null ? [] : [entry.state.siteId])))];
      const siteEntries = new Map(await Promise.all(siteIds.map(async (siteId) => [siteId, await this.sites.load(siteStream(siteId), head)] as const)));
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
        return this.write(usageStream(leaseId), revision, events, context, false);
      });
      // A write the store finds already recorded was recorded by the same readings sent at the
      // same moment through another process: they are duplicates for this request.
      let writtenNow = 0;
      const appendMany = this.store.appendMany?.bind(this.store);
      if (appendMany !== undefined && writes.length > 0) {
        const results = await appendMany(writes);
        writes.forEach((write, position) => {
          if (results[position]?.written === true) writtenNow += write.events.length;
        });
        const appended = contiguousAppend(writes, results);
        if (appended !== null) {
          this.runner.foldAppended(foldedWrites(writes, results));
          if (appended.first === head + 1) for (const cache of [this.leases, this.sites]) cache.advance(head, appended.last);
        }
      } else {
        for (const write of writes) {
          const result = await this.store.append(write.streamId, write.events, write.expectedRevision);
          if (!result.written) continue;
          writtenNow += write.events.length;
          writtenByEarlierAttempts += write.events.length;
        }
        writtenByEarlierAttempts -= writtenNow;
      }
      return { batch, writtenNow };
    }, (error) => refusedReading(error, records));
    const accepted = decision.writtenNow + writtenByEarlierAttempts;
    const duplicates = decision.batch.duplicates + (decision.batch.accepted - decision.writtenNow) - writtenByEarlierAttempts;
    return { outcome: accepted > 0 ? 'created' : 'unchanged', accepted, duplicates };
  }

  async correctUsage(body: CorrectUsageBody, context: CommandContext): Promise<CorrectionResult> {
    await this.usage.catchUp();
    const leaseId = this.usage.leaseOfReading(body.readingId);
    if (leaseId === undefined) throw new NotFoundError(`reading ${body.readingId} does not exist`);
    const streamId = usageStream(leaseId);
    const outcome = await this.attempt(async () => {
      const leaseEntry = await this.leases.load(leaseStream(leaseId));
      const lease = leaseEntry.state;
      const siteEntry = lease === null ? null : await this.sites.load(siteStream(lease.siteId));
      await this.usage.catchUp();
      const snapshot = this.usage.snapshot([body.readingId], [leaseId]);
      const usage = (await this.usage.statesOf(snapshot)).get(leaseId) ?? initialUsageState();
      const revision = snapshot.revisionOf(leaseId);
      const command = { type: 'CorrectUsage', data: body, context: usageContext(leaseEntry.state, siteEntry?.state ?? null) } as const;
      const events = decideMetering(command, usage);
      if (events.length === 0) return 'unchanged';
      const write = this.write(streamId, revision, events, context);
      const result = await this.store.append(write.streamId, write.events, write.expectedRevision);
      return result.written ? 'created' : 'unchanged';
    });
    // The correction as recorded (by this request, or by the one it repeats).
    await this.usage.catchUp();
    const usage = (await this.usage.statesOf(this.usage.snapshot([body.readingId], [leaseId]))).get(leaseId);
    const correction = usage?.corrections.get(body.correctionId);
    assert(correction !== undefined, `correction ${body.correctionId} exists once recorded`);
    return { outcome, correction: { correctionId: correction.correctionId, readingId: correction.readingId, leaseId, gpuHours: correction.gpuHours } };
  }

  /** The tenant as it stands, or null. */
  async getTenant(tenantId: string): Promise<TenantState | null> {
    return (await this.tenants.load(tenantStream(tenantId))).state;
  }

  async getSite(siteId: string): Promise<SiteView | null> {
    const site = (await this.sites.load(siteStream(siteId))).state;
    return site === null ? null : siteView(site);
  }

  /** The lease as it stands (after amendments and termination), or null. */
  async getLease(leaseId: string): Promise<LeaseState | null> {
    return (await this.leases.load(leaseStream(leaseId))).state;
  }

  private async leaseResult(leaseId: string, outcome: CommandOutcome): Promise<LeaseResult> {
    const lease = await this.getLease(leaseId);
    assert(lease !== null, `lease ${leaseId} exists once signed`);
    return { outcome, lease, status: leaseStatus(lease, this.clock().getTime()) };
  }

  private async allocationView(siteId: string, allocationId: string): Promise<AllocationView> {
    const site = (await this.sites.load(siteStream(siteId))).state;
    const allocation = site?.allocations.get(allocationId);
    assert(allocation !== undefined, `allocation ${allocationId} exists once recorded`);
    return allocationView(allocation);
  }

  private metadata(context: CommandContext): EventMetadata {
    const metadata: EventMetadata = { actor: context.actor };
    if (context.correlationId !== undefined) metadata.correlationId = context.correlationId;
    if (context.causationId !== undefined) metadata.causationId = context.causationId;
    return metadata;
  }

  /** `checked: false` for events built from input already parsed by their schema (see toEventToAppend). */
  private write(streamId: string, revision: number, events: readonly ContractEvent[], context: CommandContext, checked = true): StreamWrite {
    const metadata = this.metadata(context);
    const toAppend = events.map((event, index) => toEventToAppend(event, metadata, revision + 1 + index, checked));
    return { streamId, expectedRevision: expectedRevisionOf(revision), events: toAppend };
  }

  /**
   * Appends the events decided at `revision` (nothing for none) and folds them into the cache.
   * The outcome is `unchanged` when the store finds the very same events already recorded: the
   * same request, sent to another process or instance at the same moment, recorded them between
   * this one's load and its append, and it is that request that created them.
   */
  private async appendTo<State, Event extends ContractEvent>(
    cache: StreamStateCache<State, Event>,
    streamId: string,
    revision: number,
    events: readonly Event[],
    context: CommandContext,
  ): Promise<CommandOutcome> {
    if (events.length === 0) return 'unchanged';
    const write = this.write(streamId, revision, events, context);
    const result = await this.store.append(write.streamId, write.events, write.expectedRevision);
    cache.appended(streamId, revision, events, result.nextRevision);
    return result.written ? 'created' : 'unchanged';
  }

  /**
   * Runs one attempt of a command and runs it again when a stream moved under it. Store errors
   * that are the client's doing become domain errors: an event id already used with other content
   * is an id reused for something else.
   */
  private async attempt<T>(run: () => Promise<T>, translate?: (error: unknown) => Error | null): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await run();
      } catch (error) {
        if (error instanceof ConcurrencyError && attempt < commandAttemptsMax) continue;
        throw translateError(error, translate);
      }
    }
  }
}

function translateError(error: unknown, translate?: (error: unknown) => Error | null): unknown {
  const translated = translate?.(error) ?? null;
  if (translated !== null) return translated;
  if (error instanceof ConcurrencyError) {
    return new ConflictError(`stream ${error.streamId} kept changing while this request was decided ${commandAttemptsMax} times; send it again`);
  }
  if (error instanceof DuplicateEventIdError) {
    return new ConflictError(`an id of this request is already used with other content (event ${error.eventId})`);
  }
  if (error instanceof ZodError) {
    const fieldErrors = error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
    return new ValidationError(`the request does not make a valid event: ${fieldErrors.map((field) => `${field.path}: ${field.message}`).join('; ')}`, fieldErrors);
  }
  return error;
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

function resultRevision(results: readonly { nextRevision: number }[], position: number): number {
  const result = results[position];
  assert(result !== undefined, `appendMany answers one result per write (${position})`);
  return result.nextRevision;
}

function usageContext(lease: LeaseState | null, site: SiteState | null): UsageLeaseContext {
  return { lease, allocations: lease === null || site === null ? [] : allocationsOfLease(site, lease.leaseId) };
}

function siteView(site: SiteState): SiteView {
  return { siteId: site.siteId, name: site.name, gpuSku: site.gpuSku, gpuCount: site.gpuCount, powerMw: site.powerMw };
}

function allocationView(allocation: AllocationState): AllocationView {
  return {
    allocationId: allocation.allocationId,
    leaseId: allocation.leaseId,
    siteId: allocation.siteId,
    gpuCount: allocation.gpuCount,
    startsAt: toInstant(allocation.startsAtMs),
    endsAt: allocation.endsAtMs === null ? null : toInstant(allocation.endsAtMs),
  };
}

function outageView(leaseId: string, outage: OutageState): OutageView {
  return { outageId: outage.outageId, leaseId, startsAt: toInstant(outage.startsAtMs), endsAt: toInstant(outage.endsAtMs), affectedGpus: outage.affectedGpus };
}

