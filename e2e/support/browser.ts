import type { RuntimeInfo } from '../../electron/host/headless.js';

/**
 * The browser side of the host for Playwright specs and the window benchmark: Debian's Chromium
 * and the runtime.json the global setup published. The host process itself: ../support/host.ts.
 */

/** Debian's Chromium (apt install chromium): the test machines reach no browser download but Debian's mirror. */
export const CHROMIUM = '/usr/bin/chromium';
/** Chromium flags for test machines without a display or a GPU, running as root, with no internet. */
export const CHROMIUM_ARGS = [
  // no display
  '--headless',
  // the tests run as root, and Chromium will not start its sandbox as root
  '--no-sandbox',
  // no GPU: software rendering, without a GPU process that fails to start and logs about it
  '--disable-gpu',
  // no internet: no background fetches, component (CRL, safe browsing list) updates, sign-in sync
  // or QUIC probes that would only time out; the one server the page talks to is the local host
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  // no first-run welcome page or default-browser question in the way of the page under test
  '--no-first-run',
];

/** The runtime info the global setup published for the specs. */
export function runtimeFromEnv(): RuntimeInfo {
  const raw = process.env.ALICIA_E2E_RUNTIME;
  if (!raw) throw new Error('ALICIA_E2E_RUNTIME is not set: run the specs through e2e/browser/playwright.config.ts');
  return JSON.parse(raw) as RuntimeInfo;
}
