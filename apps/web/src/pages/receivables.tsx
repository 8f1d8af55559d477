import type { ArAgingAnswer, CreditGrantsAnswer } from '../api/types.js';
import { StackedBars, type Series } from '../charts/charts.js';
import { DataTable, type Column } from '../components/data-table.js';
import { Figure, Loaded } from '../components/status.js';
import { AnswerTime } from '../components/time-controls.js';
import { formatMoney } from '../format.js';
import { useLedger, useLoad, type Loadable } from '../ledger-context.js';
import type { Route } from '../routing.js';

/** What each tenant owes at "as of", by whole days past the due date (DOMAIN.md: aging). */

type TenantAging = ArAgingAnswer['tenants'][number];

const bucketSeries: Series[] = [
  { key: 'current', label: 'Current', color: '#16a34a' },
  { key: 'days1to30', label: '1-30 days', color: '#facc15' },
  { key: 'days31to60', label: '31-60 days', color: '#f97316' },
  { key: 'days61to90', label: '61-90 days', color: '#ea580c' },
  { key: 'over90', label: 'Over 90 days', color: '#dc2626' },
];

export function ReceivablesPage({ route }: { route: Route }) {
  const { api } = useLedger();
  const asOf = route.params.get('asOf') ?? undefined;
  const knownAt = route.params.get('knownAt') ?? undefined;
  const loaded = useLoad(JSON.stringify(['ar-aging', asOf, knownAt]), () => api.get<ArAgingAnswer>('/reports/ar-aging', { asOf, knownAt }));
  return (
    <>
      <AgingSection loaded={loaded} />
      <CreditGrantsSection asOf={asOf} knownAt={knownAt} />
    </>
  );
}

function AgingSection({ loaded }: { loaded: Loadable<ArAgingAnswer> }) {
  const { currency } = useLedger();
  return (
    <Loaded value={loaded}>
      {(aging) => (
        <>
          <AnswerTime asOf={aging.asOf} knownAt={aging.knownAt} />
          <section className="figures">
            <Figure name="receivables" label="Open receivables" amount={aging.totals.total} />
            <Figure name="over90" label="Over 90 days past due" amount={aging.totals.over90} />
          </section>
          <section>
            <h2>By tenant and days past due</h2>
            <StackedBars
              name="ar-aging"
              rows={aging.tenants.map((tenant) => ({ label: tenant.tenantId, values: { current: tenant.current, days1to30: tenant.days1to30, days31to60: tenant.days31to60, days61to90: tenant.days61to90, over90: tenant.over90 } }))}
              series={bucketSeries}
              format={(value) => formatMoney(value, currency)}
            />
            <DataTable
              name="ar-aging"
              rows={aging.tenants}
              rowKey={(row) => row.tenantId}
              columns={columns}
              initialSort={{ key: 'total', direction: 'descending' }}
              footer={{ label: 'Total', values: { current: aging.totals.current, days1to30: aging.totals.days1to30, days31to60: aging.totals.days31to60, days61to90: aging.totals.days61to90, over90: aging.totals.over90, total: aging.totals.total } }}
            />
          </section>
        </>
      )}
    </Loaded>
  );
}

type Grant = CreditGrantsAnswer['grants'][number];

/** Each tenant's credit grants: what its invoices drew, what expired and what remains, as of asOf. */
function CreditGrantsSection({ asOf, knownAt }: { asOf: string | undefined; knownAt: string | undefined }) {
  const { api } = useLedger();
  const loaded = useLoad(JSON.stringify(['credit-grants', asOf, knownAt]), () => api.get<CreditGrantsAnswer>('/credit-grants', { asOf, knownAt }));
  return (
    <Loaded value={loaded}>
      {(answer) => (
        <section>
          <h2>Credit grants</h2>
          {answer.grants.length === 0 ? (
            <p className="muted">No credit grants.</p>
          ) : (
            <DataTable name="credit-grants" rows={answer.grants} rowKey={(row) => row.grantId} columns={grantColumns} initialSort={{ key: 'tenantId', direction: 'ascending' }} />
          )}
        </section>
      )}
    </Loaded>
  );
}

const grantColumns: Column<Grant>[] = [
  { key: 'tenantId', header: 'Tenant', kind: 'text', value: (row) => row.tenantId },
  { key: 'grantId', header: 'Grant', kind: 'text', value: (row) => row.grantId },
  { key: 'kind', header: 'Kind', kind: 'text', value: (row) => row.kind },
  { key: 'expiresAt', header: 'Expires', kind: 'text', value: (row) => row.expiresAt?.slice(0, 10) ?? 'never' },
  { key: 'amount', header: 'Amount', kind: 'money', value: (row) => row.amount },
  { key: 'drawn', header: 'Drawn', kind: 'money', value: (row) => row.drawn },
  { key: 'expired', header: 'Expired', kind: 'money', value: (row) => row.expired },
  { key: 'remaining', header: 'Remaining', kind: 'money', value: (row) => row.remaining },
];

const columns: Column<TenantAging>[] = [
  { key: 'tenantId', header: 'Tenant', kind: 'text', value: (row) => row.tenantId },
  { key: 'current', header: 'Current', kind: 'money', value: (row) => row.current },
  { key: 'days1to30', header: '1-30 days', kind: 'money', value: (row) => row.days1to30 },
  { key: 'days31to60', header: '31-60 days', kind: 'money', value: (row) => row.days31to60 },
  { key: 'days61to90', header: '61-90 days', kind: 'money', value: (row) => row.days61to90 },
  { key: 'over90', header: 'Over 90 days', kind: 'money', value: (row) => row.over90 },
  { key: 'total', header: 'Total', kind: 'money', value: (row) => row.total },
  { key: 'creditBalance', header: 'Credit balance', kind: 'money', value: (row) => row.creditBalance ?? '0' },
];
