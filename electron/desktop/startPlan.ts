import { SQLITE_BINDING_ENV } from '../../services/lib/runtime/sqlite.js';
import type { BuildResult } from './sqliteBinding.js';

/**
 * What `npm start` does (electron/desktop/start.ts), decided from facts it gathers, so the decision is
 * tested here while Electron itself cannot run (its binary download needs GitHub, out of reach of the
 * project's machines): the desktop window where an Electron binary and a display exist, with
 * better-sqlite3 built for Electron (sqliteBinding.ts); the headless host otherwise. Either way one
 * line says which and why.
 */
export interface StartFacts {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  /** the electron package's binary and version, or why there is none */
  electron: { bin: string; version: string } | { missing: string };
  /** the cached Electron build of better-sqlite3 for that version (sqliteBindingPath) */
  binding: { path: string; cached: boolean } | null;
}

export type StartPlan =
  | { host: 'headless'; reason: string }
  | { host: 'electron'; electron: string; electronVersion: string; binding: string; build: boolean; reason: string };

export function planStart(f: StartFacts): StartPlan {
  if ('missing' in f.electron) return { host: 'headless', reason: `no Electron binary (${f.electron.missing})` };
  // Electron on Linux needs an X or Wayland display; macOS and Windows always have one.
  if (f.platform === 'linux' && !f.env.DISPLAY && !f.env.WAYLAND_DISPLAY)
    return { host: 'headless', reason: 'no display (DISPLAY and WAYLAND_DISPLAY are unset)' };
  if (!f.binding) return { host: 'headless', reason: 'better-sqlite3 is not installed (run npm ci)' };
  return {
    host: 'electron',
    electron: f.electron.bin,
    electronVersion: f.electron.version,
    binding: f.binding.path,
    build: !f.binding.cached,
    reason:
      f.platform === 'linux'
        ? `Electron ${f.electron.version} and a display (${f.env.WAYLAND_DISPLAY ? 'Wayland' : `X ${f.env.DISPLAY}`})`
        : `Electron ${f.electron.version}`,
  };
}

/** The plan once the build ran: Electron with the new addon, or the headless host saying why not. */
export function planAfterBuild(plan: StartPlan, result: BuildResult): StartPlan {
  if (plan.host !== 'electron') return plan;
  if (!result.ok)
    return { host: 'headless', reason: `cannot build better-sqlite3 for Electron ${plan.electronVersion} (${result.reason})` };
  return { ...plan, binding: result.path, build: false };
}

/** The one line printed before a build (it can take minutes the first time). */
export function buildNotice(plan: Extract<StartPlan, { host: 'electron' }>, shownPath: string): string {
  return `alicia: building better-sqlite3 for Electron ${plan.electronVersion} once, into ${shownPath} (download, else compile: up to a few minutes)`;
}

/** The line that says which host starts and why. */
export function startLine(plan: StartPlan): string {
  return plan.host === 'electron'
    ? `alicia: starting the desktop app: ${plan.reason}`
    : `alicia: starting the headless host (open the URL below in a browser): ${plan.reason}`;
}

/** The environment Electron starts with: ours plus the addon path every process loads (services/lib/runtime/sqlite.ts). */
export function electronEnv(env: NodeJS.ProcessEnv, plan: Extract<StartPlan, { host: 'electron' }>): NodeJS.ProcessEnv {
  return { ...env, [SQLITE_BINDING_ENV]: plan.binding };
}
