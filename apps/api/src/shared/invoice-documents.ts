import { createHash } from 'node:crypto';
import { billToFromTenant, renderInvoiceHtml, renderInvoicePdf, type BillingDocument, type BillTo, type Issuer } from '@compute-ledger/documents';
import { evolveTenant, fromRecordedEvent, isTenantEvent, tenantStream, type InvoiceView, type Ledger, type TenantStreamState } from '@compute-ledger/ledger';
import { assert } from '@compute-ledger/contracts';

/**
 * Invoices and credit notes as a customer receives them (PDF or HTML), for the HTTP API and the
 * `ledger` command alike, so that both hand out the same bytes for the same document.
 *
 * Two renderings:
 * - current: the document with what is paid and due and its status as of now. Its bytes change
 *   when a payment or a credit is recorded, and the bill-to block shows the tenant's latest
 *   billing details.
 * - as issued: the document as the billing run (or finance) issued it, without paid, due and
 *   status, addressed with the billing details the tenant had when it was issued. Its bytes
 *   depend on the log up to the document and on the issuer configuration only, so an auditor
 *   can hash a document once and reproduce it from the log at any later time.
 */

export const documentFormats = ['pdf', 'html'] as const;
export type DocumentFormat = (typeof documentFormats)[number];

export const documentContentTypes: Readonly<Record<DocumentFormat, string>> = {
  pdf: 'application/pdf',
  html: 'text/html; charset=utf-8',
};

/** Events of one tenant stream read at a time: a registration and its billing-detail changes. */
const tenantStreamPageEventsMax = 1_000;

export interface DocumentRenderOptions {
  format: DocumentFormat;
  /** Without paid, due and status, addressed as the tenant was when the document was issued. */
  asIssued: boolean;
}

export interface RenderedDocument {
  invoiceId: string;
  tenantId: string;
  format: DocumentFormat;
  contentType: string;
  /** `INV-000001.pdf`: the document number is a safe file name (see DocumentNumber). */
  fileName: string;
  bytes: Buffer;
  /** Hex sha256 of `bytes`: the same document rendered the same way gives the same digest. */
  sha256: string;
}

export class InvoiceDocuments {
  constructor(
    private readonly ledger: Ledger,
    private readonly issuer: Issuer,
  ) {}

  /**
   * Renders a document the ledger answered (`reports.invoice`): the caller has already decided
   * that it may see it. A credit note by hand renders from its own record, which carries the
   * reason and the invoice it credits.
   */
  async render(view: InvoiceView, options: DocumentRenderOptions): Promise<RenderedDocument> {
    const { document, position } = this.documentOf(view, options.asIssued);
    const billTo = options.asIssued ? await this.billToAt(view.tenantId, position) : this.billToNow(view.tenantId);
    const bytes = options.format === 'pdf' ? await renderInvoicePdf(document, this.issuer, billTo) : Buffer.from(renderInvoiceHtml(document, this.issuer, billTo), 'utf8');
    return {
      invoiceId: view.invoiceId,
      tenantId: view.tenantId,
      format: options.format,
      contentType: documentContentTypes[options.format],
      fileName: `${view.invoiceId}.${options.format}`,
      bytes,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    };
  }

  /** The document to draw and its position in the log (where it was issued). */
  private documentOf(view: InvoiceView, asIssued: boolean): { document: BillingDocument; position: number } {
    const model = this.ledger.runner.model;
    if (view.creditNoteId !== undefined) {
      const note = model.creditNotes.get(view.creditNoteId);
      assert(note !== undefined, `credit note ${view.creditNoteId} of ${view.invoiceId} is in the model`);
      return { document: note.data, position: note.position };
    }
    const issued = model.documents.get(view.invoiceId);
    assert(issued !== undefined, `document ${view.invoiceId} is in the model`);
    // As issued is the recorded document itself: nothing recorded after it can change its bytes.
    return { document: asIssued ? issued.data : view, position: issued.position };
  }

  private billToNow(tenantId: string): BillTo {
    const tenant = this.ledger.runner.model.tenants.get(tenantId);
    assert(tenant !== undefined, `tenant ${tenantId} of a document is in the model`);
    return billToFromTenant(tenant);
  }

  /**
   * The bill-to block as it stood when the document was issued. The model keeps only the latest
   * billing details, so the tenant's stream (a handful of events) is folded up to that position.
   */
  private async billToAt(tenantId: string, position: number): Promise<BillTo> {
    const streamId = tenantStream(tenantId);
    let state: TenantStreamState = null;
    let fromRevision = 0;
    for (;;) {
      const events = await this.ledger.store.readStream(streamId, fromRevision, tenantStreamPageEventsMax);
      const known = events.filter((recorded) => recorded.position <= position);
      for (const recorded of known) {
        const event = fromRecordedEvent(recorded);
        if (isTenantEvent(event)) state = evolveTenant(state, event);
      }
      if (known.length < events.length || events.length < tenantStreamPageEventsMax) break;
      fromRevision = events.at(-1)!.revision + 1;
    }
    assert(state !== null, `tenant ${tenantId} was registered before its document at ${position}`);
    return billToFromTenant({ tenantId: state.tenantId, name: state.name, billingDetails: state.billingDetails });
  }
}
