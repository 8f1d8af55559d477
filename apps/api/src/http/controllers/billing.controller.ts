import { Controller, Get, HttpCode, Inject, Post } from '@nestjs/common';
import { IssueCreditNoteBody, RecordPaymentBody, RunBillingBody } from '@compute-ledger/contracts';
import { z } from 'zod';
import { Allow } from '../auth/permissions.js';
import { CurrentCaller, type RequestCaller } from '../common/caller.decorator.js';
import { Doc, repeatAnswers } from '../common/endpoint.js';
import { ValidBody, ValidParam, ValidQuery } from '../common/validation.js';
import { LedgerCommandsService } from '../ledger-commands.service.js';
import { LedgerReadsService } from '../ledger-reads.service.js';
import { InvoiceListQuery, KnownAtQuery } from '../queries.js';

/** A document number as the ledger issues it (INV-000001, CN-000001). */
const DocumentNumber = z.string().min(1).max(64).regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'must be a document number such as INV-000001');

/** Billing runs, invoices, payments and credit notes. */
@Controller('v1')
export class BillingController {
  constructor(
    @Inject(LedgerCommandsService) private readonly commands: LedgerCommandsService,
    @Inject(LedgerReadsService) private readonly reads: LedgerReadsService,
  ) {}

  @Post('billing-runs') @HttpCode(201) @Allow('billing.run') @Doc({ summary: 'Run billing for a billing date (once per date)', tags: ['billing'], alsoAnswers: { 200: 'the run for this date is already done: its result, nothing issued' } })
  runBilling(@ValidBody(RunBillingBody) body: RunBillingBody, @CurrentCaller() caller: RequestCaller) {
    return this.commands.runBilling(body.billingDate, caller);
  }

  @Get('billing-runs') @Allow('billing-runs.read') @Doc({ summary: 'The completed billing runs', tags: ['billing'] })
  billingRuns() {
    return this.reads.billingRuns();
  }

  @Get('invoices') @Allow('invoices.read') @Doc({ summary: 'Billing documents, without line sources', tags: ['billing'] })
  invoices(@ValidQuery(InvoiceListQuery) query: InvoiceListQuery, @CurrentCaller() caller: RequestCaller) {
    return this.reads.invoices(query, caller);
  }

  @Get('invoices/:invoiceId') @Allow('invoices.read') @Doc({ summary: 'A billing document with its lines and their sources', tags: ['billing'] })
  invoice(@ValidParam('invoiceId', DocumentNumber) invoiceId: string, @ValidQuery(KnownAtQuery) query: KnownAtQuery, @CurrentCaller() caller: RequestCaller) {
    return this.reads.invoice(invoiceId, query, caller);
  }

  @Post('payments') @HttpCode(201) @Allow('receivables.write') @Doc({ summary: 'Record a payment', tags: ['billing'], alsoAnswers: repeatAnswers })
  recordPayment(@ValidBody(RecordPaymentBody) body: RecordPaymentBody, @CurrentCaller() caller: RequestCaller) {
    return this.commands.recordPayment(body, caller);
  }

  @Post('credit-notes') @HttpCode(201) @Allow('receivables.write') @Doc({ summary: 'Issue a credit note by hand', tags: ['billing'], alsoAnswers: repeatAnswers })
  issueCreditNote(@ValidBody(IssueCreditNoteBody) body: IssueCreditNoteBody, @CurrentCaller() caller: RequestCaller) {
    return this.commands.issueCreditNote(body, caller);
  }
}
