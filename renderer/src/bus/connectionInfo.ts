import type { AliciaDesktopApi, DesktopConnection } from '../../../electron/desktop/desktopApi.js';

/**
 * Where the bus is and which credential the window uses. In Electron the preload bridge answers
 * (contextIsolation on: only the functions electron/desktop/desktopApi.ts declares cross); in a
 * browser the headless host serves GET /api/connection, same shape, on the same origin as the page,
 * to a browser signed in with the host's login link (its session cookie) and to no one else.
 */
export type ConnectionInfo = DesktopConnection;

declare global {
  interface Window {
    /** the desktop bridge (electron/desktop/preload.cts); absent in a browser */
    alicia?: AliciaDesktopApi;
  }
}

/**
 * The host answered 401: this browser has no session (never signed in, signed out, idle for too
 * long, ended from a Health view, or the host restarted). Only the login link helps, so the window
 * says so instead of retrying.
 */
export class SignedOutError extends Error {
  constructor() {
    super('this browser is not signed in to the Alicia host');
    this.name = 'SignedOutError';
  }
}

/** In the desktop app the window has its own session for as long as the app runs: no sign-in, no sign-out. */
export function inDesktopApp(): boolean {
  return typeof window.alicia?.getConnection === 'function';
}

function isInfo(v: unknown): v is ConnectionInfo {
  const o = v as Record<string, unknown> | null;
  return !!o && typeof o.ws_url === 'string' && typeof o.username === 'string' && typeof o.password === 'string';
}

export async function getConnectionInfo(): Promise<ConnectionInfo> {
  let raw: unknown;
  if (window.alicia?.getConnection) {
    raw = await window.alicia.getConnection();
  } else {
    const res = await fetch('/api/connection', { cache: 'no-store', headers: { accept: 'application/json' } });
    if (res.status === 401) throw new SignedOutError();
    if (!res.ok) throw new Error(`GET /api/connection answered ${res.status}`);
    raw = await res.json();
  }
  if (!isInfo(raw)) throw new Error('connection info is missing ws_url, username or password');
  return {
    ...raw,
    version: typeof raw.version === 'string' ? raw.version : '',
    ...(typeof raw.session_id === 'string' ? { session_id: raw.session_id } : {}),
  };
}

/** POST /api/logout (browser only): the host ends this browser's session and drops its cookie. */
export async function signOutOfHost(): Promise<void> {
  const res = await fetch('/api/logout', { method: 'POST', cache: 'no-store', headers: { accept: 'application/json' } });
  // 401: the session had ended already, which is what was asked
  if (!res.ok && res.status !== 401) throw new Error(`POST /api/logout answered ${res.status}`);
}
