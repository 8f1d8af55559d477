/**
 * Instants are handled as epoch milliseconds (integers, exact) inside the ledger and written
 * as ISO-8601 UTC. Durations stay integer milliseconds: an amount is `gpuCount x ms x rate`,
 * divided by `msPerHour` once, when it is rounded (20 minutes is 1/3 hour, never 0.3333).
 */

export const msPerHour = 3_600_000;
export const msPerDay = 86_400_000;

/** A service month (`YYYY-MM`) as the half-open interval [startMs, endMs). */
export interface MonthInterval {
  month: string;
  startMs: number;
  endMs: number;
}

export function toMs(instant: string): number {
  return Date.parse(instant);
}

/** ISO-8601 UTC of an epoch instant; whole seconds are written without milliseconds. */
export function toInstant(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, 19)}Z` : iso;
}

/** Milliseconds of overlap between two half-open intervals. */
export function overlapMs(aStartMs: number, aEndMs: number, bStartMs: number, bEndMs: number): number {
  return Math.max(0, Math.min(aEndMs, bEndMs) - Math.max(aStartMs, bStartMs));
}

/** The month (`YYYY-MM`) of an epoch instant, in UTC (as `toISOString` writes it, without formatting the whole instant). */
export function monthOf(ms: number): string {
  const date = new Date(ms);
  const year = date.getUTCFullYear();
  if (!(year >= 1000 && year <= 9999)) return date.toISOString().slice(0, 7);
  const month = date.getUTCMonth() + 1;
  return `${year}-${month < 10 ? '0' : ''}${month}`;
}

/**
 * The month of an instant as the ledger records it (canonical ISO-8601 UTC, see `toInstant`):
 * its first seven characters, without a round trip through a Date (this runs for every reading).
 */
export function monthOfInstant(instant: string): string {
  return instant.slice(0, 7);
}

/**
 * Intervals of the months asked about, made once: reports ask for the same few months for every
 * lease. Bounded, as months come from requests too; the entries are frozen, being shared.
 */
const monthIntervals = new Map<string, Readonly<MonthInterval>>();
const monthIntervalsMax = 4_096;

export function monthInterval(month: string): Readonly<MonthInterval> {
  let interval = monthIntervals.get(month);
  if (interval === undefined) {
    const year = Number(month.slice(0, 4));
    const monthIndex = Number(month.slice(5, 7)) - 1;
    interval = Object.freeze({ month, startMs: Date.UTC(year, monthIndex, 1), endMs: Date.UTC(year, monthIndex + 1, 1) });
    if (monthIntervals.size >= monthIntervalsMax) monthIntervals.clear();
    monthIntervals.set(month, interval);
  }
  return interval;
}

export function monthContaining(ms: number): MonthInterval {
  return monthInterval(monthOf(ms));
}

export function nextMonth(month: string): string {
  return monthOf(monthInterval(month).endMs);
}

export function previousMonth(month: string): string {
  return monthOf(monthInterval(month).startMs - 1);
}

/**
 * Months overlapping [startMs, endMs), in order. The list is as long as the interval: callers
 * bound `endMs` by the instant they are asked about, never only by a lease's end.
 */
export function monthsBetween(startMs: number, endMs: number): string[] {
  const months: string[] = [];
  if (endMs <= startMs) return months;
  for (let month = monthOf(startMs); monthInterval(month).startMs < endMs; month = nextMonth(month)) months.push(month);
  return months;
}

export function isFirstInstantOfMonth(ms: number): boolean {
  return monthContaining(ms).startMs === ms;
}

/** The same instant `years` calendar years later (29 February goes to 1 March when the year has none). */
export function addYears(ms: number, years: number): number {
  const date = new Date(ms);
  date.setUTCFullYear(date.getUTCFullYear() + years);
  return date.getTime();
}

/**
 * The same day and time `months` calendar months later, clamped to the last day of the target
 * month: 31 January plus 1 month is 28 (or 29) February, 29 February plus 12 months is 28 February.
 */
export function addMonths(ms: number, months: number): number {
  const date = new Date(ms);
  const targetMonthIndex = date.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(date.getUTCFullYear(), targetMonthIndex + 1, 0)).getUTCDate();
  const day = Math.min(date.getUTCDate(), lastDay);
  return Date.UTC(date.getUTCFullYear(), targetMonthIndex, day, date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds(), date.getUTCMilliseconds());
}

export function addDays(ms: number, days: number): number {
  return ms + days * msPerDay;
}
