/**
 * The one way the dashboard talks to the ledger: requests to the public /v1 API with the
 * person's key as a Bearer token (reads, and the few actions a page offers, such as approving a
 * draft: the API decides whether the key may). Problem details (RFC 9457) become an ApiError with the
 * ledger's own title and detail, so what the screen says is what the API said.
 */

export type QueryValue = string | number | undefined;

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
  ) {
    super(detail === '' ? `${status} ${title}` : `${status} ${title}: ${detail}`);
  }
}

export interface ApiClient {
  get<T>(path: string, query?: Record<string, QueryValue>): Promise<T>;
  post<T>(path: string, body: unknown): Promise<T>;
}

/** A request that has not answered after this long is shown as failed rather than loading forever. */
const requestTimeoutMs = 30_000;

export function createApiClient(baseUrl: string, key: string, onUnauthorized: () => void): ApiClient {
  const send = async <T>(url: string, init: { method: string; body?: string }): Promise<T> => {
    const response = await fetch(url, {
      ...init,
      headers: { authorization: `Bearer ${key}`, accept: 'application/json', ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
      // The key goes in a header only; a referrer would carry the page's time controls to nowhere useful.
      referrerPolicy: 'no-referrer',
      signal: AbortSignal.timeout(requestTimeoutMs),
    });
    if (response.ok) return (await response.json()) as T;
    const problem = await readProblem(response);
    // A key that no longer works (rotated, mistyped) ends the session instead of failing page by page.
    if (response.status === 401) onUnauthorized();
    throw problem;
  };
  return {
    get: <T,>(path: string, query: Record<string, QueryValue> = {}) => send<T>(apiUrl(baseUrl, path, query), { method: 'GET' }),
    post: <T,>(path: string, body: unknown) => send<T>(apiUrl(baseUrl, path, {}), { method: 'POST', body: JSON.stringify(body) }),
  };
}

export function apiUrl(baseUrl: string, path: string, query: Record<string, QueryValue>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== '') search.set(name, String(value));
  const text = search.toString();
  return `${baseUrl}/v1${path}${text === '' ? '' : `?${text}`}`;
}

async function readProblem(response: Response): Promise<ApiError> {
  try {
    const body = (await response.json()) as { title?: unknown; detail?: unknown };
    return new ApiError(response.status, typeof body.title === 'string' ? body.title : response.statusText, typeof body.detail === 'string' ? body.detail : '');
  } catch {
    return new ApiError(response.status, response.statusText, '');
  }
}
