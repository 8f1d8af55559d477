import type { EventStore } from '../store/event-store.js';
import { fromRecordedEvent } from './event-codec.js';
import { indexReadPageEventsMax } from './limits.js';

/**
 * Answers the lookups a request cannot answer from its own body: which lease a reading belongs
 * to (a correction names only the reading) and which site an allocation belongs to (a release
 * names only the allocation).
 *
 * The index is fed two ways. Events this process appends are added at once. Everything else
 * (events from before a restart, or from another process on the same store) is read from the log
 * when a lookup misses: the index catches up from the last position it read, page by page, and
 * asks again. A miss therefore costs one read of what was appended since the last miss, and an
 * id that really does not exist is answered as missing only after the index has seen the whole
 * log. The maps hold one entry per reading and allocation, about a hundred bytes each: a store
 * with hundreds of millions of readings would want a lookup by event id in the store instead.
 */
export class LookupIndex {
  private readonly leaseOfReading = new Map<string, string>();
  private readonly siteOfAllocation = new Map<string, string>();
  /** Position of the last log event read by a catch-up (-1: none yet). */
  private position = -1;
  private catchingUp: Promise<void> | null = null;

  constructor(private readonly store: EventStore) {}

  addReading(readingId: string, leaseId: string): void {
    this.leaseOfReading.set(readingId, leaseId);
  }

  addAllocation(allocationId: string, siteId: string): void {
    this.siteOfAllocation.set(allocationId, siteId);
  }

  async leaseOfReadingId(readingId: string): Promise<string | undefined> {
    const known = this.leaseOfReading.get(readingId);
    if (known !== undefined) return known;
    await this.catchUp();
    return this.leaseOfReading.get(readingId);
  }

  async siteOfAllocationId(allocationId: string): Promise<string | undefined> {
    const known = this.siteOfAllocation.get(allocationId);
    if (known !== undefined) return known;
    await this.catchUp();
    return this.siteOfAllocation.get(allocationId);
  }

  /** Reads the log from the last position read to its head; concurrent callers share one read. */
  catchUp(): Promise<void> {
    if (this.catchingUp === null) {
      this.catchingUp = this.readToHead().finally(() => {
        this.catchingUp = null;
      });
    }
    return this.catchingUp;
  }

  private async readToHead(): Promise<void> {
    for (;;) {
      const page = await this.store.readAll({ fromPosition: this.position + 1, limit: indexReadPageEventsMax });
      for (const recorded of page) {
        if (recorded.type === 'UsageRecorded' || recorded.type === 'CapacityAllocated') {
          const event = fromRecordedEvent(recorded);
          if (event.type === 'UsageRecorded') this.addReading(event.data.readingId, event.data.leaseId);
          else if (event.type === 'CapacityAllocated') this.addAllocation(event.data.allocationId, event.data.siteId);
        }
        this.position = recorded.position;
      }
      if (page.length < indexReadPageEventsMax) return;
    }
  }
}
