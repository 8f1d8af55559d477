import { Controller, Get, HttpCode, Inject, Post } from '@nestjs/common';
import { DraftAnswer, DraftListAnswer, DraftListQuery, Identifier, InvoiceDocumentAnswer, VoidDraftBody, type InvoiceDocumentAnswer as InvoiceDocument } from '@compute-ledger/contracts';
import { Ledger } from '@compute-ledger/ledger';
import { Allow } from '../auth/permissions.js';
import { created, type Answer } from '../common/answer.js';
import { CurrentCaller, type RequestCaller } from '../common/caller.decorator.js';
import { Doc } from '../common/endpoint.js';
import { ValidBody, ValidParam, ValidQuery } from '../common/validation.js';
import { contextOf } from '../ledger-commands.service.js';
import { KnownAtQuery } from '../queries.js';

const tags = ['billing'];

/**
 * Four-eyes approval (API.md, "Approval and webhooks"): a billing run's documents above
 * `LEDGER_APPROVAL_ABOVE` wait here as drafts until a finance or admin key other than the one
 * that ran the run approves them (issued with the next number of their series) or voids them.
 */
@Controller('v1/drafts')
export class DraftsController {
  constructor(@Inject(Ledger) private readonly ledger: Ledger) {}

  @Get() @Allow('drafts.read') @Doc({ summary: 'Drafts of billing runs awaiting approval, approved or voided, without line sources', answer: DraftListAnswer, tags })
  async drafts(@ValidQuery(DraftListQuery) query: DraftListQuery) {
    const { knownAt, drafts } = await this.ledger.reports.drafts(query);
    return { knownAt, drafts: drafts.map((draft) => ({ ...draft, lines: draft.lines.map(({ sources: _sources, omittedSources: _omitted, ...line }) => line) })) };
  }

  @Get(':draftId') @Allow('drafts.read') @Doc({ summary: 'A draft with its lines, their sources and its audit trail (who ran the run, who approved or voided it)', answer: DraftAnswer, tags })
  draft(@ValidParam('draftId', Identifier) draftId: string, @ValidQuery(KnownAtQuery) query: KnownAtQuery) {
    return this.ledger.reports.draft(draftId, query.knownAt);
  }

  @Post(':draftId/approve') @HttpCode(201) @Allow('drafts.approve')
  @Doc({
    summary: 'Approve a draft: issues it with the next number of its series, dated as its run; answers the document',
    description: 'Answers 403 to the key that ran the billing run (four eyes), 409 for a voided draft. Approving an approved draft again answers its document, 200.',
    answer: InvoiceDocumentAnswer,
    tags,
    alsoAnswers: { 200: 'the draft was approved already: the document it became, nothing recorded' },
  })
  async approve(@ValidParam('draftId', Identifier) draftId: string, @CurrentCaller() caller: RequestCaller): Promise<Answer<InvoiceDocument>> {
    const { outcome, result } = await this.ledger.billing.approveDraft(draftId, contextOf(caller));
    return created(outcome, await this.ledger.reports.invoice(result.invoiceId));
  }

  @Post(':draftId/void') @HttpCode(201) @Allow('drafts.approve')
  @Doc({
    summary: 'Void a draft with a reason: nothing is issued, and the next billing run bills its lines again; answers the draft',
    description: 'Answers 409 for an approved draft (a credit note corrects an issued document) or one voided with another reason.',
    answer: DraftAnswer,
    tags,
    alsoAnswers: { 200: 'the draft was voided already with this reason: the draft, nothing recorded' },
  })
  async void(@ValidParam('draftId', Identifier) draftId: string, @ValidBody(VoidDraftBody) body: VoidDraftBody, @CurrentCaller() caller: RequestCaller) {
    const { outcome } = await this.ledger.billing.voidDraft(draftId, body.reason, contextOf(caller));
    return created(outcome, await this.ledger.reports.draft(draftId));
  }
}
