import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { extname, join, normalize, sep } from 'node:path';
import type { Logger } from '../../../services/lib/runtime/logger.js';
import {
  SECURITY_HEADERS,
  contentSecurityPolicy,
  hostAllowed,
  isWildcard,
  machineAddresses,
  originAllowed,
  ownOrigins,
  parseHostHeader,
} from './security.js';
// one table of content types for the window's files, shared with the Electron app:// protocol
import { contentTypeOf } from './contentType.js';
import type { WindowSessions } from '../broker/windowSessions.js';
import { BrowserLogin, clearedCookie, readCookie, sessionCookie, sessionCookieName } from './browserLogin.js';
import { SIGN_IN_CSP, signInPage } from './signInPage.js';

export interface HttpServerOptions {
  /** listen address (127.0.0.1 by default) */
  host: string;
  /** 0 = any free port */
  port: number;
  /** the built renderer (dist/renderer); a placeholder page is served when it has no index.html */
  rendererDir: string;
  version: string;
  log: Logger;
  /** certificate and key: HTTPS only (a non-local host requires it); the session cookie is then Secure */
  tls?: { cert: string; key: string } | null;
  /** the login token; default 32 random bytes made at each start */
  token?: string;
}

/** What the server needs once the broker is up: where the window connects, and its sessions. */
export interface WindowAccess {
  /** ws://127.0.0.1:PORT/mqtt (wss:// with TLS) */
  wsUrl: string;
  sessions: WindowSessions;
  /**
   * Set when the window connects straight to the user's own broker's WebSocket listener
   * (`--broker-ws`), which knows no window sessions: every signed-in browser is handed this one
   * credential (`window-shared`) instead of its session's, and wsUrl is used as given.
   */
  sharedCredential?: () => { username: string; password: string };
}

/** The codes of the API's JSON errors: `{ "error": { "code", "message" } }`. */
export type HttpErrorCode = 'UNAUTHORIZED' | 'FORBIDDEN' | 'NOT_FOUND' | 'METHOD_NOT_ALLOWED' | 'NOT_READY';

