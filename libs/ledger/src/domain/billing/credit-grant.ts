import {
  creditGrantAppliesToDefault,
  creditGrantPriorityDefault,
  type CurrencyCode,
  type EventDataOf,
  type InvoiceLine,
  type LedgerEventOf,
  type RecordCreditGrantBody,
} from '@compute-ledger/contracts';
import { canonicalJson } from '../../store/canonical-json.js';
import { Decimal, formatMoney, fractionDigits } from '../../shared/decimal.js';
import { addDays, monthOf, toInstant, toMs } from '../../shared/time.js';
import { ConflictError, NotFoundError, RuleViolationError, ValidationError } from '../errors.js';

/**
 * The decision on a credit grant (DOMAIN.md, "Credit grants"): validates it against the facts it
 * needs, and answers the events that record it: `CreditGranted`, and for a prepaid grant its
 * invoice, issued at once with the next INV number (given, like the time, by the caller).
 */

export interface RecordCreditGrant {
  body: RecordCreditGrantBody;
  /** When the ledger records it: the prepaid invoice's issuedAt. */
  recordedAt: string;
  /** The number the next invoice takes (INV-...), used only by a prepaid grant. */
  nextInvoiceId: string;
  currency: CurrencyCode;
  minorDigits: number;
}

export interface CreditGrantFacts {
  tenant: { tenantId: string; paymentTermsDays: number } | undefined;
  /** The tenant of each lease the grant names, undefined for a lease that does not exist. */
  leaseTenants: ReadonlyMap<string, string | undefined>;
  /** The grant of the same id already recorded, if any. */
  existing: EventDataOf<'CreditGranted'> | undefined;
}

export type CreditGrantEvent = LedgerEventOf<'CreditGranted' | 'InvoiceIssued'>;

/** The events that record the grant: none when the same grant is already recorded. */
export type CreditGrantDecision = CreditGrantEvent[];

/** The grant as asked, with its defaults resolved: what is stored, less what the ledger adds. */
function resolvedTerms(command: RecordCreditGrant) {
  const { body } = command;
  const amount = money(body.amount, command);
  return stripUndefined({
    grantId: body.grantId,
    tenantId: body.tenantId,
    kind: body.kind,
    amount,
    effectiveAt: toInstant(toMs(body.effectiveAt)),
    expiresAt: body.expiresAt === undefined ? undefined : toInstant(toMs(body.expiresAt)),
    priority: body.priority ?? creditGrantPriorityDefault,
    appliesTo: body.appliesTo === undefined ? [...creditGrantAppliesToDefault] : [...new Set(body.appliesTo)],
    leaseIds: body.leaseIds === undefined ? undefined : [...new Set(body.leaseIds)].sort(),
  });
}

export function decideCreditGrant(command: RecordCreditGrant, facts: CreditGrantFacts): CreditGrantDecision {
  const terms = resolvedTerms(command);
  if (facts.existing !== undefined) {
    const { invoiceId: _invoiceId, recordedAt: _recordedAt, ...stored } = facts.existing;
    if (canonicalJson(stored) !== canonicalJson(terms)) throw new ConflictError(`credit grant ${terms.grantId} already exists with other content`);
    return [];
  }
  if (!new Decimal(terms.amount).greaterThan(0)) {
    throw new ValidationError('amount must be greater than zero', [{ path: 'amount', message: 'must be greater than zero' }]);
  }
  if (terms.expiresAt !== undefined && toMs(terms.expiresAt) <= toMs(terms.effectiveAt)) {
    throw new ValidationError(`expiresAt ${terms.expiresAt} must be after effectiveAt ${terms.effectiveAt}`, [{ path: 'expiresAt', message: 'must be after effectiveAt' }]);
  }
  const tenant = facts.tenant;
  if (tenant === undefined) throw new NotFoundError(`tenant ${terms.tenantId} does not exist`);
  for (const leaseId of terms.leaseIds ?? []) {
    const owner = facts.leaseTenants.get(leaseId);
    if (owner === undefined) throw new NotFoundError(`lease ${leaseId} does not exist`);
    if (owner !== tenant.tenantId) throw new RuleViolationError(`lease ${leaseId} belongs to another tenant than ${tenant.tenantId}`);
  }
  const prepaid = terms.kind === 'prepaid';
  const grant: EventDataOf<'CreditGranted'> = stripUndefined({
    ...terms,
    invoiceId: prepaid ? command.nextInvoiceId : undefined,
    recordedAt: command.recordedAt,
  });
  const events: CreditGrantEvent[] = [{ type: 'CreditGranted', data: grant }];
  if (prepaid) events.push({ type: 'InvoiceIssued', data: prepaymentInvoice(grant, tenant.paymentTermsDays, command) });
  return events;
}

/** The invoice of a prepaid grant: dated at effectiveAt, issued when recorded, one prepayment line. */
function prepaymentInvoice(grant: EventDataOf<'CreditGranted'>, paymentTermsDays: number, command: RecordCreditGrant): EventDataOf<'InvoiceIssued'> {
  const line: InvoiceLine = {
    leaseId: null,
    serviceMonth: monthOf(toMs(grant.effectiveAt)),
    kind: 'prepayment',
    description: `Prepayment, credit grant ${grant.grantId}${grant.expiresAt === undefined ? '' : ` (expires ${grant.expiresAt})`}`,
    quantity: '1',
    unitPrice: grant.amount,
    amount: grant.amount,
    adjustment: false,
    sources: [],
    grantId: grant.grantId,
  };
  return {
    invoiceId: command.nextInvoiceId,
    kind: 'invoice',
    tenantId: grant.tenantId,
    billingDate: grant.effectiveAt,
    issuedAt: command.recordedAt,
    dueAt: toInstant(addDays(toMs(grant.effectiveAt), paymentTermsDays)),
    currency: command.currency,
    lines: [line],
    total: grant.amount,
  };
}

/** A money amount in the ledger's minor digits (`"500"` -> `"500.00"`), refusing finer ones. */
function money(value: string, command: RecordCreditGrant): string {
  if (fractionDigits(value) > command.minorDigits) {
    throw new ValidationError(`amount ${value} has more decimals than ${command.currency} allows (${command.minorDigits})`, [
      { path: 'amount', message: `at most ${command.minorDigits} fractional digits` },
    ]);
  }
  return formatMoney(new Decimal(value), command.minorDigits);
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
