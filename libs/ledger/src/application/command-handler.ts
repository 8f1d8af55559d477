import { ZodError } from 'zod';
import { ConflictError, ValidationError } from '../domain/errors.js';
import type { ContractEvent } from '../domain/streams.js';
import { ConcurrencyError, DuplicateEventIdError } from '../store/errors.js';
import type { EventStore } from '../store/event-store.js';
import { toStreamWrite, type CommandContext } from './event-codec.js';
import { commandAttemptsMax } from './limits.js';
import type { StreamStateCache } from './stream-cache.js';

/**
 * The one path of every command: load the stream it decides on (folded, cached, and caught up
 * with what was appended since), decide with the pure domain, append at the revision the
 * decision was made on, and when another writer got there first, load again and decide again,
 * as the retry policy says.
 */

/** `created` when the request recorded something (the API answers 201), `unchanged` for a repeat (200). */
export type CommandOutcome = 'created' | 'unchanged';

/**
 * When a command is decided again: its stream moved between its load and its append
 * (ConcurrencyError), at most `attemptsMax` times in all. In a stream whose event ids are all
 * its own (`takenIdIsRace`, billing), an id the store finds taken with other content also means
 * the stream moved: a racing writer recorded the same run, payment or credit note with other
 * details, and deciding again on the caught-up state answers it properly.
 */
export const commandRetryPolicy = {
  attemptsMax: commandAttemptsMax,
  lostRace(error: unknown, takenIdIsRace: boolean): boolean {
    return error instanceof ConcurrencyError || (takenIdIsRace && error instanceof DuplicateEventIdError);
  },
} as const;

export interface AttemptOptions {
  /** Turns a store error into the domain error this command answers it with, or null. */
  translate?: (error: unknown) => Error | null;
  takenIdIsRace?: boolean;
}

export class CommandHandler {
  constructor(readonly store: EventStore) {}

  /**
   * Load -> decide -> append on one stream. `decide` runs right after the load, on the state as
   * loaded; it may load what else the decision reads first (those loads are retried with it).
   */
  async execute<State, Event extends ContractEvent>(
    cache: StreamStateCache<State, Event>,
    streamId: string,
    context: CommandContext,
    decide: (state: State) => readonly Event[] | Promise<readonly Event[]>,
    options: AttemptOptions = {},
  ): Promise<CommandOutcome> {
    return this.attempt(async () => {
      const entry = await cache.load(streamId);
      // The entry is live: its revision is read before anything else may await.
      const revision = entry.revision;
      const events = await decide(entry.state);
      return this.append(cache, streamId, revision, events, context);
    }, options);
  }

  /**
   * Appends the events decided at `revision` (nothing for none) and folds them into the cache.
   * The outcome is `unchanged` when the store finds the very same events already recorded: the
   * same request, sent to another process or instance at the same moment, recorded them between
   * this one's load and its append, and it is that request that created them.
   */
  async append<State, Event extends ContractEvent>(
    cache: StreamStateCache<State, Event>,
    streamId: string,
    revision: number,
    events: readonly Event[],
    context: CommandContext,
  ): Promise<CommandOutcome> {
    if (events.length === 0) return 'unchanged';
    const write = toStreamWrite(streamId, revision, events, context);
    const result = await this.store.append(write.streamId, write.events, write.expectedRevision);
    cache.appended(streamId, revision, events, result.nextRevision);
    return result.written ? 'created' : 'unchanged';
  }

  /**
   * Runs one attempt of a command and runs it again, as `commandRetryPolicy` says, when it lost a
   * race. Store errors that are the client's doing become domain errors: an event id already
   * used with other content is an id reused for something else.
   */
  async attempt<T>(run: () => Promise<T>, options: AttemptOptions = {}): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await run();
      } catch (error) {
        if (commandRetryPolicy.lostRace(error, options.takenIdIsRace === true) && attempt < commandRetryPolicy.attemptsMax) continue;
        throw translateError(error, options.translate);
      }
    }
  }
}

function translateError(error: unknown, translate?: (error: unknown) => Error | null): unknown {
  const translated = translate?.(error) ?? null;
  if (translated !== null) return translated;
  if (error instanceof ConcurrencyError) {
    return new ConflictError(`stream ${error.streamId} kept changing while this request was decided ${commandRetryPolicy.attemptsMax} times; send it again`);
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
