/** The reports of API.md, by the name of their path (and of `ledger report <name>`). */
export const reportNames = ['mrr', 'mrr-movements', 'revenue', 'backlog', 'trial-balance', 'contract-balances', 'ar-aging', 'reconciliation', 'capacity', 'rpo', 'credits'] as const;
export type ReportName = (typeof reportNames)[number];

/** Reports that take a month rather than an instant. */
export const monthReports: readonly ReportName[] = ['mrr-movements', 'revenue', 'reconciliation'];
