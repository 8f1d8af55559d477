import type { BacklogAnswer, MrrAnswer, MrrMovementsAnswer, RevenueAnswer, RpoAnswer } from '../api/types.js';
import { StackedBars, Waterfall, type Series } from '../charts/charts.js';
import { DataTable, type Column } from '../components/data-table.js';
import { Figure, Loaded } from '../components/status.js';
import { AnswerTime } from '../components/time-controls.js';
import { formatMoney, formatMonth, monthsUpTo, sumDecimals } from '../format.js';
import { useLedger, useLoad } from '../ledger-context.js';
import { withParams, type Route } from '../routing.js';

/**
 * Recurring revenue now, how it moved month by month, revenue by kind, and what is still under
 * contract. The months shown end with the one "as of" falls in (the MRR card's month is on the
 * chart too); movements and revenue are month reports, so they take "as known at" only.
 */

const periods = { quarter: 3, year: 12 } as const;
type Period = keyof typeof periods;

interface OverviewData {
  mrr: MrrAnswer;
  backlog: BacklogAnswer;
  rpo: RpoAnswer;
  movements: MrrMovementsAnswer[];
  revenue: RevenueAnswer[];
}

const movementSeries: Series[] = [
  { key: 'new', label: 'New', color: '#16a34a' },
  { key: 'expansion', label: 'Expansion', color: '#4ade80' },
  { key: 'reactivation', label: 'Reactivation', color: '#0d9488' },
  { key: 'contraction', label: 'Contraction', color: '#f97316', sign: -1 },
  { key: 'churn', label: 'Churn', color: '#dc2626', sign: -1 },
];

// SLA credits and credit notes arrive negative already: drawn as they are, below the axis.
const revenueSeries: Series[] = [
  { key: 'commitment', label: 'Commitment', color: '#2563eb' },
  { key: 'usage', label: 'Usage', color: '#7c3aed' },
  { key: 'terminationFees', label: 'Termination fees', color: '#0891b2' },
  { key: 'slaCredits', label: 'SLA credits', color: '#dc2626' },
  { key: 'creditNotes', label: 'Credit notes', color: '#f59e0b' },
];

