import { useEffect, useState } from 'react';
import type { AuditEventsAnswer, BillingDocument, InvoiceLine, InvoiceListAnswer } from '../api/types.js';
import { DataTable, type Column } from '../components/data-table.js';
import { Badge, ErrorNote, Figure, Loaded } from '../components/status.js';
import { AnswerTime } from '../components/time-controls.js';
import { countOf, formatDate, formatDescription, formatInstant, formatMoney, formatRate } from '../format.js';
import { useLedger, useLoad } from '../ledger-context.js';
import { hrefTo, navigate, withParams, type Route } from '../routing.js';

/**
 * Billing documents by tenant and billing date, and one document with its lines. Adjustment
 * lines (late usage, corrections, retroactive amendments settled in a later run) are marked,
 * and each line's source events are one click away for a key that may read the audit log.
 */

export function InvoicesPage({ route }: { route: Route }) {
  const invoiceId = route.segments[0];
  return invoiceId === undefined ? <InvoiceList route={route} /> : <InvoiceDetail route={route} invoiceId={invoiceId} />;
}

function InvoiceList({ route }: { route: Route }) {
  const { api, learnCurrency } = useLedger();
  const knownAt = route.params.get('knownAt') ?? undefined;
  const tenantId = route.params.get('tenantId') ?? undefined;
  const billingDate = route.params.get('billingDate') ?? undefined;
  const loaded = useLoad(JSON.stringify(['invoices', knownAt, tenantId, billingDate]), async () => {
    // The unfiltered list names the tenants and billing dates there are to choose from.
    const all = await api.get<InvoiceListAnswer>('/invoices', { knownAt });
    const shown = tenantId === undefined && billingDate === undefined ? all : await api.get<InvoiceListAnswer>('/invoices', { tenantId, billingDate, knownAt });
    return { all, shown };
  });
  const firstCurrency = loaded.state === 'ready' ? loaded.data.all.invoices[0]?.currency : undefined;
  useEffect(() => {
    if (firstCurrency !== undefined) learnCurrency(firstCurrency);
  }, [firstCurrency, learnCurrency]);

  return (
    <Loaded value={loaded}>
      {({ all, shown }) => {
        const tenants = [...new Set(all.invoices.map((document) => document.tenantId))].sort();
        const billingDates = [...new Set(all.invoices.flatMap((document) => (document.billingDate === null ? [] : [document.billingDate])))].sort().reverse();
        return (
          <>
            <AnswerTime knownAt={shown.knownAt} />
            <form className="filters" aria-label="Invoice filters" onSubmit={(event) => event.preventDefault()}>
              <label>
                <span>Tenant</span>
                <select name="tenantId" value={tenantId ?? ''} onChange={(event) => navigate(withParams(route, { tenantId: event.target.value }))}>
                  <option value="">All tenants</option>
                  {tenants.map((tenant) => (
                    <option key={tenant} value={tenant}>
                      {tenant}
                    </option>
                  ))}
                </select>
              </label>
              <label>
                <span>Billing date</span>
                <select name="billingDate" value={billingDate ?? ''} onChange={(event) => navigate(withParams(route, { billingDate: event.target.value }))}>
                  <option value="">All billing dates</option>
                  {billingDates.map((date) => (
                    <option key={date} value={date}>
                      {formatDate(date)}
                    </option>
                  ))}
                </select>
              </label>
            </form>
            <DataTable
              name="invoices"
              rows={shown.invoices}
              rowKey={(row) => row.invoiceId}
              columns={listColumns(route)}
              rowClassName={(row) => (row.lines.some((line) => line.adjustment) ? 'has-adjustment' : undefined)}
              empty="No billing documents match."
            />
          </>
        );
      }}
    </Loaded>
  );
}

