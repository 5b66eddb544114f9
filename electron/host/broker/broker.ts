import {
  Aedes,
  type AedesOptions,
  type AedesPublishPacket,
  type AuthenticateError,
  type Client,
  type PublishPacket,
  type Subscription,
} from 'aedes';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { seal } from '../../../services/lib/protocol/envelope.js';
import { AliciaError } from '../../../services/lib/protocol/errors.js';
import type { AnyPrincipal } from '../../../services/lib/protocol/services.js';
import type { z } from 'zod';
import type { brokerStatsSchema } from '../../../services/lib/protocol/system.js';
import { MAX_TOPIC_LEVELS, canPublish, canSubscribe, deviceDiscoveryConfigRefusal, isValidPublishTopic } from './acl.js';
import type { Credentials } from './credentials.js';
import { DEFAULT_OFFLINE_SESSION_EXPIRY_MS, OfflineSessions } from './offlineSessions.js';
import { ClientRateLimiter, DEFAULT_RATE_LIMIT, type RateLimitOptions } from './rateLimit.js';
import { createCoalescingWebSocketStream } from './wsStream.js';
import { coalesceWrites } from './socketWrites.js';
import { TcpStream } from './tcpStream.js';
import type { BrokerAddresses, BusPacket, InProcessBus } from './types.js';

export type BrokerLogLevel = 'debug' | 'info' | 'warn' | 'error';
export type BrokerLog = (level: BrokerLogLevel, msg: string, fields?: Record<string, unknown>) => void;
export type BrokerStats = z.infer<typeof brokerStatsSchema>;

export const STATS_TOPIC = '$SYS/alicia/broker/stats';

export interface AliciaBrokerOptions {
  dataDir: string;
  credentials: Credentials;
  /** listen address of both listeners; 127.0.0.1 unless the user turns on LAN access */
  host?: string;
  /** MQTT over TCP; 0 = any free port */
  mqttPort?: number;
  /** MQTT over WebSocket (path /mqtt); 0 = any free port */
  wsPort?: number;
  /**
   * Browser Origins allowed on the WebSocket listener (exact match, e.g. "http://127.0.0.1:8080").
   * Requests without an Origin header (non-browser clients) are allowed; a foreign Origin gets 403.
   */
  allowedOrigins?: string[];
  /** largest PUBLISH payload accepted (default 8 MiB) */
  maxPayloadBytes?: number;
  /** period of $SYS/alicia/broker/stats (default 5000 ms; 0 = off) */
  statsIntervalMs?: number;
  /** connected clients allowed at once (default 500) */
  maxClients?: number;
  /** subscriptions one client may hold (default 1000) */
  maxSubscriptionsPerClient?: number;
  /** per-client PUBLISH rate (token bucket, rateLimit.ts; default 2,000/s, burst 5,000); null = off */
  rateLimit?: RateLimitOptions | null;
  /** a persistent (clean:false) session offline this long is ended (offlineSessions.ts; default 5 min, 0 = never) */
  offlineSessionExpiryMs?: number;
  log?: BrokerLog;
}

/**
 * Room above maxPayloadBytes for the rest of a PUBLISH (topic length + topic + packet id): a
 * packet whose MQTT "remaining length" exceeds maxPayloadBytes + this is cut off as soon as its
 * fixed header arrives, before the body is buffered.
 */
const PACKET_HEADROOM = 4096;

const DENIAL_LOG_FIRST = 10;
const DENIAL_LOG_EVERY = 1000;

function defaultLog(level: BrokerLogLevel, msg: string, fields?: Record<string, unknown>): void {
  if (level === 'debug') return;
  process.stderr.write(JSON.stringify({ t: new Date().toISOString(), level, component: 'broker', msg, ...fields }) + '\n');
}

interface ParserInternals {
  packet: { length: number };
  _parseLength: () => boolean;
  _emitError: (err: Error) => void;
}

/**
 * The embedded MQTT broker: Aedes 1.2 behind a TCP listener (TCP_NODELAY) and a WebSocket
 * listener, authentication always on, per-principal ACL, $SYS stats, and an in-process bus for
 * the host's own parts. Constructor assigns, start() acquires, stop() releases (idempotent).
 */