export function OverviewPage({ route }: { route: Route }) {
  const { api, currency } = useLedger();
  const asOf = route.params.get('asOf') ?? undefined;
  const knownAt = route.params.get('knownAt') ?? undefined;
  const period: Period = route.params.get('period') === 'quarter' ? 'quarter' : 'year';
  const loaded = useLoad(JSON.stringify(['overview', asOf, knownAt, period]), async (): Promise<OverviewData> => {
    const [mrr, backlog, rpo] = await Promise.all([
      api.get<MrrAnswer>('/reports/mrr', { asOf, knownAt }),
      api.get<BacklogAnswer>('/reports/backlog', { asOf, knownAt }),
      api.get<RpoAnswer>('/reports/rpo', { asOf, knownAt }),
    ]);
    // The ledger's answer says which instant "as of" was (its own now when left blank).
    const months = monthsUpTo(mrr.asOf, periods[period]);
    const [movements, revenue] = await Promise.all([
      Promise.all(months.map((month) => api.get<MrrMovementsAnswer>('/reports/mrr-movements', { month, knownAt }))),
      Promise.all(months.map((month) => api.get<RevenueAnswer>('/reports/revenue', { month, knownAt }))),
    ]);
    return { mrr, backlog, rpo, movements, revenue };
  });
  const money = (value: string) => formatMoney(value, currency);

  return (
    <Loaded value={loaded}>
      {({ mrr, backlog, rpo, movements, revenue }) => {
        const selectedMonth = route.params.get('month');
        const chosen = movements.find((answer) => answer.month === selectedMonth);
        const bridge = chosen === undefined ? periodBridge(movements) : monthBridge(chosen);
        return (
          <>
            <AnswerTime asOf={mrr.asOf} knownAt={mrr.knownAt} />
            <section className="figures">
              <Figure name="mrr" label="MRR" amount={mrr.mrr} />
              <Figure name="arr" label="ARR" amount={mrr.arr} />
              <Figure name="backlog" label="Backlog (remaining commitment)" amount={backlog.total} />
            </section>

            <section>
              <div className="section-head">
                <h2>MRR movements</h2>
                <nav className="segmented" aria-label="Period">
                  <a href={withParams(route, { period: 'quarter', month: undefined })} aria-current={period === 'quarter' ? 'true' : undefined} data-period="quarter">
                    Last quarter
                  </a>
                  <a href={withParams(route, { period: undefined, month: undefined })} aria-current={period === 'year' ? 'true' : undefined} data-period="year">
                    Last 12 months
                  </a>
                </nav>
              </div>
              <StackedBars name="mrr-movements" rows={movements.map((answer) => ({ label: formatMonth(answer.month), values: movementValues(answer) }))} series={movementSeries} format={money} />
              <DataTable name="mrr-movements" rows={movements} rowKey={(row) => row.month} columns={movementColumns(route)} />
            </section>

            {bridge === undefined ? null : (
              <section>
                <div className="section-head">
                  <h2>MRR waterfall, {bridge.label}</h2>
                  {selectedMonth === null ? null : <a href={withParams(route, { month: undefined })}>Whole period</a>}
                </div>
                <Waterfall
                  name="mrr-waterfall"
                  format={money}
                  steps={[
                    { label: 'Starting', amount: bridge.startingMrr, role: 'level' },
                    { label: 'New', amount: bridge.new, role: 'up' },
                    { label: 'Expansion', amount: bridge.expansion, role: 'up' },
                    { label: 'Reactivation', amount: bridge.reactivation, role: 'up' },
                    { label: 'Contraction', amount: bridge.contraction, role: 'down' },
                    { label: 'Churn', amount: bridge.churn, role: 'down' },
                    { label: 'Ending', amount: bridge.endingMrr, role: 'level' },
                  ]}
                />
              </section>
            )}

            <section>
              <h2>Revenue by month</h2>
              <StackedBars name="revenue" rows={revenue.map((answer) => ({ label: formatMonth(answer.month), values: revenueValues(answer) }))} series={revenueSeries} format={money} />
              <DataTable name="revenue" rows={revenue} rowKey={(row) => row.month} columns={revenueColumns} />
            </section>

            <div className="columns">
              <section>
                <h2>MRR by tenant</h2>
                <DataTable name="mrr-tenants" rows={mrr.tenants} rowKey={(row) => row.tenantId} columns={tenantMrrColumns} initialSort={{ key: 'mrr', direction: 'descending' }} footer={{ label: 'Total', values: { mrr: mrr.mrr, arr: mrr.arr } }} />
              </section>
              <section>
                <h2>Backlog by lease</h2>
                <AnswerTime asOf={backlog.asOf} knownAt={backlog.knownAt} />
                <DataTable name="backlog" rows={backlog.leases} rowKey={(row) => row.leaseId} columns={backlogColumns} initialSort={{ key: 'remaining', direction: 'descending' }} footer={{ label: 'Total', values: { remaining: backlog.total } }} />
              </section>
            </div>

            <section>
              <h2>Remaining performance obligation</h2>
              <AnswerTime asOf={rpo.asOf} knownAt={rpo.knownAt} />
              <p className="muted" data-rpo-excludes>The backlog by when it will be delivered; excludes {rpo.excludes}.</p>
              <DataTable name="rpo" rows={rpo.leases} rowKey={(row) => row.leaseId} columns={rpoColumns} initialSort={{ key: 'within12Months', direction: 'descending' }} footer={{ label: 'Total', values: { ...rpo.bands } }} />
            </section>
          </>
        );
      }}
    </Loaded>
  );
}

interface Bridge {
  label: string;
  startingMrr: string;
  new: string;
  expansion: string;
  reactivation: string;
  contraction: string;
  churn: string;
  endingMrr: string;
}

/**
 * The whole period as one bridge: the first month's starting MRR, each movement summed over the
 * months (exactly, as decimals), and the last month's ending MRR. Months chain (a month starts
 * where the one before ended), so the bridge closes as each month's does.
 */
function periodBridge(movements: readonly MrrMovementsAnswer[]): Bridge | undefined {
  const first = movements[0];
  const last = movements.at(-1);
  if (first === undefined || last === undefined) return undefined;
  const total = (pick: (answer: MrrMovementsAnswer) => string) => sumDecimals(movements.map(pick));
  return {
    label: first === last ? formatMonth(first.month) : `${formatMonth(first.month)} to ${formatMonth(last.month)}`,
    startingMrr: first.startingMrr,
    new: total((answer) => answer.new),
    expansion: total((answer) => answer.expansion),
    reactivation: total((answer) => answer.reactivation),
    contraction: total((answer) => answer.contraction),
    churn: total((answer) => answer.churn),
    endingMrr: last.endingMrr,
  };
}

