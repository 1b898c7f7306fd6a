import fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/**
 * Debian's Chromium (apt-get install -y chromium; `.ci/run` installs it), driven by
 * playwright-core, which never downloads a browser. Missing Chromium fails the test with how to
 * install it: browser tests are never skipped.
 */
import { CHROMIUM_PATH } from '../../runtime/chromium.js';

export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM_PATH}. Install Debian's package (\`apt-get install -y chromium\`, as .ci/run does) or set BATON_CHROMIUM_PATH; the console's browser tests need it and are never skipped.`);
  }
  // Playwright starts it headless with a fresh temporary --user-data-dir of its own; the rest keeps
  // it from reaching out (no component updates, sync, QUIC or background networking).
  return chromium.launch({
    executablePath: CHROMIUM_PATH, headless: true, timeout: 60_000,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
