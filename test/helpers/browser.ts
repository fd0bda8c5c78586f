/**
 * Real headless Chromium for browser tests (Debian's build, driven by playwright-core).
 *
 * Without Chromium, browser suites skip with a visible notice locally but fail in CI, where the
 * browser journey is a required check.
 */
import { accessSync, constants } from 'node:fs';

import { type Browser, chromium } from 'playwright-core';
import { describe, it } from 'vitest';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** True when the Chromium binary exists and is executable. */
export function browserAvailable(): boolean {
  try {
    accessSync(CHROMIUM_PATH, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
      '--disable-quic',
    ],
  });
}

/**
 * `describe` for suites that need Chromium: runs them, skips them locally, or fails in CI.
 * Tests get a longer default timeout, since each drives a real browser.
 */
export function describeBrowser(name: string, suite: () => void, options: { timeout?: number } = {}): void {
  if (browserAvailable()) {
    describe(name, { timeout: options.timeout ?? 30_000 }, suite);
    return;
  }
  if (process.env.CI && process.env.CI !== 'false') {
    describe(name, () => {
      it('runs in Chromium', () => {
        throw new Error(`Chromium not found at ${CHROMIUM_PATH}: browser tests are required in CI`);
      });
    });
    return;
  }
  console.warn(`\n⚠ SKIPPED "${name}": Chromium not found at ${CHROMIUM_PATH} (set CHROMIUM_PATH). CI runs these tests.\n`);
  describe.skip(name, suite);
}
