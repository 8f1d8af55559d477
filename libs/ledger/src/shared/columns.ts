/**
 * Append-only columns of numbers in typed arrays. The model keeps several values per reading;
 * in a JS array of objects or of bigints each would cost a heap object and a pointer, here each
 * costs its width in bytes.
 *
 * A column starts small and doubles up to one chunk of 65,536 values; past that it adds whole
 * chunks. So a short column wastes little, and a long one is never copied: growing never holds
 * the old and the new storage at once, which for a column of ten million values would be a
 * spike of a few hundred megabytes.
 */

const chunkShift = 16;
const chunkEntries = 1 << chunkShift;
const chunkMask = chunkEntries - 1;

interface ColumnArray<V> {
  readonly length: number;
  [index: number]: V;
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
