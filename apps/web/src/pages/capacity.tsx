import type { CapacityAnswer } from '../api/types.js';
import { StackedBars, type Series } from '../charts/charts.js';
import { DataTable, type Column } from '../components/data-table.js';
import { Loaded } from '../components/status.js';
import { AnswerTime } from '../components/time-controls.js';
import { countOf } from '../format.js';
import { useLedger, useLoad } from '../ledger-context.js';
import type { Route } from '../routing.js';

/** GPUs per site at "as of": allocated to leases, and free. */

type Site = CapacityAnswer['sites'][number];

const series: Series[] = [
  { key: 'allocated', label: 'Allocated', color: '#2563eb' },
  { key: 'free', label: 'Free', color: '#cbd5e1' },
];

export function CapacityPage({ route }: { route: Route }) {
  const { api } = useLedger();
  const asOf = route.params.get('asOf') ?? undefined;
  const knownAt = route.params.get('knownAt') ?? undefined;
  const loaded = useLoad(JSON.stringify(['capacity', asOf, knownAt]), () => api.get<CapacityAnswer>('/reports/capacity', { asOf, knownAt }));
  return (
    <Loaded value={loaded}>
      {(capacity) => (
        <>
          <AnswerTime asOf={capacity.asOf} knownAt={capacity.knownAt} />
          <section>
            <h2>GPUs per site</h2>
            <StackedBars name="capacity" rows={capacity.sites.map((site) => ({ label: site.siteId, values: { allocated: String(site.allocated), free: String(site.free) } }))} series={series} format={(value) => countOf(Number(value), 'GPU')} />
            <DataTable name="capacity" rows={capacity.sites} rowKey={(row) => row.siteId} columns={columns} />
          </section>
        </>
      )}
    </Loaded>
  );
}

const columns: Column<Site>[] = [
  { key: 'siteId', header: 'Site', kind: 'text', value: (row) => row.siteId },
  { key: 'gpuSku', header: 'GPU', kind: 'text', value: (row) => row.gpuSku },
  { key: 'gpuCount', header: 'GPUs', kind: 'count', value: (row) => row.gpuCount },
  { key: 'allocated', header: 'Allocated', kind: 'count', value: (row) => row.allocated },
  { key: 'free', header: 'Free', kind: 'count', value: (row) => row.free },
  {
    key: 'utilization',
    header: 'Allocated share',
    kind: 'count',
    // GPU counts are whole numbers, not money: a percentage of them may be computed as a number.
    value: (row) => (row.gpuCount === 0 ? 0 : row.allocated / row.gpuCount),
    render: (row) => (row.gpuCount === 0 ? '' : `${((100 * row.allocated) / row.gpuCount).toFixed(1)} %`),
  },
];
