/**
 * Where the bus is and which credential the window uses. In Electron the preload bridge answers
 * (contextIsolation on: only these functions cross); in a browser the headless host serves
 * GET /api/connection on the same origin as the page.
 */
export interface ConnectionInfo {
  ws_url: string;
  username: string;
  password: string;
  version: string;
}

export interface AliciaBridge {
  getConnection(): Promise<ConnectionInfo>;
  openDataFolder?(): Promise<void>;
  platform?: string;
}

declare global {
  interface Window {
    alicia?: AliciaBridge;
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