function listColumns(route: Route): Column<BillingDocument>[] {
  return [
    { key: 'invoiceId', header: 'Number', kind: 'text', value: (row) => row.invoiceId, render: (row) => <a href={hrefTo('invoices', [row.invoiceId], {}, route)}>{row.invoiceId}</a> },
    { key: 'kind', header: 'Kind', kind: 'text', value: (row) => row.kind, render: (row) => (row.kind === 'credit_note' ? 'credit note' : 'invoice') },
    { key: 'tenantId', header: 'Tenant', kind: 'text', value: (row) => row.tenantId },
    { key: 'billingDate', header: 'Billing date', kind: 'date', value: (row) => row.billingDate ?? '', render: (row) => (row.billingDate === null ? 'by hand' : formatDate(row.billingDate)) },
    { key: 'dueAt', header: 'Due', kind: 'date', value: (row) => row.dueAt ?? '', render: (row) => (row.dueAt === null ? '' : formatDate(row.dueAt)) },
    { key: 'lines', header: 'Lines', kind: 'count', value: (row) => row.lines.length },
    {
      key: 'adjustments',
      header: 'Adjustments',
      kind: 'count',
      value: (row) => row.lines.filter((line) => line.adjustment).length,
      render: (row) => {
        const count = row.lines.filter((line) => line.adjustment).length;
        return count === 0 ? '' : <Badge tone="warn">{countOf(count, 'adjustment')}</Badge>;
      },
    },
    { key: 'total', header: 'Total', kind: 'money', value: (row) => row.total },
    { key: 'amountPaid', header: 'Paid', kind: 'money', value: (row) => row.amountPaid },
    { key: 'amountDue', header: 'Due amount', kind: 'money', value: (row) => row.amountDue },
    { key: 'status', header: 'Status', kind: 'text', value: (row) => row.status, render: (row) => <StatusBadge status={row.status} /> },
  ];
}

function StatusBadge({ status }: { status: BillingDocument['status'] }) {
  const tone = status === 'paid' ? 'good' : status === 'open' ? 'bad' : status === 'partially_paid' ? 'warn' : 'info';
  return <Badge tone={tone}>{status.replace('_', ' ')}</Badge>;
}

function InvoiceDetail({ route, invoiceId }: { route: Route; invoiceId: string }) {
  const { api, learnCurrency } = useLedger();
  const knownAt = route.params.get('knownAt') ?? undefined;
  const loaded = useLoad(JSON.stringify(['invoice', invoiceId, knownAt]), () => api.get<BillingDocument>(`/invoices/${encodeURIComponent(invoiceId)}`, { knownAt }));
  const documentCurrency = loaded.state === 'ready' ? loaded.data.currency : undefined;
  useEffect(() => {
    if (documentCurrency !== undefined) learnCurrency(documentCurrency);
  }, [documentCurrency, learnCurrency]);

  return (
    <>
      <p>
        <a href={hrefTo('invoices', [], {}, route)}>← All billing documents</a>
      </p>
      <Loaded value={loaded}>{(document) => <DocumentView document={document} />}</Loaded>
    </>
  );
}

function DocumentView({ document }: { document: BillingDocument }) {
  const { currency } = useLedger();
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const toggle = (key: string) =>
    setOpen((current) => {
      const next = new Set(current);
      if (next.has(key)) next.delete(key);
      else next.add(key);
      return next;
    });
  // A credit or prepayment line has no lease: it shows the grant it comes from.
  const leaseOrGrant = (line: InvoiceLine): string => line.leaseId ?? (line.grantId === undefined ? '' : `grant ${line.grantId}`);
  const lineKey = (line: InvoiceLine) => `${leaseOrGrant(line)}|${line.serviceMonth}|${line.kind}`;
  const columns: Column<InvoiceLine>[] = [
    { key: 'leaseId', header: 'Lease / grant', kind: 'text', value: leaseOrGrant },
    { key: 'serviceMonth', header: 'Service month', kind: 'text', value: (line) => line.serviceMonth },
    { key: 'kind', header: 'Kind', kind: 'text', value: (line) => line.kind, render: (line) => line.kind.replace('_', ' ') },
    {
      key: 'description',
      header: 'Description',
      kind: 'text',
      value: (line) => line.description,
      render: (line) => (
        <>
          {line.adjustment ? <Badge tone="warn">adjustment</Badge> : null} {formatDescription(line.description)}
        </>
      ),
    },
    { key: 'quantity', header: 'Quantity', kind: 'quantity', value: (line) => line.quantity },
    {
      key: 'unitPrice',
      header: 'Unit price',
      kind: 'quantity',
      value: (line) => line.unitPrice,
      // Commitment and overage lines price GPU-hours at a rate; the others are one amount.
      render: (line) => (line.kind === 'commitment' || line.kind === 'overage' ? formatRate(line.unitPrice, currency) : formatMoney(line.unitPrice, currency)),
    },
    { key: 'amount', header: 'Amount', kind: 'money', value: (line) => line.amount },
    {
      key: 'sources',
      header: 'Sources',
      kind: 'count',
      value: (line) => (line.sources?.length ?? 0) + (line.omittedSources ?? 0),
      render: (line) => (
        <button type="button" className="link" name="sources" aria-expanded={open.has(lineKey(line))} onClick={() => toggle(lineKey(line))}>
          {countOf((line.sources?.length ?? 0) + (line.omittedSources ?? 0), 'event')}
        </button>
      ),
    },
  ];
  const kindLabel = document.kind === 'credit_note' ? 'Credit note' : 'Invoice';
  return (
    <article className="document" data-invoice={document.invoiceId}>
      <h2>
        {kindLabel} {document.invoiceId} <StatusBadge status={document.status} />
      </h2>
      <dl className="facts">
        <dt>Tenant</dt>
        <dd data-fact="tenantId">{document.tenantId}</dd>
        <dt>Billing date</dt>
        <dd data-fact="billingDate">{document.billingDate === null ? 'none: issued by hand' : formatDate(document.billingDate)}</dd>
        {document.reason === undefined ? null : (
          <>
            <dt>Reason</dt>
            <dd data-fact="reason">{document.reason}</dd>
          </>
        )}
        <dt>Issued</dt>
        <dd data-fact="issuedAt">{formatInstant(document.issuedAt)}</dd>
        {document.dueAt === null ? null : (
          <>
            <dt>Due</dt>
            <dd data-fact="dueAt">{formatDate(document.dueAt)}</dd>
          </>
        )}
        <dt>Currency</dt>
        <dd data-fact="currency">{document.currency}</dd>
      </dl>
      <section className="figures">
        <Figure name="total" label="Total" amount={document.total} />
        <Figure name="amountPaid" label="Paid" amount={document.amountPaid} />
        {document.kind === 'credit_note' ? null : <Figure name="amountDue" label="Due" amount={document.amountDue} />}
      </section>
      <DataTable
        name="invoice-lines"
        rows={document.lines}
        rowKey={lineKey}
        columns={columns}
        rowClassName={(line) => (line.adjustment ? 'adjustment' : undefined)}
        expanded={(line) => (open.has(lineKey(line)) ? <SourceEvents line={line} /> : null)}
        footer={{ label: 'Total', values: { amount: document.total } }}
      />
    </article>
  );
}

