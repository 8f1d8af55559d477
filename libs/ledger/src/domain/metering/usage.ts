import type { CorrectUsageBody, LedgerEvent, LedgerEventOf, UsageRecordBody } from '@compute-ledger/contracts';
import { decimalFractionDigitsMax } from '@compute-ledger/contracts';
import { assert } from '../../shared/assert.js';
import { formatQuantity, shortMicros, shownQuantity, type Decimal } from '../../shared/decimal.js';
import { msPerHour, toInstant, toMs } from '../../shared/time.js';
import { unreachable, type Decider } from '../decider.js';
import { ConflictError, NotFoundError, RuleViolationError, UsageBatchRefusedError, ValidationError, type RecordError } from '../errors.js';
import type { LeaseState } from '../lease/lease-state.js';
import { allocatedGpuMs, allocatedGpuMsIfSafe, type AllocationInterval } from '../site/capacity.js';
import { fingerprintJson, formatInterval, canonicalInstant, normalizeQuantity, parseDecimal } from '../values.js';

/**
 * Metered usage. Each lease has a usage stream (`usage-<leaseId>`) with its readings and their
 * corrections. A reading counts once however often it is sent; a batch of readings is recorded
 * whole or not at all.
 */

export type MeteringEvent = LedgerEventOf<'UsageRecorded' | 'UsageCorrected'>;
export type UsageRecordedEvent = LedgerEventOf<'UsageRecorded'>;

export function isMeteringEvent(event: LedgerEvent): event is MeteringEvent {
  return event.type === 'UsageRecorded' || event.type === 'UsageCorrected';
}

export interface ReadingState {
  readingId: string;
  leaseId: string;
  periodStartMs: number;
  periodEndMs: number;
  /** The reading's current value: its last correction's, else the recorded one. */
  gpuHours: string;
  /** The value as recorded: a resend of the reading must match it, whatever corrections followed. */
  recordedGpuHours: string;
  source: string | null;
}

export interface CorrectionState {
  correctionId: string;
  readingId: string;
  gpuHours: string;
  fingerprint: string;
}

export interface UsageState {
  readings: Map<string, ReadingState>;
  corrections: Map<string, CorrectionState>;
}

/** What a usage record is checked against: the lease as it stands and its allocations. */
export interface UsageLeaseContext {
  lease: LeaseState | null;
  allocations: readonly AllocationInterval[];
}

export interface RecordUsage {
  type: 'RecordUsage';
  /** Records of one lease (the stream's), with their index in the batch they came in. */
  data: { leaseId: string; records: readonly UsageRecordBody[]; firstIndex?: number };
  context: UsageLeaseContext;
}

export interface CorrectUsage {
  type: 'CorrectUsage';
  data: CorrectUsageBody;
  context: UsageLeaseContext;
}

export type MeteringCommand = RecordUsage | CorrectUsage;

export function initialUsageState(): UsageState {
  return { readings: new Map(), corrections: new Map() };
}

/**
 * The content of a reading as compared for idempotency: instants by their value, GPU-hours by
 * their value. Built for every record of every batch, so it is a plain JSON array, not a
 * canonical object.
 */
export function readingFingerprint(data: UsageRecordBody): string {
  return fingerprintOf(data, toMs(data.periodStart), toMs(data.periodEnd));
}

/** The fingerprint of a record whose instants are already parsed (the batch parses them once). */
function fingerprintOf(data: UsageRecordBody, startMs: number, endMs: number): string {
  return JSON.stringify([data.leaseId, startMs, endMs, normalizeQuantity(data.gpuHours), data.source ?? null]);
}

function storedReadingFingerprint(reading: ReadingState): string {
  return JSON.stringify([reading.leaseId, reading.periodStartMs, reading.periodEndMs, normalizeQuantity(reading.recordedGpuHours), reading.source]);
}

function correctionFingerprint(data: { readingId: string; gpuHours: string }): string {
  return fingerprintJson({ readingId: data.readingId, gpuHours: normalizeQuantity(data.gpuHours) });
}

/** Parses GPU-hours: a non-negative decimal with at most 6 fractional digits, or a message why not. */
function parseGpuHours(value: string): Decimal | string {
  const gpuHours = parseDecimal(value);
  if (gpuHours === null) return `gpuHours ${value} is not a decimal number`;
  if (gpuHours.isNegative()) return `gpuHours ${value} is negative`;
  if (gpuHours.decimalPlaces() > decimalFractionDigitsMax) return `gpuHours ${value} has more than ${decimalFractionDigitsMax} fractional digits`;
  return gpuHours;
}

/** The bound of a reading: GPU-hours at most those allocated to the lease over its period. */
function boundMessage(gpuHours: Decimal, context: UsageLeaseContext, leaseId: string, startMs: number, endMs: number, what: string): string | null {
  const allocatedMs = allocatedGpuMs(context.allocations, startMs, endMs);
  if (gpuHours.times(msPerHour).lte(allocatedMs)) return null;
  const allocatedHours = formatQuantity(shownQuantity(allocatedMs, msPerHour));
  return `${what} ${formatQuantity(gpuHours)} GPU-hours exceeds the ${allocatedHours} GPU-hours allocated to lease ${leaseId} over ${formatInterval(startMs, endMs)}`;
}

