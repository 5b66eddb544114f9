import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect as netConnect, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { WebSocketServer, type WebSocket } from 'ws';
import { AliciaError } from '../../../services/lib/protocol/errors.js';
import { isWindowPrincipal, type AnyPrincipal } from '../../../services/lib/protocol/services.js';
import type { Logger } from '../../../services/lib/runtime/logger.js';
import { canPublish } from '../broker/acl.js';
import type { Credentials } from '../broker/credentials.js';
import type { Credential } from '../broker/types.js';
import type { SessionBroker } from '../broker/windowSessions.js';
import { createCoalescingWebSocketStream } from '../broker/wsStream.js';
import type { ExternalTls } from './externalBroker.js';
import {
  MalformedPacketError,
  PACKET,
  PacketFramer,
  ack,
  ackPacketId,
  connack,
  packetType,
  parseConnect,
  parsePublish,
  rewriteConnect,
} from './mqttFraming.js';

export interface WindowProxyOptions {
  /** listen address of the WebSocket (the window's; WSS with tls) */
  host: string;
  /** 0 = any free port */
  port: number;
  tls: { cert: string; key: string } | null;
  /** browser Origins allowed (the window's own); no Origin (not a browser) is allowed too */
  allowedOrigins: readonly string[];
  /** the user's broker, and how to speak TLS to it */
  upstreamUrl: string;
  upstreamTls: ExternalTls | null;
  /** the window role's one credential on that broker (`window-shared`), read at each connection */
  upstreamCredential: () => Credential;
  /** checks each browser's own window-session credential */
  credentials: Credentials;
  /** largest MQTT packet from a browser (default 8 MiB + 4 KiB, as the embedded broker) */
  maxPacketBytes?: number;
  log: Logger;
}

interface ProxiedConnection {
  principal: AnyPrincipal;
  browser: Duplex;
  upstream: Socket | null;
  close(): void;
}

/**
 * The window's way to the user's own broker: MQTT over WebSocket here, MQTT over TCP (or TLS) there.
 *
 * That broker cannot be given a user per window session, so the browser signs in here exactly as it
 * does with the embedded broker (CONNECT with its session's `window:<id>` credential; an ended
 * session gets CONNACK 5, a wrong password 4), and the proxy connects upstream with the host-held
 * `window-shared` credential (docs/security.md, "On your own broker"). Because every packet from the
 * browser passes here, the proxy also applies the window row of the ACL table exactly (acl.ts
 * canPublish): a PUBLISH to `$SYS/...` or a host-only record, which Mosquitto's acl_file cannot
 * refuse to `window-shared` without refusing it the reading too, is acknowledged and dropped, as
 * the embedded broker does. Ending a session closes its connections (SessionBroker), so a copied
 * credential still dies with its session.
 *
 * Upstream bytes go to the browser unparsed, but for the CONNACK: a refusal of `window-shared` is
 * the host's misconfiguration, not the window's, so the browser gets 3 (server unavailable, keep
 * retrying) and the host log says why. Constructor assigns, start() listens, stop() closes every
 * connection (idempotent).
 */
export class WindowProxy implements SessionBroker {
  private http: HttpServer | null = null;
  private wss: WebSocketServer | null = null;
  private readonly conns = new Set<ProxiedConnection>();
  private readonly connectionListeners = new Set<(p: AnyPrincipal) => void>();
  private boundUrl: string | null = null;
  private stopping: Promise<void> | null = null;

  constructor(private readonly opts: WindowProxyOptions) {}

  /** ws://HOST:PORT/mqtt (wss:// with TLS) */
  get url(): string {
    if (!this.boundUrl) throw new AliciaError('NOT_CONNECTED', 'the window proxy is not started');
    return this.boundUrl;
  }