export class AliciaBroker implements InProcessBus {
  private readonly opts: Required<Omit<AliciaBrokerOptions, 'log' | 'credentials' | 'allowedOrigins' | 'rateLimit'>> & {
    credentials: Credentials;
    allowedOrigins: ReadonlySet<string>;
    log: BrokerLog;
  };

  private broker: Aedes | null = null;
  private tcp: NetServer | null = null;
  private http: HttpServer | null = null;
  private wss: WebSocketServer | null = null;
  private readonly sockets = new Set<Duplex>();
  private statsTimer: NodeJS.Timeout | null = null;
  private addrs: BrokerAddresses | null = null;
  private startedAt = 0;
  private stopping: Promise<void> | null = null;
  private internalSysPrefix = '';

  private readonly principals = new WeakMap<Client, AnyPrincipal>();
  private readonly denialsLogged = new WeakMap<Client, number>();
  /** publishes accepted (acked) but not routed: see authorizePublish */
  private readonly dropped = new WeakSet<object>();
  private readonly listeners = new Set<(p: BusPacket) => void>();
  private inProcessSubs = 0;
  private parserGuardMissingLogged = false;

  // Counters: plain numbers, no per-message allocation.
  private msgsIn = 0;
  private bytesIn = 0;
  private msgsOut = 0;
  private bytesOut = 0;
  private deniedPublish = 0;
  private deniedSubscribe = 0;
  private refusedConnects = 0;
  private oversizeDisconnects = 0;
  // issue 7 rate limit (H9): one token bucket per connection
  private readonly rateLimiter: ClientRateLimiter<Client> | null;
  private rateLimitedDisconnects = 0;
  private last = { t: 0, msgsIn: 0, msgsOut: 0, bytesIn: 0, bytesOut: 0 };

  constructor(opts: AliciaBrokerOptions) {
    this.opts = {
      dataDir: opts.dataDir,
      credentials: opts.credentials,
      host: opts.host ?? '127.0.0.1',
      mqttPort: opts.mqttPort ?? 1883,
      wsPort: opts.wsPort ?? 0,
      allowedOrigins: new Set(opts.allowedOrigins ?? []),
      maxPayloadBytes: opts.maxPayloadBytes ?? 8 * 1024 * 1024,
      statsIntervalMs: opts.statsIntervalMs ?? 5000,
      maxClients: opts.maxClients ?? 500,
      maxSubscriptionsPerClient: opts.maxSubscriptionsPerClient ?? 1000,
      offlineSessionExpiryMs: opts.offlineSessionExpiryMs ?? DEFAULT_OFFLINE_SESSION_EXPIRY_MS,
      log: opts.log ?? defaultLog,
    };
    const rl = opts.rateLimit === undefined ? DEFAULT_RATE_LIMIT : opts.rateLimit;
    this.rateLimiter = rl ? new ClientRateLimiter<Client>(rl) : null;
  }

  get addresses(): BrokerAddresses {
    if (!this.addrs) throw new AliciaError('NOT_CONNECTED', 'broker is not started');
    return { ...this.addrs };
  }

  get aedes(): Aedes {
    if (!this.broker) throw new AliciaError('NOT_CONNECTED', 'broker is not started');
    return this.broker;
  }

  get credentials(): Credentials {
    return this.opts.credentials;
  }

