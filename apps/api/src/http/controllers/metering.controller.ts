import { Controller, Get, HttpCode, Inject, Post } from '@nestjs/common';
import { CorrectionAnswer, LeaseUsageAnswer, UsageBatchAnswer, CorrectUsageBody, Identifier, UsageBatchBody, UsageCloudEvent, UsageCloudEventBatch, UsageQuery, type UsageRecordBody } from '@compute-ledger/contracts';
import type { z } from 'zod';
import { Allow } from '../auth/permissions.js';
import { CurrentCaller, type RequestCaller } from '../common/caller.decorator.js';
import { Doc, repeatAnswers } from '../common/endpoint.js';
import type { Answer } from '../common/answer.js';
import { binaryModeEvent, binaryModeHeaders, cloudEventContentType, cloudEventsBatchContentType, isBinaryModeEvent } from '../common/cloudevents.js';
import { BodyByContentType, ValidBody, ValidParam, ValidQuery, type BodyEncoding, type HeaderEncoding } from '../common/validation.js';
import { LedgerCommandsService } from '../ledger-commands.service.js';
import { LedgerReadsService } from '../ledger-reads.service.js';

/** A CloudEvents usage batch is the same readings in another envelope. */
const CloudEventsUsageBatch = UsageCloudEventBatch.transform((events): UsageBatchBody => ({ records: events.map(recordOfCloudEvent) }));
/** One CloudEvent, in structured or binary mode, is a batch of one. */
const CloudEventUsageRecord = UsageCloudEvent.transform((event): UsageBatchBody => ({ records: [recordOfCloudEvent(event)] }));

/** The body of POST /v1/usage in each content type it is taken in. */
const usageEncodings: Record<string, BodyEncoding> = {
  'application/json': { schema: UsageBatchBody, batchAt: 'records' },
  [cloudEventsBatchContentType]: { schema: CloudEventsUsageBatch, batchAt: '' },
  [cloudEventContentType]: { schema: CloudEventUsageRecord },
};

/** One CloudEvent in binary mode: attributes in `ce-*` headers, the data (JSON) as the body. */
const binaryModeUsage: HeaderEncoding = {
  applies: (request) => isBinaryModeEvent(request.headers),
  parse: (request) => binaryModeEvent(CloudEventUsageRecord, request.headers, request.body),
};

/** Usage readings from the metering pipeline, and what they add up to. */
@Controller('v1')
export class MeteringController {
  constructor(
    @Inject(LedgerCommandsService) private readonly commands: LedgerCommandsService,
    @Inject(LedgerReadsService) private readonly reads: LedgerReadsService,
  ) {}

  @Post('usage') @HttpCode(202) @Allow('usage.write')
  @Doc({
    summary: 'Record a batch of usage readings (atomic: all or none)',
    description:
      'At most 10,000 records. JSON `{records}`; or CloudEvents 1.0 (`id` the readingId, `source` the meter, `subject` the leaseId, `type` `gpu.usage.v1`, `data` `{periodStart, periodEnd, gpuHours}`) ' +
      'in any mode of the CloudEvents HTTP binding: a batch (`application/cloudevents-batch+json`), one event structured (`application/cloudevents+json`), ' +
      'or one event in binary mode (its attributes in `ce-*` headers, its data as an `application/json` body). One event is a batch of one; every mode has the same answer.',
    tags: ['metering'],
    answer: UsageBatchAnswer,
    requestHeaders: binaryModeHeaders,
  })
  recordUsage(
    @BodyByContentType(usageEncodings, 'application/json', binaryModeUsage) body: UsageBatchBody,
    @CurrentCaller() caller: RequestCaller,
  ) {
    return this.commands.recordUsage(body, caller);
  }

  @Post('usage/corrections') @HttpCode(201) @Allow('usage.write') @Doc({ summary: 'Correct a usage reading', answer: CorrectionAnswer, tags: ['metering'], alsoAnswers: repeatAnswers })
  correctUsage(@ValidBody(CorrectUsageBody) body: CorrectUsageBody, @CurrentCaller() caller: RequestCaller): Promise<Answer<CorrectionAnswer>> {
    return this.commands.correctUsage(body, caller);
  }

  @Get('leases/:leaseId/usage') @Allow('usage.read') @Doc({ summary: 'A lease’s metered, committed and allocated GPU-hours for a month', answer: LeaseUsageAnswer, tags: ['metering'] })
  usage(@ValidParam('leaseId', Identifier) leaseId: string, @ValidQuery(UsageQuery) query: z.infer<typeof UsageQuery>, @CurrentCaller() caller: RequestCaller): Promise<LeaseUsageAnswer> {
    return this.reads.usage(leaseId, query, caller);
  }
}

function recordOfCloudEvent(event: z.infer<typeof UsageCloudEventBatch>[number]): UsageRecordBody {
  return { readingId: event.id, leaseId: event.subject, periodStart: event.data.periodStart, periodEnd: event.data.periodEnd, gpuHours: event.data.gpuHours, source: event.source };
}
