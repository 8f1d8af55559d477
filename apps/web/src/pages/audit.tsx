import { useEffect, useState, type FormEvent } from 'react';
import type { AuditEvent, AuditEventsAnswer, AuditStreamAnswer, VerifyAnswer } from '../api/types.js';
import { DataTable, type Column } from '../components/data-table.js';
import { Badge, Loaded } from '../components/status.js';
import { countOf } from '../format.js';
import { useLedger, useLoad } from '../ledger-context.js';
import { navigate, withParams, type Route } from '../routing.js';

/**
 * The log itself: whether its hash chain holds, its events a page at a time in global order,
 * and one stream's history. The audit endpoints answer the log as it is (they take no
 * knownAt), so with "as known at" set, events recorded after it are held back here, exactly
 * as the reports leave them out.
 */

/** Events per page of the log: enough to read, small enough to render at once. */
const pageEventsCount = 50;

export function AuditPage({ route }: { route: Route }) {
  const knownAt = route.params.get('knownAt');
  const stream = route.params.get('stream');
  return (
    <>
      <ChainStatus route={route} />
      <StreamPicker route={route} />
      {stream === null ? <EventLog route={route} knownAt={knownAt} /> : <StreamHistory route={route} streamId={stream} knownAt={knownAt} />}
    </>
  );
}

function ChainStatus({ route }: { route: Route }) {
  const { api } = useLedger();
  const [runs, setRuns] = useState(0);
  const loaded = useLoad(JSON.stringify(['verify', runs]), () => api.get<VerifyAnswer>('/audit/verify'));
  return (
    <section className="chain-status">
      <h2>Hash chain</h2>
      <Loaded value={loaded}>
        {(verify) =>
          verify.ok ? (
            <p data-chain-ok="true">
              <Badge tone="good">intact</Badge> {countOf(verify.eventsChecked, 'event')} checked from the first; head at position {verify.headPosition}, hash <code>{verify.headHash.slice(0, 16)}…</code>{' '}
              <a href={withParams(route, { stream: undefined, from: String(Math.max(0, verify.headPosition - pageEventsCount + 1)) })}>latest events</a>
            </p>
          ) : !('firstInvalidPosition' in verify) ? (
            <p data-chain-ok="true" data-checkpoint-ok="false">
              <Badge tone="bad">checkpoint altered</Badge> the chain is intact, but {verify.reason}
            </p>
          ) : (
            <p data-chain-ok="false">
              <Badge tone="bad">broken</Badge> the first event that does not match is at position {verify.firstInvalidPosition}: {verify.reason}{' '}
              <a href={withParams(route, { stream: undefined, from: String(verify.firstInvalidPosition) })}>show it</a>
            </p>
          )
        }
      </Loaded>
      <button type="button" className="secondary" onClick={() => setRuns((count) => count + 1)}>
        Verify again
      </button>
    </section>
  );
}

function StreamPicker({ route }: { route: Route }) {
  const stream = route.params.get('stream');
  const [text, setText] = useState(stream ?? '');
  // A stream link in a table changes the stream under the form.
  useEffect(() => setText(stream ?? ''), [stream]);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    navigate(withParams(route, { stream: text.trim(), from: undefined }));
  };
  return (
    <section>
      <h2>A stream's history</h2>
      <form className="filters" onSubmit={submit} aria-label="Stream">
        <label>
          <span>Stream</span>
          <input name="stream" placeholder="lease-L-1001" value={text} onChange={(event) => setText(event.target.value)} />
        </label>
        <button type="submit">Show history</button>
        {stream === null ? null : (
          <a href={withParams(route, { stream: undefined })}>
            Back to the whole log
          </a>
        )}
      </form>
    </section>
  );
}

function EventLog({ route, knownAt }: { route: Route; knownAt: string | null }) {
  const { api } = useLedger();
  const from = Math.max(0, Number.parseInt(route.params.get('from') ?? '0', 10) || 0);
  const loaded = useLoad(JSON.stringify(['events', from]), () => api.get<AuditEventsAnswer>('/audit/events', { fromPosition: from, limit: pageEventsCount }));
  return (
    <section>
      <h2>Event log</h2>
      <Loaded value={loaded}>
        {(page) => (
          <>
            <nav className="pager" aria-label="Event log pages">
              <a href={withParams(route, { from: String(Math.max(0, from - pageEventsCount)) })} aria-disabled={from === 0} data-pager="previous">
                ← Earlier
              </a>
              <span>
                Positions {from} to {Math.max(from, page.nextPosition - 1)}
              </span>
              <a href={withParams(route, { from: String(page.nextPosition) })} aria-disabled={page.events.length < pageEventsCount} data-pager="next">
                Later →
              </a>
            </nav>
            <EventTable route={route} name="events" events={page.events} knownAt={knownAt} />
          </>
        )}
      </Loaded>
    </section>
  );
}