  async start(): Promise<void> {
    if (this.broker) return;
    const o = this.opts;
    try {
      // step 1: the broker core (owns no sockets)
      const aedesOpts: AedesOptions = {
        // Aedes publishes $SYS/<id>/heartbeat for clustering; a single broker needs it rarely.
        heartbeatInterval: 60_000,
        // slowloris-style half connections (issue 7): a socket that sends no CONNECT goes in 10 s
        connectTimeout: 10_000,
        authenticate: (client, username, password, done) => this.authenticate(client, username, password, done),
        authorizePublish: (client, packet, done) => this.authorizePublish(client, packet, done),
        authorizeSubscribe: (client, sub, done) => this.authorizeSubscribe(client, sub, done),
        authorizeForward: (client, packet) => this.authorizeForward(client, packet),
        published: (packet, client, done) => this.published(packet, client, done),
      };
      const broker = await Aedes.createBroker(aedesOpts);
      this.broker = broker;
      this.internalSysPrefix = `$SYS/${broker.id}/`;
      this.installDropFilter(broker);
      broker.on('clientError', (client, err) => this.onClientError(client, err));
      broker.on('connectionError', (client, err) => this.onClientError(client, err));
      // bounds what stopped/failed services' persistent sessions hold (stops itself on broker close)
      new OfflineSessions(broker, {
        expiryMs: o.offlineSessionExpiryMs,
        onExpired: (clientId, queued) => o.log('info', 'offline session expired', { clientId, queued }),
        onError: (clientId, err) => o.log('warn', 'offline session expiry failed', { clientId, error: err.message }),
      }).start();

      // step 2: TCP listener. noDelay: without it a QoS 1 request/response takes ~88 ms here
      // (Nagle + delayed ACK, ../shared/PLATFORM.md); with it ~0.2 ms.
      const tcp = createNetServer({ noDelay: true }, (socket) => this.accept(socket));
      tcp.maxConnections = o.maxClients + 50;
      this.tcp = tcp;
      const mqttPort = await listen(tcp, o.host, o.mqttPort, 'mqttPort');

      // step 3: WebSocket listener for the window (ws sets TCP_NODELAY itself)
      const http = createHttpServer((_req, res) => {
        res.writeHead(426, { 'content-type': 'text/plain' }).end('MQTT over WebSocket: connect to /mqtt\n');
      });
      http.maxConnections = o.maxClients + 50;
      this.http = http;
      const wss = new WebSocketServer({
        server: http,
        path: '/mqtt',
        maxPayload: o.maxPayloadBytes + PACKET_HEADROOM,
        verifyClient: (info, cb) => this.verifyWsClient(info, cb),
      });
      this.wss = wss;
      wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
        // One WebSocket frame per event-loop turn instead of one per mqtt-packet write (ws's
        // createWebSocketStream sent ~5 frames per PUBLISH to the window): wsStream.ts.
        const stream = createCoalescingWebSocketStream(ws);
        this.accept(stream, req);
      });
      wss.on('error', (err) => o.log('error', 'websocket server error', { error: err.message }));
      const wsPort = await listen(http, o.host, o.wsPort, 'wsPort');

      const urlHost = o.host.includes(':') ? `[${o.host}]` : o.host;
      this.addrs = { mqttUrl: `mqtt://${urlHost}:${mqttPort}`, wsUrl: `ws://${urlHost}:${wsPort}/mqtt` };
      this.startedAt = Date.now();
      this.last = { t: this.startedAt, msgsIn: 0, msgsOut: 0, bytesIn: 0, bytesOut: 0 };

