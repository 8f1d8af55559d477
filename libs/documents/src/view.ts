import {
  isCreditNoteByHand,
  type BillingDocument,
  type BillTo,
  type CreditNoteDocument,
  type InvoiceDocument,
  type InvoiceDocumentLine,
  type Issuer,
  type LineKind,
} from './document.js';
import { decimalsEqual, formatMoney, formatQuantity, negateDecimal, sumDecimals } from './money.js';

/**
 * A document as a person reads it: every field already worded and formatted. The HTML and the
 * PDF renderer both draw this one view, so they cannot disagree on a number or a word.
 */

/** Lines one document may have: a few hundred pages of PDF, rendered in seconds. */
export const documentLinesMax = 10_000;
/** Service months named one by one; a longer span is written as first to last. */
const serviceMonthsListedMax = 6;
const dayMs = 86_400_000;

export interface LabelledValue {
  label: string;
  value: string;
}

export interface PartyView {
  name: string;
  lines: string[];
}

export interface LineView {
  lease: string;
  month: string;
  /** Set on a line that settles a charge invoiced before: `Adjustment for 2025-11`. */
  adjustment: string | null;
  /** The kind in words: `Committed capacity`, `Usage above commitment`, ... */
  label: string;
  /** The ledger's own description of the line, for the working. */
  detail: string;
  quantity: string;
  unitPrice: string;
  amount: string;
}

export interface TotalView extends LabelledValue {
  emphasis: boolean;
}

export interface DocumentView {
  kind: 'invoice' | 'credit_note';
  /** `Invoice` or `Credit note`. */
  title: string;
  number: string;
  /** The instant the document was issued, for the file's metadata. */
  issuedAt: string;
  currency: string;
  issuer: PartyView;
  billTo: PartyView;
  facts: LabelledValue[];
  lines: LineView[];
  totals: TotalView[];
  /** What the customer should know besides the numbers: how the credit is applied, how to pay. */
  notes: string[];
  paymentInstructions: string[];
}

export const lineKindWords: Readonly<Record<LineKind, string>> = {
  commitment: 'Committed capacity',
  overage: 'Usage above commitment',
  sla_credit: 'SLA credit',
  termination_fee: 'Early termination fee',
  prepayment: 'Prepayment',
  credit: 'Credit applied',
};

const statusWords: Readonly<Record<string, string>> = {
  open: 'Open',
  partially_paid: 'Partially paid',
  paid: 'Paid',
};

const monthNames = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** `2025-12-31T00:00:00Z` is `2025-12-31`: ISO dates read the same in every country. */
export function formatDate(instant: string): string {
  if (!/^\d{4}-\d{2}-\d{2}T/.test(instant)) throw new RangeError(`${JSON.stringify(instant)} is not an ISO-8601 instant`);
  return instant.slice(0, 10);
}

/** `2025-11` is `November 2025`. */
export function formatMonth(month: string): string {
  const match = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(month);
  if (match === null) throw new RangeError(`${JSON.stringify(month)} is not a month YYYY-MM`);
  return `${monthNames[Number(match[2]) - 1]!} ${match[1]!}`;
}

function serviceMonthsCovered(lines: readonly InvoiceDocumentLine[]): string {
  const months = [...new Set(lines.map((line) => line.serviceMonth))].sort();
  if (months.length <= serviceMonthsListedMax) return months.map(formatMonth).join(', ');
  return `${formatMonth(months[0]!)} to ${formatMonth(months.at(-1)!)} (${months.length} months)`;
}

/** Whole days from the invoice date to the due date: the tenant's payment terms. */
function paymentTerms(billingDate: string, dueAt: string): string | null {
  const days = (Date.parse(dueAt) - Date.parse(billingDate)) / dayMs;
  if (!Number.isSafeInteger(days) || days < 0) return null;
  return days === 0 ? 'Due on receipt' : `Net ${days} days`;
}

function issuerView(issuer: Issuer): PartyView {
  const lines = [...issuer.addressLines];
  if (issuer.taxId !== undefined) lines.push(`Tax ID: ${issuer.taxId}`);
  return { name: issuer.name, lines };
}

