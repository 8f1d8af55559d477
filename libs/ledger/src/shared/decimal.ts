import { Decimal as DecimalJs } from 'decimal.js';
import { assert } from './assert.js';

/**
 * The one decimal type of the ledger. Money, rates and GPU-hours are exact decimals built from
 * strings; nothing money-related is ever a JS number. The precision (significant digits) covers
 * the largest product the ledger forms (GPU count x hours x rate with 6 fractional digits each)
 * with room to spare, so every intermediate result is exact.
 */
export const decimalPrecisionDigits = 60;

export const Decimal = DecimalJs.clone({
  precision: decimalPrecisionDigits,
  rounding: DecimalJs.ROUND_HALF_UP,
  toExpNeg: -40,
  toExpPos: 40,
});
export type Decimal = InstanceType<typeof Decimal>;

export const ZERO = new Decimal(0);

/** Builds a decimal from its string form (the only way money enters arithmetic). */
export function dec(value: string | Decimal): Decimal {
  return value instanceof Decimal ? value : new Decimal(value);
}

/**
 * Rounds an exact amount once, half up, to the currency's minor digits, as DOMAIN.md requires at
 * the level of a charge.
 */
export function roundMoney(amount: Decimal, minorDigits: number): Decimal {
  return amount.toDecimalPlaces(minorDigits, Decimal.ROUND_HALF_UP);
}

/**
 * `numerator / denominator`, rounded once, half up (away from zero at the half), to `digits`
 * fractional digits. Exact: the quotient is never formed at limited precision, so a span of
 * 20 minutes x 3 GPUs x 2.10 is 2.10 exactly and 0.005 still rounds up. The numerator is an
 * exact decimal (GPU-milliseconds x rate); the denominator a positive integer (3,600,000).
 */
export function roundQuotient(numerator: Decimal, denominator: Decimal | number, digits: number): Decimal {
  const divisor = new Decimal(denominator);
  assert(divisor.isInteger() && divisor.greaterThan(0), `divisor ${divisor.toString()} is not a positive integer`);
  // The scaled numerator must stay inside the precision, or its product would be cut.
  assert(numerator.precision(true) + digits < decimalPrecisionDigits, `${numerator.toString()} is too large to divide exactly`);
  const scale = new Decimal(10).pow(digits);
  const scaled = numerator.abs().times(scale);
  const whole = scaled.dividedToIntegerBy(divisor);
  const remainder = scaled.minus(whole.times(divisor));
  const rounded = remainder.times(2).greaterThanOrEqualTo(divisor) ? whole.plus(1) : whole;
  const result = rounded.dividedBy(scale);
  return numerator.isNegative() ? result.negated() : result;
}

/** Fractional digits of a GPU-hour quantity shown to people (invoice lines, usage reports). */
export const quantityDigits = 6;

/** A quantity shown to people: exact `numerator / denominator`, half up to 6 fractional digits. */
export function shownQuantity(numerator: Decimal, denominator: Decimal | number): Decimal {
  return roundQuotient(numerator, denominator, quantityDigits);
}

/** A money amount as it travels: exactly the currency's minor digits (`"1058400.00"`). */
export function formatMoney(amount: Decimal, minorDigits: number): string {
  const fixed = amount.toFixed(minorDigits, Decimal.ROUND_HALF_UP);
  // Decimal keeps the sign of zero: -0.00 is still zero to a reader.
  return /^-0(\.0+)?$/.test(fixed) ? fixed.slice(1) : fixed;
}

/** A quantity (GPU-hours, rate) without trailing zeros: `"529200"`, `"1.5"`. */
export function formatQuantity(value: Decimal): string {
  const text = value.toFixed();
  return text === '-0' ? '0' : text;
}

/** Sums decimals exactly. */
export function sum(values: Iterable<Decimal>): Decimal {
  let total = ZERO;
  for (const value of values) total = total.plus(value);
  return total;
}

/** Number of fractional digits a decimal string carries (`"2.10"` -> 2). */
export function fractionDigits(value: string): number {
  const dot = value.indexOf('.');
  return dot < 0 ? 0 : value.length - dot - 1;
}

/** Millionths: GPU-hours and rates carry at most 6 fractional digits, so micro-units are exact. */
export const microDigits = 6;
const microScale = 10n ** BigInt(microDigits);
/** Up to 9 whole digits and 6 fractional ones: at most 10^15 - 1 millionths, exact in a double. */
const shortDecimalPattern = /^[0-9]{1,9}(\.[0-9]{1,6})?$/;

/**
 * A non-negative or negative decimal string with at most 6 fractional digits as an exact count
 * of millionths (`"1050.5"` -> 1050500000n). Used where millions of quantities are summed (usage
 * totals): a bigint is exact like a Decimal and costs a fraction of its memory and time.
 */
export function toMicros(value: string): bigint {
  // Most quantities are short: their millionths fit a safe integer, and one BigInt is made.
  const short = shortMicros(value);
  if (short !== null) return BigInt(short);
  const negative = value.startsWith('-');
  const digits = negative ? value.slice(1) : value;
  const dot = digits.indexOf('.');
  const whole = dot < 0 ? digits : digits.slice(0, dot);
  const fraction = dot < 0 ? '' : digits.slice(dot + 1);
  if (fraction.length > microDigits) throw new RangeError(`${value} has more than ${microDigits} fractional digits`);
  const micros = BigInt(whole === '' ? '0' : whole) * microScale + BigInt(fraction.padEnd(microDigits, '0') || '0');
  return negative ? -micros : micros;
}

/**
 * The millionths of a short non-negative decimal (at most 9 whole and 6 fractional digits) as a
 * JS number, exact because it stays below 10^15; null for any other text, which the caller
 * handles with a Decimal. The hot path of ingest compares readings in these integers.
 */
export function shortMicros(value: string): number | null {
  if (!shortDecimalPattern.test(value)) return null;
  const dot = value.indexOf('.');
  if (dot < 0) return Number(value) * 1_000_000;
  return Number(value.slice(0, dot)) * 1_000_000 + Number(value.slice(dot + 1).padEnd(microDigits, '0'));
}

export function fromMicros(micros: bigint): Decimal {
  return new Decimal(micros.toString()).dividedBy(microScale.toString());
}
