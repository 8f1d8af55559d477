import { unreachable } from '@compute-ledger/contracts';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { KeyRefusedError, probeCapabilities, type Capabilities, type ProbeResult } from './api/capabilities.js';
import { createApiClient, type ApiClient } from './api/client.js';
import { TimeControls } from './components/time-controls.js';
import type { DashboardConfig } from './config.js';
import { formatInstant } from './format.js';
import { LedgerContext, type LedgerContextValue } from './ledger-context.js';
import { AuditPage } from './pages/audit.js';
import { CapacityPage } from './pages/capacity.js';
import { DraftsPage } from './pages/drafts.js';
import { InvoicesPage } from './pages/invoices.js';
import { LoginPage } from './pages/login.js';
import { OverviewPage } from './pages/overview.js';
import { ReceivablesPage } from './pages/receivables.js';
import { ReconciliationPage } from './pages/reconciliation.js';
import { hrefTo, navigate, pageIds, useRoute, type PageId, type Route } from './routing.js';
import { forgetKey, storedKey, storeKey } from './session.js';

type Session = { state: 'anonymous'; problem: string | null } | { state: 'checking'; key: string } | { state: 'ready'; api: ApiClient; probe: ProbeResult };

const pageTitles: Record<PageId, string> = {
  overview: 'Overview',
  invoices: 'Invoices',
  drafts: 'Drafts',
  receivables: 'Receivables',
  reconciliation: 'Reconciliation',
  capacity: 'Capacity',
  audit: 'Audit',
};

/** The read permission each page needs; pages the key may not read are not offered at all. */
const pageNeeds: Record<PageId, keyof Capabilities> = {
  overview: 'reports',
  invoices: 'invoices',
  drafts: 'drafts',
  receivables: 'reports',
  reconciliation: 'reports',
  capacity: 'capacity',
  audit: 'audit',
};

export function App({ config }: { config: DashboardConfig }) {
  const [session, setSession] = useState<Session>(() => {
    const key = storedKey();
    return key === null ? { state: 'anonymous', problem: null } : { state: 'checking', key };
  });
  const logout = useCallback((problem: string | null) => {
    forgetKey();
    setSession({ state: 'anonymous', problem });
  }, []);

  useEffect(() => {
    if (session.state !== 'checking') return;
    let current = true;
    const key = session.key;
    // The probe reports a refused key itself; the session's client ends the session on a later 401.
    const probeApi = createApiClient(config.apiBaseUrl, key, () => undefined);
    probeCapabilities(probeApi).then(
      (probe) => {
        if (!current) return;
        if (!Object.values(probe.capabilities).some(Boolean)) {
          logout('This key may read none of the dashboard’s pages (it needs finance, auditor, billing, operations or tenant rights).');
          return;
        }
        storeKey(key);
        const api = createApiClient(config.apiBaseUrl, key, () => logout('The ledger no longer accepts this key. Log in again.'));
        setSession({ state: 'ready', api, probe });
      },
      (error: unknown) => {
        if (!current) return;
        if (error instanceof KeyRefusedError) logout(error.message);
        else setSession({ state: 'anonymous', problem: `The ledger could not be reached: ${error instanceof Error ? error.message : String(error)}` });
      },
    );
    return () => {
      current = false;
    };
  }, [session, config.apiBaseUrl, logout]);

  if (session.state === 'ready') return <Shell api={session.api} probe={session.probe} config={config} onLogout={() => logout(null)} />;
  return <LoginPage onSubmit={(key) => setSession({ state: 'checking', key })} problem={session.state === 'anonymous' ? session.problem : null} checking={session.state === 'checking'} />;
}

function Shell({ api, probe, config, onLogout }: { api: ApiClient; probe: ProbeResult; config: DashboardConfig; onLogout: () => void }) {
  const route = useRoute();
  const [currency, setCurrency] = useState(config.currency);
  const pages = pageIds.filter((page) => probe.capabilities[pageNeeds[page]]);
  const page = route.page !== null && pages.includes(route.page) ? route.page : pages[0]!;

  useEffect(() => {
    // A page the key may not read (a bookmark, a guessed link) turns into the first it may.
    if (route.page !== page) navigate(hrefTo(page, [], {}, route));
  }, [route, page]);

  const context = useMemo<LedgerContextValue>(
    () => ({ api, capabilities: probe.capabilities, currency, learnCurrency: setCurrency, serverNow: probe.serverNow }),
    [api, probe, currency],
  );
  const knownAt = route.params.get('knownAt');

  return (
    <LedgerContext.Provider value={context}>
      <header className="app-header">
        <div className="brand">compute-ledger</div>
        <nav aria-label="Pages">
          {pages.map((candidate) => (
            <a key={candidate} href={hrefTo(candidate, [], {}, route)} data-page={candidate} aria-current={candidate === page ? 'page' : undefined}>
              {pageTitles[candidate]}
            </a>
          ))}
        </nav>
        <button type="button" className="secondary logout" onClick={onLogout}>
          Log out
        </button>
      </header>
      <TimeControls route={route} />
      {knownAt === null ? null : (
        <p className="time-travel" role="note">
          Showing the books as known at {formatInstant(knownAt)}: facts the ledger learned later are left out.
        </p>
      )}
      <main className="page" data-current-page={page}>
        <h1>{pageTitles[page]}</h1>
        {route.page === page ? <PageBody page={page} route={route} /> : null}
      </main>
    </LedgerContext.Provider>
  );
}

function PageBody({ page, route }: { page: PageId; route: Route }) {
  switch (page) {
    case 'overview':
      return <OverviewPage route={route} />;
    case 'invoices':
      return <InvoicesPage route={route} />;
    case 'drafts':
      return <DraftsPage route={route} />;
    case 'receivables':
      return <ReceivablesPage route={route} />;
    case 'reconciliation':
      return <ReconciliationPage route={route} />;
    case 'capacity':
      return <CapacityPage route={route} />;
    case 'audit':
      return <AuditPage route={route} />;
    default:
      return unreachable(page, 'page');
  }
}
