import { BigIntColumn, IndexColumn, NumberColumn } from '../shared/columns.js';

/**
 * Every reading the model has folded, by id: the series it belongs to and its current value.
 * Readings get slots 0, 1, 2, ... in log order, so two models that folded the same log number
 * them alike.
 *
 * A fleet meters tens of millions of readings, so nothing here is an object per reading: the
 * ids are UTF-8 bytes in a few large buffers (each behind a two-byte length), found through an
 * open-addressing hash table of slots, and the values are typed columns. A reading costs about
 * 40 bytes plus its id, all outside the garbage-collected heap. (A JS Map of string ids costs
 * about 60 bytes plus the id's string object, all on the heap, and stops at 2^24 entries.)
 * Reading ids are identifiers (ASCII, see the contracts), so their bytes read back as the same
 * string.
 */

/** Arena buffers double from this size up to the largest, so a small ledger stays small. */
const arenaFirstBytes = 1 << 16;
const arenaLargestBytes = 1 << 24;
/** A start is stored as buffer * arenaLargestBytes + offset, exact in a float64. */
const arenaBufferStride = arenaLargestBytes;
/** Grow the table when this share of it is taken: linear probing stays short below it. */
const tableLoadMax = 0.6;
const idBytesMax = 0xffff;

export class ReadingIndex {
  private readonly arena: Buffer[] = [];
  private arenaUsed = 0;
  /** Per slot: where the id's length and bytes start in the arena, its series, its value. */
  private readonly idStarts = new NumberColumn();
  private readonly seriesIndexes = new IndexColumn();
  private readonly micros = new BigIntColumn();
  /**
   * Two words a place: the id's hash, then slot + 1 (0: empty). A probe compares hashes in the
   * table itself, and reads an id back only when they match.
   */
  private table = new Uint32Array(2 * 1024);

  get size(): number {
    return this.idStarts.length;
  }

  slotOf(readingId: string): number | undefined {
    const place = this.placeOf(readingId, hashOf(readingId));
    const entry = this.table[place + 1]!;
    return entry === 0 ? undefined : entry - 1;
  }

  /** Makes room for `count` readings in all, so that adding them does not grow the table step by step. */
  reserve(count: number): void {
    let places = this.places;
    while (count > places * tableLoadMax) places *= 2;
    if (places > this.places) this.growTable(places);
  }

  private get places(): number {
    return this.table.length / 2;
  }

  /** Adds a reading not in the index yet; returns its slot. A reading already there is an error. */
  add(readingId: string, seriesIndex: number, micros: bigint): number {
    const hash = hashOf(readingId);
    const place = this.placeOf(readingId, hash);
    if (this.table[place + 1] !== 0) throw new Error(`reading ${readingId} is already in the index`);
    const slot = this.size;
    this.idStarts.push(this.storeId(readingId));
    this.seriesIndexes.push(seriesIndex);
    this.micros.push(micros);
    this.table[place] = hash;
    this.table[place + 1] = slot + 1;
    if (this.size > this.places * tableLoadMax) this.growTable(this.places * 2);
    return slot;
  }

  idAt(slot: number): string {
    const start = this.idStarts.at(slot);
    const buffer = this.arena[Math.floor(start / arenaBufferStride)]!;
    const offset = start % arenaBufferStride;
    const length = buffer.readUInt16LE(offset);
    return buffer.toString('utf8', offset + 2, offset + 2 + length);
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

  /** The table place (its first word) that holds this id, or the empty place where it would go. */
  private placeOf(readingId: string, hash: number): number {
    const { table } = this;
    const mask = table.length - 1;
    for (let place = (hash * 2) & mask; ; place = (place + 2) & mask) {
      const entry = table[place + 1]!;
      if (entry === 0) return place;
      if (table[place] === hash && this.idAt(entry - 1) === readingId) return place;
    }
  }

  private storeId(readingId: string): number {
    // Up to 3 bytes a UTF-16 unit, plus the length: enough room whatever the id holds.
    const room = 2 + readingId.length * 3;
    let buffer = this.arena[this.arena.length - 1];
    if (buffer === undefined || this.arenaUsed + room > buffer.length) {
      const size = buffer === undefined ? arenaFirstBytes : Math.min(arenaLargestBytes, buffer.length * 2);
      buffer = Buffer.allocUnsafeSlow(Math.max(size, room));
      this.arena.push(buffer);
      this.arenaUsed = 0;
    }
    const offset = this.arenaUsed;
    const length = writeUtf8(buffer, readingId, offset + 2);
    if (length > idBytesMax) throw new RangeError(`reading id of ${length} bytes: at most ${idBytesMax}`);
    buffer.writeUInt16LE(length, offset);
    this.arenaUsed = offset + 2 + length;
    return (this.arena.length - 1) * arenaBufferStride + offset;
  }

  /** Makes the table `places` large (a power of two) and puts every entry back: hashes are in the table, so no id is read again. */
  private growTable(places: number): void {
    const old = this.table;
    const table = new Uint32Array(places * 2);
    const mask = table.length - 1;
    for (let from = 0; from < old.length; from += 2) {
      const entry = old[from + 1]!;
      if (entry === 0) continue;
      const hash = old[from]!;
      let place = (hash * 2) & mask;
      while (table[place + 1] !== 0) place = (place + 2) & mask;
      table[place] = hash;
      table[place + 1] = entry;
    }
    this.table = table;
  }
}

/** Writes `text` as UTF-8 at `offset`; ids are ASCII, which a loop copies faster than a call into the runtime. */
function writeUtf8(buffer: Buffer, text: string, offset: number): number {
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (code >= 0x80) return buffer.write(text, offset, 'utf8');
    buffer[offset + index] = code;
  }
  return text.length;
}

/** FNV-1a over the id's UTF-16 code units: 32 bits, the same in every process. */
function hashOf(readingId: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < readingId.length; index += 1) {
    hash ^= readingId.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
