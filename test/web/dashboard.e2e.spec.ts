import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webDistPath } from '@compute-ledger/web';
import { keys, type ApiHarness, type KeyName } from '../e2e/support/api-harness.js';
import { launchChromium, skipBrowserTests } from './support/browser.js';
import { serveDashboard, type DashboardServer } from './support/dashboard-server.js';
import { startDemoLedger } from './support/demo-ledger.js';
import { ensureWebBuild, root } from './support/web-build.js';

/**
 * The finance and audit dashboard in real headless Chromium, against the real API seeded with
 * the demo neocloud. Every number checked on screen is checked against the same request made
 * to the API directly, with the same key: the page must show what the ledger says, formatted,
 * and nothing else.
 */

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The demo's "now": its story, whose last billing run is 2026-11-01, is recorded up to here. */
const seededAt = '2026-11-02T00:00:00Z';
/** A day later the meter of L-4001 corrects a reading of 31 October: late data for a billed month. */
const correctedAt = '2026-11-03T09:00:00Z';
const knownBeforeCorrection = '2026-11-02T12:00:00Z';
const correctedMonth = '2026-10';
const correctedReadingId = 'L-4001:2026103100';
/** What the demo months are, at the ledger's now (correctedAt): 12 months up to the one it falls in, which the MRR card stands in. */
const demoMonths = ['2025-12', '2026-01', '2026-02', '2026-03', '2026-04', '2026-05', '2026-06', '2026-07', '2026-08', '2026-09', '2026-10', '2026-11'];

const artifacts = join(root, 'test', 'web', 'artifacts');
/** How long a click or a wait for the page may take: a screen that is not there by then is a failure, not a slow machine. */
const actionTimeoutMs = 10_000;
const pollOptions = { timeout: actionTimeoutMs, interval: 100 };
const readmeScreenshot = join(root, 'docs', 'images', 'dashboard-overview.png');
/** No Chromium on this machine, and not under CI: every test here is skipped, with one line saying why. */
const skipped = skipBrowserTests();

let ledger: ApiHarness;
let dashboard: DashboardServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];
/** Console errors and answers of 404 or 5xx: a page that loads cleanly logs none. */
const consoleErrors: string[] = [];
const failedAnswers: string[] = [];

beforeAll(async () => {
  // The build (a child process), the seed and the browser's start overlap. A missing Chromium
  // is the first failure reported, with the line that installs it.
  const [built, launched, started] = await Promise.allSettled([ensureWebBuild(), launchChromium(), startDemoLedger(seededAt)]);
  if (launched.status === 'fulfilled') browser = launched.value;
  if (started.status === 'fulfilled') ledger = started.value;
  for (const outcome of [launched, built, started]) if (outcome.status === 'rejected') throw outcome.reason;
  ledger.at(correctedAt);
  const correction = await ledger.post('/v1/usage/corrections', 'metering', { correctionId: 'web-e2e-correction-1', readingId: correctedReadingId, gpuHours: '900' });
  expect(correction.status, correction.text).toBe(201);
  const grant = await ledger.post('/v1/credit-grants', 'finance', { grantId: 'web-e2e-promo-1', tenantId: 'frontier-lab', kind: 'promotional', amount: '25000.00', effectiveAt: '2026-11-01T00:00:00Z', expiresAt: '2027-05-01T00:00:00Z', appliesTo: ['overage'] });
  expect(grant.status, grant.text).toBe(201);
  dashboard = await serveDashboard(webDistPath(), ledger.url);
  context = await browser.newContext({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
  page = await context.newPage();
  page.setDefaultTimeout(actionTimeoutMs);
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    // A refused key (401) and a page the key may not read (403) are answers the page expects and handles.
    if (message.type() === 'error' && !/status of 40[13]\b/.test(message.text())) consoleErrors.push(message.text());
  });
  page.on('response', (response) => {
    if (response.status() === 404 || response.status() >= 500) failedAnswers.push(`${response.status()} ${response.url()}`);
  });
  mkdirSync(artifacts, { recursive: true });
}, 120_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await dashboard?.close();
  await ledger?.close();
});

