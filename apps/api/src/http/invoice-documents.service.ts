import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { documentContentTypes, documentFormats, InvoiceDocuments, type DocumentFormat } from '../shared/invoice-documents.js';
import { Answer } from './common/answer.js';
import type { RequestCaller } from './common/caller.decorator.js';
import { matchesIfNoneMatch, preferredMediaType } from './common/content-negotiation.js';
import { LedgerReadsService } from './ledger-reads.service.js';
import type { InvoiceDocumentQuery } from './queries.js';

/** Media types a document is offered in, PDF first: what a client that states no preference gets. */
const offeredMediaTypes = documentFormats.map((format) => documentContentTypes[format].split(';')[0]!);

/**
 * The HTML page draws with inline CSS only and fetches nothing. The policy makes a browser hold
 * it to that, so text from billing details could never run or load anything even if it slipped
 * past the escaping.
 */
const htmlContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

/**
 * Billing documents over HTTP: who may see which is LedgerReadsService's tenant boundary (another
 * tenant's document answers 404 like an unknown number); the bytes come from InvoiceDocuments,
 * the same the `ledger` command writes.
 */
@Injectable()
export class InvoiceDocumentsService {
  constructor(
    @Inject(LedgerReadsService) private readonly reads: LedgerReadsService,
    @Inject(InvoiceDocuments) private readonly documents: InvoiceDocuments,
  ) {}

  async answer(invoiceId: string, query: InvoiceDocumentQuery, caller: RequestCaller, request: FastifyRequest, reply: FastifyReply): Promise<Answer<Buffer | string>> {
    const format = query.format ?? formatAccepted(request.headers.accept);
    const view = await this.reads.invoice(invoiceId, query, caller);
    const document = await this.documents.render(view, { format, asIssued: query.asIssued });
    const etag = `"${document.sha256}"`;
    // A document shows customer data and, unless as issued, changes with each payment: private,
    // and revalidated with its entity tag before a cached copy is shown again.
    void reply.header('content-type', document.contentType).header('content-disposition', `inline; filename="${document.fileName}"`).header('etag', etag).header('cache-control', 'private, no-cache').header('x-content-type-options', 'nosniff');
    if (query.format === undefined) void reply.header('vary', 'accept');
    if (format === 'html') void reply.header('content-security-policy', htmlContentSecurityPolicy);
    if (matchesIfNoneMatch(request.headers['if-none-match'], etag)) return new Answer(304, '');
    return new Answer(200, document.bytes);
  }
}

/** The format the Accept header prefers; one that names neither type gets the default PDF. */
function formatAccepted(accept: string | undefined): DocumentFormat {
  const mediaType = preferredMediaType(accept, offeredMediaTypes);
  return mediaType === null ? 'pdf' : documentFormats[offeredMediaTypes.indexOf(mediaType)]!;
}
