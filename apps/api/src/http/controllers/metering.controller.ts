import { Controller, Get, HttpCode, Inject, Post } from '@nestjs/common';
import { CorrectUsageBody, Identifier, UsageBatchBody, UsageCloudEventBatch, UsageQuery, type UsageRecordBody } from '@compute-ledger/contracts';
import type { z } from 'zod';
import { Allow } from '../auth/permissions.js';
import { CurrentCaller, type RequestCaller } from '../common/caller.decorator.js';
import { Doc, repeatAnswers } from '../common/endpoint.js';
import { BodyByContentType, ValidBody, ValidParam, ValidQuery } from '../common/validation.js';
import { LedgerCommandsService } from '../ledger-commands.service.js';
import { LedgerReadsService } from '../ledger-reads.service.js';

export const cloudEventsBatchContentType = 'application/cloudevents-batch+json';

/** A CloudEvents usage batch is the same readings in another envelope. */
const CloudEventsUsageBatch = UsageCloudEventBatch.transform((events): UsageBatchBody => ({ records: events.map(recordOfCloudEvent) }));

/** Usage readings from the metering pipeline, and what they add up to. */
@Controller('v1')
export class MeteringController {
  constructor(
    @Inject(LedgerCommandsService) private readonly commands: LedgerCommandsService,
    @Inject(LedgerReadsService) private readonly reads: LedgerReadsService,
  ) {}

  @Post('usage') @HttpCode(202) @Allow('usage.write')
  @Doc({ summary: 'Record a batch of usage readings (atomic: all or none)', description: 'At most 10,000 records. JSON `{records}`, or a CloudEvents 1.0 batch with Content-Type application/cloudevents-batch+json.', tags: ['metering'] })
  recordUsage(
    @BodyByContentType({ 'application/json': { schema: UsageBatchBody, batchAt: 'records' }, [cloudEventsBatchContentType]: { schema: CloudEventsUsageBatch, batchAt: '' } }, 'application/json') body: UsageBatchBody,
    @CurrentCaller() caller: RequestCaller,
  ) {
    return this.commands.recordUsage(body, caller);
  }

  @Post('usage/corrections') @HttpCode(201) @Allow('usage.write') @Doc({ summary: 'Correct a usage reading', tags: ['metering'], alsoAnswers: repeatAnswers })
  correctUsage(@ValidBody(CorrectUsageBody) body: CorrectUsageBody, @CurrentCaller() caller: RequestCaller) {
    return this.commands.correctUsage(body, caller);
  }

  @Get('leases/:leaseId/usage') @Allow('usage.read') @Doc({ summary: 'A lease’s metered, committed and allocated GPU-hours for a month', tags: ['metering'] })
  usage(@ValidParam('leaseId', Identifier) leaseId: string, @ValidQuery(UsageQuery) query: z.infer<typeof UsageQuery>, @CurrentCaller() caller: RequestCaller) {
    return this.reads.usage(leaseId, query, caller);
  }
}

function recordOfCloudEvent(event: z.infer<typeof UsageCloudEventBatch>[number]): UsageRecordBody {
  return { readingId: event.id, leaseId: event.subject, periodStart: event.data.periodStart, periodEnd: event.data.periodEnd, gpuHours: event.data.gpuHours, source: event.source };
}