/** Events shown in full at once per line; a month of hourly readings is listed, then fetched on request. */
const sourceEventsShownMax = 12;

function SourceEvents({ line }: { line: InvoiceLine }) {
  const { api, capabilities } = useLedger();
  // Newest facts first: an adjustment line exists because of what the ledger learned last
  // (a late reading, a correction, an amendment), and that is what its reader looks for.
  const sources = [...(line.sources ?? [])].sort((a, b) => b.position - a.position);
  const [shown, setShown] = useState(sourceEventsShownMax);
  const positions = sources.slice(0, shown).map((source) => source.position);
  const loaded = useLoad(JSON.stringify(['sources', capabilities.audit, positions]), async () => {
    if (!capabilities.audit) return [];
    const pages = await Promise.all(positions.map((position) => api.get<AuditEventsAnswer>('/audit/events', { fromPosition: position, limit: 1 })));
    return pages.flatMap((page) => page.events);
  });
  const omitted = line.omittedSources ?? 0;
  if (!capabilities.audit) {
    return (
      <div className="sources" data-sources-of={line.kind}>
        <p className="muted">Source events (the audit log needs a finance or auditor key):</p>
        <ul>
          {sources.map((source) => (
            <li key={source.position}>
              #{source.position} {source.type}
            </li>
          ))}
        </ul>
      </div>
    );
  }
  return (
    <div className="sources" data-sources-of={line.kind}>
      {loaded.state === 'failed' ? <ErrorNote error={loaded.error} /> : null}
      {loaded.state === 'loading' ? <p className="status loading">Loading source events…</p> : null}
      {loaded.state === 'ready' ? (
        <table className="events">
          <thead>
            <tr>
              <th scope="col">Position</th>
              <th scope="col">Type</th>
              <th scope="col">Stream</th>
              <th scope="col">Recorded</th>
              <th scope="col">Data</th>
            </tr>
          </thead>
          <tbody>
            {loaded.data.map((event) => (
              <tr key={event.position} data-position={event.position}>
                <td className="number">{event.position}</td>
                <td>{event.type}</td>
                <td>
                  <a href={hrefTo('audit', [], { stream: event.streamId })}>{event.streamId}</a>
                </td>
                <td>{formatInstant(event.recordedAt)}</td>
                <td>
                  <code className="json">{JSON.stringify(event.data)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {sources.length > shown ? (
        <button type="button" className="link" onClick={() => setShown((count) => count + sourceEventsShownMax)}>
          Show {Math.min(sourceEventsShownMax, sources.length - shown)} more of {sources.length - shown}
        </button>
      ) : null}
      {omitted > 0 ? <p className="muted">…and {countOf(omitted, 'more reading')} of this lease and month, in the lease's usage stream (see Audit).</p> : null}
    </div>
  );
}
