import { AliciaError } from '../../../services/lib/protocol/errors.js';

/**
 * The Content-Security-Policy of the control center window, as one header value.
 *
 * Why these directives (Electron security checklist, "Define a Content Security Policy";
 * CSP Level 3, https://www.w3.org/TR/CSP3/):
 *  - default-src 'none': everything not listed below is refused.
 *  - script-src 'self': only the bundled scripts of the app origin; no eval, no inline script.
 *  - connect-src: exactly the broker's WebSocket URL (every control action of the window is an MQTT
 *    message over that one WebSocket), so a compromised page cannot reach any other server or port.
 *  - media-src/img-src blob: data:: the voice view plays the spoken reply from base64 WAV.
 *  - object-src, base-uri, form-action, frame-src 'none': no plugins, no <base> hijack, no form posts,
 *    no frames; frame-ancestors 'none' keeps the page from being framed.
 *  - no upgrade-insecure-requests: it would rewrite ws:// to wss:// and break the loopback broker.
 *
 * Dev mode (Vite dev server) needs more: Vite injects CSS as <style> elements and the React plugin an
 * inline refresh preamble, and HMR talks to the dev server over its own WebSocket
 * (https://vite.dev/guide/features#content-security-policy-csp). Those relaxations are only ever
 * added when a dev server URL is given, never in the packaged app.
 */
export interface CspOptions {
  /** the broker WebSocket URL the window connects to, e.g. ws://127.0.0.1:43121/mqtt */
  wsUrl: string;
  /** Vite dev server URL (ALICIA_DEV_SERVER_URL), only in development */
  devServerUrl?: string | undefined;
}

/** A URL reduced to a CSP source expression, refusing anything that could smuggle in a directive. */
export function cspSource(url: string, allowedProtocols: readonly string[]): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new AliciaError('INTERNAL', `not a URL for the content security policy: ${JSON.stringify(url)}`);
  }
  if (!allowedProtocols.includes(u.protocol)) {
    throw new AliciaError('INTERNAL', `${u.protocol} is not allowed in this CSP directive (allowed: ${allowedProtocols.join(' ')})`);
  }
  if (u.username || u.password) throw new AliciaError('INTERNAL', 'a CSP source must not carry credentials');
  // WHATWG URL percent-encodes spaces, ';' and ',' stay literal in paths: refuse them, they separate
  // directives and policies (CSP3 2.2 "Parse a serialized CSP").
  const path = u.pathname === '/' ? '' : u.pathname;
  const source = `${u.protocol}//${u.host}${path}`;
  if (/[\s;,'"]/.test(source)) throw new AliciaError('INTERNAL', `unsafe characters in CSP source ${JSON.stringify(source)}`);
  return source;
}

export function buildCsp(opts: CspOptions): string {
  const ws = cspSource(opts.wsUrl, ['ws:', 'wss:']);
  const dev = opts.devServerUrl ? cspSource(opts.devServerUrl, ['http:', 'https:']) : undefined;
  // Vite's HMR socket lives on the dev server's host and port with the ws/wss scheme.
  const devWs = dev ? dev.replace(/^http/, 'ws') : undefined;
  const directives: [string, string[]][] = [
    ['default-src', ["'none'"]],
    ['script-src', dev ? ["'self'", dev, "'unsafe-inline'"] : ["'self'"]],
    ['style-src', dev ? ["'self'", dev, "'unsafe-inline'"] : ["'self'"]],
    ['img-src', ["'self'", 'data:', 'blob:']],
    ['font-src', ["'self'", 'data:']],
    ['media-src', ["'self'", 'data:', 'blob:']],
    ['connect-src', dev && devWs ? [ws, dev, devWs] : [ws]],
    ['worker-src', ["'self'", 'blob:']],
    ['manifest-src', ["'self'"]],
    ['object-src', ["'none'"]],
    ['frame-src', ["'none'"]],
    ['child-src', ["'none'"]],
    ['base-uri', ["'none'"]],
    ['form-action', ["'none'"]],
    ['frame-ancestors', ["'none'"]],
  ];
  return directives.map(([name, values]) => `${name} ${values.join(' ')}`).join('; ');
}

/** Parse a policy back into directive -> sources (tests, and to check what a header says). */
export function parseCsp(policy: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const part of policy.split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name && !out.has(name.toLowerCase())) out.set(name.toLowerCase(), values);
  }
  return out;
}