describe.skipIf(skipped)('the finance and audit dashboard', () => {
  it('asks for a key, refuses one the ledger does not know, and keeps a good one in sessionStorage, never in the URL', async () => {
    await page.goto(`${dashboard.url}/`);
    await page.fill('input[name=apiKey]', 'not-a-ledger-key');
    await page.click('button[type=submit]');
    await page.waitForSelector('[role=alert]');
    expect(await page.textContent('[role=alert]')).toContain('does not accept this key');

    await logIn('auditor');
    expect(await page.evaluate(storedKey)).toBe(keys.auditor);
    expect(await page.evaluate('localStorage.length')).toBe(0);
    expect(page.url()).not.toContain(keys.auditor);
    expect(await page.$$eval('nav[aria-label=Pages] a', (links) => links.map((link) => link.getAttribute('data-page')))).toEqual(['overview', 'invoices', 'receivables', 'reconciliation', 'capacity', 'audit']);
  });

  it('Overview: MRR, ARR and backlog now, MRR movements and revenue per month, as the API answers them', async () => {
    await openPage('overview');
    const mrr = await api('/v1/reports/mrr');
    const backlog = await api('/v1/reports/backlog');
    await expectFigure('mrr', mrr.mrr);
    await expectFigure('arr', mrr.arr);
    await expectFigure('backlog', backlog.total);
    expect(mrr.asOf).toBe(correctedAt);
    // "Last 12 months" ends with the month the MRR card stands in, 2026-11.
    expect((await readTable('mrr-movements')).map((row) => row.key).at(-1)).toBe('2026-11');

    const movements = await Promise.all(demoMonths.map((month) => api(`/v1/reports/mrr-movements?month=${month}`)));
    await expectTable('mrr-movements', movements, 'month', ['startingMrr', 'new', 'expansion', 'reactivation', 'contraction', 'churn', 'endingMrr']);
    const revenue = await Promise.all(demoMonths.map((month) => api(`/v1/reports/revenue?month=${month}`)));
    await expectTable('revenue', revenue, 'month', ['commitment', 'usage', 'terminationFees', 'slaCredits', 'creditNotes', 'total']);
    await expectTable('mrr-tenants', mrr.tenants, 'tenantId', ['mrr', 'arr']);
    await expectTable('backlog', backlog.leases, 'leaseId', ['tenantId', 'remaining']);
    const rpo = await api('/v1/reports/rpo');
    await expectTable('rpo', rpo.leases, 'leaseId', ['tenantId', 'within12Months', 'months13to24', 'months25to36', 'beyond36Months']);
    // The worked example's first month, in the demo: 14,673,000.00 of MRR at the end of February (a ramp).
    expect(movements.find((answer) => answer.month === '2026-02')?.startingMrr).toBe('14673000.00');
    expect(await page.$$('[data-chart="mrr-movements"] .recharts-bar-rectangle')).not.toHaveLength(0);
    // Starting and ending MRR always stand; a movement of zero draws no bar.
    expect((await page.$$('[data-chart="mrr-waterfall"] .recharts-bar-rectangle')).length).toBeGreaterThanOrEqual(2);
    // The period's waterfall: first start, each movement summed over the months, last end; it closes.
    const bridge = await page.$$eval('[data-chart="mrr-waterfall"] [data-step]', (steps) => Object.fromEntries(steps.map((step) => [step.getAttribute('data-step'), step.getAttribute('data-value')])));
    const summed = (field: string) => fromCents(movements.reduce((total, answer) => total + cents(answer[field]), 0n));
    expect(bridge).toEqual({
      starting: movements[0]!.startingMrr,
      new: summed('new'),
      expansion: summed('expansion'),
      reactivation: summed('reactivation'),
      contraction: summed('contraction'),
      churn: summed('churn'),
      ending: movements.at(-1)!.endingMrr,
    });
    const closes = cents(bridge['starting']!) + cents(bridge['new']!) + cents(bridge['expansion']!) + cents(bridge['reactivation']!) - cents(bridge['contraction']!) - cents(bridge['churn']!);
    expect(fromCents(closes)).toBe(bridge['ending']);
    await screenshot('overview');
    // The README's picture is the first screen of the Overview; it is written when missing, or
    // again with LEDGER_UPDATE_SCREENSHOTS=1, so a test run leaves the committed file alone.
    if (!existsSync(readmeScreenshot) || process.env['LEDGER_UPDATE_SCREENSHOTS'] === '1') await page.screenshot({ path: readmeScreenshot });

    await page.click('[data-period=quarter]');
    await expect.poll(async () => (await readTable('mrr-movements')).map((row) => row.key), pollOptions).toEqual(demoMonths.slice(-3));
  });

  it('sorts a table by any column, money exactly', async () => {
    await openPage('overview');
    await waitForTable('revenue', demoMonths.length);
    await page.click('table[data-table=revenue] th[data-col=total] button');
    const ascending = (await readTable('revenue')).map((row) => row.values['total']!);
    expect(ascending).toEqual([...ascending].sort((a, b) => compareMoney(a, b)));
    await page.click('table[data-table=revenue] th[data-col=total] button');
    const descending = (await readTable('revenue')).map((row) => row.values['total']!);
    expect(descending).toEqual([...ascending].reverse());
    expect(await page.getAttribute('table[data-table=revenue] th[data-col=total]', 'aria-sort')).toBe('descending');
  });

  it('Invoices: the list per tenant and billing date, a document with its lines, adjustments marked, and each line\'s source events one click away', async () => {
    await openPage('invoices');
    await page.selectOption('select[name=tenantId]', 'frontier-lab');
    await page.selectOption('select[name=billingDate]', '2026-01-01T00:00:00Z');
    const listed = (await api('/v1/invoices?tenantId=frontier-lab&billingDate=2026-01-01T00:00:00Z')).invoices as Json[];
    expect(listed.map((document) => document.invoiceId)).toEqual(['INV-000002']);
    await expectTable('invoices', listed, 'invoiceId', ['tenantId', 'billingDate', 'dueAt', 'total', 'amountPaid', 'amountDue', 'status']);
    expect(await page.getAttribute('table[data-table=invoices] tr[data-key="INV-000002"]', 'class')).toContain('has-adjustment');
    await screenshot('invoices');

    await page.click('table[data-table=invoices] a:text("INV-000002")');
    const invoice = await api('/v1/invoices/INV-000002');
    const lineKey = (line: Json) => `${line.leaseId}|${line.serviceMonth}|${line.kind}`;
    await expectTable('invoice-lines', invoice.lines.map((line: Json) => ({ ...line, key: lineKey(line) })), 'key', ['quantity', 'unitPrice', 'amount']);
    // Rates as the PDF prints them ($2.10 / GPU-h, never 2.1 / GPU-h), and the sources counted in the right number.
    const lineRows = await readTable('invoice-lines');
    for (const line of invoice.lines as Json[]) {
      const row = lineRows.find((candidate) => candidate.key === lineKey(line))!;
      if (line.kind === 'commitment' || line.kind === 'overage') expect(row.texts['unitPrice'], lineKey(line)).toBe(`${usdRate(line.unitPrice)} / GPU-h`);
      const sourceCount = line.sources.length + (line.omittedSources ?? 0);
      expect(row.texts['sources'], lineKey(line)).toBe(sourceCount === 1 ? '1 event' : `${sourceCount.toLocaleString('en-US')} events`);
    }
    await expectFigure('total', invoice.total); // 1,562,400.00 commitment of January + 2,100.00 adjustment
    expect(invoice.total).toBe('1564500.00');
    const adjustment = (invoice.lines as Json[]).find((line) => line.adjustment === true)!;
    expect(adjustment).toMatchObject({ kind: 'overage', serviceMonth: '2025-11', amount: '2100.00' }); // (25,800 - 25,200) x 3.50
    const adjustmentRow = `table[data-table=invoice-lines] tr[data-key="${lineKey(adjustment)}"]`;
    expect(await page.getAttribute(adjustmentRow, 'class')).toContain('adjustment');
    expect(await page.textContent(`${adjustmentRow} td[data-col=description]`)).toContain('adjustment');

    await page.click(`${adjustmentRow} button[name=sources]`);
    // Newest first, a dozen at once: the late reading that the adjustment settles leads the list.
    const sources = [...(adjustment.sources as Json[])].sort((a, b) => b.position - a.position);
    const shown = sources.slice(0, 12);
    await expect.poll(() => page.$$eval('.sources tr[data-position]', (rows) => rows.map((row) => Number(row.getAttribute('data-position')))), pollOptions).toEqual(shown.map((source) => source.position));
    const onScreen = await page.$$eval('.sources tr[data-position]', (rows) => rows.map((row) => row.querySelectorAll('td')[1]?.textContent));
    expect(onScreen).toEqual(shown.map((source) => source.type));
    const fetched = await Promise.all(shown.map((source) => api(`/v1/audit/events?fromPosition=${source.position}&limit=1`)));
    expect(fetched.map((answer) => answer.events[0].eventId)).toEqual(shown.map((source) => source.eventId));
    expect(fetched[0]!.events[0].data.readingId).toBe('L-1001:2025113023-late');
    await screenshot('invoice-detail');
  });

  it('a credit note shows no due date, in the list or on its page', async () => {
    const documents = (await api('/v1/invoices')).invoices as Json[];
    const note = documents.find((document) => document.kind === 'credit_note')!;
    expect(note.dueAt).toBeNull();
    await page.goto(`${dashboard.url}/#/invoices`);
    await waitForTable('invoices', documents.length);
    const row = (await readTable('invoices')).find((candidate) => candidate.key === note.invoiceId)!;
    expect(row.texts['dueAt']).toBe('');
    const invoice = (await readTable('invoices')).find((candidate) => candidate.key.startsWith('INV-'))!;
    expect(invoice.texts['dueAt']).toMatch(/^\d{4}-\d{2}-\d{2}$/);

    await page.click(`table[data-table=invoices] a:text("${note.invoiceId}")`);
    await page.waitForSelector(`article[data-invoice="${note.invoiceId}"]`);
    await expectFigure('total', note.total);
    expect(await page.$('[data-fact=dueAt]')).toBeNull();
    expect(await page.$('[data-figure=amountDue]')).toBeNull();
    expect(await page.textContent('article.document dl.facts')).not.toContain('Due');
  });

  it('Receivables: aging buckets per tenant and their totals', async () => {
    await openPage('receivables');
    const aging = await api('/v1/reports/ar-aging');
    const buckets = ['current', 'days1to30', 'days31to60', 'days61to90', 'over90', 'total'];
    await expectTable('ar-aging', aging.tenants, 'tenantId', buckets);
    const totals = await readFooter('ar-aging');
    for (const bucket of buckets) expect(totals[bucket], bucket).toBe(aging.totals[bucket]);
    // nimbus-research stopped paying after its termination: some of it is over 90 days past due.
    expect(aging.tenants.find((tenant: Json) => tenant.tenantId === 'nimbus-research').over90).not.toBe('0.00');
    await screenshot('receivables');
  });

  it('Receivables: each tenant\'s credit grants with drawn, expired and remaining', async () => {
    await openPage('receivables');
    const answer = await api('/v1/credit-grants');
    expect(answer.grants.map((grant: Json) => grant.grantId)).toEqual(['web-e2e-promo-1']);
    await expectTable('credit-grants', answer.grants, 'grantId', ['tenantId', 'kind', 'amount', 'drawn', 'expired', 'remaining']);
  });

  it('Reconciliation: per lease of the last complete month, GPU-hours, charges, invoiced, not yet invoiced and ok', async () => {
    await openPage('reconciliation');
    expect(await page.inputValue('select[name=month]')).toBe(correctedMonth);
    const report = await api(`/v1/reports/reconciliation?month=${correctedMonth}`);
    await expectTable('reconciliation', report.leases, 'leaseId', ['tenantId', 'committedGpuHours', 'allocatedGpuHours', 'meteredGpuHours', 'overageGpuHours', 'charges', 'invoiced', 'notYetInvoiced', 'ok']);
    expect(await page.getAttribute('.reconciliation-status', 'data-ok')).toBe(String(report.ok));
    await screenshot('reconciliation');
  });

  it('Capacity: allocated and free GPUs per site', async () => {
    await openPage('capacity');
    const capacity = await api('/v1/reports/capacity');
    await expectTable('capacity', capacity.sites, 'siteId', ['gpuSku', 'gpuCount', 'allocated', 'free']);
    await screenshot('capacity');
  });

  it('Audit: the chain status, the event log a page at a time, and one stream\'s history', async () => {
    await openPage('audit');
    const verify = await api('/v1/audit/verify');
    expect(verify.ok).toBe(true);
    await page.waitForSelector('[data-chain-ok=true]');
    expect(await page.textContent('[data-chain-ok=true]')).toContain(`${verify.eventsChecked.toLocaleString('en-US')} events checked`);

    const first = await api('/v1/audit/events?fromPosition=0&limit=50');
    await expectTable('events', first.events.map((event: Json) => ({ ...event, key: String(event.position) })), 'key', ['streamId', 'type', 'recordedAt', 'hash']);
    await page.click('[data-pager=next]');
    const second = await api(`/v1/audit/events?fromPosition=${first.nextPosition}&limit=50`);
    await expect.poll(async () => (await readTable('events')).map((row) => row.key), pollOptions).toEqual(second.events.map((event: Json) => String(event.position)));

    await page.fill('input[name=stream]', 'lease-L-1001');
    await page.click('form[aria-label=Stream] button[type=submit]');
    const stream = await api('/v1/audit/streams/lease-L-1001?limit=50');
    await expectTable('stream', stream.events.map((event: Json) => ({ ...event, key: String(event.position) })), 'key', ['type', 'revision', 'hash']);
    await screenshot('audit');
  });

  it('"as known at" a past instant shows the books as they were known then, on every page', async () => {
    await openPage('overview');
    await waitForTable('revenue', demoMonths.length);
    const now = await api(`/v1/reports/revenue?month=${correctedMonth}`);
    const then = await api(`/v1/reports/revenue?month=${correctedMonth}&knownAt=${knownBeforeCorrection}`);
    // The correction raised L-4001's October usage, so October's usage revenue moved.
    expect(then.usage).not.toBe(now.usage);

    // Typed and shown as every UTC instant on screen is written, not in a local 12-hour form.
    expect(await page.getAttribute('input[name=knownAt]', 'type')).toBe('text');
    await page.fill('input[name=knownAt]', '2026-11-02 12:00');
    await page.click('button[name=apply]');
    await page.waitForSelector('.time-travel');
    expect(page.url()).toContain(`knownAt=${encodeURIComponent(knownBeforeCorrection)}`);
    expect(await page.inputValue('input[name=knownAt]')).toBe('2026-11-02 12:00');
    expect(await page.textContent('.time-travel')).toContain('2026-11-02 12:00 UTC');
    await expect.poll(async () => (await readTable('revenue')).find((row) => row.key === correctedMonth)?.values['usage'], pollOptions).toBe(then.usage);
    const mrrThen = await api(`/v1/reports/mrr?knownAt=${knownBeforeCorrection}`);
    await expectFigure('mrr', mrrThen.mrr);
    expect(await page.getAttribute('.answer-time', 'data-known-at')).toBe(knownBeforeCorrection);

    // The time controls travel with the navigation: Reconciliation opens as known then too.
    await page.click('nav[aria-label=Pages] a[data-page=reconciliation]');
    const reconciliationNow = await api(`/v1/reports/reconciliation?month=${correctedMonth}`);
    const reconciliationThen = await api(`/v1/reports/reconciliation?month=${correctedMonth}&knownAt=${knownBeforeCorrection}`);
    const lease = (report: Json) => report.leases.find((row: Json) => row.leaseId === 'L-4001');
    expect(lease(reconciliationThen).notYetInvoiced).toBe('0.00');
    expect(lease(reconciliationNow).notYetInvoiced).not.toBe('0.00');
    await expectTable('reconciliation', reconciliationThen.leases, 'leaseId', ['meteredGpuHours', 'charges', 'invoiced', 'notYetInvoiced', 'ok']);
    await screenshot('reconciliation-known-before-correction');

    // The log holds the correction back: it was recorded after the instant chosen.
    const head = (await api('/v1/audit/verify')).headPosition as number;
    await page.goto(`${dashboard.url}/#/audit?knownAt=${encodeURIComponent(knownBeforeCorrection)}&from=${head}`);
    await page.waitForSelector('[data-held-back]');
    expect(await page.getAttribute('[data-held-back]', 'data-held-back')).toBe('1');

    await page.goto(`${dashboard.url}/#/overview?knownAt=${encodeURIComponent(knownBeforeCorrection)}`);
    await page.click('button[name=now]');
    await expect.poll(async () => (await readTable('revenue')).find((row) => row.key === correctedMonth)?.values['usage'], pollOptions).toBe(now.usage);
    expect(await page.$('.time-travel')).toBeNull();
  });

  it('"as of" moves effective time: MRR and capacity at an earlier instant', async () => {
    const asOf = '2026-01-15T00:00:00Z';
    await page.goto(`${dashboard.url}/#/overview`);
    await page.fill('input[name=asOf]', asOf.slice(0, 16));
    await page.click('button[name=apply]');
    const mrr = await api(`/v1/reports/mrr?asOf=${asOf}`);
    await expectFigure('mrr', mrr.mrr);
    // The period ends with the month "as of" falls in.
    await expect.poll(async () => (await readTable('revenue')).map((row) => row.key).at(-1), pollOptions).toBe('2026-01');
    await page.click('nav[aria-label=Pages] a[data-page=capacity]');
    const capacity = await api(`/v1/reports/capacity?asOf=${asOf}`);
    await expectTable('capacity', capacity.sites, 'siteId', ['allocated', 'free']);
    await page.click('button[name=now]');
  });

  it('a tenant key sees its own Invoices page only', async () => {
    await page.click('button.logout');
    await page.waitForSelector('input[name=apiKey]');
    expect(await page.evaluate(storedKey)).toBeNull();
    await logIn('tenant');
    expect(await page.$$eval('nav[aria-label=Pages] a', (links) => links.map((link) => link.getAttribute('data-page')))).toEqual(['invoices']);
    await page.waitForSelector('main[data-current-page=invoices]');
    const own = (await api('/v1/invoices', 'tenant')).invoices as Json[];
    expect(new Set(own.map((document) => document.tenantId))).toEqual(new Set(['frontier-lab']));
    await expectTable('invoices', own, 'invoiceId', ['tenantId', 'total', 'amountDue', 'status']);
    expect((await api('/v1/reports/mrr', 'tenant', 403)).status).toBe(403);

    // A link to a page the key may not read opens its Invoices page instead.
    await page.goto(`${dashboard.url}/#/overview`);
    await page.waitForSelector('main[data-current-page=invoices]');
    await expect.poll(() => page.evaluate('window.location.hash'), pollOptions).toBe('#/invoices');
    await screenshot('tenant-invoices');
  });

  it('raised no error in the page, logged none to the console, and asked for nothing that is not there', () => {
    expect(pageErrors).toEqual([]);
    expect(consoleErrors).toEqual([]);
    expect(failedAnswers).toEqual([]);
  });
});

