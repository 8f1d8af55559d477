import type { ReconciliationAnswer, ReconciliationLease } from '../api/types.js';
import { DataTable, type Column } from '../components/data-table.js';
import { Badge, Loaded } from '../components/status.js';
import { AnswerTime } from '../components/time-controls.js';
import { countOf, formatMonth, lastCompleteMonth, monthsEndingWith } from '../format.js';
import { useLedger, useLoad } from '../ledger-context.js';
import { navigate, withParams, type Route } from '../routing.js';

/**
 * Per lease and month: the GPU-hours committed, allocated and metered, the month's charges,
 * what is invoiced and what is not yet. `ok` holds when charges = invoiced + not yet invoiced.
 */

/** Months offered in the picker, counted back from the last complete one. */
const monthChoicesCount = 24;

export function ReconciliationPage({ route }: { route: Route }) {
  const { api, serverNow } = useLedger();
  const knownAt = route.params.get('knownAt') ?? undefined;
  const asOf = route.params.get('asOf') ?? serverNow ?? new Date().toISOString();
  const defaultMonth = lastCompleteMonth(asOf);
  const month = route.params.get('month') ?? defaultMonth;
  const choices = monthsEndingWith(defaultMonth, monthChoicesCount).reverse();
  if (!choices.includes(month)) choices.unshift(month);
  const loaded = useLoad(JSON.stringify(['reconciliation', month, knownAt]), () => api.get<ReconciliationAnswer>('/reports/reconciliation', { month, knownAt }));
  return (
    <>
      <form className="filters" aria-label="Month" onSubmit={(event) => event.preventDefault()}>
        <label>
          <span>Service month</span>
          <select name="month" value={month} onChange={(event) => navigate(withParams(route, { month: event.target.value }))}>
            {choices.map((choice) => (
              <option key={choice} value={choice}>
                {formatMonth(choice)}
              </option>
            ))}
          </select>
        </label>
      </form>
      <Loaded value={loaded}>
        {(report) => (
          <>
            <AnswerTime month={report.month} knownAt={report.knownAt} />
            <p className="reconciliation-status" data-ok={String(report.ok)}>
              {report.ok ? <Badge tone="good">Reconciled</Badge> : <Badge tone="bad">Does not reconcile</Badge>} {countOf(report.leases.length, 'lease')} with charges, invoices or usage in {formatMonth(report.month)}.
            </p>
            <section>
              <h2>Leases</h2>
              <DataTable name="reconciliation" rows={report.leases} rowKey={(row) => row.leaseId} columns={columns} rowClassName={(row) => (row.ok ? undefined : 'not-ok')} empty="No lease has charges, invoices or usage in this month." />
            </section>
          </>
        )}
      </Loaded>
    </>
  );
}

const columns: Column<ReconciliationLease>[] = [
  { key: 'leaseId', header: 'Lease', kind: 'text', value: (row) => row.leaseId },
  { key: 'tenantId', header: 'Tenant', kind: 'text', value: (row) => row.tenantId },
  { key: 'committedGpuHours', header: 'Committed GPU-h', kind: 'quantity', value: (row) => row.committedGpuHours },
  { key: 'allocatedGpuHours', header: 'Allocated GPU-h', kind: 'quantity', value: (row) => row.allocatedGpuHours },
  { key: 'meteredGpuHours', header: 'Metered GPU-h', kind: 'quantity', value: (row) => row.meteredGpuHours },
  { key: 'overageGpuHours', header: 'Overage GPU-h', kind: 'quantity', value: (row) => row.overageGpuHours },
  { key: 'charges', header: 'Charges', kind: 'money', value: (row) => row.charges },
  { key: 'invoiced', header: 'Invoiced', kind: 'money', value: (row) => row.invoiced },
  { key: 'notYetInvoiced', header: 'Not yet invoiced', kind: 'money', value: (row) => row.notYetInvoiced },
  { key: 'ok', header: 'OK', kind: 'boolean', value: (row) => row.ok, render: (row) => (row.ok ? <Badge tone="good">ok</Badge> : <Badge tone="bad">mismatch</Badge>) },
];