function billToView(billTo: BillTo): PartyView {
  const lines = billTo.billingAddress === undefined ? [] : billTo.billingAddress.split('\n').map((line) => line.trim()).filter((line) => line.length > 0);
  if (billTo.taxId !== undefined) lines.push(`Tax ID: ${billTo.taxId}`);
  return { name: billTo.legalName ?? billTo.name ?? billTo.tenantId, lines };
}

function commonFacts(billTo: BillTo, currency: string): LabelledValue[] {
  const facts: LabelledValue[] = [{ label: 'Currency', value: currency }, { label: 'Customer ID', value: billTo.tenantId }];
  if (billTo.purchaseOrder !== undefined) facts.push({ label: 'Purchase order', value: billTo.purchaseOrder });
  return facts;
}

/**
 * Instants, months and dates, and numbers, in a line's description: one pattern, so that a
 * month or a date is never taken for a number (2025 is a year, not 2,025).
 */
const descriptionTokenPattern = /(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z)|(\d{4}-\d{2}(?:-\d{2})?)|(\d+(?:\.\d+)?)/g;

/**
 * The ledger's description in the document's own formatting: numbers grouped as in the
 * quantity column (`504000` is `504,000`), GPU-hours as `GPU-h`, instants as UTC date and time.
 * Only the writing changes; every figure is the ledger's.
 */
function documentWording(description: string): string {
  return description
    .replace(descriptionTokenPattern, (token, instant: string | undefined, month: string | undefined) => {
      if (instant !== undefined) return `${instant.slice(0, 10)} ${instant.slice(11, 16)} UTC`;
      if (month !== undefined) return month;
      return formatQuantity(token);
    })
    .replace(/\bGPU-hours\b/g, 'GPU-h');
}

/**
 * The ledger's description of the line, without what the view states on its own: the
 * adjustment prefix, the kind and month, and a quantity the quantity column already shows
 * (`Committed capacity 2025-11: 504000 GPU-hours` leaves nothing; an overage line's
 * `529800 metered - 504000 committed GPU-hours` is its working, `529,800 metered - 504,000
 * committed GPU-h`).
 */
function lineDetail(line: InvoiceDocumentLine, quantity: string): string {
  let detail = line.description;
  const adjustmentPrefix = `Adjustment for ${line.serviceMonth}: `;
  if (line.adjustment && detail.startsWith(adjustmentPrefix)) detail = detail.slice(adjustmentPrefix.length);
  const kindPrefix = `${lineKindWords[line.kind]} ${line.serviceMonth}: `;
  if (detail.startsWith(kindPrefix)) detail = detail.slice(kindPrefix.length);
  const worded = documentWording(detail);
  return worded === quantity ? '' : worded;
}

function lineView(line: InvoiceDocumentLine, currency: string): LineView {
  const byTheHour = line.kind === 'commitment' || line.kind === 'overage';
  const quantity = byTheHour ? `${formatQuantity(line.quantity)} GPU-h` : formatQuantity(line.quantity);
  return {
    // A prepayment or credit line names the grant where a charge names its lease.
    lease: line.leaseId ?? (line.grantId === undefined ? '' : `Grant ${line.grantId}`),
    month: line.serviceMonth,
    adjustment: line.adjustment ? `Adjustment for ${line.serviceMonth}` : null,
    label: lineKindWords[line.kind],
    detail: lineDetail(line, quantity),
    quantity,
    unitPrice: byTheHour ? `${formatMoney(line.unitPrice, currency)} / GPU-h` : formatMoney(line.unitPrice, currency),
    amount: formatMoney(line.amount, currency),
  };
}

