import { isIP } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';

/**
 * The request checks of the headless host's HTTP server, modelled on LosslessCut's local API (binds
 * 127.0.0.1, rejects foreign Host and Origin headers):
 *  - Host: DNS rebinding makes a foreign site's hostname resolve to 127.0.0.1, but the browser still
 *    sends that hostname in Host. Only `localhost` and IP literals with our port are accepted
 *    (an IP literal must be the bound address unless bound to a wildcard address for LAN use).
 *  - Origin: browsers send it on cross-origin and module-script requests; any Origin that is not
 *    one of ours is refused.
 */
export function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]';
}

function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === '::1' || host === 'localhost' || host.startsWith('127.');
}

/** Split a Host header into hostname and port ("[::1]:8080" -> "::1", 8080). */
export function parseHostHeader(value: string | undefined): { hostname: string; port: number | null } | null {
  if (!value) return null;
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(value.trim());
  if (!m) return null;
  const hostname = m[1]!.replace(/^\[|\]$/g, '').toLowerCase();
  return { hostname, port: m[2] === undefined ? null : Number(m[2]) };
}

/** This machine's own names, which a browser on the LAN may use for a wildcard bind: its host name and the mDNS one. */
function machineNames(): string[] {
  const h = hostname().toLowerCase();
  return [h, `${h}.local`];
}

/**
 * The addresses a page from a wildcard bind may have been loaded under: every address of this
 * machine (a tablet on the LAN opens https://192.168.1.5:8470/), loopback first.
 */
export function machineAddresses(): string[] {
  const out = ['127.0.0.1'];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      // link-local IPv6 needs a zone id, which a URL cannot carry portably
      if (a.address.startsWith('fe80:') || out.includes(a.address)) continue;
      out.push(a.family === 'IPv6' ? `[${a.address}]` : a.address);
    }
  }
  return out;
}

export function hostAllowed(header: string | undefined, boundHost: string, port: number): boolean {
  const h = parseHostHeader(header);
  if (!h || h.port !== port) return false;
  if (h.hostname === 'localhost') return isLoopback(boundHost) || isWildcard(boundHost);
  if (isWildcard(boundHost) && machineNames().includes(h.hostname)) return true;
  if (isIP(h.hostname) === 0) return false;
  if (isWildcard(boundHost)) return true;
  const bound = boundHost.replace(/^\[|\]$/g, '');
  return h.hostname === bound || (isLoopback(bound) && isLoopback(h.hostname));
}

/** The origins a page served by us has (for the Origin check, the broker's WebSocket origin list, CSP). */
export function ownOrigins(boundHost: string, port: number, scheme: 'http' | 'https' = 'http'): string[] {
  const bound = boundHost.includes(':') && !boundHost.startsWith('[') ? `[${boundHost}]` : boundHost;
  const names = isLoopback(boundHost)
    ? ['127.0.0.1', 'localhost', '[::1]']
    : isWildcard(boundHost)
      ? [...machineAddresses(), 'localhost', ...machineNames()]
      : [bound];
  if (!names.includes(bound) && !isWildcard(boundHost)) names.unshift(bound);
  return names.map((n) => `${scheme}://${n}:${port}`);
}

export function originAllowed(
  origin: string | undefined,
  host: string | undefined,
  allowed: readonly string[],
  scheme: 'http' | 'https' = 'http',
): boolean {
  if (origin === undefined) return true;
  if (allowed.includes(origin)) return true;
  // bound to a wildcard (LAN): the page's own origin is whatever Host it was loaded under
  return host !== undefined && origin === `${scheme}://${host}`;
}

/** Strict CSP for the window: scripts only from us, network only to us and the broker's WebSocket. */
export function contentSecurityPolicy(wsOrigins: readonly string[]): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    // React's style attributes go through CSSOM (not governed by CSP); inline <style> from libraries does need this.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "media-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src 'self' ${wsOrigins.join(' ')}`.trim(),
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export const SECURITY_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  // the microphone button needs the mic; nothing else
  'Permissions-Policy': 'microphone=(self), camera=(), geolocation=(), usb=(), serial=()',
};
