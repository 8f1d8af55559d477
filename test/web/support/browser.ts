import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/**
 * Debian's Chromium, driven by playwright-core (which downloads no browser of its own). The
 * flags keep it off the network beyond loopback: without them it keeps calling home, and every
 * call is refused on a closed machine. Playwright starts each launch on a new, empty profile
 * directory of its own and removes it on close.
 */

export const chromiumPath = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

const chromiumArgs = ['--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Why the browser tests cannot run here (no Chromium where they look), or null when they can. */
export function chromiumAbsence(): string | null {
  if (existsSync(chromiumPath)) return null;
  return `the dashboard's browser tests need Chromium at ${chromiumPath}, and it is not there: install it with \`apt-get install chromium\`, or point CHROMIUM_PATH at a Chromium binary`;
}

/**
 * Without a browser the browser tests are skipped, with one line that says what to install,
 * so that `npm test` passes on a machine that has none; under CI (CI=true) they run, and fail
 * when there is no browser: CI must not pass without them.
 */
export function skipBrowserTests(): boolean {
  const absence = chromiumAbsence();
  if (absence === null || process.env['CI'] === 'true') return false;
  process.stderr.write(`test/web skipped: ${absence}\n`);
  return true;
}

export async function launchChromium(): Promise<Browser> {
  const absence = chromiumAbsence();
  if (absence !== null) throw new Error(`${absence.charAt(0).toUpperCase()}${absence.slice(1)} (CI installs it in .ci/run).`);
  return chromium.launch({ executablePath: chromiumPath, headless: true, chromiumSandbox: false, args: chromiumArgs });
}
