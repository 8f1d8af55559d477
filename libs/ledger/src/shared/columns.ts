/**
 * Append-only columns of numbers in typed arrays. The model keeps several values per reading;
 * in a JS array of objects or of bigints each would cost a heap object and a pointer, here each
 * costs its width in bytes.
 *
 * A column starts small and doubles up to one chunk of 65,536 values; past that it adds whole
 * chunks. So a short column wastes little, and a long one is never copied: growing never holds
 * the old and the new storage at once, which for a column of ten million values would be a
 * spike of a few hundred megabytes. A column that stops growing (a month's usage once the next
 * month began) is trimmed to what it holds.
 */

const chunkShift = 16;
const chunkEntries = 1 << chunkShift;
const chunkMask = chunkEntries - 1;

interface ColumnArray<V> {
  readonly length: number;
  [index: number]: V;
  subarray(begin: number, end: number): ColumnArray<V>;
}

class Column<V extends number | bigint, A extends ColumnArray<V>> {
  /** Full chunks of `chunkEntries` values each, then the tail being filled. */
  private readonly chunks: A[] = [];
  private tail: A;
  private filled = 0;

  constructor(
    private readonly allocate: (capacity: number) => A,
    private readonly copy: (into: A, from: A) => void,
  ) {
    this.tail = allocate(4);
  }

  get length(): number {
    return this.filled;
  }

  push(value: V): void {
    const inTail = this.filled & chunkMask;
    if (inTail === 0 && this.filled > 0) {
      // The tail is a full chunk: keep it, and start the next one at full size.
      this.chunks.push(this.tail);
      this.tail = this.allocate(chunkEntries);
    } else if (inTail === this.tail.length) {
      const grown = this.allocate(Math.min(chunkEntries, this.tail.length * 2));
      this.copy(grown, this.tail);
      this.tail = grown;
    }
    this.tail[inTail] = value;
    this.filled += 1;
  }

  /** The value at `index`, which must be below `length`. */
  at(index: number): V {
    return this.chunkOf(index)[index & chunkMask]!;
  }

  set(index: number, value: V): void {
    this.chunkOf(index)[index & chunkMask] = value;
  }

  /** Gives back the room the tail holds beyond its values; a later push grows it again. */
  trim(): void {
    const inTail = this.filled & chunkMask;
    if (inTail === 0 || inTail === this.tail.length) return;
    const exact = this.allocate(inTail);
    this.copy(exact, this.tail.subarray(0, inTail) as A);
    this.tail = exact;
  }

  toArray(): V[] {
    const values = new Array<V>(this.filled);
    for (let index = 0; index < this.filled; index += 1) values[index] = this.at(index);
    return values;
  }

  private chunkOf(index: number): A {
    if (!(index >= 0 && index < this.filled)) throw new RangeError(`index ${index} outside a column of ${this.filled}`);
    const chunk = index >>> chunkShift;
    return chunk < this.chunks.length ? this.chunks[chunk]! : this.tail;
  }
}

/** Float64: exact for integers up to 2^53, such as log positions. */
export class NumberColumn extends Column<number, Float64Array> {
  constructor() {
    super((capacity) => new Float64Array(capacity), (into, from) => into.set(from));
  }
}

class Uint32Column extends Column<number, Uint32Array> {
  constructor() {
    super((capacity) => new Uint32Array(capacity), (into, from) => into.set(from));
  }
}

const uint32Max = 0xffffffff;

/**
 * Log positions: 4 bytes each while they are below 2^32 (a log of four billion events), then
 * 8: the first position beyond widens the column once, copying what it holds.
 */
export class PositionColumn {
  private narrow: Uint32Column | null = new Uint32Column();
  private wide: NumberColumn | null = null;

  get length(): number {
    return this.narrow?.length ?? this.wide!.length;
  }

  push(position: number): void {
    if (this.narrow !== null) {
      if (Number.isInteger(position) && position >= 0 && position <= uint32Max) return this.narrow.push(position);
      this.widen();
    }
    this.wide!.push(position);
  }

  at(index: number): number {
    return this.narrow !== null ? this.narrow.at(index) : this.wide!.at(index);
  }

  trim(): void {
    (this.narrow ?? this.wide!).trim();
  }

  toArray(): number[] {
    return (this.narrow ?? this.wide!).toArray();
  }

  private widen(): void {
    const wide = new NumberColumn();
    const narrow = this.narrow!;
    for (let index = 0; index < narrow.length; index += 1) wide.push(narrow.at(index));
    this.wide = wide;
    this.narrow = null;
  }
}

const int64Min = -(2n ** 63n);
const int64Max = 2n ** 63n - 1n;

/** Signed 64-bit integers, exact; a value outside that range is refused, never wrapped. */
export class BigIntColumn extends Column<bigint, BigInt64Array> {
  constructor() {
    super((capacity) => new BigInt64Array(capacity), (into, from) => into.set(from));
  }

  override push(value: bigint): void {
    super.push(checkedInt64(value));
  }

  override set(index: number, value: bigint): void {
    super.set(index, checkedInt64(value));
  }
}

function checkedInt64(value: bigint): bigint {
  if (value < int64Min || value > int64Max) throw new RangeError(`${value} does not fit a signed 64-bit column`);
  return value;
}

/** Index of the last value of an ascending column that is <= `bound`, or -1. */
export function lastIndexAtOrBefore(values: { readonly length: number; at(index: number): number }, bound: number): number {
  let low = 0;
  let high = values.length - 1;
  let found = -1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    if (values.at(middle)! <= bound) {
      found = middle;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return found;
}