function monthBridge(answer: MrrMovementsAnswer): Bridge {
  return { ...answer, label: formatMonth(answer.month) };
}

function movementValues(answer: MrrMovementsAnswer): Record<string, string> {
  return { new: answer.new, expansion: answer.expansion, reactivation: answer.reactivation, contraction: answer.contraction, churn: answer.churn };
}

function revenueValues(answer: RevenueAnswer): Record<string, string> {
  return { commitment: answer.commitment, usage: answer.usage, terminationFees: answer.terminationFees, slaCredits: answer.slaCredits, creditNotes: answer.creditNotes };
}

function movementColumns(route: Route): Column<MrrMovementsAnswer>[] {
  return [
    {
      key: 'month',
      header: 'Month',
      kind: 'text',
      value: (row) => row.month,
      render: (row) => (
        <a href={withParams(route, { month: row.month })} title="Show this month's waterfall">
          {formatMonth(row.month)}
        </a>
      ),
    },
    { key: 'startingMrr', header: 'Starting MRR', kind: 'money', value: (row) => row.startingMrr },
    { key: 'new', header: 'New', kind: 'money', value: (row) => row.new },
    { key: 'expansion', header: 'Expansion', kind: 'money', value: (row) => row.expansion },
    { key: 'reactivation', header: 'Reactivation', kind: 'money', value: (row) => row.reactivation },
    { key: 'contraction', header: 'Contraction', kind: 'money', value: (row) => row.contraction },
    { key: 'churn', header: 'Churn', kind: 'money', value: (row) => row.churn },
    { key: 'endingMrr', header: 'Ending MRR', kind: 'money', value: (row) => row.endingMrr },
  ];
}

const revenueColumns: Column<RevenueAnswer>[] = [
  { key: 'month', header: 'Month', kind: 'text', value: (row) => row.month, render: (row) => formatMonth(row.month) },
  { key: 'commitment', header: 'Commitment', kind: 'money', value: (row) => row.commitment },
  { key: 'usage', header: 'Usage', kind: 'money', value: (row) => row.usage },
  { key: 'terminationFees', header: 'Termination fees', kind: 'money', value: (row) => row.terminationFees },
  { key: 'slaCredits', header: 'SLA credits', kind: 'money', value: (row) => row.slaCredits },
  { key: 'creditNotes', header: 'Credit notes', kind: 'money', value: (row) => row.creditNotes },
  { key: 'total', header: 'Total', kind: 'money', value: (row) => row.total },
];

const tenantMrrColumns: Column<MrrAnswer['tenants'][number]>[] = [
  { key: 'tenantId', header: 'Tenant', kind: 'text', value: (row) => row.tenantId },
  { key: 'mrr', header: 'MRR', kind: 'money', value: (row) => row.mrr },
  { key: 'arr', header: 'ARR', kind: 'money', value: (row) => row.arr },
];

const rpoColumns: Column<RpoAnswer['leases'][number]>[] = [
  { key: 'leaseId', header: 'Lease', kind: 'text', value: (row) => row.leaseId },
  { key: 'tenantId', header: 'Tenant', kind: 'text', value: (row) => row.tenantId },
  { key: 'within12Months', header: 'Within 12 months', kind: 'money', value: (row) => row.within12Months },
  { key: 'months13to24', header: '13-24 months', kind: 'money', value: (row) => row.months13to24 },
  { key: 'months25to36', header: '25-36 months', kind: 'money', value: (row) => row.months25to36 },
  { key: 'beyond36Months', header: 'Beyond 36 months', kind: 'money', value: (row) => row.beyond36Months },
];

const backlogColumns: Column<BacklogAnswer['leases'][number]>[] = [
  { key: 'leaseId', header: 'Lease', kind: 'text', value: (row) => row.leaseId },
  { key: 'tenantId', header: 'Tenant', kind: 'text', value: (row) => row.tenantId },
  { key: 'remaining', header: 'Remaining', kind: 'money', value: (row) => row.remaining },
];