  async start(): Promise<void> {
    if (this.http) return;
    const o = this.opts;
    const upgradeOnly = (_req: IncomingMessage, res: ServerResponse) =>
      void res.writeHead(426, { 'content-type': 'text/plain' }).end('MQTT over WebSocket: connect to /mqtt\n');
    const http = o.tls
      ? createHttpsServer({ cert: o.tls.cert, key: o.tls.key, minVersion: 'TLSv1.2' }, upgradeOnly)
      : createHttpServer(upgradeOnly);
    const wss = new WebSocketServer({
      server: http,
      path: '/mqtt',
      maxPayload: this.maxPacketBytes,
      verifyClient: (info: { req: IncomingMessage }, cb: (ok: boolean, code?: number, message?: string) => void) => {
        const origin = info.req.headers.origin;
        // a browser always sends its Origin: a page of another site cannot reach the bus
        if (origin === undefined || o.allowedOrigins.includes(origin)) return cb(true);
        o.log.warn('window proxy refused a foreign origin', { origin, remote: info.req.socket.remoteAddress });
        cb(false, 403, 'Forbidden origin');
      },
    });
    wss.on('connection', (ws: WebSocket, req: IncomingMessage) => this.accept(createCoalescingWebSocketStream(ws), req));
    wss.on('error', (err) => o.log.error('window proxy websocket error', { error: err.message }));
    await new Promise<void>((resolve, reject) => {
      http.once('error', (err: NodeJS.ErrnoException) =>
        reject(new AliciaError('BROKER_LISTEN_FAILED', `cannot listen on ${o.host}:${o.port} (window proxy): ${err.code ?? err.message}`)),
      );
      http.listen(o.port, o.host, () => resolve());
    });
    this.http = http;
    this.wss = wss;
    const port = (http.address() as AddressInfo).port;
    const host =
      o.host === '0.0.0.0'
        ? '127.0.0.1'
        : o.host === '::'
          ? '[::1]'
          : o.host.includes(':') && !o.host.startsWith('[')
            ? `[${o.host}]`
            : o.host;
    this.boundUrl = `${o.tls ? 'wss' : 'ws'}://${host}:${port}/mqtt`;
    o.log.info('window proxy listening', { url: this.boundUrl, upstream: o.upstreamUrl });
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const c of [...this.conns]) c.close();
      const wss = this.wss;
      this.wss = null;
      if (wss) {
        for (const c of wss.clients) c.terminate();
        await new Promise<void>((r) => wss.close(() => r()));
      }
      const http = this.http;
      this.http = null;
      if (http?.listening) {
        http.closeAllConnections();
        await new Promise<void>((r) => http.close(() => r()));
      }
    })();
    return this.stopping;
  }

  // ------------------------------------------------------------------------------------------
  // SessionBroker (windowSessions.ts)

  connectionsOf(principal: AnyPrincipal): number {
    let n = 0;
    for (const c of this.conns) if (c.principal === principal) n++;
    return n;
  }

  disconnectPrincipal(principal: AnyPrincipal): number {
    let n = 0;
    for (const c of [...this.conns]) {
      if (c.principal !== principal) continue;
      c.close();
      n++;
    }
    return n;
  }

  onConnectionChange(listener: (principal: AnyPrincipal) => void): () => void {
    this.connectionListeners.add(listener);
    return () => void this.connectionListeners.delete(listener);
  }

  // ------------------------------------------------------------------------------------------

  private get maxPacketBytes(): number {
    return this.opts.maxPacketBytes ?? 8 * 1024 * 1024 + 4096;
  }

  private changed(principal: AnyPrincipal): void {
    for (const l of this.connectionListeners) {
      try {
        l(principal);
      } catch (e) {
        this.opts.log.error('connection listener threw', { error: (e as Error).message });
      }
    }
  }

  private accept(browser: Duplex, req: IncomingMessage): void {
    const o = this.opts;
    const remote = req.socket.remoteAddress ?? null;
    const framer = new PacketFramer(this.maxPacketBytes);
    let conn: ProxiedConnection | null = null;
    let upstream: Socket | null = null;
    /** browser packets that came before the upstream was open */
    let pending: Buffer[] | null = [];
    /** QoS 2 PUBLISHes dropped here: their PUBREL is answered here too */
    const droppedQos2 = new Set<number>();
    let closed = false;

    const close = () => {
      if (closed) return;
      closed = true;
      browser.destroy();
      upstream?.destroy();
      if (conn && this.conns.delete(conn)) this.changed(conn.principal);
    };
    const refuse = (code: 4 | 5, reason: string, username: string | undefined) => {
      o.log.warn('window proxy refused a connection', { username: username ?? null, reason, remote });
      browser.end(connack(code));
      setTimeout(close, 1000).unref();
    };
    const toUpstream = (packet: Buffer) => {
      if (pending) pending.push(packet);
      else upstream?.write(packet);
    };
    /** The window row of the table (acl.ts): what the browser may publish. */
    const forward = (packet: Buffer) => {
      const type = packetType(packet);
      if (type === PACKET.PUBLISH) {
        const p = parsePublish(packet);
        if (!canPublish(conn!.principal, p.topic)) {
          o.log.warn('window proxy dropped a publish the window may not make', {
            principal: conn!.principal,
            topic: p.topic.slice(0, 200),
          });
          if (p.qos === 1) browser.write(ack(PACKET.PUBACK, p.packetId!));
          if (p.qos === 2) {
            droppedQos2.add(p.packetId!);
            browser.write(ack(PACKET.PUBREC, p.packetId!));
          }
          return;
        }
      } else if (type === PACKET.PUBREL) {
        const id = ackPacketId(packet);
        if (id !== undefined && droppedQos2.delete(id)) {
          browser.write(ack(PACKET.PUBCOMP, id));
          return;
        }
      }
      toUpstream(packet);
    };

    browser.on('data', (chunk: Buffer) => {
      if (closed) return;
      try {
        for (const packet of framer.push(chunk)) {
          if (conn) {
            forward(packet);
            continue;
          }
          if (upstream) return close(); // a second CONNECT before the first was answered (MQTT-3.1.0-2)
          const c = parseConnect(packet);
          const principal = o.credentials.verify(c.username, c.password);
          if (!principal || !isWindowPrincipal(principal)) {
            // an ended session: "not authorized", so the window asks the host again instead of retrying
            if (o.credentials.wasRevoked(c.username)) return refuse(5, 'window session ended', c.username);
            return refuse(4, principal ? 'only window sessions connect here' : 'bad user name or password', c.username);
          }
          conn = { principal, browser, upstream: null, close };
          this.conns.add(conn);
          this.changed(principal);
          upstream = this.openUpstream(rewriteConnect(c, o.upstreamCredential().username, o.upstreamCredential().password), {
            onOpen: () => {
              const queued = pending ?? [];
              pending = null;
              for (const p of queued) upstream?.write(p);
            },
            onData: (b) => {
              if (!closed) browser.write(b);
            },
            onClose: close,
            onRefused: (rc) => {
              o.log.error("the broker refused the window proxy's credential", {
                principal: 'window-shared',
                connack: rc,
                upstream: o.upstreamUrl,
              });
              browser.end(connack(3));
              setTimeout(close, 1000).unref();
            },
          });
          conn.upstream = upstream;
        }
      } catch (e) {
        if (!(e instanceof MalformedPacketError)) o.log.error('window proxy failed', { error: (e as Error).message });
        else o.log.warn('window proxy closed a malformed connection', { error: e.message, remote });
        close();
      }
    });
    browser.on('end', close);
    browser.on('close', close);
    browser.on('error', close);
  }

  /** Connect to the user's broker and send the rewritten CONNECT; the upstream CONNACK is checked, the rest passed through. */
  private openUpstream(
    connect: Buffer,
    h: { onOpen: () => void; onData: (b: Buffer) => void; onClose: () => void; onRefused: (rc: number) => void },
  ): Socket {
    const o = this.opts;
    const u = new URL(o.upstreamUrl);
    const secure = u.protocol === 'mqtts:';
    const port = Number(u.port || (secure ? 8883 : 1883));
    const host = u.hostname.replace(/^\[|\]$/g, '');
    const socket = secure
      ? tlsConnect({ host, port, servername: /^[\d.:]+$/.test(host) ? undefined : host, ...(o.upstreamTls ?? {}) })
      : netConnect({ host, port });
    socket.setNoDelay(true);
    let head: Buffer | null = Buffer.alloc(0);
    socket.once(secure ? 'secureConnect' : 'connect', () => {
      socket.write(connect);
      h.onOpen();
    });
    socket.on('data', (b: Buffer) => {
      if (head === null) return h.onData(b);
      // the first 4 bytes are the CONNACK (MQTT-3.2.0-1): fixed header, flags, return code
      head = Buffer.concat([head, b]);
      if (head.length < 4) return;
      const rc = head[3]!;
      const rest = head;
      head = null;
      if (packetType(rest) !== PACKET.CONNACK || rc !== 0) return h.onRefused(rc);
      h.onData(rest);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => o.log.debug('window proxy upstream error', { error: err.code ?? err.message }));
    socket.on('close', h.onClose);
    return socket;
  }
}
