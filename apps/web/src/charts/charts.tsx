import { Bar, BarChart, CartesianGrid, Cell, Legend, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { isZero, plotValue } from '../format.js';

/**
 * Charts draw with numbers, so each value is converted with plotValue (Number of the ledger's
 * string) for its geometry only. Tooltips print the ledger's strings themselves, formatted, so
 * what the chart says in words is exactly what the tables say. Animations are off: a chart
 * that is still moving misleads a screenshot and a reader alike.
 */

export interface Series {
  key: string;
  label: string;
  color: string;
  /** -1 draws the value below the axis: contraction, churn and credits reduce what is above. */
  sign?: 1 | -1;
}

export interface ChartRow {
  label: string;
  /** Series key -> the ledger's decimal string (or a count). */
  values: Record<string, string>;
}

const chartHeightPx = 300;
const axisWidthPx = 84;

export function StackedBars({ name, rows, series, format, onSelect }: { name: string; rows: readonly ChartRow[]; series: readonly Series[]; format: (value: string) => string; onSelect?: (index: number) => void }) {
  const data = rows.map((row) => {
    const point: Record<string, unknown> = { label: row.label, raw: row.values };
    for (const entry of series) point[entry.key] = (entry.sign ?? 1) * plotValue(row.values[entry.key] ?? '0');
    return point;
  });
  return (
    <figure className="chart" data-chart={name}>
      <ResponsiveContainer width="100%" height={chartHeightPx}>
        <BarChart data={data} stackOffset="sign" margin={{ top: 8, right: 16, bottom: 8, left: 8 }} onClick={(state) => onSelect?.(Number(state.activeTooltipIndex ?? -1))}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="label" />
          <YAxis width={axisWidthPx} tickFormatter={compactNumber} />
          <Tooltip formatter={(_value, seriesName, item) => tooltipText(item, seriesName, series, format)} />
          <Legend itemSorter={null} formatter={(value) => <span className="legend-label">{value}</span>} />
          <ReferenceLine y={0} stroke="#6b7280" />
          {series.map((entry) => (
            <Bar key={entry.key} dataKey={entry.key} name={entry.label} stackId="stack" fill={entry.color} isAnimationActive={false} />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </figure>
  );
}

export interface WaterfallStep {
  label: string;
  /** The ledger's decimal string: a level (start, end) or a movement's size. */
  amount: string;
  role: 'level' | 'up' | 'down';
}

/** One month's bridge from starting to ending MRR: each movement floats from where the last one ended. */
export function Waterfall({ name, steps, format }: { name: string; steps: readonly WaterfallStep[]; format: (value: string) => string }) {
  let running = 0;
  const data = steps.map((step) => {
    const size = plotValue(step.amount);
    let range: [number, number];
    if (step.role === 'level') {
      range = [0, size];
      running = size;
    } else if (step.role === 'up') {
      range = [running, running + size];
      running += size;
    } else {
      range = [running - size, running];
      running -= size;
    }
    return { label: step.label, range, amount: step.amount, role: step.role };
  });
  const colors = { level: '#2563eb', up: '#16a34a', down: '#dc2626' } as const;
  return (
    <figure className="chart" data-chart={name}>
      <ResponsiveContainer width="100%" height={chartHeightPx}>
        <BarChart data={data} margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="label" />
          <YAxis width={axisWidthPx} tickFormatter={compactNumber} domain={['auto', 'auto']} />
          <Tooltip formatter={(_value, _name, item) => [format(String((item.payload as { amount?: string } | undefined)?.amount ?? '')), 'MRR']} />
          <Bar dataKey="range" name="MRR" isAnimationActive={false}>
            {data.map((point) => (
              <Cell key={point.label} fill={colors[point.role]} />
            ))}
          </Bar>
        </BarChart>
      </ResponsiveContainer>
      <figcaption>
        <dl className="bridge-values">
          {steps.map((step) => (
            <div key={step.label} data-step={step.label.toLowerCase()} data-value={step.amount}>
              <dt>{step.label}</dt>
              <dd className={step.role === 'down' && !isZero(step.amount) ? 'negative' : undefined}>
                {isZero(step.amount) ? '' : step.role === 'up' ? '+' : step.role === 'down' ? '−' : ''}
                {format(step.amount)}
              </dd>
            </div>
          ))}
        </dl>
      </figcaption>
    </figure>
  );
}

function tooltipText(item: { dataKey?: unknown; payload?: unknown }, seriesName: unknown, series: readonly Series[], format: (value: string) => string): [string, string] {
  const key = typeof item.dataKey === 'string' ? item.dataKey : '';
  const raw = (item.payload as { raw?: Record<string, string> } | undefined)?.raw?.[key] ?? '';
  const label = series.find((entry) => entry.key === key)?.label ?? String(seriesName);
  return [format(raw), label];
}

/** Axis ticks only: 14,673,000 -> 14.7M. */
function compactNumber(value: number): string {
  const size = Math.abs(value);
  if (size >= 1e9) return `${(value / 1e9).toFixed(1)}B`;
  if (size >= 1e6) return `${(value / 1e6).toFixed(1)}M`;
  if (size >= 1e3) return `${(value / 1e3).toFixed(0)}k`;
  return String(value);
}
