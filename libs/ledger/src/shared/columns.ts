/**
 * Append-only columns of numbers in typed arrays that double as they fill. The model keeps
 * several values per reading; in a JS array of objects or of bigints each would cost a heap
 * object and a pointer, here each costs its width in bytes (about 1.5 times that on average,
 * from the doubling). Values are read by index; `view()` is a typed array over the filled part.
 */

interface ColumnArray<V> {
  readonly length: number;
  [index: number]: V;
  subarray(begin: number, end: number): this;
}

class Column<V extends number | bigint, A extends ColumnArray<V>> {
  private data: A;
  private filled = 0;

  constructor(
    private readonly allocate: (capacity: number) => A,
    private readonly copy: (into: A, from: A) => void,
    initialCapacity = 4,
  ) {
    this.data = allocate(initialCapacity);
  }

  get length(): number {
    return this.filled;
  }

  push(value: V): void {
    if (this.filled === this.data.length) {
      const grown = this.allocate(this.data.length * 2);
      this.copy(grown, this.data);
      this.data = grown;
    }
    this.data[this.filled] = value;
    this.filled += 1;
  }

  /** The value at `index`, which must be below `length`. */
  at(index: number): V {
    if (index < 0 || index >= this.filled) throw new RangeError(`index ${index} outside a column of ${this.filled}`);
    return this.data[index]!;
  }

  set(index: number, value: V): void {
    if (index < 0 || index >= this.filled) throw new RangeError(`index ${index} outside a column of ${this.filled}`);
    this.data[index] = value;
  }

  last(): V | undefined {
    return this.filled === 0 ? undefined : this.data[this.filled - 1];
  }

  /** The filled values, sharing the column's memory: valid until the next push. */
  view(): A {
    return this.data.subarray(0, this.filled);
  }
}

/** Float64: exact for integers up to 2^53, such as log positions. */
export class NumberColumn extends Column<number, Float64Array> {
  constructor(initialCapacity?: number) {
    super((capacity) => new Float64Array(capacity), (into, from) => into.set(from), initialCapacity);
  }

  static of(values: readonly number[]): NumberColumn {
    const column = new NumberColumn(Math.max(4, values.length));
    for (const value of values) column.push(value);
    return column;
  }
}

/** Int32: indexes into other columns. */
export class IndexColumn extends Column<number, Int32Array> {
  constructor(initialCapacity?: number) {
    super((capacity) => new Int32Array(capacity), (into, from) => into.set(from), initialCapacity);
  }

  override push(value: number): void {
    if (!Number.isInteger(value) || value < 0 || value > 0x7fffffff) throw new RangeError(`${value} is not an index an Int32 column holds`);
    super.push(value);
  }

  static of(values: readonly number[]): IndexColumn {
    const column = new IndexColumn(Math.max(4, values.length));
    for (const value of values) column.push(value);
    return column;
  }
}

const int64Min = -(2n ** 63n);
const int64Max = 2n ** 63n - 1n;

/** Signed 64-bit integers, exact; a value outside that range is refused, never wrapped. */
export class BigIntColumn extends Column<bigint, BigInt64Array> {
  constructor(initialCapacity?: number) {
    super((capacity) => new BigInt64Array(capacity), (into, from) => into.set(from), initialCapacity);
  }

  override push(value: bigint): void {
    super.push(checkedInt64(value));
  }

  override set(index: number, value: bigint): void {
    super.set(index, checkedInt64(value));
  }

  static of(values: readonly bigint[]): BigIntColumn {
    const column = new BigIntColumn(Math.max(4, values.length));
    for (const value of values) column.push(value);
    return column;
  }
}

function checkedInt64(value: bigint): bigint {
  if (value < int64Min || value > int64Max) throw new RangeError(`${value} does not fit a signed 64-bit column`);
  return value;
}
