import { Controller, Get, HttpCode, Inject, Post } from '@nestjs/common';
import { PeriodAnswer, PeriodCloseAnswer, PeriodsAnswer, RequestMonth } from '@compute-ledger/contracts';
import { Allow } from '../auth/permissions.js';
import { CurrentCaller, type RequestCaller } from '../common/caller.decorator.js';
import { Doc } from '../common/endpoint.js';
import type { Answer } from '../common/answer.js';
import { ValidParam, ValidQuery } from '../common/validation.js';
import { LedgerCommandsService } from '../ledger-commands.service.js';
import { LedgerReadsService } from '../ledger-reads.service.js';
import { KnownAtQuery } from '../queries.js';

const tags = ['periods'];

/** Closed periods: finance closes a month once its books are final; readers see the seals. */
@Controller('v1/periods')
export class PeriodsController {
  constructor(
    @Inject(LedgerCommandsService) private readonly commands: LedgerCommandsService,
    @Inject(LedgerReadsService) private readonly reads: LedgerReadsService,
  ) {}

  @Post(':month/close') @HttpCode(201) @Allow('periods.close') @Doc({ summary: 'Close a service month: its books never change again; the answer carries its seal (the log head at the close)', description: 'Answers 409 when the month is closed already, is not the next to close, or its billing run has not run.', answer: PeriodCloseAnswer, tags })
  close(@ValidParam('month', RequestMonth) month: string, @CurrentCaller() caller: RequestCaller): Promise<Answer<PeriodCloseAnswer>> {
    return this.commands.closePeriod(month, caller);
  }

  @Get() @Allow('reports.read') @Doc({ summary: 'Closed months with their seals and the prior-period adjustments booked after each', answer: PeriodsAnswer, tags })
  periods(@ValidQuery(KnownAtQuery) query: KnownAtQuery): Promise<PeriodsAnswer> {
    return this.reads.reports.periods(query);
  }

  @Get(':month') @Allow('reports.read') @Doc({ summary: 'A closed month: its seal and the prior-period adjustments booked after it', answer: PeriodAnswer, tags })
  period(@ValidParam('month', RequestMonth) month: string, @ValidQuery(KnownAtQuery) query: KnownAtQuery): Promise<PeriodAnswer> {
    return this.reads.reports.period(month, query);
  }
}
