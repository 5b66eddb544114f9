import { defineConfig } from '@playwright/test';
import { CHROMIUM, CHROMIUM_ARGS } from '../support/browser.js';

/**
 * Browser tests: Debian Chromium (never a downloaded browser) against the real headless host,
 * which the global setup builds and starts once (temp data dir, every port 0).
 * Run: npx playwright test -c e2e/browser/playwright.config.ts   (ALICIA_E2E_SKIP_BUILD=1 to reuse dist/)
 */
export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.ts',
  globalSetup: './globalSetup.ts',
  outputDir: '../../test-results/e2e',
  // One host, one browser at a time: the specs share the host's services and devices (a service one
  // stops, a light another switches). Each test sets up the state it needs and puts back what it
  // changes, so any test runs alone (--grep) or in any order; only not at the same time.
  workers: 1,
  fullyParallel: false,
  timeout: 120_000,
  expect: { timeout: 15_000 },
  reporter: [['list']],
  use: {
    browserName: 'chromium',
    viewport: { width: 1360, height: 820 },
    launchOptions: { executablePath: CHROMIUM, args: CHROMIUM_ARGS },
    screenshot: 'only-on-failure',
    trace: 'off',
  },
});
