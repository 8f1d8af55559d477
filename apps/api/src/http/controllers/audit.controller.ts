import { Controller, Get, Inject } from '@nestjs/common';
import { AuditEventsAnswer, AuditStreamAnswer, AuditVerifyAnswer } from '@compute-ledger/contracts';
import { Allow } from '../auth/permissions.js';
import { Doc } from '../common/endpoint.js';
import { ValidParam, ValidQuery } from '../common/validation.js';
import { LedgerReadsService } from '../ledger-reads.service.js';
import { DemoMark } from '../../shared/demo-store.js';
import { AuditEventsQuery, AuditStreamQuery, AuditVerifyQuery, StreamId } from '../queries.js';

const tags = ['audit'];

/** The log itself, for auditors: its events in order, one stream, and the hash chain check. */
@Controller('v1/audit')
export class AuditController {
  constructor(
    @Inject(LedgerReadsService) private readonly reads: LedgerReadsService,
    @Inject(DemoMark) private readonly demoMark: DemoMark,
  ) {}

  @Get('events') @Allow('audit.read') @Doc({ summary: 'Events of the log in global order, a page at a time (limit at most 10,000)', answer: AuditEventsAnswer, tags })
  events(@ValidQuery(AuditEventsQuery) query: AuditEventsQuery): Promise<AuditEventsAnswer> {
    return this.reads.auditEvents(query);
  }

  @Get('streams/:streamId') @Allow('audit.read') @Doc({ summary: 'The events of one stream', answer: AuditStreamAnswer, tags })
  stream(@ValidParam('streamId', StreamId) streamId: string, @ValidQuery(AuditStreamQuery) query: AuditStreamQuery): Promise<AuditStreamAnswer> {
    return this.reads.auditStream(streamId, query);
  }

  @Get('verify') @Allow('audit.read') @Doc({ summary: 'Recompute the hash chain from the first event, check each pinned head, and the model checkpoint against the log', answer: AuditVerifyAnswer, tags })
  async verify(@ValidQuery(AuditVerifyQuery) query: AuditVerifyQuery): Promise<AuditVerifyAnswer> {
    // `demo: true` says the log is the demo neocloud, whatever the chain says of it.
    return { ...(await this.reads.auditVerify(query.expectHead)), demo: await this.demoMark.isDemo() };
  }
}
