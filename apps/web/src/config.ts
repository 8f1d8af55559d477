/**
 * Where the ledger's API is and which currency it keeps. The dashboard is static files, so both
 * can be set when it is built (VITE_LEDGER_API_BASE, VITE_LEDGER_CURRENCY) or, without a new
 * build, by a `config.json` placed beside index.html. The default is the same origin that
 * served the page: that is how the API itself serves the dashboard.
 */

export interface DashboardConfig {
  /** Prefix of `/v1/...` requests: `''` for the same origin, or `https://ledger.example.com`. */
  apiBaseUrl: string;
  /** The currency amounts are shown in until a billing document names the ledger's own. */
  currency: string;
}

const buildTimeConfig: DashboardConfig = {
  apiBaseUrl: import.meta.env.VITE_LEDGER_API_BASE ?? '',
  currency: import.meta.env.VITE_LEDGER_CURRENCY ?? 'USD',
};

/** A config.json larger than this is not ours (an HTML fallback page, say) and is ignored. */
const configBytesMax = 4_096;

export async function loadConfig(): Promise<DashboardConfig> {
  try {
    const response = await fetch('./config.json', { headers: { accept: 'application/json' }, cache: 'no-store' });
    const contentType = response.headers.get('content-type') ?? '';
    if (!response.ok || !contentType.includes('json')) return buildTimeConfig;
    const text = await response.text();
    if (text.length > configBytesMax) return buildTimeConfig;
    const parsed = JSON.parse(text) as Partial<DashboardConfig>;
    return {
      apiBaseUrl: typeof parsed.apiBaseUrl === 'string' ? parsed.apiBaseUrl.replace(/\/+$/, '') : buildTimeConfig.apiBaseUrl,
      currency: typeof parsed.currency === 'string' ? parsed.currency : buildTimeConfig.currency,
    };
  } catch {
    // No config.json, or one that is not JSON: the build's settings stand.
    return buildTimeConfig;
  }
}
