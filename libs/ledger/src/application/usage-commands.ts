import type { CorrectUsageBody, UsageBatchBody } from '@compute-ledger/contracts';
import { usageBatchRecordsMax } from '@compute-ledger/contracts';
import { NotFoundError, ValidationError } from '../domain/errors.js';
import { decideMetering } from '../domain/metering/usage.js';
import { leaseStream, siteStream, usageStream } from '../domain/streams.js';
import { assert } from '../shared/assert.js';
import type { AggregateStreams } from './aggregate-streams.js';
import type { CommandHandler, CommandOutcome } from './command-handler.js';
import { toStreamWrite, type CommandContext } from './event-codec.js';
import type { ModelRunner } from './model-runner.js';
import { refusedReading, UsageGroupCommit, usageContext } from './usage-group-commit.js';
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
  private readonly groups: UsageGroupCommit;

  constructor(
    private readonly handler: CommandHandler,
    private readonly streams: AggregateStreams,
    runner: ModelRunner,
    private readonly usage: UsageLookup,
  ) {
    this.groups = new UsageGroupCommit(handler, streams, runner, usage);
  }

  /**
   * Records a batch of readings, all or nothing. The batch's usage streams are written in one
   * `appendMany` transaction when the store offers it, together with the batches of other
   * requests sent at the same moment (usage-group-commit.ts), each decided and counted as if
   * recorded on its own. Without it they are written one lease at a time: a failure in between
   * leaves the first leases' readings recorded, and sending the batch again records the rest
   * (the recorded ones count as duplicates).
   *
   * An event id the store finds taken means another writer recorded some of the same readings
   * first: the batch is decided again, and they are duplicates (a reading recorded for another
   * lease is refused when the batch is decided).
   *
   * Records are as parsed by `UsageBatchBody` (the API and the command line parse them): the
   * events built from them are not parsed again.
   */
  async recordUsage(body: UsageBatchBody, context: CommandContext): Promise<UsageBatchResult> {
    const { records } = body;
    if (records.length === 0 || records.length > usageBatchRecordsMax) {
      throw new ValidationError(`a usage batch has 1 to ${usageBatchRecordsMax} records, not ${records.length}`, [
        { path: 'records', message: `must have 1 to ${usageBatchRecordsMax} records` },
      ]);
    }
    if (this.handler.store.appendMany !== undefined) return this.groups.record({ records, context });
    // Readings this request recorded in attempts that failed later.
    let writtenByEarlierAttempts = 0;
    const decision = await this.handler.attempt(async () => {
      const { batches, writes } = await this.groups.decide([{ records, context }]);
      const [batch] = batches;
      assert(batch !== undefined, 'one decision for one batch');
      if (batch.refused !== null) throw batch.refused;
      // A write the store finds already recorded was recorded by the same readings sent at the
      // same moment through another process: they are duplicates for this request.
      let writtenNow = 0;
      for (const write of writes) {
        const result = await this.handler.store.append(write.streamId, write.events, write.expectedRevision);
        if (!result.written) continue;
        writtenNow += write.events.length;
        writtenByEarlierAttempts += write.events.length;
      }
      writtenByEarlierAttempts -= writtenNow;
      return { batch, writtenNow };
    }, { takenIdIsRace: true, translate: (error) => refusedReading(error, records) });
    const accepted = decision.writtenNow + writtenByEarlierAttempts;
    const duplicates = decision.batch.duplicates + (decision.batch.accepted - decision.writtenNow) - writtenByEarlierAttempts;
    return { outcome: accepted > 0 ? 'created' : 'unchanged', accepted, duplicates };
  }

  async correctUsage(body: CorrectUsageBody, context: CommandContext): Promise<CorrectionResult> {
    await this.usage.catchUp();
    const leaseId = await this.usage.leaseOfReading(body.readingId);
    if (leaseId === undefined) throw new NotFoundError(`reading ${body.readingId} does not exist`);
    const streamId = usageStream(leaseId);
    const outcome = await this.handler.attempt(async () => {
      const leaseEntry = await this.streams.leases.load(leaseStream(leaseId));
      const lease = leaseEntry.state;
      const siteEntry = lease === null ? null : await this.streams.sites.load(siteStream(lease.siteId));
      await this.usage.catchUp();
      const snapshot = await this.usage.snapshot([body.readingId], [leaseId]);
      const usage = snapshot.stateOf(leaseId);
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
    const usage = (await this.usage.snapshot([body.readingId], [leaseId])).stateOf(leaseId);
    const correction = usage.corrections.get(body.correctionId);
    assert(correction !== undefined, `correction ${body.correctionId} exists once recorded`);
    return { outcome, correction: { correctionId: correction.correctionId, readingId: correction.readingId, leaseId, gpuHours: correction.gpuHours } };
  }
}
