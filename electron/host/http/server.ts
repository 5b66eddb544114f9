import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import type { Logger } from '../../../services/lib/runtime/logger.js';
import {
  SECURITY_HEADERS,
  contentSecurityPolicy,
  hostAllowed,
  isWildcard,
  originAllowed,
  ownOrigins,
  parseHostHeader,
} from './security.js';
// one table of content types for the window's files, shared with the Electron app:// protocol
import { contentTypeOf } from './contentType.js';

export interface WindowConnection {
  /** ws://127.0.0.1:PORT/mqtt */
  wsUrl: string;
  username: string;
  password: string;
}

export interface HttpServerOptions {
  /** listen address (127.0.0.1 by default) */
  host: string;
  /** 0 = any free port */
  port: number;
  /** the built renderer (dist/renderer); a placeholder page is served when it has no index.html */
  rendererDir: string;
  version: string;
  log: Logger;
}

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
 * The headless host's web server: the built renderer plus one API route the window needs to find
 * the broker (GET /api/connection). Binds 127.0.0.1 by default; refuses foreign Host headers (DNS
 * rebinding) and foreign Origins; strict CSP. Constructor assigns, start() listens, stop() closes (idempotent).
 */
export class HostHttpServer {
  private server: Server | undefined;
  private boundPort = 0;
  private connection: WindowConnection | undefined;
  private origins: string[] = [];
  private stopping: Promise<void> | undefined;

  constructor(private readonly opts: HttpServerOptions) {}

  async start(): Promise<void> {
    if (this.server) return;
    const server = createServer((req, res) => this.handle(req, res));
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
    this.origins = ownOrigins(this.opts.host, this.boundPort);
  }

  /** http://127.0.0.1:PORT/ (for a wildcard bind: the loopback URL) */
  get url(): string {
    const h = isWildcard(this.opts.host) ? '127.0.0.1' : this.opts.host.includes(':') ? `[${this.opts.host}]` : this.opts.host;
    return `http://${h}:${this.boundPort}/`;
  }

  get port(): number {
    return this.boundPort;
  }

  /** Origins pages from this server have: give them to the broker's WebSocket origin check. */
  get allowedOrigins(): string[] {
    return [...this.origins];
  }

  /** Set once the broker is up; until then /api/connection answers 503. */
  setConnection(c: WindowConnection): void {
    this.connection = c;
  }

  stop(): Promise<void> {
    this.stopping ??= new Promise<void>((resolve) => {
      if (!this.server) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.stopping;
  }

  private wsOrigins(): string[] {
    if (!this.connection) return [];
    const u = new URL(this.connection.wsUrl);
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

  /** The broker's WebSocket URL under the hostname the page was loaded with (localhost vs 127.0.0.1). */
  private wsUrlFor(req: IncomingMessage): string {
    const c = this.connection!;
    const u = new URL(c.wsUrl);
    const h = parseHostHeader(req.headers.host);
    if (h && (h.hostname === 'localhost' || h.hostname === '127.0.0.1' || h.hostname === '::1' || isWildcard(u.hostname))) {
      u.hostname = h.hostname.includes(':') ? `[${h.hostname}]` : h.hostname;
    }
    return u.toString();
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    try {
      for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
      if (!hostAllowed(req.headers.host, this.opts.host, this.boundPort)) return this.plain(res, 421, 'Misdirected request: unknown Host');
      if (!originAllowed(req.headers.origin, req.headers.host, this.origins)) return this.plain(res, 403, 'Forbidden: foreign Origin');
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('Allow', 'GET, HEAD');
        return this.plain(res, 405, 'Method not allowed');
      }
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (path.startsWith('/api/')) return this.api(path, req, res);
      this.serveStatic(path, req, res);
    } catch (e) {
      this.opts.log.error('http request failed', { error: (e as Error).message });
      if (!res.headersSent) this.plain(res, 500, 'Internal error');
      else res.destroy();
    }
  }

  private api(path: string, req: IncomingMessage, res: ServerResponse): void {
    res.setHeader('Cache-Control', 'no-store');
    if (path !== '/api/connection') return this.json(res, 404, { error: 'not found' });
    // Only the window's own page may read the credential: a cross-site request is refused outright
    // (Fetch Metadata; the missing CORS headers stop a foreign page from reading the answer anyway).
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin' && site !== 'none')
      return this.json(res, 403, { error: 'cross-site request refused' });
    if (!this.connection) return this.json(res, 503, { error: 'the broker is not ready yet' });
    this.json(res, 200, {
      ws_url: this.wsUrlFor(req),
      username: this.connection.username,
      password: this.connection.password,
      version: this.opts.version,
    });
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
    // Vite puts content-hashed files under assets/: cache them forever; everything else revalidates.
    res.setHeader('Cache-Control', rel.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
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

function statOrNull(p: string) {
  try {
    return statSync(p);
  } catch {
    return null;
  }
}
