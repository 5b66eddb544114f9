import type { RuntimeInfo } from '../../electron/host/headless.js';

/**
 * The browser side of the host for Playwright specs and the window benchmark: Debian's Chromium
 * and the runtime.json the global setup published. The host process itself: ../support/host.ts.
 */

/** Chromium flags for these machines (../shared/PLATFORM.md "Browser tests"). */
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** The runtime info the global setup published for the specs. */
export function runtimeFromEnv(): RuntimeInfo {
  const raw = process.env.ALICIA_E2E_RUNTIME;
  if (!raw) throw new Error('ALICIA_E2E_RUNTIME is not set: run the specs through e2e/browser/playwright.config.ts');
  return JSON.parse(raw) as RuntimeInfo;
}
