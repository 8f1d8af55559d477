import { canonicalJson, chainHash, genesisHash } from '@compute-ledger/ledger';
import type { RecordedEvent, VerifyAnchor, VerifyResult } from '@compute-ledger/ledger';
import { fromServerEvent } from './log-codec.js';
import type { LogRecord, StreamNames } from './log-codec.js';
import { recordsPerReadMax } from './reader.js';
import type { EsdbReader, Folded } from './reader.js';

type Failure = Extract<VerifyResult, { ok: false }>;

/** Where verification starts: after this position and hash, reading from this server revision. */
interface Start {
  position: number;
  hash: string;
  fromRevision: number;
}

/**
 * Recomputes the hash chain along the log stream from its first event (or from just after an
 * anchor kept elsewhere) and names the first event whose stored hash, position or recordedAt
 * does not hold. Records are read in server order and unpacked; a record that does not start
 * where the previous one ended, or that cannot be read as one, fails at the first position it
 * should have held. Data and metadata are hashed as the canonical JSON of what the server
 * answers, the same text the writer hashed, so an event changed on the server's disk no longer
 * matches its hash. Ledger streams are read from the same log (by the positions a fold of it
 * gives), so there is nothing else to check. The record that holds an anchor is found through
 * the writer's fold (`folded`).
 */
export async function verifyLog(reader: EsdbReader, names: StreamNames, folded: Folded, anchor?: VerifyAnchor): Promise<VerifyResult> {
  const start = anchor === undefined ? { position: -1, hash: genesisHash, fromRevision: 0 } : await checkAnchor(reader, folded, anchor);
  if ('ok' in start) return start;
  let previousPosition = start.position;
  let previousHash = start.hash;
  let previousRecordedAt = '';
  let eventsChecked = 0;
  for (let revision = start.fromRevision; ; revision += recordsPerReadMax) {
    const page = await reader.readRecordsResolved(revision, recordsPerReadMax);
    for (const resolved of page) {
      const expectedPosition = previousPosition + 1;
      let record: LogRecord;
      try {
        record = fromServerEvent(resolved, names.log);
      } catch (error) {
        return fail(expectedPosition, `the event cannot be read as a ledger event: ${error instanceof Error ? error.message : String(error)}`);
      }
      for (const event of record.events) {
        // The first record after an anchor may begin before it.
        if (eventsChecked === 0 && event.position <= start.position) continue;
        const failure = checkEvent(event, previousPosition + 1, previousHash, previousRecordedAt);
        if (failure) return failure;
        previousPosition = event.position;
        previousHash = event.hash;
        previousRecordedAt = event.recordedAt;
        eventsChecked += 1;
      }
    }
    if (page.length < recordsPerReadMax) break;
  }
  return { ok: true, eventsChecked, headPosition: previousPosition, headHash: previousHash };
}

async function checkAnchor(reader: EsdbReader, folded: Folded, anchor: VerifyAnchor): Promise<Start | Failure> {
  let revision: number | undefined;
  try {
    revision = await folded((state) => (anchor.position >= 0 && anchor.position <= state.headPosition ? state.recordOf(anchor.position) : undefined));
  } catch (error) {
    return fail(anchor.position, `the log cannot be folded to find the anchor: ${error instanceof Error ? error.message : String(error)}`);
  }
  const [record] = revision === undefined ? [] : await reader.readRecords(revision, 1);
  const event = record?.revision === revision ? record?.events.find((candidate) => candidate.position === anchor.position) : undefined;
  if (event !== undefined && event.hash === anchor.hash && revision !== undefined) return { position: anchor.position, hash: anchor.hash, fromRevision: revision };
  const reason = event === undefined ? 'the anchor event is missing' : `the anchor event has hash ${event.hash}, not ${anchor.hash}`;
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