// ---- Helpers ----------------------------------------------------------------------------------

// Code run in the page is passed as text: this project's TypeScript has no DOM types, on purpose.
const storedKey = "sessionStorage.getItem('compute-ledger.apiKey')";

/** The API's answer to the same request, with the same key as the page (auditor unless named). */
async function api(path: string, as: KeyName = 'auditor', status = 200): Promise<Json> {
  const answer = await ledger.get<Json>(path, as);
  expect(answer.status, `${path}: ${answer.text}`).toBe(status);
  return status === 200 ? answer.body : { status: answer.status };
}

async function logIn(as: KeyName): Promise<void> {
  await page.goto(`${dashboard.url}/`);
  await page.fill('input[name=apiKey]', keys[as]);
  await page.click('button[type=submit]');
  await page.waitForSelector('main[data-current-page]');
}

async function openPage(name: string): Promise<void> {
  await page.click(`nav[aria-label=Pages] a[data-page=${name}]`);
  await page.waitForSelector(`main[data-current-page=${name}]`);
}

async function screenshot(name: string): Promise<void> {
  await page.waitForFunction("document.querySelector('.status.loading') === null");
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
}

interface TableRow {
  key: string;
  values: Record<string, string>;
  texts: Record<string, string>;
}

async function readTable(name: string): Promise<TableRow[]> {
  return page.$$eval(`table[data-table="${name}"] > tbody > tr[data-key]`, (rows) =>
    rows.map((row) => {
      const cells = [...row.querySelectorAll(':scope > td[data-col]')];
      return {
        key: row.getAttribute('data-key') ?? '',
        values: Object.fromEntries(cells.map((cell) => [cell.getAttribute('data-col') ?? '', cell.getAttribute('data-value') ?? ''])),
        texts: Object.fromEntries(cells.map((cell) => [cell.getAttribute('data-col') ?? '', (cell.textContent ?? '').trim()])),
      };
    }),
  );
}

