/**
 * Exact rationals on bigints for the reference model: a numerator and a positive denominator in
 * lowest terms. Deliberately small and plain; nothing here is shared with the ledger's decimals.
 */
export class Q {
  private constructor(
    readonly n: bigint,
    readonly d: bigint,
  ) {}

  static of(n: bigint, d: bigint = 1n): Q {
    if (d === 0n) throw new RangeError('division by zero');
    if (d < 0n) {
      n = -n;
      d = -d;
    }
    const g = gcd(n < 0n ? -n : n, d);
    return new Q(n / g, d / g);
  }

  static int(value: number | bigint): Q {
    return Q.of(BigInt(value));
  }

  /** A decimal string: `"2.10"`, `"-0.005"`, `"529200"`. */
  static dec(text: string): Q {
    const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
    if (match === null) throw new RangeError(`not a decimal: ${text}`);
    const fraction = match[3] ?? '';
    const n = BigInt(match[2]! + fraction) * (match[1] === '-' ? -1n : 1n);
    return Q.of(n, 10n ** BigInt(fraction.length));
  }

  add(other: Q): Q {
    return Q.of(this.n * other.d + other.n * this.d, this.d * other.d);
  }

  sub(other: Q): Q {
    return Q.of(this.n * other.d - other.n * this.d, this.d * other.d);
  }

  mul(other: Q): Q {
    return Q.of(this.n * other.n, this.d * other.d);
  }

  div(other: Q): Q {
    return Q.of(this.n * other.d, this.d * other.n);
  }

  neg(): Q {
    return Q.of(-this.n, this.d);
  }

  cmp(other: Q): number {
    const left = this.n * other.d;
    const right = other.n * this.d;
    return left < right ? -1 : left > right ? 1 : 0;
  }

  lt(other: Q): boolean {
    return this.cmp(other) < 0;
  }

  gt(other: Q): boolean {
    return this.cmp(other) > 0;
  }

  eq(other: Q): boolean {
    return this.cmp(other) === 0;
  }

  isZero(): boolean {
    return this.n === 0n;
  }

  sign(): number {
    return this.n < 0n ? -1 : this.n > 0n ? 1 : 0;
  }

  /** Half up (away from zero at the half) to `digits` fractional digits. */
  round(digits: number): Q {
    const scale = 10n ** BigInt(digits);
    const magnitude = (this.n < 0n ? -this.n : this.n) * scale;
    let whole = magnitude / this.d;
    if ((magnitude - whole * this.d) * 2n >= this.d) whole += 1n;
    return Q.of(this.n < 0n ? -whole : whole, scale);
  }

  /** Exactly `digits` fractional digits (the value must already have no more). */
  fixed(digits: number): string {
    const scale = 10n ** BigInt(digits);
    if ((this.n * scale) % this.d !== 0n) throw new RangeError(`${this.toString()} has more than ${digits} fractional digits`);
    const scaled = (this.n * scale) / this.d;
    const negative = scaled < 0n;
    const text = (negative ? -scaled : scaled).toString().padStart(digits + 1, '0');
    const body = digits === 0 ? text : `${text.slice(0, -digits)}.${text.slice(-digits)}`;
    return negative ? `-${body}` : body;
  }

  /** The shortest decimal form of a value with a terminating expansion (`"1.5"`, `"529200"`). */
  plain(): string {
    for (let digits = 0; digits <= 30; digits += 1) {
      const scale = 10n ** BigInt(digits);
      if ((this.n * scale) % this.d === 0n) return this.fixed(digits);
    }
    throw new RangeError(`${this.toString()} does not terminate`);
  }

  toString(): string {
    return this.d === 1n ? this.n.toString() : `${this.n}/${this.d}`;
  }
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a === 0n ? 1n : a;
}

export const ZERO = Q.int(0);

export function sumQ(values: Iterable<Q>): Q {
  let total = ZERO;
  for (const value of values) total = total.add(value);
  return total;
}

export function maxQ(a: Q, b: Q): Q {
  return a.gt(b) ? a : b;
}

export function minQ(a: Q, b: Q): Q {
  return a.lt(b) ? a : b;
}
