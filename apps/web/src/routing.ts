import { useEffect, useState } from 'react';

/**
 * Pages and their parameters live in the URL's fragment (`#/invoices/INV-000001?knownAt=...`):
 * a view can be bookmarked or sent to a colleague and opens as it was, the time controls
 * included, and any static file server can host the dashboard without rewriting paths. The API
 * key is never part of it.
 */

export const pageIds = ['overview', 'invoices', 'drafts', 'receivables', 'reconciliation', 'capacity', 'audit'] as const;
export type PageId = (typeof pageIds)[number];

export interface Route {
  page: PageId | null;
  /** Path segments after the page: `['INV-000001']`. */
  segments: string[];
  params: URLSearchParams;
}

/** The two instants every page is read at; they travel from page to page. */
export const timeParams = ['asOf', 'knownAt'] as const;

export function parseHash(hash: string): Route {
  const text = hash.replace(/^#\/?/, '');
  const queryAt = text.indexOf('?');
  const path = queryAt < 0 ? text : text.slice(0, queryAt);
  const params = new URLSearchParams(queryAt < 0 ? '' : text.slice(queryAt + 1));
  const [first = '', ...rest] = path.split('/').filter((segment) => segment !== '');
  const page = (pageIds as readonly string[]).includes(first) ? (first as PageId) : null;
  return { page, segments: rest.map(decodeURIComponent), params };
}

/** A link to a page; the time controls of `from` come along unless `params` sets them. */
export function hrefTo(page: PageId, segments: readonly string[] = [], params: Record<string, string | undefined> = {}, from?: Route): string {
  const search = new URLSearchParams();
  if (from !== undefined) {
    for (const name of timeParams) {
      const value = from.params.get(name);
      if (value !== null) search.set(name, value);
    }
  }
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || value === '') search.delete(name);
    else search.set(name, value);
  }
  const path = [page, ...segments.map(encodeURIComponent)].join('/');
  const query = search.toString();
  return `#/${path}${query === '' ? '' : `?${query}`}`;
}

/** The same route with some parameters changed (undefined or '' removes one). */
export function withParams(route: Route, params: Record<string, string | undefined>): string {
  const search = new URLSearchParams(route.params);
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || value === '') search.delete(name);
    else search.set(name, value);
  }
  const path = [route.page ?? 'overview', ...route.segments.map(encodeURIComponent)].join('/');
  const query = search.toString();
  return `#/${path}${query === '' ? '' : `?${query}`}`;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(window.location.hash));
  useEffect(() => {
    const update = () => setRoute(parseHash(window.location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}

export function navigate(href: string): void {
  if (window.location.hash !== href) window.location.hash = href;
}
