import { createServer as createHttpServer, type IncomingMessage, type RequestListener, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { AliciaError } from '../../../services/lib/protocol/errors.js';
import type { BrokerCounters } from './brokerStats.js';
import type { BrokerAddresses } from './types.js';
import type { Logger } from '../../../services/lib/runtime/logger.js';
import { createCoalescingWebSocketStream } from './wsStream.js';

export interface ListenerOptions {
  /**
   * listen address of the WebSocket listener. The TCP listener always binds 127.0.0.1: plain MQTT
   * never leaves the machine (services and local tools use it; LAN devices use the TLS listener, tls.ts).
   */
  host: string;
  /** certificate and key: the WebSocket listener speaks WSS only (a non-local `host` requires it) */
  tls?: { cert: string; key: string } | null;
  /** MQTT over TCP; 0 = any free port */
  mqttPort: number;
  /** MQTT over WebSocket (path /mqtt); 0 = any free port */
  wsPort: number;
  /** per listener: the broker's client limit plus room for connections it refuses at CONNECT */
  maxConnections: number;
  /** largest WebSocket message (ws maxPayload): a whole MQTT packet */
  maxWsPayloadBytes: number;
  /** browser Origins allowed on the WebSocket listener; no Origin (not a browser) is allowed too */
  allowedOrigins: ReadonlySet<string>;
  counters: BrokerCounters;
  log: Logger;
}

/** Hands an accepted connection (and its HTTP upgrade request, for WebSocket) to the broker. */
export type Accept = (conn: Duplex, req?: IncomingMessage) => void;

/** Plain MQTT over TCP listens here and nowhere else. */
export const TCP_HOST = '127.0.0.1';

/**
 * The broker's two listeners: MQTT over TCP (TCP_NODELAY, 127.0.0.1 only) and MQTT over WebSocket
 * on /mqtt for the window (WSS when given a certificate). They own their servers, not the
 * connections: every connection goes to `accept`. The LAN MQTT-over-TLS listener is tls.ts,
 * started by the host only when the user turns LAN access on.
 */
export class BrokerListeners {
  private tcp: NetServer | null = null;
  private http: HttpServer | null = null;
  private wss: WebSocketServer | null = null;

  constructor(
    private readonly opts: ListenerOptions,
    private readonly accept: Accept,
  ) {}

  /** Listen on TCP, then WebSocket; on failure the caller runs closeSteps(). */
  async start(): Promise<BrokerAddresses> {
    const o = this.opts;
    // noDelay: without it a QoS 1 request/response takes ~88 ms on Linux (Nagle's algorithm
    // holding the reply back until the peer's delayed ACK); with it ~0.2 ms.
    const tcp = createNetServer({ noDelay: true }, (socket) => this.accept(socket));
    tcp.maxConnections = o.maxConnections;
    this.tcp = tcp;
    const mqttPort = await listen(tcp, TCP_HOST, o.mqttPort, 'mqttPort');

    // ws sets TCP_NODELAY itself
    const upgradeOnly: RequestListener = (_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain' }).end('MQTT over WebSocket: connect to /mqtt\n');
    };
    const http = o.tls
      ? createHttpsServer({ cert: o.tls.cert, key: o.tls.key, minVersion: 'TLSv1.2' }, upgradeOnly)
      : createHttpServer(upgradeOnly);
    http.maxConnections = o.maxConnections;
    this.http = http;
    const wss = new WebSocketServer({
      server: http,
      path: '/mqtt',
      maxPayload: o.maxWsPayloadBytes,
      verifyClient: (info, cb) => this.verifyWsClient(info, cb),
    });
    this.wss = wss;
    wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
      // One WebSocket frame per event-loop turn instead of one per mqtt-packet write (ws's
      // createWebSocketStream sent ~5 frames per PUBLISH to the window): wsStream.ts.
      this.accept(createCoalescingWebSocketStream(ws), req);
    });
    wss.on('error', (err) => o.log.error('websocket server error', { error: err.message }));
    const wsPort = await listen(http, o.host, o.wsPort, 'wsPort');

    // a wildcard bind is reached on this machine through the loopback address
    const wsHost = o.host === '0.0.0.0' ? '127.0.0.1' : o.host === '::' || o.host === '[::]' ? '::1' : o.host;
    const urlHost = wsHost.includes(':') && !wsHost.startsWith('[') ? `[${wsHost}]` : wsHost;
    return { mqttUrl: `mqtt://${TCP_HOST}:${mqttPort}`, wsUrl: `${o.tls ? 'wss' : 'ws'}://${urlHost}:${wsPort}/mqtt` };
  }

  /**
   * The named steps that close the listeners, in order (the broker runs them, then closes Aedes).
   * `dropConnections` destroys the connections they handed out, so that the TCP server can close.
   */
  closeSteps(dropConnections: () => void): [string, () => Promise<void>][] {
    return [
      [
        'websocket',
        async () => {
          const wss = this.wss;
          this.wss = null;
          if (!wss) return;
          for (const c of wss.clients) c.terminate();
          await new Promise<void>((res) => wss.close(() => res()));
        },
      ],
      ['http', async () => closeServer(this.http, () => (this.http = null))],
      [
        'tcp',
        async () => {
          dropConnections();
          await closeServer(this.tcp, () => (this.tcp = null));
        },
      ],
    ];
  }

  /** Whether anything is still listening (stop() is a no-op otherwise). */
  get open(): boolean {
    return this.tcp !== null || this.http !== null;
  }

  private verifyWsClient(info: { origin: string; req: IncomingMessage }, cb: (ok: boolean, code?: number, message?: string) => void): void {
    const origin = info.req.headers.origin;
    // No Origin: not a browser (mqtt.js in Node, tools). A browser always sends one, so a page on
    // another site cannot reach the bus (LosslessCut's local API does the same check).
    if (origin === undefined || this.opts.allowedOrigins.has(origin)) return cb(true);
    this.opts.counters.refusedConnects++;
    this.opts.log.warn('websocket connection refused: foreign origin', { origin, remote: info.req.socket.remoteAddress });
    cb(false, 403, 'Forbidden origin');
  }
}

function listen(server: NetServer | HttpServer, host: string, port: number, key: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(new AliciaError('BROKER_LISTEN_FAILED', `cannot listen on ${host}:${port} (${key}): ${err.code ?? err.message}`));
    };
    const onListening = () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

async function closeServer(server: NetServer | HttpServer | null, clear: () => void): Promise<void> {
  clear();
  if (!server) return;
  if ('closeAllConnections' in server) server.closeAllConnections();
  if (!server.listening) return;
  await new Promise<void>((res) => server.close(() => res()));
}
