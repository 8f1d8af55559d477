import { Controller, Get, Inject } from '@nestjs/common';
import {
  ArAgingReportAnswer,
  AsOfQuery,
  BacklogReportAnswer,
  CapacityReportAnswer,
  ContractBalancesReportAnswer,
  CreditsReportAnswer,
  MonthQuery,
  MrrMovementsReportAnswer,
  MrrReportAnswer,
  ReconciliationReportAnswer,
  RevenueReportAnswer,
  RpoAnswer,
  TrialBalanceReportAnswer,
} from '@compute-ledger/contracts';
import type { z } from 'zod';
import { Allow } from '../auth/permissions.js';
import { Doc } from '../common/endpoint.js';
import { ValidQuery } from '../common/validation.js';
import { LedgerReadsService } from '../ledger-reads.service.js';

type AsOf = z.infer<typeof AsOfQuery>;
type Month = z.infer<typeof MonthQuery>;
const tags = ['reports'];

/** Every report for (asOf or month, knownAt); each answer repeats both. */
@Controller('v1/reports')
export class ReportsController {
  constructor(@Inject(LedgerReadsService) private readonly reads: LedgerReadsService) {}

  @Get('mrr') @Allow('reports.read') @Doc({ summary: 'MRR and ARR at an instant, per tenant', answer: MrrReportAnswer, tags })
  mrr(@ValidQuery(AsOfQuery) query: AsOf): Promise<MrrReportAnswer> {
    return this.reads.report('mrr', query);
  }

  @Get('mrr-movements') @Allow('reports.read') @Doc({ summary: 'MRR movements of a month: new, reactivation, expansion, contraction, churn', answer: MrrMovementsReportAnswer, tags })
  mrrMovements(@ValidQuery(MonthQuery) query: Month): Promise<MrrMovementsReportAnswer> {
    return this.reads.report('mrr-movements', query);
  }

  @Get('revenue') @Allow('reports.read') @Doc({ summary: 'Revenue recognized for a month, per lease', answer: RevenueReportAnswer, tags })
  revenue(@ValidQuery(MonthQuery) query: Month): Promise<RevenueReportAnswer> {
    return this.reads.report('revenue', query);
  }

  @Get('backlog') @Allow('reports.read') @Doc({ summary: 'Remaining contracted commitment at an instant', answer: BacklogReportAnswer, tags })
  backlog(@ValidQuery(AsOfQuery) query: AsOf): Promise<BacklogReportAnswer> {
    return this.reads.report('backlog', query);
  }

  @Get('rpo') @Allow('reports.read') @Doc({ summary: 'Remaining performance obligation at an instant, in four bands of 12 months, usage excluded', answer: RpoAnswer, tags })
  rpo(@ValidQuery(AsOfQuery) query: AsOf): Promise<RpoAnswer> {
    return this.reads.report('rpo', query);
  }

  @Get('trial-balance') @Allow('reports.read') @Doc({ summary: 'Trial balance of the journal at an instant', answer: TrialBalanceReportAnswer, tags })
  trialBalance(@ValidQuery(AsOfQuery) query: AsOf): Promise<TrialBalanceReportAnswer> {
    return this.reads.report('trial-balance', query);
  }

  @Get('contract-balances') @Allow('reports.read') @Doc({ summary: 'Deferred revenue and unbilled receivables per lease', answer: ContractBalancesReportAnswer, tags })
  contractBalances(@ValidQuery(AsOfQuery) query: AsOf): Promise<ContractBalancesReportAnswer> {
    return this.reads.report('contract-balances', query);
  }

  @Get('ar-aging') @Allow('reports.read') @Doc({ summary: 'Receivables by days past due', answer: ArAgingReportAnswer, tags })
  arAging(@ValidQuery(AsOfQuery) query: AsOf): Promise<ArAgingReportAnswer> {
    return this.reads.report('ar-aging', query);
  }

  @Get('reconciliation') @Allow('reports.read') @Doc({ summary: 'Committed, allocated, metered and invoiced per lease for a month', answer: ReconciliationReportAnswer, tags })
  reconciliation(@ValidQuery(MonthQuery) query: Month): Promise<ReconciliationReportAnswer> {
    return this.reads.report('reconciliation', query);
  }

  @Get('credits') @Allow('reports.read') @Doc({ summary: 'Credit grants: amount, drawn, expired and remaining at an instant', answer: CreditsReportAnswer, tags })
  credits(@ValidQuery(AsOfQuery) query: AsOf) {
    return this.reads.report('credits', query);
  }

  @Get('capacity') @Allow('capacity.read') @Doc({ summary: 'Allocated and free GPUs per site at an instant', answer: CapacityReportAnswer, tags })
  capacity(@ValidQuery(AsOfQuery) query: AsOf): Promise<CapacityReportAnswer> {
    return this.reads.report('capacity', query);
  }
}