/** The first instant of the month after the one containing `ms`. */
function monthEndMs(ms: number): number {
  const date = new Date(ms);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
}

/**
 * Why one record is refused, or null when it is acceptable. Pure; no lookups beyond the
 * context. `startMs` and `endMs` are the record's instants, parsed once by the caller.
 */
function refusalOf(record: UsageRecordBody, context: UsageLeaseContext, startMs: number, endMs: number): string | null {
  const { lease } = context;
  if (lease === null) return `lease ${record.leaseId} does not exist`;
  if (startMs >= endMs) return `periodStart ${toInstant(startMs)} must be before periodEnd ${toInstant(endMs)}`;
  if (endMs > monthEndMs(startMs)) return `period ${formatInterval(startMs, endMs)} spans more than one service month`;
  if (startMs < lease.startsAtMs || endMs > lease.endsAtMs) {
    const note = lease.termination === null ? '' : `; the lease was terminated at ${toInstant(lease.termination.effectiveAtMs)}`;
    return `period ${formatInterval(startMs, endMs)} is not inside lease ${lease.leaseId}'s term ${formatInterval(lease.startsAtMs, lease.endsAtMs)}${note}`;
  }
  if (withinBoundExactly(record.gpuHours, context, startMs, endMs)) return null;
  const gpuHours = parseGpuHours(record.gpuHours);
  if (typeof gpuHours === 'string') return gpuHours;
  return boundMessage(gpuHours, context, lease.leaseId, startMs, endMs, 'gpuHours');
}

/**
 * The common case of the bound, in safe integers and without a Decimal: a short plain decimal
 * of GPU-hours (at most 6 fractional digits, no leading zero) against the GPU-milliseconds
 * allocated, as gpuHours x 3,600,000 <= allocatedMs, that is micros x 36 <= allocatedMs x 10.
 * False means "not decided here": the exact Decimal path answers, with its message.
 */
function withinBoundExactly(gpuHours: string, context: UsageLeaseContext, startMs: number, endMs: number): boolean {
  if (gpuHours.length > 1 && gpuHours.charCodeAt(0) === 0x30 && gpuHours.charCodeAt(1) !== 0x2e) return false;
  const micros = shortMicros(gpuHours);
  if (micros === null || !Number.isSafeInteger(micros * 36)) return false;
  const allocatedMs = allocatedGpuMsIfSafe(context.allocations, startMs, endMs);
  return allocatedMs !== null && Number.isSafeInteger(allocatedMs * 10) && micros * 36 <= allocatedMs * 10;
}

/**
 * The event of a new reading. Its keys are built in sorted order, so that the store writes its
 * canonical JSON with one `JSON.stringify` (canonical-json.ts) instead of sorting them.
 */
function usageRecordedEvent(record: UsageRecordBody): UsageRecordedEvent {
  const periodEnd = canonicalInstant(record.periodEnd);
  const periodStart = canonicalInstant(record.periodStart);
  const data: UsageRecordedEvent['data'] =
    record.source === undefined
      ? { gpuHours: record.gpuHours, leaseId: record.leaseId, periodEnd, periodStart, readingId: record.readingId }
      : { gpuHours: record.gpuHours, leaseId: record.leaseId, periodEnd, periodStart, readingId: record.readingId, source: record.source };
  return { type: 'UsageRecorded', data };
}

/** The usage streams a batch touches, by lease id, with what each record is checked against. */
export interface UsageBatchLease {
  context: UsageLeaseContext;
  usage: UsageState;
}

export interface UsageBatchDecision {
  /** New readings per lease, in batch order. */
  eventsByLease: Map<string, UsageRecordedEvent[]>;
  accepted: number;
  duplicates: number;
}

/**
 * Decides a whole batch: every record is checked, and if any is refused the batch is refused
 * with the list of refused records and nothing is recorded. A reading already recorded with the
 * same content is a duplicate (no event); with other content it is refused. The same reading twice
 * in one batch counts once. The work is proportional to the batch, never to the readings already
 * recorded: each check is a map lookup.
 */
