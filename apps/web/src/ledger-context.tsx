import { createContext, useContext, useEffect, useState } from 'react';
import type { ApiClient } from './api/client.js';
import type { Capabilities } from './api/capabilities.js';

/** What every page needs: the API with the person's key, what the key may read, and the currency. */
export interface LedgerContextValue {
  api: ApiClient;
  capabilities: Capabilities;
  /** The ledger's currency: the configured one until a billing document names it. */
  currency: string;
  learnCurrency: (currency: string) => void;
  /** The ledger's "now" when the session started; months default from it when "as of" is blank. */
  serverNow: string | null;
}

export const LedgerContext = createContext<LedgerContextValue | null>(null);

export function useLedger(): LedgerContextValue {
  const value = useContext(LedgerContext);
  if (value === null) throw new Error('useLedger is used outside the logged-in dashboard');
  return value;
}

export type Loadable<T> = { state: 'loading' } | { state: 'failed'; error: Error } | { state: 'ready'; data: T };

/**
 * Loads what `load` answers whenever `key` changes (the request's parameters, as text). An
 * answer that arrives after the parameters changed again is dropped, so a slow "as known at"
 * request can never overwrite a newer one on screen.
 */
export function useLoad<T>(key: string, load: () => Promise<T>): Loadable<T> {
  const [loaded, setLoaded] = useState<{ key: string; value: Loadable<T> }>({ key, value: { state: 'loading' } });
  useEffect(() => {
    let current = true;
    setLoaded({ key, value: { state: 'loading' } });
    load().then(
      (data) => current && setLoaded({ key, value: { state: 'ready', data } }),
      (error: unknown) => current && setLoaded({ key, value: { state: 'failed', error: error instanceof Error ? error : new Error(String(error)) } }),
    );
    return () => {
      current = false;
    };
    // `load` is a new closure on every render; `key` names everything it reads.
  }, [key]);
  return loaded.key === key ? loaded.value : { state: 'loading' };
}
