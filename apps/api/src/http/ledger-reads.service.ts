import { Inject, Injectable } from '@nestjs/common';
import type {
  AuditEventsAnswer,
  AuditStreamAnswer,
  BillingRunsAnswer,
  InvoiceDocumentAnswer,
  InvoiceListAnswer,
  LeaseAnswer,
  LeaseUsageAnswer,
  ReportAnswers,
  BillingPreviewAnswer,
  CreditGrantAnswer,
  CreditGrantsAnswer,
  TenantAnswer,
} from '@compute-ledger/contracts';
import type { MonthTimeQuery, TimeQuery, UsagePageQuery } from '@compute-ledger/ledger';
import { Ledger, NotFoundError, verifyLog, type PinnedHead, type RecordedEvent } from '@compute-ledger/ledger';
import { reportByName, type ReportName } from '../shared/report-names.js';
import type { RequestCaller } from './common/caller.decorator.js';
import { tenantView } from './tenant-view.js';
import type { AuditEventsQuery, AuditStreamQuery, InvoiceListQuery } from './queries.js';

/**
 * The reads of the API. Reports come from the ledger's ReportService as they are; what this
 * adds is the tenant boundary: a tenant key sees its own leases, usage and invoices, and
 * another tenant's answer exactly as one that does not exist, so ids cannot be probed.
 */
@Injectable()
export class LedgerReadsService {
  constructor(@Inject(Ledger) private readonly ledger: Ledger) {}

  get reports() {
    return this.ledger.reports;
  }

  /** The tenant with its latest billing details (the model keeps no history of them). */
  async tenant(tenantId: string, caller: RequestCaller): Promise<TenantAnswer> {
    const notFound = `tenant ${tenantId} does not exist`;
    requireOwn(caller, tenantId, notFound);
    await this.ledger.runner.catchUp();
    const tenant = this.ledger.runner.model.tenants.get(tenantId);
    if (tenant === undefined) throw new NotFoundError(notFound);
    return tenantView(tenant);
  }

  async lease(leaseId: string, query: { knownAt?: string | undefined }, caller: RequestCaller): Promise<LeaseAnswer> {
    const lease = await this.ledger.reports.lease(leaseId, query.knownAt);
    requireOwn(caller, lease.tenantId, `lease ${leaseId} does not exist`);
    return lease;
  }

  async usage(leaseId: string, query: UsagePageQuery, caller: RequestCaller): Promise<LeaseUsageAnswer> {
    await this.lease(leaseId, query, caller);
    return this.ledger.reports.usage(leaseId, query);
  }

  async invoice(invoiceId: string, query: { knownAt?: string | undefined }, caller: RequestCaller): Promise<InvoiceDocumentAnswer> {
    try {
      const invoice = await this.ledger.reports.invoice(invoiceId, query.knownAt);
      requireOwn(caller, invoice.tenantId, `invoice ${invoiceId} does not exist`);
      return invoice;
    } catch (error) {
      // The same answer for a malformed number as for an unknown one.
      if (error instanceof NotFoundError) throw new NotFoundError(`invoice ${invoiceId} does not exist`);
      throw error;
    }
  }

  /** Billing documents in order of issue, lines without their sources (API.md). */
  async invoices(query: InvoiceListQuery, caller: RequestCaller): Promise<InvoiceListAnswer> {
    if (caller.tenantId !== null && query.tenantId !== undefined && query.tenantId !== caller.tenantId) {
      return { knownAt: (await this.ledger.reports.scope(query.knownAt)).knownAt, invoices: [] };
    }
    const tenantId = caller.tenantId ?? query.tenantId;
    return this.ledger.reports.invoices({ ...query, ...(tenantId === undefined ? {} : { tenantId }) });
  }

  async billingRuns(): Promise<BillingRunsAnswer> {
    await this.ledger.runner.catchUp();
    return { runs: this.ledger.runner.model.runs.map((run) => run.data) };
  }

  async billingPreview(billingDate: string): Promise<BillingPreviewAnswer> {
    const { knownAt } = await this.ledger.reports.scope();
    return { knownAt, ...(await this.ledger.billing.previewBilling(billingDate)) };
  }

  async creditGrants(query: { tenantId?: string | undefined; asOf?: string | undefined; knownAt?: string | undefined }): Promise<CreditGrantsAnswer> {
    return this.ledger.reports.creditGrants(query);
  }

  async creditGrant(grantId: string, query: { asOf?: string | undefined; knownAt?: string | undefined }): Promise<CreditGrantAnswer> {
    return this.ledger.reports.creditGrant(grantId, query);
  }

  async report<Name extends ReportName>(name: Name, query: TimeQuery | MonthTimeQuery): Promise<ReportAnswers[Name]> {
    return reportByName(this.ledger.reports, name, query);
  }

  async auditEvents(query: AuditEventsQuery): Promise<AuditEventsAnswer> {
    const fromPosition = query.fromPosition ?? 0;
    const events = await this.ledger.store.readAll({ fromPosition, limit: query.limit });
    const last = events.at(-1);
    return { events: events.map(auditEvent), nextPosition: last === undefined ? fromPosition : last.position + 1 };
  }

  async auditStream(streamId: string, query: AuditStreamQuery): Promise<AuditStreamAnswer> {
    const fromRevision = query.fromRevision ?? 0;
    const events = await this.ledger.store.readStream(streamId, fromRevision, query.limit);
    if (events.length === 0 && fromRevision === 0) throw new NotFoundError(`stream ${streamId} does not exist`);
    const last = events.at(-1);
    return { streamId, events: events.map(auditEvent), nextRevision: last === undefined ? fromRevision : last.revision + 1 };
  }

  /** The chain and each pinned head, then the model checkpoint on disk against the log: all must hold for ok. */
  async auditVerify(expectHeads: readonly PinnedHead[]) {
    const chain = await verifyLog(this.ledger.store, expectHeads);
    const model = await this.ledger.checkpointState();
    if (chain.ok && model.matchesLog === false) return { ...chain, ok: false, reason: `the model checkpoint does not match the log: ${model.reason ?? ''}`, model };
    return { ...chain, model };
  }
}

function requireOwn(caller: RequestCaller, tenantId: string, notFound: string): void {
  if (caller.tenantId !== null && caller.tenantId !== tenantId) throw new NotFoundError(notFound);
}

function auditEvent(event: RecordedEvent) {
  return {
    position: event.position,
    streamId: event.streamId,
    revision: event.revision,
    eventId: event.eventId,
    type: event.type,
    schemaVersion: event.schemaVersion,
    data: event.data,
    metadata: event.metadata,
    recordedAt: event.recordedAt,
    hash: event.hash,
  };
}