export function decideUsageBatch(
  records: readonly UsageRecordBody[],
  leaseOf: (leaseId: string) => UsageBatchLease,
  firstIndex = 0,
): UsageBatchDecision {
  const eventsByLease = new Map<string, UsageRecordedEvent[]>();
  const recordErrors: RecordError[] = [];
  const seenInBatch = new Map<string, { index: number; fingerprint: string; refused: RecordError['kind'] | null }>();
  let accepted = 0;
  let duplicates = 0;
  records.forEach((record, offset) => {
    const index = firstIndex + offset;
    const refuse = (message: string, kind: RecordError['kind']): void => {
      recordErrors.push({ index, readingId: record.readingId, message, kind });
    };
    const startMs = toMs(record.periodStart);
    const endMs = toMs(record.periodEnd);
    const fingerprint = fingerprintOf(record, startMs, endMs);
    const earlier = seenInBatch.get(record.readingId);
    if (earlier !== undefined) {
      if (earlier.fingerprint !== fingerprint) {
        refuse(`reading ${record.readingId} appears twice in the batch with different content (records ${earlier.index} and ${index})`, 'conflict');
      } else if (earlier.refused !== null) {
        refuse(`reading ${record.readingId} repeats record ${earlier.index}, which is refused`, earlier.refused);
      } else {
        duplicates += 1;
      }
      return;
    }
    const { context, usage } = leaseOf(record.leaseId);
    const stored = usage.readings.get(record.readingId);
    let refusal: { message: string; kind: RecordError['kind'] } | null;
    if (stored !== undefined) {
      refusal = storedReadingFingerprint(stored) === fingerprint ? null : { message: `reading ${record.readingId} is already recorded with other content`, kind: 'conflict' };
    } else {
      const rule = refusalOf(record, context, startMs, endMs);
      refusal = rule === null ? null : { message: rule, kind: 'rule' };
    }
    seenInBatch.set(record.readingId, { index, fingerprint, refused: refusal?.kind ?? null });
    if (refusal !== null) return refuse(refusal.message, refusal.kind);
    if (stored !== undefined) {
      duplicates += 1;
      return;
    }
    let events = eventsByLease.get(record.leaseId);
    if (events === undefined) {
      events = [];
      eventsByLease.set(record.leaseId, events);
    }
    events.push(usageRecordedEvent(record));
    accepted += 1;
  });
  if (recordErrors.length > 0) throw new UsageBatchRefusedError(recordErrors);
  return { eventsByLease, accepted, duplicates };
}

export function decideMetering(command: MeteringCommand, state: UsageState): MeteringEvent[] {
  switch (command.type) {
    case 'RecordUsage':
      return recordUsage(command, state);
    case 'CorrectUsage':
      return correctUsage(command, state);
    default:
      return unreachable(command, 'metering command');
  }
}

function recordUsage(command: RecordUsage, state: UsageState): MeteringEvent[] {
  const { leaseId, records, firstIndex } = command.data;
  const foreign = records.findIndex((record) => record.leaseId !== leaseId);
  assert(foreign < 0, `every record of a usage stream's batch names its lease ${leaseId}`);
  const decision = decideUsageBatch(records, () => ({ context: command.context, usage: state }), firstIndex ?? 0);
  return decision.eventsByLease.get(leaseId) ?? [];
}

function correctUsage(command: CorrectUsage, state: UsageState): MeteringEvent[] {
  const { data, context } = command;
  const existing = state.corrections.get(data.correctionId);
  if (existing !== undefined) {
    if (existing.fingerprint === correctionFingerprint(data)) return [];
    throw new ConflictError(`correction ${data.correctionId} is already recorded with other content`);
  }
  const reading = state.readings.get(data.readingId);
  if (reading === undefined) throw new NotFoundError(`reading ${data.readingId} does not exist`);
  const gpuHours = parseGpuHours(data.gpuHours);
  if (typeof gpuHours === 'string') throw new ValidationError(gpuHours, [{ path: 'gpuHours', message: gpuHours }]);
  const refusal = boundMessage(gpuHours, context, reading.leaseId, reading.periodStartMs, reading.periodEndMs, `correction of reading ${reading.readingId} to`);
  if (refusal !== null) throw new RuleViolationError(refusal);
  return [{ type: 'UsageCorrected', data: { correctionId: data.correctionId, readingId: reading.readingId, leaseId: reading.leaseId, gpuHours: data.gpuHours } }];
}

/**
 * Folds a usage event into the state in place: a usage stream holds many thousands of readings,
 * and copying its maps for each event would make a replay quadratic. The state belongs to the
 * fold that built it.
 */
export function evolveMetering(state: UsageState, event: MeteringEvent): UsageState {
  switch (event.type) {
    case 'UsageRecorded': {
      const { data } = event;
      assert(!state.readings.has(data.readingId), `reading ${data.readingId} is recorded once`);
      state.readings.set(data.readingId, {
        readingId: data.readingId,
        leaseId: data.leaseId,
        periodStartMs: toMs(data.periodStart),
        periodEndMs: toMs(data.periodEnd),
        gpuHours: data.gpuHours,
        recordedGpuHours: data.gpuHours,
        source: data.source ?? null,
      });
      return state;
    }
    case 'UsageCorrected': {
      const { data } = event;
      const reading = state.readings.get(data.readingId);
      assert(reading !== undefined, `correction ${data.correctionId} follows its reading ${data.readingId}`);
      reading.gpuHours = data.gpuHours;
      state.corrections.set(data.correctionId, {
        correctionId: data.correctionId,
        readingId: data.readingId,
        gpuHours: data.gpuHours,
        fingerprint: correctionFingerprint(data),
      });
      return state;
    }
    default:
      return unreachable(event, 'metering event');
  }
}

export const meteringDecider: Decider<UsageState, MeteringCommand, MeteringEvent> = {
  decide: decideMetering,
  evolve: evolveMetering,
  initialState: initialUsageState,
};
