import type { EventStore, VerifyResult } from './event-store.js';

/**
 * A head someone wrote down (a position and the hash the log held there): an auditor's note,
 * a period's seal. The chain check alone cannot see a log cut at its end, since what is left
 * still chains; a pinned head can, because the log must still hold it, with the same hash.
 */
export interface PinnedHead {
  position: number;
  hash: string;
}

/** `<position>:<hash>`: a log position and the 64 hex digits of its sha256. */
export const pinnedHeadPattern = /^(0|[1-9][0-9]{0,14}):([0-9a-f]{64})$/;
export const pinnedHeadFormat = '<position>:<64 hex digits of the hash> (120:9f86d0...)';

export function parsePinnedHead(text: string): PinnedHead | null {
  const match = pinnedHeadPattern.exec(text);
  return match === null ? null : { position: Number(match[1]), hash: match[2]! };
}

/**
 * The hash chain from the first event, then each pinned head: the result of the first that
 * fails, the chain's own result when all hold.
 */
export async function verifyLog(store: EventStore, heads: readonly PinnedHead[] = []): Promise<VerifyResult> {
  const chain = await store.verify();
  if (!chain.ok) return chain;
  for (const head of [...heads].sort((a, b) => a.position - b.position)) {
    if (head.position > chain.headPosition) {
      return { ok: false, firstInvalidPosition: chain.headPosition + 1, reason: `the log ends at position ${chain.headPosition} but a pinned head is at position ${head.position}: events were removed from its end` };
    }
    const [event] = await store.readAll({ fromPosition: head.position, limit: 1 });
    if (event === undefined || event.position !== head.position) {
      return { ok: false, firstInvalidPosition: head.position, reason: `the pinned head at position ${head.position} is no longer in the log` };
    }
    if (event.hash !== head.hash) {
      return { ok: false, firstInvalidPosition: head.position, reason: `the event at position ${head.position} has hash ${event.hash}, not the pinned ${head.hash}: the history up to it was rewritten` };
    }
  }
  return chain;
}
