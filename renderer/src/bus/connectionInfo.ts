import type { AliciaDesktopApi, DesktopConnection } from '../../../electron/desktop/desktopApi.js';

/**
 * Where the bus is and which credential the window uses. In Electron the preload bridge answers
 * (contextIsolation on: only the functions electron/desktop/desktopApi.ts declares cross); in a
 * browser the headless host serves GET /api/connection, same shape, on the same origin as the page.
 */
export type ConnectionInfo = DesktopConnection;

declare global {
  interface Window {
    /** the desktop bridge (electron/desktop/preload.cts); absent in a browser */
    alicia?: AliciaDesktopApi;
  }
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
    if (!res.ok) throw new Error(`GET /api/connection answered ${res.status}`);
    raw = await res.json();
  }
  if (!isInfo(raw)) throw new Error('connection info is missing ws_url, username or password');
  return { ...raw, version: typeof raw.version === 'string' ? raw.version : '' };
}
