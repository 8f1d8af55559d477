import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webDistPath } from '@compute-ledger/web';
import { keys, startHarness, type ApiHarness, type KeyName } from '../e2e/support/api-harness.js';
import { recordContracts } from '../e2e/support/worked-example.js';
import { launchChromium, skipBrowserTests } from './support/browser.js';
import { serveDashboard, type DashboardServer } from './support/dashboard-server.js';
import { ensureWebBuild } from './support/web-build.js';

/**
 * The Drafts page in real headless Chromium, over the worked example with an approval threshold
 * of 2,000,000.00: the run of 2025-12-01 (2,603,160.00) waits as a draft. The page offers the
 * buttons; the API decides, and the page shows its answer: the key that ran the run is refused
 * with the API's own words, another key issues INV-000001.
 */

const actionTimeoutMs = 10_000;
const skipped = skipBrowserTests();

let api: ApiHarness;
let dashboard: DashboardServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  const [built, launched, started] = await Promise.allSettled([ensureWebBuild(), launchChromium(), startHarness('2025-10-20T12:00:00Z', { approvalAbove: '2000000.00' })]);
  if (launched.status === 'fulfilled') browser = launched.value;
  if (started.status === 'fulfilled') api = started.value;
  for (const outcome of [launched, built, started]) if (outcome.status === 'rejected') throw outcome.reason;
  await recordContracts(api);
  const run = await api.post('/v1/billing-runs', 'finance', { billingDate: '2025-12-01T00:00:00Z' });
  expect(run.status, run.text).toBe(201);
  api.at('2025-12-02T09:00:00Z');
  dashboard = await serveDashboard(webDistPath(), api.url);
  context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  page = await context.newPage();
  page.setDefaultTimeout(actionTimeoutMs);
}, 120_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await dashboard?.close();
  await api?.close();
});

async function logIn(as: KeyName): Promise<void> {
  await page.goto(`${dashboard.url}/`);
  await page.fill('input[name=apiKey]', keys[as]);
  await page.click('button[type=submit]');
  await page.waitForSelector('main[data-current-page]');
  await page.click('nav[aria-label=Pages] a[data-page=drafts]');
  await page.waitForSelector('main[data-current-page=drafts] [data-draft=DRAFT-000001]');
}

describe.skipIf(skipped)('the Drafts page', () => {
  it("shows the API's refusal to the key that ran the run, and nothing is issued", async () => {
    await logIn('finance');
    expect(await page.textContent('[data-draft=DRAFT-000001]')).toContain('draft');
    await page.click('[data-draft=DRAFT-000001] button[data-action=approve]');
    await page.waitForSelector('[data-outcome=bad]');
    const refused = await api.post<{ detail: string }>('/v1/drafts/DRAFT-000001/approve', 'finance', {});
    expect(refused.status).toBe(403);
    expect(await page.textContent('[data-outcome=bad]')).toBe(`The ledger refused: ${refused.body.detail}`);
    expect(((await api.get<{ invoices: unknown[] }>('/v1/invoices', 'finance')).body.invoices)).toEqual([]);
  });

  it('approves with another key: the draft is issued as INV-000001 and the row shows who approved it', async () => {
    await page.click('button.logout');
    await page.waitForSelector('input[name=apiKey]');
    await logIn('admin');
    await page.click('[data-draft=DRAFT-000001] button[data-action=approve]');
    await page.waitForSelector('[data-outcome=good]');
    expect(await page.textContent('[data-outcome=good]')).toBe('DRAFT-000001 approved: issued as INV-000001.');
    await expect.poll(async () => page.textContent('[data-draft=DRAFT-000001]'), { timeout: actionTimeoutMs }).toContain('approved by admin#');
    expect(await page.$('[data-draft=DRAFT-000001] button[data-action=approve]')).toBeNull();
  });
});
