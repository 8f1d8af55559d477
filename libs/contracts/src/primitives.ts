import { z } from 'zod';

/**
 * The building blocks every schema uses. A field name or format is defined once, here or in
 * the schema that owns it, and nowhere else.
 */

/** Limits, each named once. */
export const identifierLengthMax = 128;

/** Longest meter name a usage reading may carry as its `source`. */
export const usageSourceLengthMax = 256;
export const decimalFractionDigitsMax = 6;
export const nameLengthMax = 200;
export const reasonLengthMax = 1_000;
export const paymentTermsDaysMax = 365;
export const gpuCountMax = 10_000_000;
export const usageBatchRecordsMax = 10_000;
/**
 * Readings in one page of a lease's usage (`GET /leases/{leaseId}/usage`): a month metered per
 * minute holds some 44,000, and one answer must not cost what the whole month does. The
 * default is a month of hourly readings and more; the maximum is a batch's worth.
 */
export const usageReadingsPageDefault = 1_000;
export const usageReadingsPageMax = 10_000;
export const slaTiersMax = 20;
export const commitmentEntriesMax = 240;
/** A tenant's billing address: enough for any postal address, small enough for one block of an invoice. */
export const billingAddressLengthMax = 1_000;
export const billingAddressLinesMax = 10;
export const taxIdLengthMax = 64;
export const purchaseOrderLengthMax = 128;
/**
 * A lease's term: at most 50 years from its start. Every data-centre lease and GPU commitment
 * runs for years, not centuries; a longer term is a typo (9999 for 2029) that the ledger would
 * otherwise carry into every report and billing run.
 */
export const leaseTermYearsMax = 50;
/**
 * Every instant a request names (a term, a payment, a billing date, a report's asOf or knownAt)
 * lies before this one, so that no request can make the ledger compute for a date it will never
 * reach, and the work of a report stays bounded by the months up to it.
 */
export const instantsBefore = '2100-01-01T00:00:00Z';
const instantsBeforeMs = Date.parse(instantsBefore);

const identifierPattern = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;

/** A client-chosen id: 1 to 128 characters of A-Za-z0-9._:- starting with a letter or digit. */
export const Identifier = z
  .string()
  .min(1)
  .max(identifierLengthMax)
  .regex(identifierPattern, 'must be 1 to 128 characters of A-Za-z0-9._:- starting with a letter or digit');

const instantPattern = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,3})?Z$/;

/** True for a real calendar instant written as ISO-8601 UTC with `Z`, milliseconds at most. */
export function isInstant(value: string): boolean {
  const match = instantPattern.exec(value);
  if (match === null) return false;
  // A real calendar instant: the fields in range, the day within its month (proleptic
  // Gregorian, as Date). Checked by arithmetic rather than a Date round trip: every usage
  // reading has two instants.
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month) && Number(match[4]) <= 23 && Number(match[5]) <= 59 && Number(match[6]) <= 59;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** An instant: ISO-8601 UTC with `Z`, at most millisecond precision (`2026-11-10T00:00:00Z`). */
export const Instant = z
  .string()
  .refine(isInstant, 'must be an ISO-8601 UTC instant with Z, at most millisecond precision (2026-11-10T00:00:00Z)');

/** Whether an instant lies before the limit; a malformed one is left to the format's own message. */
function isBeforeLimit(value: string): boolean {
  return !(Date.parse(value) >= instantsBeforeMs);
}

/** An instant a request names: an {@link Instant} before {@link instantsBefore}. */
export const RequestInstant = Instant.refine(isBeforeLimit, `must be before ${instantsBefore}`);

const monthPattern = /^\d{4}-(0[1-9]|1[0-2])$/;

/** A service month: `YYYY-MM`, a calendar month in UTC. */
export const Month = z.string().regex(monthPattern, 'must be a month YYYY-MM');