export const PLACEHOLDER_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Alicia Control Center</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40em; margin: 4em auto; line-height: 1.5">
<h1>Alicia Control Center</h1>
<p>The host is running (broker, services, recorder), but the window (the renderer) has not been built,
so there is nothing to show here yet.</p>
<p>Build it with <code>npm run build</code> and reload this page. Meanwhile any MQTT client can use the bus
with the operator credential in <code>runtime.json</code> in the data directory.</p>
</body></html>
`;

/**
 * The headless host's web server: the built renderer, GET /api/connection (where the broker is and
 * this browser's own broker credential) and POST /api/logout. Binds 127.0.0.1 by default; HTTPS only
 * when given a certificate. In front of everything: foreign Host headers (DNS rebinding) get 421,
 * foreign Origins 403. Then the sign-in (browserLogin.ts): a request with the host's login token gets
 * a session cookie and a redirect to the same URL without the token; without a session every API
 * route answers 401 JSON and every page or file a 401 sign-in page. Strict CSP.
 * Constructor assigns, start() listens, stop() closes (idempotent).
 */
export class HostHttpServer {
  private server: Server | HttpsServer | undefined;
  private boundPort = 0;
  private access: WindowAccess | undefined;
  private offEnded: (() => void) | undefined;
  private origins: string[] = [];
  private stopping: Promise<void> | undefined;
  private readonly login: BrowserLogin;
  private readonly scheme: 'http' | 'https';

  constructor(private readonly opts: HttpServerOptions) {
    this.login = new BrowserLogin(opts.token);
    this.scheme = opts.tls ? 'https' : 'http';
  }

  async start(): Promise<void> {
    if (this.server) return;
    const handler = (req: IncomingMessage, res: ServerResponse) => this.handle(req, res);
    const tls = this.opts.tls;
    let server: Server | HttpsServer;
    if (tls) {
      const https = createHttpsServer({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' }, handler);
      // plain HTTP to the HTTPS port, scanners: that socket's problem only
      https.on('tlsClientError', (_err: Error, socket: TLSSocket) => socket.destroy());
      server = https;
    } else {
      server = createServer(handler);
    }
    // Keep-alive sockets would hold stop() open for their timeout; the window reconnects anyway.
    server.keepAliveTimeout = 2000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.boundPort = (server.address() as AddressInfo).port;
    this.origins = ownOrigins(this.opts.host, this.boundPort, this.scheme);
  }

  /** http://127.0.0.1:PORT/ (https:// with TLS; for a wildcard bind: the loopback URL). Never the token: safe to log. */
  get url(): string {
    const h = isWildcard(this.opts.host) ? '127.0.0.1' : this.opts.host.includes(':') ? `[${this.opts.host}]` : this.opts.host;
    return `${this.scheme}://${h}:${this.boundPort}/`;
  }

  /** The window's URL with the login token: printed by `alicia serve` and written to runtime.json (0600), never logged. */
  get loginUrl(): string {
    return `${this.url}?token=${this.login.token}`;
  }

  /**
   * Bound to every address (0.0.0.0, ::): the login link under each of this machine's other
   * addresses, for a tablet or phone on the LAN. Empty otherwise.
   */
  get lanLoginUrls(): string[] {
    if (!isWildcard(this.opts.host)) return [];
    return machineAddresses()
      .filter((a) => a !== '127.0.0.1' && a !== '[::1]')
      .map((a) => `${this.scheme}://${a}:${this.boundPort}/?token=${this.login.token}`);
  }

  get port(): number {
    return this.boundPort;
  }

  /** Origins pages from this server have: give them to the broker's WebSocket origin check. */
  get allowedOrigins(): string[] {
    return [...this.origins];
  }

  /** Set once the broker is up; until then signing in and the API answer 503. */
  attach(access: WindowAccess): void {
    this.offEnded?.();
    this.access = access;
    // a session ended elsewhere (idle, the Health view): its cookie names nothing any more
    this.offEnded = access.sessions.onEnded((id) => this.login.forget(id));
  }

  stop(): Promise<void> {
    this.stopping ??= new Promise<void>((resolve) => {
      this.offEnded?.();
      if (!this.server) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.stopping;
  }

  private get cookieName(): string {
    return sessionCookieName(this.boundPort);
  }

  private wsOrigins(): string[] {
    if (!this.access) return [];
    const u = new URL(this.access.wsUrl);
    const out = new Set([u.origin]);
    // a page loaded as http://localhost:P connects to ws://localhost:W (see wsUrlFor)
    for (const o of this.origins) {
      const host = new URL(o).hostname;
      // CSP host-sources cannot be IPv6 literals (Chromium rejects "ws://[::1]:P" as an invalid source and
      // logs an error); a page loaded via [::1] is covered by 'self'-less ws: URLs of its own origin anyway
      if (host.startsWith('[')) continue;
      out.add(`${u.protocol}//${host}:${u.port}`);
    }
    return [...out];
  }

  /** The broker's WebSocket URL under the hostname the page was loaded with (localhost vs 127.0.0.1, a LAN address). */
  private wsUrlFor(req: IncomingMessage): string {
    if (this.access!.sharedCredential) return this.access!.wsUrl; // another machine's listener, as configured
    const u = new URL(this.access!.wsUrl);
    const h = parseHostHeader(req.headers.host);
    if (h && (h.hostname === 'localhost' || h.hostname === '127.0.0.1' || h.hostname === '::1' || isWildcard(this.opts.host))) {
      u.hostname = h.hostname.includes(':') ? `[${h.hostname}]` : h.hostname;
    }
    return u.toString();
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    try {
      for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
      const url = new URL(req.url ?? '/', 'http://x');
      const path = url.pathname;
      const isApi = path.startsWith('/api/');
      if (!hostAllowed(req.headers.host, this.opts.host, this.boundPort)) return this.plain(res, 421, 'Misdirected request: unknown Host');
      if (!originAllowed(req.headers.origin, req.headers.host, this.origins, this.scheme))
        return this.refuse(res, isApi, 403, 'FORBIDDEN', 'foreign Origin');
      const post = path === '/api/logout';
      if (post ? req.method !== 'POST' : req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('Allow', post ? 'POST' : 'GET, HEAD');
        return this.refuse(res, isApi, 405, 'METHOD_NOT_ALLOWED', 'method not allowed');
      }
      if (url.searchParams.has('token') && !post) return this.signIn(url, req, res);
      const session = this.sessionOf(req);
      if (session === null) {
        if (isApi)
          return this.refuse(
            res,
            true,
            401,
            'UNAUTHORIZED',
            'not signed in: open the link printed by `alicia serve` (runtime.json http.url)',
          );
        return this.signInPage(res, req, false);
      }
      if (path === '/api/logout') return this.logout(session, req, res);
      if (path === '/api/connection') return this.connection(session, req, res);
      if (isApi) return this.refuse(res, true, 404, 'NOT_FOUND', `no API route ${path}`);
      this.serveStatic(path, req, res);
    } catch (e) {
      this.opts.log.error('http request failed', { error: (e as Error).message });
      if (!res.headersSent) this.plain(res, 500, 'Internal error');
      else res.destroy();
    }
  }

  /** The window session this request's cookie names, touched (not idle); null without one. */
  private sessionOf(req: IncomingMessage): string | null {
    const id = this.login.sessionOf(readCookie(req.headers.cookie, this.cookieName));
    if (id === null || !this.access) return null;
    if (this.access.sessions.touch(id)) return id;
    this.login.forget(id);
    return null;
  }

  /**
   * ?token=...: a right token opens a window session (one per browser: a browser already signed in
   * keeps its session) and redirects to the same URL without the token, so it leaves the address bar
   * and the history; other query parameters stay, and the browser keeps the #fragment. A wrong one: 401.
   */
  private signIn(url: URL, req: IncomingMessage, res: ServerResponse): void {
    const isApi = url.pathname.startsWith('/api/');
    const sessions = this.access?.sessions;
    if (!sessions) return this.refuse(res, isApi, 503, 'NOT_READY', 'the host is still starting; try again in a moment');
    if (!this.login.tokenMatches(url.searchParams.get('token') ?? '')) {
      this.opts.log.warn('sign-in refused: wrong token', { remote: remoteOf(req) });
      return isApi ? this.refuse(res, true, 401, 'UNAUTHORIZED', 'wrong login token') : this.signInPage(res, req, true);
    }
    if (this.sessionOf(req) === null) {
      const { id } = sessions.open({
        kind: 'browser',
        userAgent: String(req.headers['user-agent'] ?? ''),
        remote: remoteOf(req),
        expires: true,
      });
      res.setHeader('Set-Cookie', sessionCookie(this.cookieName, this.login.issueCookie(id), this.scheme === 'https'));
    }
    url.searchParams.delete('token');
    // one leading slash: "//host" in a Location header would leave this origin
    const location = url.pathname.replace(/^\/+/, '/') + url.search;
    res.writeHead(302, { Location: location, 'Cache-Control': 'no-store', 'Content-Length': 0 });
    res.end();
  }

  private connection(session: string, req: IncomingMessage, res: ServerResponse): void {
    res.setHeader('Cache-Control', 'no-store');
    // Only the window's own page may read the credential: a cross-site request is refused outright
    // (Fetch Metadata; SameSite=Strict keeps the cookie off it, and the missing CORS headers stop a
    // foreign page from reading an answer anyway).
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin' && site !== 'none')
      return this.refuse(res, true, 403, 'FORBIDDEN', 'cross-site request');
    const credential = this.access!.sharedCredential?.() ?? this.access!.sessions.credentialOf(session)!;
    this.json(res, 200, {
      ws_url: this.wsUrlFor(req),
      username: credential.username,
      password: credential.password,
      version: this.opts.version,
      session_id: session,
    });
  }

  /** POST /api/logout from the window's own page (Origin present and ours): ends the session and drops the cookie. */
  private logout(session: string, req: IncomingMessage, res: ServerResponse): void {
    res.setHeader('Cache-Control', 'no-store');
    // a form or fetch from another site sends its Origin (refused above); a request with none is no page of ours
    if (req.headers.origin === undefined) return this.refuse(res, true, 403, 'FORBIDDEN', 'sign-out needs the Origin header of the window');
    this.access!.sessions.end(session, 'signed out');
    this.login.forget(session);
    res.setHeader('Set-Cookie', clearedCookie(this.cookieName, this.scheme === 'https'));
    this.json(res, 200, { ok: true });
  }

  private signInPage(res: ServerResponse, req: IncomingMessage, wrongToken: boolean): void {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Content-Security-Policy', SIGN_IN_CSP);
    this.send(res, 401, 'text/html; charset=utf-8', signInPage({ wrongToken }), req.method === 'HEAD');
  }

  private refuse(res: ServerResponse, isApi: boolean, status: number, code: HttpErrorCode, message: string): void {
    if (!isApi) return this.plain(res, status, `${message[0]!.toUpperCase()}${message.slice(1)}`);
    res.setHeader('Cache-Control', 'no-store');
    this.json(res, status, { error: { code, message } });
  }

  private serveStatic(path: string, req: IncomingMessage, res: ServerResponse): void {
    const root = this.opts.rendererDir;
    const index = join(root, 'index.html');
    res.setHeader('Content-Security-Policy', contentSecurityPolicy(this.wsOrigins()));
    if (!existsSync(index)) {
      res.setHeader('Cache-Control', 'no-store');
      return this.send(res, 200, 'text/html; charset=utf-8', PLACEHOLDER_HTML, req.method === 'HEAD');
    }
    let rel: string;
    try {
      rel = decodeURIComponent(path);
    } catch {
      return this.plain(res, 400, 'Bad path');
    }
    if (rel.includes('\0')) return this.plain(res, 400, 'Bad path');
    const file = normalize(join(root, rel));
    if (file !== root && !file.startsWith(root.endsWith(sep) ? root : root + sep)) return this.plain(res, 403, 'Forbidden');
    let target = file;
    let st = statOrNull(target);
    if (st?.isDirectory()) {
      target = join(target, 'index.html');
      st = statOrNull(target);
    }
    if (!st?.isFile()) {
      // Client-side routes (no extension) get the app; a missing asset is a real 404.
      if (extname(rel) !== '') return this.plain(res, 404, 'Not found');
      target = index;
      st = statOrNull(index);
      if (!st) return this.plain(res, 404, 'Not found');
    }
    const type = contentTypeOf(target);
    // Vite puts content-hashed files under assets/: cache them for the browser only (they are served
    // to signed-in browsers only, so never to a shared cache); everything else revalidates.
    res.setHeader('Cache-Control', rel.startsWith('/assets/') ? 'private, max-age=31536000, immutable' : 'no-cache');
    res.writeHead(200, { 'Content-Type': type, 'Content-Length': st.size });
    if (req.method === 'HEAD') return void res.end();
    createReadStream(target)
      .on('error', () => res.destroy())
      .pipe(res);
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    this.send(res, status, 'application/json; charset=utf-8', JSON.stringify(body), false);
  }

  private plain(res: ServerResponse, status: number, text: string): void {
    res.setHeader('Cache-Control', 'no-store');
    this.send(res, status, 'text/plain; charset=utf-8', text + '\n', false);
  }

  private send(res: ServerResponse, status: number, type: string, body: string, headOnly: boolean): void {
    res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
    res.end(headOnly ? undefined : body);
  }
}

/** The client's address, IPv4-mapped IPv6 shown as plain IPv4. */
function remoteOf(req: IncomingMessage): string {
  const a = req.socket.remoteAddress ?? '';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

function statOrNull(p: string) {
  try {
    return statSync(p);
  } catch {
    return null;
  }
}
