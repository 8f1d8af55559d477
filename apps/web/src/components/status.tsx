import type { ReactNode } from 'react';
import { ApiError } from '../api/client.js';
import type { Loadable } from '../ledger-context.js';
import { formatMoney, isNegative } from '../format.js';
import { useLedger } from '../ledger-context.js';

/** Shows what is loading or what failed, with the API's own words; otherwise the content. */
export function Loaded<T>({ value, children }: { value: Loadable<T>; children: (data: T) => ReactNode }) {
  if (value.state === 'loading') {
    return (
      <p className="status loading" role="status">
        Loading…
      </p>
    );
  }
  if (value.state === 'failed') return <ErrorNote error={value.error} />;
  return <>{children(value.data)}</>;
}

export function ErrorNote({ error }: { error: Error }) {
  const text = error instanceof ApiError && error.status === 403 ? 'This key may not read this page.' : error.message;
  return (
    <p className="status error" role="alert">
      {text}
    </p>
  );
}

/** One headline amount (MRR, ARR, backlog), with the exact string kept beside it. */
export function Figure({ name, label, amount, note }: { name: string; label: string; amount: string; note?: string }) {
  const { currency } = useLedger();
  return (
    <div className="figure" data-figure={name} data-value={amount}>
      <div className="figure-label">{label}</div>
      <div className={`figure-value${isNegative(amount) ? ' negative' : ''}`}>{formatMoney(amount, currency)}</div>
      {note === undefined ? null : <div className="figure-note">{note}</div>}
    </div>
  );
}

export function Badge({ tone, children }: { tone: 'good' | 'bad' | 'warn' | 'info' | 'muted'; children: ReactNode }) {
  return <span className={`badge badge-${tone}`}>{children}</span>;
}