function billingDocumentView(document: InvoiceDocument, issuer: Issuer, billTo: BillTo): DocumentView {
  if (document.lines.length === 0) throw new RangeError(`document ${document.invoiceId} has no lines`);
  if (document.lines.length > documentLinesMax) {
    throw new RangeError(`document ${document.invoiceId} has ${document.lines.length} lines, more than documentLinesMax (${documentLinesMax})`);
  }
  const { currency } = document;
  const subtotal = sumDecimals(document.lines.map((line) => line.amount));
  // The ledger's total is the sum of its rounded lines; a document whose lines say otherwise is corrupt, and printing it would mislead.
  if (!decimalsEqual(subtotal, document.total)) {
    throw new RangeError(`document ${document.invoiceId}: its lines add up to ${subtotal}, not to its total ${document.total}`);
  }
  const isInvoice = document.kind === 'invoice';
  const facts: LabelledValue[] = [{ label: isInvoice ? 'Invoice date' : 'Credit note date', value: formatDate(document.billingDate ?? document.issuedAt) }];
  if (isInvoice) {
    if (document.dueAt === null) throw new RangeError(`invoice ${document.invoiceId} has no due date`);
    facts.push({ label: 'Due date', value: formatDate(document.dueAt) });
    const terms = paymentTerms(document.billingDate ?? document.issuedAt, document.dueAt);
    if (terms !== null) facts.push({ label: 'Payment terms', value: terms });
  }
  facts.push({ label: 'Service months', value: serviceMonthsCovered(document.lines) }, ...commonFacts(billTo, currency));
  const status = document.status === undefined ? undefined : statusWords[document.status];
  if (isInvoice && status !== undefined) facts.push({ label: 'Status', value: status });

  const totals: TotalView[] = [
    { label: 'Subtotal', value: formatMoney(subtotal, currency), emphasis: false },
    { label: `Total (${currency})`, value: formatMoney(document.total, currency), emphasis: true },
  ];
  // The ledger's amountPaid counts credits applied to the invoice as well as payments.
  if (isInvoice && document.amountPaid !== undefined) totals.push({ label: 'Paid and credited', value: formatMoney(document.amountPaid, currency), emphasis: false });
  if (isInvoice && document.amountDue !== undefined) totals.push({ label: `Amount due (${currency})`, value: formatMoney(document.amountDue, currency), emphasis: true });

  const notes = isInvoice
    ? [`Please quote ${document.invoiceId} with your payment.`]
    : ['This credit is applied to your oldest open invoices first; what remains is a credit balance for later invoices.'];
  return {
    kind: document.kind,
    title: isInvoice ? 'Invoice' : 'Credit note',
    number: document.invoiceId,
    issuedAt: document.issuedAt,
    currency,
    issuer: issuerView(issuer),
    billTo: billToView(billTo),
    facts,
    lines: document.lines.map((line) => lineView(line, currency)),
    totals,
    notes,
    paymentInstructions: isInvoice ? [...issuer.paymentInstructions] : [],
  };
}

function creditNoteByHandView(document: CreditNoteDocument, issuer: Issuer, billTo: BillTo): DocumentView {
  const { currency } = document;
  const credit = negateDecimal(document.amount);
  const facts: LabelledValue[] = [{ label: 'Credit note date', value: formatDate(document.issuedAt) }];
  if (document.invoiceId !== undefined) facts.push({ label: 'Credits invoice', value: document.invoiceId });
  facts.push(...commonFacts(billTo, currency));
  const amount = formatMoney(credit, currency);
  return {
    kind: 'credit_note',
    title: 'Credit note',
    number: document.documentId,
    issuedAt: document.issuedAt,
    currency,
    issuer: issuerView(issuer),
    billTo: billToView(billTo),
    facts,
    lines: [{ lease: '', month: '', adjustment: null, label: 'Credit', detail: document.reason, quantity: '1', unitPrice: amount, amount }],
    totals: [
      { label: 'Subtotal', value: amount, emphasis: false },
      { label: `Total (${currency})`, value: amount, emphasis: true },
    ],
    notes: [
      document.invoiceId === undefined
        ? 'This credit is applied to your oldest open invoices first; what remains is a credit balance for later invoices.'
        : `This credit is applied to invoice ${document.invoiceId} first, then to your oldest open invoices; what remains is a credit balance for later invoices.`,
    ],
    paymentInstructions: [],
  };
}

/** The view of a billing document or a credit note by hand; without `billTo`, the tenant id stands in. */
export function documentView(document: BillingDocument, issuer: Issuer, billTo?: BillTo): DocumentView {
  const recipient = billTo ?? { tenantId: document.tenantId };
  if (recipient.tenantId !== document.tenantId) {
    throw new RangeError(`bill-to of tenant ${recipient.tenantId} given for a document of tenant ${document.tenantId}`);
  }
  return isCreditNoteByHand(document) ? creditNoteByHandView(document, issuer, recipient) : billingDocumentView(document, issuer, recipient);
}
