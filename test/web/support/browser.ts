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

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(
      `The dashboard's browser tests need Chromium at ${chromiumPath}, and it is not there. ` +
        'Install it with `apt-get update && apt-get install -y chromium` (CI installs it in .ci/run), or point CHROMIUM_PATH at a Chromium binary.',
    );
  }
  return chromium.launch({ executablePath: chromiumPath, headless: true, chromiumSandbox: false, args: chromiumArgs });
}
