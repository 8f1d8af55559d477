import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type ApiHarness } from './support/api-harness.js';

/**
 * The dashboard asks for `config.json` beside its index.html on every load (apps/web/src/config.ts).
 * The API answers it, whether the dashboard is built or not, so no load of the page logs a 404.
 */

let api: ApiHarness;

beforeAll(async () => {
  api = await startHarness('2025-10-20T12:00:00Z');
});

afterAll(async () => {
  await api.close();
});

describe("the dashboard's config.json", () => {
  it('is answered without a key: the same origin, and the ledger’s currency', async () => {
    const { status, body, headers } = await api.get('/config.json', null);
    expect(status).toBe(200);
    expect(headers.get('content-type')).toContain('application/json');
    expect(headers.get('cache-control')).toBe('no-store');
    expect(body).toEqual({ apiBaseUrl: '', currency: 'USD' });
  });
});
