import { Inject, Injectable } from '@nestjs/common';
import type {
  AllocationAnswer,
  BillingRunAnswer,
  CorrectionAnswer,
  CreditGrantRecordedAnswer,
  InvoiceDocumentAnswer,
  LeaseAnswer,
  OutageAnswer,
  PaymentAnswer,
  SiteAnswer,
  TenantAnswer,
  TenantRegistrationAnswer,
  UsageBatchAnswer,
  AllocateCapacityBody,
  AmendLeaseBody,
  CommissionSiteBody,
  CorrectUsageBody,
  IssueCreditNoteBody,
  RecordOutageBody,
  RecordCreditGrantBody,
  RecordPaymentBody,
  RegisterTenantBody,
  ReleaseCapacityBody,
  SignLeaseBody,
  TerminateLeaseBody,
  UpdateTenantBillingDetailsBody,
  UsageBatchBody,
} from '@compute-ledger/contracts';
import { Ledger, leaseView, normalizeBillingDetails, type LeaseResult } from '@compute-ledger/ledger';
import { Answer, created } from './common/answer.js';
import type { RequestCaller } from './common/caller.decorator.js';
import { tenantView } from './tenant-view.js';

/**
 * The writes of the API: each hands a validated body to the ledger's application services and
 * turns the outcome into an answer (201 recorded, 200 a repeat of an earlier request).
 */
@Injectable()
export class LedgerCommandsService {
  constructor(@Inject(Ledger) private readonly ledger: Ledger) {}

  async registerTenant(body: RegisterTenantBody, caller: RequestCaller): Promise<Answer<TenantRegistrationAnswer>> {
    const { outcome, tenant } = await this.ledger.commands.registerTenant(body, contextOf(caller));
    // The billing details as registered, not as they stand: a repeat of the registration answers
    // the body of the first one even after PUT .../billing-details changed them.
    const billingDetails = normalizeBillingDetails(body.billingDetails);
    return created(outcome, {
      tenantId: tenant.tenantId,
      name: tenant.name,
      currency: tenant.currency,
      paymentTermsDays: tenant.paymentTermsDays,
      ...(Object.keys(billingDetails).length === 0 ? {} : { billingDetails }),
    });
  }

  /** 200 whether or not the details changed: the answer is the tenant as it now stands. */
  async updateTenantBillingDetails(tenantId: string, body: UpdateTenantBillingDetailsBody, caller: RequestCaller): Promise<TenantAnswer> {
    const { tenant } = await this.ledger.commands.updateTenantBillingDetails(tenantId, body, contextOf(caller));
    return tenantView(tenant);
  }

  async commissionSite(body: CommissionSiteBody, caller: RequestCaller): Promise<Answer<SiteAnswer>> {
    const { outcome, site } = await this.ledger.commands.commissionSite(body, contextOf(caller));
    return created(outcome, site);
  }

  async signLease(body: SignLeaseBody, caller: RequestCaller): Promise<Answer<LeaseAnswer>> {
    return this.leaseAnswer(await this.ledger.commands.signLease(body, contextOf(caller)));
  }

  async amendLease(leaseId: string, body: AmendLeaseBody, caller: RequestCaller): Promise<Answer<LeaseAnswer>> {
    return this.leaseAnswer(await this.ledger.commands.amendLease(leaseId, body, contextOf(caller)));
  }

  async terminateLease(leaseId: string, body: TerminateLeaseBody, caller: RequestCaller): Promise<Answer<LeaseAnswer>> {
    return this.leaseAnswer(await this.ledger.commands.terminateLease(leaseId, body, contextOf(caller)));
  }

  async allocateCapacity(body: AllocateCapacityBody, caller: RequestCaller): Promise<Answer<AllocationAnswer>> {
    const { outcome, allocation } = await this.ledger.commands.allocateCapacity(body, contextOf(caller));
    return created(outcome, allocation);
  }

  async releaseCapacity(allocationId: string, body: ReleaseCapacityBody, caller: RequestCaller): Promise<Answer<AllocationAnswer>> {
    const { outcome, allocation } = await this.ledger.commands.releaseCapacity(allocationId, body, contextOf(caller));
    return created(outcome, allocation);
  }

  async recordOutage(body: RecordOutageBody, caller: RequestCaller): Promise<Answer<OutageAnswer>> {
    const { outcome, outage } = await this.ledger.commands.recordOutage(body, contextOf(caller));
    return created(outcome, outage);
  }

  /** 202 whether or not anything was new: a batch of repeats is accepted as duplicates. */
  async recordUsage(body: UsageBatchBody, caller: RequestCaller): Promise<Answer<UsageBatchAnswer>> {
    const { accepted, duplicates } = await this.ledger.commands.recordUsage(body, contextOf(caller));
    return new Answer(202, { accepted, duplicates });
  }

  async correctUsage(body: CorrectUsageBody, caller: RequestCaller): Promise<Answer<CorrectionAnswer>> {
    const { outcome, correction } = await this.ledger.commands.correctUsage(body, contextOf(caller));
    return created(outcome, correction);
  }

  async runBilling(billingDate: string, caller: RequestCaller): Promise<Answer<BillingRunAnswer>> {
    const { outcome, result } = await this.ledger.billing.runBilling(billingDate, contextOf(caller));
    return created(outcome, result);
  }

  /** The grant as recorded, with the prepayment invoice of a prepaid grant. */
  async recordCreditGrant(body: RecordCreditGrantBody, caller: RequestCaller): Promise<Answer<CreditGrantRecordedAnswer>> {
    const { outcome, result } = await this.ledger.billing.recordCreditGrant(body, contextOf(caller));
    const grant = this.ledger.reports.creditGrantAsRecorded(result.grantId);
    const invoice = result.invoiceId === undefined ? null : await this.ledger.reports.invoice(result.invoiceId);
    return created(outcome, { grant, invoice });
  }

  async recordPayment(body: RecordPaymentBody, caller: RequestCaller): Promise<Answer<PaymentAnswer>> {
    const { outcome, result } = await this.ledger.billing.recordPayment(body, contextOf(caller));
    return created(outcome, result);
  }

  /**
   * The credit note as a document, the shape `GET /v1/invoices/{invoiceId}` answers. A credit
   * note by hand has nothing that changes after it is issued (no lines, nothing paid or due), so
   * a repeat answers the same body as the first request.
   */
  async issueCreditNote(body: IssueCreditNoteBody, caller: RequestCaller): Promise<Answer<InvoiceDocumentAnswer>> {
    const { outcome, result } = await this.ledger.billing.issueCreditNote(body, contextOf(caller));
    return created(outcome, await this.ledger.reports.invoice(result.documentId));
  }

  private leaseAnswer({ outcome, lease }: LeaseResult): Answer<LeaseAnswer> {
    return created(outcome, leaseView(lease, this.ledger.clock().getTime()));
  }

  /** 201 with the seal; a second close of the month, one out of order or before its run is a 409 from the ledger. */
  async closePeriod(month: string, caller: RequestCaller) {
    return new Answer(201, await this.ledger.periods.close(month, contextOf(caller)));
  }
}

export function contextOf(caller: RequestCaller): { actor: string; correlationId: string } {
  return { actor: caller.actor, correlationId: caller.correlationId };
}