async function readFooter(name: string): Promise<Record<string, string>> {
  return page.$$eval(`table[data-table="${name}"] > tfoot td[data-col]`, (cells) => Object.fromEntries(cells.map((cell) => [cell.getAttribute('data-col') ?? '', cell.getAttribute('data-value') ?? ''])));
}

async function waitForTable(name: string, rowCount: number): Promise<void> {
  await expect.poll(async () => (await readTable(name)).length, pollOptions).toBe(rowCount);
}

/**
 * The table shows exactly the API's rows (by key, in any order: the page may sort them), each
 * listed column holding the API's value, and every money cell formatted from it.
 */
async function expectTable(name: string, expectedRows: readonly Json[], keyField: string, columns: readonly string[]): Promise<void> {
  const project = (values: Record<string, unknown>) => Object.fromEntries(columns.map((column) => [column, String(values[column])]));
  const expected = expectedRows.map((row) => ({ key: String(row[keyField]), values: project(row) })).sort((a, b) => a.key.localeCompare(b.key));
  await expect
    .poll(async () => (await readTable(name)).map((row) => ({ key: row.key, values: project(row.values) })).sort((a, b) => a.key.localeCompare(b.key)), pollOptions)
    .toEqual(expected);
  for (const row of await readTable(name)) {
    for (const column of columns) {
      const value = row.values[column]!;
      if (/^-?\d+\.\d{2}$/.test(value) && isMoneyColumn(column)) expect(row.texts[column], `${name} ${row.key} ${column}`).toBe(usd(value));
    }
  }
}

