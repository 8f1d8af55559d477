import type { LedgerModel } from './ledger-model.js';
import { compareIds } from './ledger-model.js';
import { Decimal, ZERO, dec } from '../shared/decimal.js';
import { toMs } from '../shared/time.js';

/**
 * What each tenant owes, invoice by invoice (DOMAIN.md, "Payments and credits"). A payment, a
 * credit note by hand and a negative billing document each go to the invoice they name, else
 * to the tenant's oldest open invoices (by due date, then number), at their own date; what is
 * left over is a credit balance that later invoices consume.
 */

export interface InvoiceBalance {
  invoiceId: string;
  tenantId: string;
  issuedAtMs: number;
  dueAtMs: number;
  total: Decimal;
  applied: Decimal;
}

export interface TenantReceivables {
  tenantId: string;
  invoices: InvoiceBalance[];
  creditBalance: Decimal;
}

interface Movement {
  atMs: number;
  position: number;
  kind: 'invoice' | 'credit';
  invoiceId?: string;
  amount: Decimal;
  /** For a credit: the invoice it names, if any. */
  target?: string;
}

export function amountDue(invoice: InvoiceBalance): Decimal {
  return invoice.total.minus(invoice.applied);
}

export function invoiceStatus(invoice: InvoiceBalance): 'open' | 'partially_paid' | 'paid' {
  if (amountDue(invoice).lessThanOrEqualTo(0)) return 'paid';
  return invoice.applied.greaterThan(0) ? 'partially_paid' : 'open';
}

/**
 * One tenant's invoices with what has been applied to them by `asOfMs`, as known at `cutoff`.
 * It reads only that tenant's billing facts: a read of one tenant's invoices costs that
 * tenant's documents, not the ledger's.
 */
export function receivablesOfTenant(model: LedgerModel, tenantId: string, asOfMs: number, cutoff: number): TenantReceivables {
  const { documents, creditNotes, payments } = model.billingOfTenant(tenantId);
  const movements: Movement[] = [];
  for (const document of documents) {
    const atMs = toMs(document.data.issuedAt);
    if (document.position > cutoff || atMs > asOfMs) continue;
    const total = dec(document.data.total);
    if (document.data.kind === 'invoice') {
      movements.push({ atMs, position: document.position, kind: 'invoice', invoiceId: document.data.invoiceId, amount: total });
    } else {
      movements.push({ atMs, position: document.position, kind: 'credit', amount: total.negated() });
    }
  }
  for (const note of creditNotes) {
    const atMs = toMs(note.data.issuedAt);
    if (note.position > cutoff || atMs > asOfMs) continue;
    movements.push({ atMs, position: note.position, kind: 'credit', amount: dec(note.data.amount), ...target(note.data.invoiceId) });
  }
  for (const payment of payments) {
    const atMs = toMs(payment.data.receivedAt);
    if (payment.position > cutoff || atMs > asOfMs) continue;
    movements.push({ atMs, position: payment.position, kind: 'credit', amount: dec(payment.data.amount), ...target(payment.data.invoiceId) });
  }
  return settle(model, tenantId, movements.sort((a, b) => a.atMs - b.atMs || a.position - b.position));
}

/** Every tenant's receivables (`receivablesOfTenant`) by `asOfMs`, as known at `cutoff`, ascending by tenant id. */
export function receivablesAt(model: LedgerModel, asOfMs: number, cutoff: number): Map<string, TenantReceivables> {
  const result = new Map<string, TenantReceivables>();
  for (const tenant of model.tenantsAt(cutoff)) result.set(tenant.tenantId, receivablesOfTenant(model, tenant.tenantId, asOfMs, cutoff));
  return result;
}

function target(invoiceId: string | undefined): { target?: string } {
  return invoiceId === undefined ? {} : { target: invoiceId };
}

function settle(model: LedgerModel, tenantId: string, movements: Movement[]): TenantReceivables {
  const invoices: InvoiceBalance[] = [];
  const byId = new Map<string, InvoiceBalance>();
  let creditBalance = ZERO;
  for (const movement of movements) {
    if (movement.kind === 'invoice') {
      const data = model.documents.get(movement.invoiceId!)!.data;
      const invoice: InvoiceBalance = {
        invoiceId: data.invoiceId,
        tenantId,
        issuedAtMs: toMs(data.issuedAt),
        dueAtMs: toMs(data.dueAt),
        total: movement.amount,
        applied: ZERO,
      };
      const consumed = Decimal.min(creditBalance, invoice.total);
      invoice.applied = consumed;
      creditBalance = creditBalance.minus(consumed);
      invoices.push(invoice);
      byId.set(invoice.invoiceId, invoice);
      continue;
    }
    let remaining = movement.amount;
    const named = movement.target === undefined ? undefined : byId.get(movement.target);
    if (named !== undefined) remaining = applyTo(named, remaining);
    for (const invoice of oldestFirst(invoices)) {
      if (remaining.isZero()) break;
      remaining = applyTo(invoice, remaining);
    }
    creditBalance = creditBalance.plus(remaining);
  }
  return { tenantId, invoices, creditBalance };
}

function applyTo(invoice: InvoiceBalance, amount: Decimal): Decimal {
  const applied = Decimal.min(amount, Decimal.max(ZERO, amountDue(invoice)));
  invoice.applied = invoice.applied.plus(applied);
  return amount.minus(applied);
}

function oldestFirst(invoices: InvoiceBalance[]): InvoiceBalance[] {
  return invoices.filter((invoice) => amountDue(invoice).greaterThan(0)).sort((a, b) => a.dueAtMs - b.dueAtMs || compareIds(a.invoiceId, b.invoiceId));
}