      // step 4: stats
      if (o.statsIntervalMs > 0) {
        this.statsTimer = setInterval(() => this.publishStats(), o.statsIntervalMs);
        this.statsTimer.unref();
      }
      o.log('info', 'broker listening', { ...this.addrs });
    } catch (e) {
      await this.release();
      throw e;
    }
  }

  async stop(): Promise<void> {
    if (!this.broker && !this.tcp && !this.http) return;
    this.stopping ??= this.release().finally(() => {
      this.stopping = null;
    });
    return this.stopping;
  }

  /** Release in reverse order of start; each step's failure is logged and the next still runs. */
  private async release(): Promise<void> {
    const log = this.opts.log;
    if (this.statsTimer) clearInterval(this.statsTimer);
    this.statsTimer = null;
    const steps: [string, () => Promise<void>][] = [
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
      ['tcp', async () => closeServer(this.tcp, () => (this.tcp = null), this.sockets)],
      [
        'aedes',
        async () => {
          const b = this.broker;
          this.broker = null;
          if (b) await new Promise<void>((res) => b.close(() => res()));
        },
      ],
    ];
    for (const [name, step] of steps) {
      try {
        await step();
      } catch (e) {
        log('error', 'broker stop step failed', { step: name, error: (e as Error).message });
      }
    }
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    this.addrs = null;
    log('info', 'broker stopped');
  }

  // ------------------------------------------------------------------------------------------
  // connections

  /**
   * Hand the broker an already-accepted stream from another listener (the LAN TLS listener,
   * tls.ts; H9): same auth, ACL, size guard and socket tracking as the TCP and WS listeners.
   */
  acceptConnection(conn: Duplex): void {
    this.accept(conn);
  }

  private accept(conn: Duplex, req?: IncomingMessage): void {
    const broker = this.broker;
    if (!broker) {
      conn.destroy();
      return;
    }
    let stream = conn;
    if (conn instanceof Socket) {
      // TCP and TLS: one syscall per event-loop turn instead of one per delivered PUBLISH
      // (socketWrites.ts); the window's WebSocket stream already coalesces (wsStream.ts)
      coalesceWrites(conn);
      // what a client sent before its connection was reset is still handled (tcpStream.ts)
      stream = new TcpStream(conn, (err) => this.onClientError(client, err));
    }
    this.sockets.add(conn);
    conn.once('close', () => this.sockets.delete(conn));
    const client = broker.handle(stream, req);
    this.guardPacketSize(client);
  }

  /**
   * Aedes/mqtt-packet buffer a whole packet before parsing it and have no size limit for MQTT
   * 3.1.1 (mqtt-packet parser.js: _parseLength -> _parsePayload waits for `length` bytes), so a
   * client could make the broker buffer up to 256 MB. We check the MQTT "remaining length" as
   * soon as the fixed header is parsed and fail the parser: Aedes then closes only that client.
   */
  private guardPacketSize(client: Client): void {
    const parser = (client as unknown as { _parser?: ParserInternals })._parser;
    if (!parser || typeof parser._parseLength !== 'function' || typeof parser._emitError !== 'function') {
      if (!this.parserGuardMissingLogged) {
        this.parserGuardMissingLogged = true;
        this.opts.log('error', 'packet size limit not enforced: Aedes client internals changed', {});
      }
      return;
    }
    const limit = this.opts.maxPayloadBytes + PACKET_HEADROOM;
    const parseLength = parser._parseLength;
    parser._parseLength = function guardedParseLength(this: ParserInternals): boolean {
      const ok = parseLength.call(this);
      if (ok && this.packet.length > limit) {
        this._emitError(new Error(`packet too large: ${this.packet.length} bytes, limit ${limit}`));
        return false;
      }
      return ok;
    };
  }

  private verifyWsClient(info: { origin: string; req: IncomingMessage }, cb: (ok: boolean, code?: number, message?: string) => void): void {
    const origin = info.req.headers.origin;
    // No Origin: not a browser (mqtt.js in Node, tools). A browser always sends one, so a page on
    // another site cannot reach the bus (LosslessCut's local API does the same check).
    if (origin === undefined || this.opts.allowedOrigins.has(origin)) return cb(true);
    this.refusedConnects++;
    this.opts.log('warn', 'websocket connection refused: foreign origin', { origin, remote: info.req.socket.remoteAddress });
    cb(false, 403, 'Forbidden origin');
  }

  private onClientError(client: Client, err: Error): void {
    const principal = this.principals.get(client);
    const fields = { clientId: client.id ?? null, principal: principal ?? null, error: err.message };
    if (err.message === 'message rate over the limit') return; // logged where it was decided
    // The tail of a connection that has already ended, not a fault: Aedes sets client.closed first
    // thing in close(), and a message it routed to that subscriber just before then fails in its
    // write() with "connection closed" (aedes lib/write.js, lib/client.js close()). Services that
    // stop together hit this whenever one's last (offline) heartbeat reaches another that has just
    // disconnected cleanly, and so does every delivery cut off when the broker itself stops.
    if (client.closed) {
      this.opts.log('debug', 'error on a closed client connection', fields);
      return;
    }
    if (err.message.startsWith('packet too large')) {
      this.oversizeDisconnects++;
      this.opts.log('warn', 'client disconnected: packet over the size limit', fields);
    } else if ((err as NodeJS.ErrnoException).code === 'ECONNRESET' || err.message === 'keep alive timeout') {
      this.opts.log('info', 'client connection lost', fields);
    } else {
      this.opts.log('warn', 'client disconnected on error', fields);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Aedes hooks

  private authenticate(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
    done: (error: AuthenticateError | null, success: boolean | null) => void,
  ): void {
    const refuse = (returnCode: 2 | 3 | 4 | 5, reason: string) => {
      this.refusedConnects++;
      const remote = (client.conn as Partial<Socket>).remoteAddress ?? null;
      // the username is logged (it names a principal), the password never is
      this.opts.log('warn', 'connection refused', { clientId: client.id, username: username ?? null, reason, remote });
      const err = new Error(reason) as AuthenticateError;
      // Aedes maps returnCode 2..5 to the CONNACK code: 4 = "bad user name or password"
      // (MQTT 3.1.1 §3.2.2.3), 3 = "server unavailable", 2 = "identifier rejected".
      (err as { returnCode: number }).returnCode = returnCode;
      done(err, null);
    };
    const broker = this.broker;
    if (!broker) return refuse(3, 'broker stopping');
    if (broker.connectedClients >= this.opts.maxClients) return refuse(3, `too many clients (limit ${this.opts.maxClients})`);
    const principal = this.opts.credentials.verify(username, password);
    if (!principal) return refuse(4, username === undefined ? 'anonymous connection' : 'bad user name or password');
    // [MQTT-3.1.4-2] a new CONNECT with a live client's id takes that session over. Only the same
    // principal may do that: otherwise one service could kick another off the bus.
    const existing = (broker as unknown as { clients: Record<string, Client | undefined> }).clients[client.id];
    if (existing && existing !== client) {
      const owner = this.principals.get(existing);
      if (owner !== undefined && owner !== principal) return refuse(2, `client id ${client.id} is in use by another principal`);
    }
    this.principals.set(client, principal);
    done(null, true);
  }

  /**
   * MQTT 3.1.1 gives a server two ways to refuse a PUBLISH: close the connection or acknowledge
   * it normally and drop it [MQTT-3.3.5-2]. Aedes only implements the first (cb(err) closes the
   * client; moscajs/aedes#210). We want the second (a misbehaving service keeps its connection
   * and its other traffic): the hook marks the packet and lets Aedes ack it, and the publish
   * entry point (installDropFilter) swallows marked packets before anything is stored (retained)
   * or routed.
   */
  private authorizePublish(client: Client | null, packet: PublishPacket, done: (error?: Error | null) => void): void {
    const size = packet.payload.length;
    this.msgsIn++;
    this.bytesIn += size;
    const principal = client ? this.principals.get(client) : undefined;
    // issue 7 rate limit (H9): a client over its message rate is disconnected and logged; the
    // others keep their own buckets. done(err) makes Aedes close just this client.
    if (client && this.rateLimiter && !this.rateLimiter.allow(client)) {
      this.rateLimitedDisconnects++;
      this.opts.log('warn', 'client disconnected: message rate over the limit', {
        clientId: client.id,
        principal: principal ?? null,
        topic: packet.topic,
      });
      return done(new Error('message rate over the limit'));
    }
    let reason: string | null = null;
    if (!client || !principal) reason = 'no authenticated client';
    else if (size > this.opts.maxPayloadBytes) reason = `payload ${size} bytes over limit ${this.opts.maxPayloadBytes}`;
    else if (!canPublish(principal, packet.topic)) {
      reason = isValidPublishTopic(packet.topic)
        ? 'not allowed by ACL'
        : `invalid topic (wildcards, or deeper than ${MAX_TOPIC_LEVELS} levels)`;
    } else if (principal.startsWith('device:')) {
      // issue 7: an external device's discovery config may only name its own topics (acl.ts)
      const body = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
      reason = deviceDiscoveryConfigRefusal(principal, packet.topic, body);
    }
    if (reason !== null) {
      this.dropped.add(packet);
      this.deniedPublish++;
      this.logDenial(client, principal, 'publish denied (dropped)', {
        topic: packet.topic,
        qos: packet.qos,
        retain: packet.retain,
        reason,
      });
    }
    done(null);
  }

  private installDropFilter(broker: Aedes): void {
    const dropped = this.dropped;
    const publish = broker.publish.bind(broker) as (packet: PublishPacket, client: unknown, done?: (err?: Error) => void) => void;
    // Aedes's PUBLISH handler calls client.broker.publish(packet, client, done) with the very packet
    // object authorizePublish saw (lib/handlers/publish.js enqueuePublish; lib/client.js for wills):
    // an instance property shadows the prototype method for exactly this broker.
    (broker as unknown as { publish: unknown }).publish = function filteredPublish(
      packet: PublishPacket,
      client: unknown,
      done?: (err?: Error) => void,
    ) {
      if (typeof client === 'function') {
        done = client as (err?: Error) => void;
        client = null;
      }
      if (dropped.has(packet)) {
        dropped.delete(packet);
        if (done) done();
        return;
      }
      publish(packet, client, done);
    };
  }

  private authorizeSubscribe(
    client: Client,
    sub: Subscription,
    done: (error: Error | null, subscription?: Subscription | null) => void,
  ): void {
    const principal = this.principals.get(client);
    let reason: string | null = null;
    if (!principal) reason = 'no authenticated client';
    else if (!canSubscribe(principal, sub.topic)) reason = 'not allowed by ACL';
    else {
      const subs = (client as unknown as { subscriptions: Record<string, unknown> }).subscriptions;
      if (!(sub.topic in subs) && Object.keys(subs).length >= this.opts.maxSubscriptionsPerClient) {
        reason = `subscription limit ${this.opts.maxSubscriptionsPerClient} reached`;
      }
    }
    if (reason !== null) {
      this.deniedSubscribe++;
      this.logDenial(client, principal, 'subscribe denied', { filter: sub.topic, reason });
      // null subscription -> SUBACK return code 0x80 for this filter (Aedes subscribe.js storeSubscriptions)
      return done(null, null);
    }
    done(null, sub);
  }

  private authorizeForward(_client: Client, packet: AedesPublishPacket): AedesPublishPacket {
    this.msgsOut++;
    this.bytesOut += packet.payload.length;
    return packet;
  }

  private published(packet: AedesPublishPacket, client: Client | null, done: (error?: Error | null) => void): void {
    if (this.listeners.size > 0 && !packet.topic.startsWith(this.internalSysPrefix)) {
      const bp = this.toBusPacket(packet, client);
      for (const l of this.listeners) {
        try {
          l(bp);
        } catch (e) {
          this.opts.log('error', 'onPublish listener threw', { error: (e as Error).message });
        }
      }
    }
    done(null);
  }

  private toBusPacket(packet: AedesPublishPacket, client: Client | null): BusPacket {
    let principal: AnyPrincipal | null = null;
    let clientId: string | null = null;
    if (client) {
      clientId = client.id;
      principal = this.principals.get(client) ?? null;
    } else {
      // Aedes stamps the publisher's id on routed packets (aedes.js emitPacket)
      const id = (packet as { clientId?: string }).clientId;
      if (id === undefined || !this.broker) return this.busPacket(packet, null, null);
      clientId = id;
      const c = (this.broker as unknown as { clients: Record<string, Client | undefined> }).clients[id];
      principal = c ? (this.principals.get(c) ?? null) : null;
    }
    return this.busPacket(packet, clientId, principal);
  }

  private busPacket(packet: AedesPublishPacket, clientId: string | null, principal: AnyPrincipal | null): BusPacket {
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : (packet.payload as Buffer);
    return { topic: packet.topic, payload, qos: packet.qos, retain: packet.retain, clientId, principal, time: Date.now() };
  }

  private logDenial(client: Client | null, principal: AnyPrincipal | undefined, msg: string, fields: Record<string, unknown>): void {
    let n = 1;
    if (client) {
      n = (this.denialsLogged.get(client) ?? 0) + 1;
      this.denialsLogged.set(client, n);
    }
    // a client looping on a denied topic must not flood the log
    if (n <= DENIAL_LOG_FIRST || n % DENIAL_LOG_EVERY === 0) {
      this.opts.log('warn', msg, { clientId: client?.id ?? null, principal: principal ?? null, denials: n, ...fields });
    }
  }

  // ------------------------------------------------------------------------------------------
  // InProcessBus

  onPublish(listener: (packet: BusPacket) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  publish(topic: string, payload: Buffer | string, opts: { qos?: 0 | 1; retain?: boolean } = {}): Promise<void> {
    const broker = this.aedes;
    if (topic.length === 0 || topic.includes('+') || topic.includes('#')) {
      return Promise.reject(new AliciaError('SCHEMA_INVALID', `cannot publish to ${JSON.stringify(topic)}`));
    }
    const packet: PublishPacket = {
      cmd: 'publish',
      topic,
      payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
      qos: opts.qos ?? 0,
      retain: opts.retain ?? false,
      dup: false,
    };
    return new Promise((resolve, reject) => broker.publish(packet, (err) => (err ? reject(err) : resolve())));
  }

  async subscribe(filter: string, handler: (packet: BusPacket) => void): Promise<() => Promise<void>> {
    const broker = this.aedes;
    const wildcardRoot = filter.startsWith('+') || filter.startsWith('#');
    const deliver = (packet: AedesPublishPacket, cb: () => void) => {
      // same rules a network subscriber gets: '#'/'+' at the root skip $-topics [MQTT-4.7.2-1];
      // Aedes's internal $SYS/<id>/... clustering chatter is never delivered in-process
      if (!(wildcardRoot && packet.topic.startsWith('$')) && !packet.topic.startsWith(this.internalSysPrefix)) {
        try {
          handler(this.toBusPacket(packet, null));
        } catch (e) {
          this.opts.log('error', 'in-process subscriber threw', { filter, error: (e as Error).message });
        }
      }
      cb();
    };
    await new Promise<void>((res) => broker.subscribe(filter, deliver, () => res()));
    this.inProcessSubs++;
    let done = false;
    return async () => {
      if (done) return;
      done = true;
      this.inProcessSubs--;
      const b = this.broker;
      if (b) await new Promise<void>((res) => b.unsubscribe(filter, deliver, () => res()));
    };
  }

  // ------------------------------------------------------------------------------------------
  // management

  /** The principal of a connected client id, if any. */
  principalOf(clientId: string): AnyPrincipal | null {
    const c = this.broker ? (this.broker as unknown as { clients: Record<string, Client | undefined> }).clients[clientId] : undefined;
    return c ? (this.principals.get(c) ?? null) : null;
  }

  /** Disconnect every client of a principal (e.g. after its credential was rotated). Returns how many. */
  disconnectPrincipal(principal: AnyPrincipal): number {
    if (!this.broker) return 0;
    let n = 0;
    for (const c of Object.values((this.broker as unknown as { clients: Record<string, Client> }).clients)) {
      if (this.principals.get(c) === principal) {
        c.close();
        n++;
      }
    }
    if (n > 0) this.opts.log('info', 'disconnected clients of principal', { principal, clients: n });
    return n;
  }

  /** A stats snapshot; rates are per second since the previous snapshot. */
  stats(): BrokerStats & { refused_connections: number; oversize_disconnects: number; rate_limited_disconnects: number } {
    const now = Date.now();
    const dt = Math.max(1, now - this.last.t) / 1000;
    const rate = (cur: number, prev: number) => Math.round(((cur - prev) / dt) * 10) / 10;
    let subscriptions = this.inProcessSubs;
    const clients = this.broker ? (this.broker as unknown as { clients: Record<string, Client> }).clients : {};
    for (const c of Object.values(clients)) {
      subscriptions += Object.keys((c as unknown as { subscriptions: object }).subscriptions).length;
    }
    const body = {
      clients: this.broker ? this.broker.connectedClients : 0,
      subscriptions,
      messages_in_per_s: rate(this.msgsIn, this.last.msgsIn),
      messages_out_per_s: rate(this.msgsOut, this.last.msgsOut),
      bytes_in_per_s: rate(this.bytesIn, this.last.bytesIn),
      bytes_out_per_s: rate(this.bytesOut, this.last.bytesOut),
      messages_in: this.msgsIn,
      messages_out: this.msgsOut,
      bytes_in: this.bytesIn,
      bytes_out: this.bytesOut,
      denied_publish: this.deniedPublish,
      denied_subscribe: this.deniedSubscribe,
      refused_connections: this.refusedConnects,
      oversize_disconnects: this.oversizeDisconnects,
      rate_limited_disconnects: this.rateLimitedDisconnects,
      uptime_ms: this.startedAt ? now - this.startedAt : 0,
    };
    this.last = { t: now, msgsIn: this.msgsIn, msgsOut: this.msgsOut, bytesIn: this.bytesIn, bytesOut: this.bytesOut };
    return body;
  }

  private publishStats(): void {
    if (!this.broker) return;
    const msg = seal(this.stats(), { source: 'broker' });
    this.publish(STATS_TOPIC, JSON.stringify(msg), { qos: 0, retain: false }).catch((e: unknown) => {
      this.opts.log('warn', 'stats publish failed', { error: (e as Error).message });
    });
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

async function closeServer(server: NetServer | HttpServer | null, clear: () => void, sockets?: Set<Duplex>): Promise<void> {
  clear();
  if (!server) return;
  if (sockets) for (const s of sockets) s.destroy();
  if ('closeAllConnections' in server) server.closeAllConnections();
  if (!server.listening) return;
  await new Promise<void>((res) => server.close(() => res()));
}
