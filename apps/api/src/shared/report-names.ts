import { reportAnswers, unreachable, type ReportAnswers } from '@compute-ledger/contracts';
import type { MonthTimeQuery, ReportService, TimeQuery } from '@compute-ledger/ledger';

/** The reports of API.md, by the name of their path (and of `ledger report <name>`): those the contracts answer. */
export type ReportName = keyof typeof reportAnswers;
export const reportNames = Object.keys(reportAnswers) as readonly ReportName[];

/** Reports that take a month rather than an instant. */
export const monthReports: readonly ReportName[] = ['mrr-movements', 'revenue', 'reconciliation'];

/**
 * The report a name stands for, asked with its query: the one dispatch by name that the HTTP
 * API and the command line share. A month report reads `query.month`, the others `asOf`.
 */
export async function reportByName<Name extends ReportName>(reports: ReportService, name: Name, query: TimeQuery | MonthTimeQuery): Promise<ReportAnswers[Name]>;
export async function reportByName(reports: ReportService, name: ReportName, query: TimeQuery | MonthTimeQuery): Promise<ReportAnswers[ReportName]> {
  switch (name) {
    case 'mrr':
      return reports.mrr(query as TimeQuery);
    case 'mrr-movements':
      return reports.mrrMovements(query as MonthTimeQuery);
    case 'revenue':
      return reports.revenue(query as MonthTimeQuery);
    case 'backlog':
      return reports.backlog(query as TimeQuery);
    case 'trial-balance':
      return reports.trialBalance(query as TimeQuery);
    case 'contract-balances':
      return reports.contractBalances(query as TimeQuery);
    case 'ar-aging':
      return reports.arAging(query as TimeQuery);
    case 'reconciliation':
      return reports.reconciliation(query as MonthTimeQuery);
    case 'capacity':
      return reports.capacity(query as TimeQuery);
    case 'rpo':
      return reports.rpo(query as TimeQuery);
    case 'credits':
      return reports.credits(query as TimeQuery);
    default:
      return unreachable(name, 'report');
  }
}