function StreamHistory({ route, streamId, knownAt }: { route: Route; streamId: string; knownAt: string | null }) {
  const { api } = useLedger();
  const fromRevision = Math.max(0, Number.parseInt(route.params.get('from') ?? '0', 10) || 0);
  const loaded = useLoad(JSON.stringify(['stream', streamId, fromRevision]), () => api.get<AuditStreamAnswer>(`/audit/streams/${encodeURIComponent(streamId)}`, { fromRevision, limit: pageEventsCount }));
  return (
    <section>
      <h2>History of {streamId}</h2>
      <Loaded value={loaded}>
        {(page) => (
          <>
            <nav className="pager" aria-label="Stream pages">
              <a href={withParams(route, { from: String(Math.max(0, fromRevision - pageEventsCount)) })} aria-disabled={fromRevision === 0}>
                ← Earlier
              </a>
              <span>
                Revisions {fromRevision} to {Math.max(fromRevision, page.nextRevision - 1)}
              </span>
              <a href={withParams(route, { from: String(page.nextRevision) })} aria-disabled={page.events.length < pageEventsCount}>
                Later →
              </a>
            </nav>
            <EventTable route={route} name="stream" events={page.events} knownAt={knownAt} />
          </>
        )}
      </Loaded>
    </section>
  );
}

function EventTable({ route, name, events, knownAt }: { route: Route; name: string; events: readonly AuditEvent[]; knownAt: string | null }) {
  const [open, setOpen] = useState<number | null>(null);
  // Compared as instants, not as text: the ledger may write them with or without milliseconds.
  const known = knownAt === null ? events : events.filter((event) => Date.parse(event.recordedAt) <= Date.parse(knownAt));
  const held = events.length - known.length;
  const columns: Column<AuditEvent>[] = [
    { key: 'position', header: 'Position', kind: 'count', value: (event) => event.position },
    { key: 'recordedAt', header: 'Recorded', kind: 'instant', value: (event) => event.recordedAt },
    { key: 'streamId', header: 'Stream', kind: 'text', value: (event) => event.streamId, render: (event) => <a href={withParams(route, { stream: event.streamId, from: undefined })}>{event.streamId}</a> },
    { key: 'revision', header: 'Revision', kind: 'count', value: (event) => event.revision },
    { key: 'type', header: 'Type', kind: 'text', value: (event) => event.type },
    { key: 'actor', header: 'Actor', kind: 'text', value: (event) => String(event.metadata['actor'] ?? '') },
    { key: 'hash', header: 'Hash', kind: 'text', value: (event) => event.hash, render: (event) => <code title={event.hash}>{event.hash.slice(0, 12)}…</code> },
    {
      key: 'data',
      header: 'Data',
      kind: 'text',
      value: (event) => event.eventId,
      render: (event) => (
        <button type="button" className="link" aria-expanded={open === event.position} onClick={() => setOpen((current) => (current === event.position ? null : event.position))}>
          {open === event.position ? 'hide' : 'show'}
        </button>
      ),
    },
  ];
  return (
    <>
      {held === 0 ? null : (
        <p className="muted" data-held-back={held}>
          {held === 1 ? '1 event of this page was recorded after the "as known at" instant and is not shown.' : `${countOf(held, 'event')} of this page were recorded after the "as known at" instant and are not shown.`}
        </p>
      )}
      <DataTable
        name={name}
        rows={known}
        rowKey={(event) => String(event.position)}
        columns={columns}
        expanded={(event) =>
          open === event.position ? (
            <pre className="json" data-event-data={event.position}>
              {JSON.stringify({ eventId: event.eventId, schemaVersion: event.schemaVersion, data: event.data, metadata: event.metadata }, null, 2)}
            </pre>
          ) : null
        }
        empty="No events here."
      />
    </>
  );
}
