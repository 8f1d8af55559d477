import { canonicalJson, chainHash, genesisHash, readPageEventsMax } from '@compute-ledger/ledger';
import type { RecordedEvent, VerifyAnchor, VerifyResult } from '@compute-ledger/ledger';
import { fromLogEvent } from './log-codec.js';
import type { StreamNames } from './log-codec.js';
import type { EsdbReader } from './reader.js';

type Failure = Extract<VerifyResult, { ok: false }>;

/**
 * Recomputes the hash chain along the log stream from its first event (or from just after an
 * anchor kept elsewhere) and names the first event whose stored hash, position or recordedAt
 * does not hold. Data and metadata are hashed as the canonical JSON of what the server
 * answers, the same text the writer hashed, so an event changed on the server's disk no longer
 * matches its hash. Ledger streams are read from the same log (by the positions a fold of it
 * gives), so there is nothing else to check.
 */
export async function verifyLog(reader: EsdbReader, names: StreamNames, anchor?: VerifyAnchor): Promise<VerifyResult> {
  const start = anchor === undefined ? { position: -1, hash: genesisHash } : await checkAnchor(reader, anchor);
  if ('ok' in start) return start;
  let previousPosition = start.position;
  let previousHash = start.hash;
  let previousRecordedAt = '';
  let eventsChecked = 0;
  for (;;) {
    const page = await reader.readLogResolved(previousPosition + 1, readPageEventsMax);
    for (const resolved of page) {
      const expectedPosition = previousPosition + 1;
      let event: RecordedEvent;
      let failure: Failure | undefined;
      try {
        event = fromLogEvent(resolved, names.log).event;
        failure = checkEvent(event, expectedPosition, previousHash, previousRecordedAt);
      } catch (error) {
        return fail(expectedPosition, `the event cannot be read as a ledger event: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (failure) return failure;
      previousPosition = event.position;
      previousHash = event.hash;
      previousRecordedAt = event.recordedAt;
    }
    eventsChecked += page.length;
    if (page.length < readPageEventsMax) break;
  }
  return { ok: true, eventsChecked, headPosition: previousPosition, headHash: previousHash };
}

async function checkAnchor(reader: EsdbReader, anchor: VerifyAnchor): Promise<VerifyAnchor | Failure> {
  const [event] = await reader.readLog(anchor.position, 1);
  if (event?.event.position === anchor.position && event.event.hash === anchor.hash) return anchor;
  const reason = event === undefined ? 'the anchor event is missing' : `the anchor event has hash ${event.event.hash}, not ${anchor.hash}`;
  return fail(anchor.position, reason);
}

function checkEvent(event: RecordedEvent, expectedPosition: number, previousHash: string, previousRecordedAt: string): Failure | undefined {
  const { position, streamId, revision, eventId, type, schemaVersion, data, metadata, recordedAt } = event;
  if (position !== expectedPosition) return fail(expectedPosition, `position ${expectedPosition} is missing (the next event is at ${position})`);
  const hash = chainHash(previousHash, { position, streamId, revision, eventId, type, schemaVersion, dataJson: canonicalJson(data), metadataJson: canonicalJson(metadata), recordedAt });
  if (hash !== event.hash) return fail(position, 'the stored hash does not match the event and the hash before it');
  if (recordedAt < previousRecordedAt) return fail(position, `recordedAt ${recordedAt} is before the previous event's ${previousRecordedAt}`);
  return undefined;
}

function fail(position: number, reason: string): Failure {
  return { ok: false, firstInvalidPosition: position, reason };
}
