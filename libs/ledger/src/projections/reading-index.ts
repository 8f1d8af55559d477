import { BigIntColumn, IndexColumn } from '../shared/columns.js';

/**
 * Every reading the model has folded, by id: the series it belongs to and its current value.
 * Readings get slots 0, 1, 2, ... in log order, so two models that folded the same log number
 * them alike. A JS Map holds at most 2^24 entries, fewer than a fleet's readings over a few
 * years, so the ids are spread over as many maps as they need; the values live in columns.
 */

/** Entries per map: below V8's limit of 2^24, with room to spare. */
export const readingMapEntriesMax = 8_000_000;

export class ReadingIndex {
  private readonly maps: Map<string, number>[] = [new Map()];
  private readonly ids: string[] = [];
  private readonly seriesIndexes = new IndexColumn();
  private readonly micros = new BigIntColumn();

  constructor(private readonly entriesPerMap = readingMapEntriesMax) {}

  get size(): number {
    return this.ids.length;
  }

  slotOf(readingId: string): number | undefined {
    // Newest map first: a correction mostly follows its reading closely.
    for (let index = this.maps.length - 1; index >= 0; index -= 1) {
      const slot = this.maps[index]!.get(readingId);
      if (slot !== undefined) return slot;
    }
    return undefined;
  }

  /** Adds a reading not in the index yet; returns its slot. A reading already there is an error. */
  add(readingId: string, seriesIndex: number, micros: bigint): number {
    let map = this.maps[this.maps.length - 1]!;
    if (map.size >= this.entriesPerMap) {
      map = new Map();
      this.maps.push(map);
    }
    const slot = this.ids.length;
    // One hash lookup, not two: a set that does not grow the map found the id already there.
    const sizeBefore = map.size;
    map.set(readingId, slot);
    if (map.size === sizeBefore || (this.maps.length > 1 && this.inEarlierMap(readingId))) {
      throw new Error(`reading ${readingId} is already in the index`);
    }
    this.ids.push(readingId);
    this.seriesIndexes.push(seriesIndex);
    this.micros.push(micros);
    return slot;
  }

  private inEarlierMap(readingId: string): boolean {
    for (let index = 0; index < this.maps.length - 1; index += 1) if (this.maps[index]!.has(readingId)) return true;
    return false;
  }

  idAt(slot: number): string {
    const id = this.ids[slot];
    if (id === undefined) throw new RangeError(`no reading at slot ${slot}`);
    return id;
  }

  seriesIndexAt(slot: number): number {
    return this.seriesIndexes.at(slot);
  }

  microsAt(slot: number): bigint {
    return this.micros.at(slot);
  }

  setMicros(slot: number, micros: bigint): void {
    this.micros.set(slot, micros);
  }
}
