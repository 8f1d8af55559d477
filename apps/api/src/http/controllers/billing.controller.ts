import { Controller, Get, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import {
  BillingPreviewAnswer,
  BillingPreviewQuery,
  BillingRunAnswer,
  BillingRunsAnswer,
  CreditGrantAnswer,
  CreditGrantRecordedAnswer,
  CreditGrantsAnswer,
  CreditGrantsQuery,
  DocumentNumber,
  Identifier,
  InvoiceDocumentAnswer,
  InvoiceListAnswer,
  IssueCreditNoteBody,
  PaymentAnswer,
  RecordCreditGrantBody,
  RecordPaymentBody,
  RunBillingBody,
} from '@compute-ledger/contracts';
import type { z } from 'zod';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Allow } from '../auth/permissions.js';
import { CurrentCaller, type RequestCaller } from '../common/caller.decorator.js';
import { Doc, repeatAnswers } from '../common/endpoint.js';
import type { Answer } from '../common/answer.js';
import { ValidBody, ValidParam, ValidQuery } from '../common/validation.js';
import { InvoiceDocumentsService } from '../invoice-documents.service.js';
import { LedgerCommandsService } from '../ledger-commands.service.js';
import { LedgerReadsService } from '../ledger-reads.service.js';
import { InvoiceDocumentQuery, InvoiceListQuery, KnownAtQuery } from '../queries.js';

const documentDoc = {
  summary: 'A billing document as the customer receives it: PDF or HTML',
  description:
    'The invoice or credit note drawn as a document (A4 PDF, or one self-contained HTML page), with the issuer from `LEDGER_ISSUER_*` and the tenant’s billing details. ' +
    'Content-Disposition is inline with the file name `<invoiceId>.pdf` (`.html`); the ETag is the sha256 of the bytes, and a request with a matching If-None-Match answers 304. ' +
    'By default the document shows what is paid and due now, so its bytes change after a payment; with `asIssued=true` they depend only on the log.',
  tags: ['billing'],
  alsoAnswers: { 304: 'If-None-Match names the ETag of these bytes: no body' },
  content: {
    'application/pdf': { type: 'string', contentMediaType: 'application/pdf' },
    'text/html': { type: 'string', contentMediaType: 'text/html' },
  },
  headers: {
    ETag: 'sha256 of the bytes, hex, quoted',
    'Content-Disposition': '`inline; filename="<invoiceId>.pdf"` (or `.html`)',
  },
};

/** Billing runs, invoices, payments and credit notes. */
@Controller('v1')
export class BillingController {
  constructor(
    @Inject(LedgerCommandsService) private readonly commands: LedgerCommandsService,
    @Inject(LedgerReadsService) private readonly reads: LedgerReadsService,
    @Inject(InvoiceDocumentsService) private readonly documents: InvoiceDocumentsService,
  ) {}

  @Post('billing-runs') @HttpCode(201) @Allow('billing.run') @Doc({ summary: 'Run billing for a billing date (once per date)', answer: BillingRunAnswer, tags: ['billing'], alsoAnswers: { 200: 'the run for this date is already done: its result, nothing issued' } })
  runBilling(@ValidBody(RunBillingBody) body: RunBillingBody, @CurrentCaller() caller: RequestCaller): Promise<Answer<BillingRunAnswer>> {
    return this.commands.runBilling(body.billingDate, caller);
  }

  @Get('billing-runs/preview') @Allow('billing-runs.read') @Doc({ summary: 'What a billing run for a date would issue now, credits applied; records nothing', answer: BillingPreviewAnswer, tags: ['billing'] })
  previewBilling(@ValidQuery(BillingPreviewQuery) query: z.infer<typeof BillingPreviewQuery>) {
    return this.reads.billingPreview(query.billingDate);
  }

  @Get('billing-runs') @Allow('billing-runs.read') @Doc({ summary: 'The completed billing runs', answer: BillingRunsAnswer, tags: ['billing'] })
  billingRuns(): Promise<BillingRunsAnswer> {
    return this.reads.billingRuns();
  }

  @Get('invoices') @Allow('invoices.read') @Doc({ summary: 'Billing documents, without line sources', answer: InvoiceListAnswer, tags: ['billing'] })
  invoices(@ValidQuery(InvoiceListQuery) query: InvoiceListQuery, @CurrentCaller() caller: RequestCaller): Promise<InvoiceListAnswer> {
    return this.reads.invoices(query, caller);
  }

  @Get('invoices/:invoiceId') @Allow('invoices.read') @Doc({ summary: 'A billing document with its lines and their sources', answer: InvoiceDocumentAnswer, tags: ['billing'] })
  invoice(@ValidParam('invoiceId', DocumentNumber) invoiceId: string, @ValidQuery(KnownAtQuery) query: KnownAtQuery, @CurrentCaller() caller: RequestCaller): Promise<InvoiceDocumentAnswer> {
    return this.reads.invoice(invoiceId, query, caller);
  }

  @Get('invoices/:invoiceId/document') @Allow('invoices.read') @Doc(documentDoc)
  invoiceDocument(
    @ValidParam('invoiceId', DocumentNumber) invoiceId: string,
    @ValidQuery(InvoiceDocumentQuery) query: InvoiceDocumentQuery,
    @CurrentCaller() caller: RequestCaller,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return this.documents.answer(invoiceId, query, caller, request, reply);
  }

  @Post('payments') @HttpCode(201) @Allow('receivables.write') @Doc({ summary: 'Record a payment', answer: PaymentAnswer, tags: ['billing'], alsoAnswers: repeatAnswers })
  recordPayment(@ValidBody(RecordPaymentBody) body: RecordPaymentBody, @CurrentCaller() caller: RequestCaller): Promise<Answer<PaymentAnswer>> {
    return this.commands.recordPayment(body, caller);
  }

  @Post('credit-grants') @HttpCode(201) @Allow('receivables.write') @Doc({ summary: 'Record a credit grant (prepaid: with its invoice)', answer: CreditGrantRecordedAnswer, tags: ['billing'], alsoAnswers: repeatAnswers })
  recordCreditGrant(@ValidBody(RecordCreditGrantBody) body: RecordCreditGrantBody, @CurrentCaller() caller: RequestCaller) {
    return this.commands.recordCreditGrant(body, caller);
  }

  @Get('credit-grants') @Allow('reports.read') @Doc({ summary: 'Credit grants with what was drawn, expired and remains', answer: CreditGrantsAnswer, tags: ['billing'] })
  creditGrants(@ValidQuery(CreditGrantsQuery) query: z.infer<typeof CreditGrantsQuery>) {
    return this.reads.creditGrants(query);
  }

  @Get('credit-grants/:grantId') @Allow('reports.read') @Doc({ summary: 'One credit grant with each draw', answer: CreditGrantAnswer, tags: ['billing'] })
  creditGrant(@ValidParam('grantId', Identifier) grantId: string, @ValidQuery(CreditGrantsQuery.omit({ tenantId: true })) query: { asOf?: string; knownAt?: string }) {
    return this.reads.creditGrant(grantId, query);
  }

  @Post('credit-notes') @HttpCode(201) @Allow('receivables.write') @Doc({ summary: 'Issue a credit note by hand: answers the credit note document', answer: InvoiceDocumentAnswer, tags: ['billing'], alsoAnswers: repeatAnswers })
  issueCreditNote(@ValidBody(IssueCreditNoteBody) body: IssueCreditNoteBody, @CurrentCaller() caller: RequestCaller): Promise<Answer<InvoiceDocumentAnswer>> {
    return this.commands.issueCreditNote(body, caller);
  }
}