const moneyColumns = new Set(['startingMrr', 'new', 'expansion', 'reactivation', 'contraction', 'churn', 'endingMrr', 'commitment', 'usage', 'terminationFees', 'slaCredits', 'creditNotes', 'drawn', 'expired', 'total', 'mrr', 'arr', 'remaining', 'amountPaid', 'amountDue', 'amount', 'current', 'days1to30', 'days31to60', 'days61to90', 'over90', 'charges', 'invoiced', 'notYetInvoiced', 'within12Months', 'months13to24', 'months25to36', 'beyond36Months']);

function isMoneyColumn(column: string): boolean {
  return moneyColumns.has(column);
}

async function expectFigure(name: string, amount: string): Promise<void> {
  await expect.poll(() => page.getAttribute(`[data-figure="${name}"]`, 'data-value'), pollOptions).toBe(amount);
  expect((await page.textContent(`[data-figure="${name}"] .figure-value`))?.trim()).toBe(usd(amount));
}

/** The expected text of an amount, worked out apart from the page's own formatter: `-105840.00` -> `-$105,840.00`. */
function usd(amount: string): string {
  const negative = amount.startsWith('-');
  const [integer = '0', fraction] = amount.replace(/^-/, '').split('.');
  return `${negative ? '-' : ''}$${BigInt(integer).toLocaleString('en-US')}${fraction === undefined ? '' : `.${fraction}`}`;
}

/** The expected text of a rate, worked out apart from the page: two decimals at least, no trailing zeros beyond them: `2.1` -> `$2.10`. */
function usdRate(rate: string): string {
  const [integer = '0', fraction = ''] = rate.split('.');
  const digits = fraction.replace(/0+$/, '').padEnd(2, '0');
  return `$${BigInt(integer).toLocaleString('en-US')}.${digits}`;
}

/** Amounts of the ledger's currency (two minor digits) as whole cents, exactly. */
function cents(amount: string): bigint {
  return BigInt(amount.replace('.', ''));
}

function fromCents(value: bigint): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(3, '0');
  return `${negative ? '-' : ''}${digits.slice(0, -2)}.${digits.slice(-2)}`;
}

function compareMoney(a: string, b: string): number {
  const difference = cents(a) - cents(b);
  return difference < 0n ? -1 : difference > 0n ? 1 : 0;
}
