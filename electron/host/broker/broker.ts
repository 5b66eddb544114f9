import { Aedes, type AedesOptions, type AedesPublishPacket, type Client } from 'aedes';
import type { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { seal } from '../../../services/lib/protocol/envelope.js';
import { AliciaError } from '../../../services/lib/protocol/errors.js';
import type { AnyPrincipal } from '../../../services/lib/protocol/services.js';
import { PACKET_TOO_LARGE, PublishDropFilter, beforeHandling, clientById, connectedClientList, guardPacketSize } from './aedesInternals.js';
import { DEFAULT_BROKER_LIMITS, type BrokerLimits } from './brokerSettings.js';
import { BrokerCounters, STATS_TOPIC, type BrokerStatsSnapshot } from './brokerStats.js';
import { ClientAccess, RATE_LIMITED } from './clientAccess.js';
import type { Credentials } from './credentials.js';
import { HostBus } from './hostBus.js';
import { BrokerListeners } from './listeners.js';
import { OfflineSessions } from './offlineSessions.js';
import { ProtocolFixes } from './protocolFixes.js';
import { SharedSubscriptions } from './sharedSubscriptions.js';
import { coalesceWrites } from './socketWrites.js';
import { TcpStream } from './tcpStream.js';
import type { BrokerAddresses, BusPacket, InProcessBus } from './types.js';
import { createLogger } from '../../../services/lib/runtime/logger.js';
import type { Logger } from '../../../services/lib/runtime/logger.js';

/** Limits left out take DEFAULT_BROKER_LIMITS (brokerSettings.ts; config.json `broker` sets them all). */
export interface AliciaBrokerOptions extends Partial<BrokerLimits> {
  dataDir: string;
  credentials: Credentials;
  /** listen address of the WebSocket listener (the TCP listener is always 127.0.0.1); 127.0.0.1 by default */
  host?: string;
  /** certificate and key: the WebSocket listener speaks WSS only (required for a non-local host) */
  tls?: { cert: string; key: string } | null;
  /** MQTT over TCP; 0 = any free port */
  mqttPort?: number;
  /** MQTT over WebSocket (path /mqtt); 0 = any free port */
  wsPort?: number;
  /**
   * Browser Origins allowed on the WebSocket listener (exact match, e.g. "http://127.0.0.1:8080").
   * Requests without an Origin header (non-browser clients) are allowed; a foreign Origin gets 403.
   */
  allowedOrigins?: string[];
  /** period of $SYS/alicia/broker/stats (default 5000 ms; 0 = off) */
  statsIntervalMs?: number;
  log?: Logger;
}

/**
 * Room above maxPayloadBytes for the rest of a PUBLISH (topic length + topic + packet id): a
 * packet whose MQTT "remaining length" exceeds maxPayloadBytes + this is cut off as soon as its
 * fixed header arrives, before the body is buffered.
 */
const PACKET_HEADROOM = 4096;

/** Connections a listener accepts beyond maxClients, so that the ones over it get a CONNACK 3. */
const CONNECTION_HEADROOM = 50;

/** A broker given no logger (tests, benches) writes info and above to stderr. */
function defaultLog(): Logger {
  return createLogger('broker', { level: 'info', sink: (line) => void process.stderr.write(line) });
}

/**
 * The embedded MQTT broker: Aedes 1.2 behind a TCP listener (TCP_NODELAY) and a WebSocket
 * listener (listeners.ts), authentication always on and a per-principal ACL (clientAccess.ts),
 * $SYS stats (brokerStats.ts), and an in-process bus for the host's own parts (hostBus.ts). This
 * class wires them to Aedes's hooks. Constructor assigns, start() acquires, stop() releases
 * (idempotent).
 */
export class AliciaBroker implements InProcessBus {
  private readonly opts: Required<Omit<AliciaBrokerOptions, 'log' | 'credentials' | 'allowedOrigins' | 'tls'>> & {
    credentials: Credentials;
    log: Logger;
  };

  private broker: Aedes | null = null;
  private readonly listeners: BrokerListeners;
  private readonly access: ClientAccess;
  private readonly bus: HostBus;
  private readonly counters = new BrokerCounters();
  private readonly dropFilter = new PublishDropFilter();
  private readonly fixes: ProtocolFixes;
  /** every connection handed to Aedes, from any listener (TLS included), destroyed on stop */
  private readonly sockets = new Set<Duplex>();
  private readonly connectionListeners = new Set<(principal: AnyPrincipal) => void>();
  private shared: SharedSubscriptions | null = null;
  private statsTimer: NodeJS.Timeout | null = null;
  private addrs: BrokerAddresses | null = null;
  private stopping: Promise<void> | null = null;
  private patchMissingLogged = false;

  constructor(opts: AliciaBrokerOptions) {
    const limits: BrokerLimits = { ...DEFAULT_BROKER_LIMITS };
    for (const k of Object.keys(limits) as (keyof BrokerLimits)[]) {
      if (opts[k] !== undefined) Object.assign(limits, { [k]: opts[k] });
    }
    this.opts = {
      ...limits,
      dataDir: opts.dataDir,
      credentials: opts.credentials,
      host: opts.host ?? '127.0.0.1',
      mqttPort: opts.mqttPort ?? 1883,
      wsPort: opts.wsPort ?? 0,
      statsIntervalMs: opts.statsIntervalMs ?? 5000,
      log: opts.log ?? defaultLog(),
    };
    const o = this.opts;
    this.fixes = new ProtocolFixes(o.log);
    this.listeners = new BrokerListeners(
      {
        host: o.host,
        tls: opts.tls ?? null,
        mqttPort: o.mqttPort,
        wsPort: o.wsPort,
        maxConnections: o.maxClients + CONNECTION_HEADROOM,
        maxWsPayloadBytes: o.maxPayloadBytes + PACKET_HEADROOM,
        allowedOrigins: new Set(opts.allowedOrigins ?? []),
        counters: this.counters,
        log: o.log,
      },
      (conn, req) => this.accept(conn, req),
    );
    this.access = new ClientAccess({
      credentials: o.credentials,
      maxClients: o.maxClients,
      maxPayloadBytes: o.maxPayloadBytes,
      maxSubscriptionsPerClient: o.maxSubscriptionsPerClient,
      maxTopicLevels: o.maxTopicLevels,
      rateLimit: o.rateLimit,
      counters: this.counters,
      log: o.log,
      broker: () => this.broker,
      drop: (packet) => this.dropFilter.drop(packet),
      connectRefusal: (client) => this.fixes.refusal(client),
    });
    this.bus = new HostBus({
      broker: () => this.broker,
      principalOf: (client) => this.access.principalOf(client),
      principalOfId: (clientId) => this.principalOf(clientId),
      log: o.log,
    });
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
        // slowloris-style half connections: a socket that sends no CONNECT goes (10 s by default)
        connectTimeout: o.connectTimeoutMs,
        preConnect: (client, packet, done) => this.fixes.preConnect(client, packet, done),
        authenticate: (client, username, password, done) => this.access.authenticate(client, username, password, done),
        authorizePublish: (client, packet, done) => this.access.authorizePublish(client, packet, done),
        authorizeSubscribe: (client, sub, done) => this.access.authorizeSubscribe(client, sub, done),
        authorizeForward: (client, packet) => this.authorizeForward(client, packet),
        published: (packet, client, done) => this.bus.published(packet, client, done),
      };
      const broker = await Aedes.createBroker(aedesOpts);
      this.broker = broker;
      this.bus.attach(broker);
      this.dropFilter.install(broker);
      this.patchesMissing(this.fixes.install(broker));
      broker.on('clientError', (client, err) => this.onClientError(client, err));
      broker.on('connectionError', (client, err) => this.onClientError(client, err));
      // after Aedes registered / removed the client, so connectionsOf() already counts the change
      broker.on('client', (client) => this.connectionChanged(client));
      broker.on('clientDisconnect', (client) => this.connectionChanged(client));
      // $share/<group>/<filter> (stops itself on broker close)
      const shared = new SharedSubscriptions(broker, {
        inflightWindow: o.sharedInflightWindow,
        maxQueued: o.sharedMaxQueued,
        log: o.log,
        onDropped: (n) => (this.counters.sharedDropped += n),
      });
      shared.start();
      this.shared = shared;
      // bounds what stopped/failed services' persistent sessions hold (stops itself on broker close)
      new OfflineSessions(broker, {
        expiryMs: o.offlineSessionExpiryMs,
        onExpired: (clientId, queued) => {
          shared.sessionEnded(clientId);
          o.log.info('offline session expired', { clientId, queued });
        },
        onError: (clientId, err) => o.log.warn('offline session expiry failed', { clientId, error: err.message }),
      }).start();

      // step 2: the TCP and WebSocket listeners
      this.addrs = await this.listeners.start();
      this.counters.started();

      // step 3: stats
      if (o.statsIntervalMs > 0) {
        this.statsTimer = setInterval(() => this.publishStats(), o.statsIntervalMs);
        this.statsTimer.unref();
      }
      o.log.info('broker listening', { ...this.addrs });
    } catch (e) {
      await this.release();
      throw e;
    }
  }

  async stop(): Promise<void> {
    if (!this.broker && !this.listeners.open) return;
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
      ...this.listeners.closeSteps(() => this.dropConnections()),
      [
        'aedes',
        async () => {
          const b = this.broker;
          this.broker = null;
          this.shared = null;
          if (b) await new Promise<void>((res) => b.close(() => res()));
        },
      ],
    ];
    for (const [name, step] of steps) {
      try {
        await step();
      } catch (e) {
        log.error('broker stop step failed', { step: name, error: (e as Error).message });
      }
    }
    this.dropConnections();
    this.addrs = null;
    log.info('broker stopped');
  }

  private dropConnections(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  // ------------------------------------------------------------------------------------------
  // connections

  /**
   * Hand the broker an already-accepted stream from another listener (the LAN TLS listener,
   * tls.ts): same auth, ACL, size guard and socket tracking as the TCP and WS listeners.
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
    const missing = this.fixes.connection(client);
    if (!guardPacketSize(client, this.opts.maxPayloadBytes + PACKET_HEADROOM)) missing.push('packet size limit');
    // shared subscriptions see PUBACKs and SUBSCRIBEs first (sharedSubscriptions.ts inspect)
    if (!beforeHandling(client, (packet) => this.shared?.inspect(client, packet))) missing.push('shared subscription acknowledgements');
    this.patchesMissing(missing);
  }

  /** Logged once: Aedes's internals are not what aedesInternals.ts was written against (its pinned test says which). */
  private patchesMissing(missing: string[]): void {
    if (missing.length === 0 || this.patchMissingLogged) return;
    this.patchMissingLogged = true;
    this.opts.log.error('broker patches not installed: Aedes internals changed', { missing });
  }

  private onClientError(client: Client, err: Error): void {
    const principal = this.access.principalOf(client);
    const fields = { clientId: client.id ?? null, principal: principal ?? null, error: err.message };
    if (err.message === RATE_LIMITED) return; // logged where it was decided
    // The tail of a connection that has already ended, not a fault: Aedes sets client.closed first
    // thing in close(), and a message it routed to that subscriber just before then fails in its
    // write() with "connection closed" (aedes lib/write.js, lib/client.js close()). Services that
    // stop together hit this whenever one's last (offline) heartbeat reaches another that has just
    // disconnected cleanly, and so does every delivery cut off when the broker itself stops.
    if (client.closed) {
      this.opts.log.debug('error on a closed client connection', fields);
      return;
    }
    if (err.message.startsWith(PACKET_TOO_LARGE)) {
      this.counters.oversizeDisconnects++;
      this.opts.log.warn('client disconnected: packet over the size limit', fields);
    } else if ((err as NodeJS.ErrnoException).code === 'ECONNRESET' || err.message === 'keep alive timeout') {
      this.opts.log.info('client connection lost', fields);
    } else {
      this.opts.log.warn('client disconnected on error', fields);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Aedes hooks: authentication and authorization are clientAccess.ts, `published` is hostBus.ts

  private authorizeForward(_client: Client, packet: AedesPublishPacket): AedesPublishPacket {
    this.counters.msgsOut++;
    this.counters.bytesOut += packet.payload.length;
    return packet;
  }

  // ------------------------------------------------------------------------------------------
  // InProcessBus (hostBus.ts)

  onPublish(listener: (packet: BusPacket) => void): () => void {
    return this.bus.onPublish(listener);
  }

  publish(topic: string, payload: Buffer | string, opts?: { qos?: 0 | 1; retain?: boolean }): Promise<void> {
    return this.bus.publish(topic, payload, opts);
  }

  subscribe(filter: string, handler: (packet: BusPacket) => void): Promise<() => Promise<void>> {
    return this.bus.subscribe(filter, handler);
  }

  // ------------------------------------------------------------------------------------------
  // management

  /** The principal of a connected client id, if any. */
  principalOf(clientId: string): AnyPrincipal | null {
    const c = this.broker ? clientById(this.broker, clientId) : undefined;
    return c ? (this.access.principalOf(c) ?? null) : null;
  }

  /** Open connections of a principal. */
  connectionsOf(principal: AnyPrincipal): number {
    if (!this.broker) return 0;
    let n = 0;
    for (const c of connectedClientList(this.broker)) if (this.access.principalOf(c) === principal) n++;
    return n;
  }

  /** Called with the principal whenever one of its clients connects or disconnects. Returns the unsubscribe. */
  onConnectionChange(listener: (principal: AnyPrincipal) => void): () => void {
    this.connectionListeners.add(listener);
    return () => void this.connectionListeners.delete(listener);
  }

  private connectionChanged(client: Client): void {
    const principal = this.access.principalOf(client);
    if (principal === undefined) return;
    for (const l of this.connectionListeners) {
      try {
        l(principal);
      } catch (e) {
        this.opts.log.error('connection listener threw', { error: (e as Error).message });
      }
    }
  }

  /** Disconnect every client of a principal (e.g. after its credential was rotated). Returns how many. */
  disconnectPrincipal(principal: AnyPrincipal): number {
    if (!this.broker) return 0;
    let n = 0;
    for (const c of connectedClientList(this.broker)) {
      if (this.access.principalOf(c) === principal) {
        c.close();
        n++;
      }
    }
    if (n > 0) this.opts.log.info('disconnected clients of principal', { principal, clients: n });
    return n;
  }

  /** Shared subscription groups, their members and queues (sharedSubscriptions.ts). */
  sharedGroups(): ReturnType<SharedSubscriptions['snapshot']> {
    return this.shared?.snapshot() ?? [];
  }

  /** A stats snapshot; rates are per second since the previous snapshot. */
  stats(): BrokerStatsSnapshot {
    return this.counters.snapshot(this.broker, this.bus.subscriptions);
  }

  private publishStats(): void {
    if (!this.broker) return;
    const msg = seal(this.stats(), { source: 'broker' });
    this.publish(STATS_TOPIC, JSON.stringify(msg), { qos: 0, retain: false }).catch((e: unknown) => {
      this.opts.log.warn('stats publish failed', { error: (e as Error).message });
    });
  }
}
