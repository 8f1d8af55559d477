import { describe, expect, it } from 'vitest';
import { reportNames } from '../shared/report-names.js';
import { renderReportCsv, reportCsvColumns } from './report-csv.js';

const lines = (csv: string) => csv.split('\r\n');

describe('reports as CSV', () => {
  it('writes a report as its list with context columns and a total row', () => {
    const answer = { asOf: '2026-01-01T00:00:00Z', knownAt: '2026-01-02T00:00:00Z', accounts: [{ account: '1100', name: 'Receivables', debit: '10.00', credit: '0.00' }, { account: '4000', name: 'Revenue', debit: '0.00', credit: '10.00' }], totalDebit: '10.00', totalCredit: '10.00' };
    expect(lines(renderReportCsv('trial-balance', answer))).toEqual([
      'asOf,knownAt,account,name,debit,credit',
      '2026-01-01T00:00:00Z,2026-01-02T00:00:00Z,1100,Receivables,10.00,0.00',
      '2026-01-01T00:00:00Z,2026-01-02T00:00:00Z,4000,Revenue,0.00,10.00',
      '2026-01-01T00:00:00Z,2026-01-02T00:00:00Z,total,,10.00,10.00',
      '',
    ]);
  });

  it('keeps the columns of a month without data, and its total row complete', () => {
    const empty = { month: '2024-01', knownAt: '2026-01-02T00:00:00Z', commitment: '0.00', usage: '0.00', terminationFees: '0.00', slaCredits: '0.00', creditNotes: '0.00', promotionalCredits: '0.00', expiredCredits: '0.00', total: '0.00', leases: [] };
    const header = 'month,knownAt,leaseId,tenantId,commitment,usage,terminationFees,slaCredits,creditNotes,promotionalCredits,expiredCredits,total';
    expect(lines(renderReportCsv('revenue', empty))).toEqual([header, '2024-01,2026-01-02T00:00:00Z,total,,0.00,0.00,0.00,0.00,0.00,0.00,0.00,0.00', '']);
    const busy = { ...empty, commitment: '100.00', creditNotes: '-5.00', total: '95.00', leases: [{ leaseId: 'L-1', tenantId: 't', commitment: '100.00', usage: '0.00', terminationFees: '0.00', slaCredits: '0.00' }] };
    expect(lines(renderReportCsv('revenue', busy))).toEqual([
      header,
      '2024-01,2026-01-02T00:00:00Z,L-1,t,100.00,0.00,0.00,0.00,,,,',
      // 100.00 commitment - 5.00 credit notes = 95.00
      '2024-01,2026-01-02T00:00:00Z,total,,100.00,0.00,0.00,0.00,-5.00,0.00,0.00,95.00',
      '',
    ]);
  });

  it('has stable columns for every report, records of known keys included', () => {
    for (const name of reportNames) expect(reportCsvColumns(name).length, name).toBeGreaterThan(2);
    expect(reportCsvColumns('reconciliation')).toEqual(expect.arrayContaining(['chargesByKind.commitment', 'chargesByKind.overage', 'chargesByKind.sla_credit', 'chargesByKind.termination_fee', 'ok']));
    expect(reportCsvColumns('backlog')).toEqual(['asOf', 'knownAt', 'leaseId', 'tenantId', 'remaining']);
    expect(reportCsvColumns('ar-aging')).toEqual(['asOf', 'knownAt', 'tenantId', 'current', 'days1to30', 'days31to60', 'days61to90', 'over90', 'total', 'creditBalance']);
    expect(lines(renderReportCsv('capacity', { asOf: 'a', knownAt: 'k', sites: [] }))).toEqual(['asOf,knownAt,siteId,gpuSku,gpuCount,allocated,free', '']);
  });
});