/** A service month a request names: a {@link Month} before {@link instantsBefore}. */
export const RequestMonth = Month.refine((value) => isBeforeLimit(`${value}-01T00:00:00Z`), `must be before ${instantsBefore.slice(0, 7)}`);

const billingDateMessage = 'must be the first instant of a month (2026-12-01T00:00:00Z)';
const isFirstInstantOfMonth = (value: string): boolean => /^\d{4}-\d{2}-01T00:00:00(\.000)?Z$/.test(value);

/** A billing date: the first instant of a month. */
export const BillingDate = Instant.refine(isFirstInstantOfMonth, billingDateMessage);

/** A billing date a request names: also before {@link instantsBefore}. */
export const RequestBillingDate = RequestInstant.refine(isFirstInstantOfMonth, billingDateMessage);

function decimalPattern(fractionDigitsMax: number, signed: boolean): RegExp {
  const sign = signed ? '-?' : '';
  return new RegExp(`^${sign}(0|[1-9][0-9]{0,17})(\\.[0-9]{1,${fractionDigitsMax}})?$`);
}

const unsignedDecimal6 = decimalPattern(decimalFractionDigitsMax, false);
const unsignedDecimal4 = decimalPattern(4, false);
const signedDecimal4 = decimalPattern(4, true);

/** A rate per GPU-hour: non-negative decimal string, at most 6 fractional digits (`"2.10"`). */
export const Rate = z.string().regex(unsignedDecimal6, 'must be a non-negative decimal string with at most 6 fractional digits ("2.10")');

/** GPU-hours: non-negative decimal string, at most 6 fractional digits (`"1050.5"`). */
export const GpuHours = z.string().regex(unsignedDecimal6, 'must be a non-negative decimal string with at most 6 fractional digits ("1050.5")');

/**
 * A money amount as a client sends it: a non-negative decimal string. Its fractional digits
 * are checked against the ledger's currency (2 for USD, 0 for JPY) by the domain, which knows it.
 */
export const MoneyAmount = z.string().regex(unsignedDecimal4, 'must be a non-negative decimal string ("1058400.00")');

/** A signed money amount as the ledger reports it (credits are negative). */
export const SignedMoney = z.string().regex(signedDecimal4, 'must be a decimal string ("-105840.00")');

/** A percentage between 0 and 100 as a decimal string (`"99.9"`). */
export const Percentage = z
  .string()
  .regex(/^(100(\.0{1,6})?|[1-9]?[0-9](\.[0-9]{1,6})?)$/, 'must be a decimal string from 0 to 100 ("99.9")');

/** ISO 4217 currencies the ledger knows, with their minor digits. */
export const currencyMinorDigits = { USD: 2, EUR: 2, GBP: 2, JPY: 0, CHF: 2, CAD: 2, AUD: 2, SGD: 2 } as const;
export type CurrencyCode = keyof typeof currencyMinorDigits;
export const Currency = z.enum(Object.keys(currencyMinorDigits) as [CurrencyCode, ...CurrencyCode[]], {
  error: `must be one of ${Object.keys(currencyMinorDigits).join(', ')}`,
});

export const GpuCount = z.int().min(1).max(gpuCountMax);
export const Name = z.string().trim().min(1).max(nameLengthMax);
export const GpuSku = z.string().min(1).max(64).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be a GPU SKU like H100-SXM');
export const PaymentTermsDays = z.int().min(0).max(paymentTermsDaysMax);

/**
 * A document number as the ledger issues it: its series (INV for invoices, CN for credit notes)
 * and a sequence of at least six digits (INV-000001, CN-000001). Anything else is malformed
 * (400 over HTTP, a misuse of the command line) rather than a number the ledger does not know.
 */
export const DocumentNumber = z
  .string()
  .min(1)
  .max(64)
  .regex(/^(INV|CN)-[0-9]{6,18}$/, 'must be a document number: INV- or CN- and at least six digits, such as INV-000001');
