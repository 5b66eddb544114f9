import mqtt from 'mqtt';
import type { IClientOptions, IPublishPacket, MqttClient } from 'mqtt';
import type { Socket } from 'node:net';
import { AliciaError, toErrorInfo } from '../protocol/errors.js';
import type { ServiceName } from '../protocol/services.js';
import type { BodyOf, MessageOf, ReplyTopicOf, RequestTopic, TopicPattern } from '../protocol/topics.js';
import { BatchPublisher } from './batchPublisher.js';
import type { BatchOptions } from './batchPublisher.js';
import type { BreakerOptions, CircuitBreaker } from './circuitBreaker.js';
import { createLogger } from './logger.js';
import type { Logger } from './logger.js';
import { ServiceMetrics } from './metrics.js';
import { PubackHold } from './mqttInternals.js';
import { Presence } from './presence.js';
import { Requester } from './requester.js';
import type { RequestOptions } from './requester.js';
import { Responder } from './responder.js';
import type { HandleOptions, RequestHandler } from './responder.js';
import { sealMessage } from './sealMessage.js';
import type { PublishOptions, SealedMessage } from './sealMessage.js';
import { connectionFromEnv, envInt, instanceFromEnv } from './serviceProcess.js';
import type { InstanceIdentity } from './serviceProcess.js';
import { HOST_NODE } from '../protocol/nodes.js';
import { sharedFilter } from '../protocol/sharedSubscription.js';
import { Subscriptions } from './subscriptions.js';
import type { MessageHandler } from './subscriptions.js';

export interface ConnectionOptions {
  url: string;
  username?: string | undefined;
  password?: string | undefined;
  /** mqtts:// to the user's own broker: its CA, a client certificate, whether to check its certificate */
  tls?: { ca?: string; cert?: string; key?: string; rejectUnauthorized: boolean };
}

export interface BusServiceOptions {
  name: ServiceName;
  version?: string;
  capabilities?: string[];
  /** defaults to ALICIA_MQTT_URL / ALICIA_MQTT_USERNAME / ALICIA_MQTT_PASSWORD */
  connection?: ConnectionOptions;
  heartbeatMs?: number;
  metricsMs?: number;
  /** options of the per-downstream circuit breakers */
  breaker?: BreakerOptions;
  /** MQTT client id; default alicia-<instance> (fixed, so the persistent session survives restarts) */
  clientId?: string;
  /** which run of the service this is; default from the environment (instanceFromEnv) */
  instance?: InstanceIdentity;
  logger?: Logger;
}

/**
 * The base of every service process. A service extends this, registers its handlers in onStart(),
 * and gets: a persistent MQTT session with a last will, typed and validated publish/subscribe/request,
 * coded error replies, heartbeat, discovery registration, circuit breakers around downstream
 * requests, batched publishing and metrics.
 * Constructor only assigns; start() acquires; stop() releases and can run twice.
 */
export class BusService {
  readonly name: ServiceName;
  readonly version: string;
  readonly capabilities: string[];
  readonly log: Logger;
  readonly metrics = new ServiceMetrics();

  private readonly opts: BusServiceOptions;
  private client: MqttClient | null = null;
  private readonly subscriptions: Subscriptions;
  private readonly requester: Requester;
  private readonly responder: Responder;
  private readonly presence: Presence;
  private readonly acks = new PubackHold();
  /** messages that arrived before onStart() finished (replayed after it) */
  private early: [string, Buffer, IPublishPacket][] | null = [];
  private readonly started = deferred();
  private readonly handles: string[] = [];
  private readonly emits = new Set<string>();
  private batchers: BatchPublisher[] = [];
  private state: 'idle' | 'starting' | 'running' | 'stopping' | 'stopped' = 'idle';
  /** set at start() (the environment's errors belong there); the host's one instance until then */
  private identity: InstanceIdentity;
  private stopPromise: Promise<void> | null = null;

  constructor(opts: BusServiceOptions) {
    this.opts = opts;
    this.name = opts.name;
    this.version = opts.version ?? '1.0.0';
    this.capabilities = opts.capabilities ?? [];
    this.log = opts.logger ?? createLogger(opts.name);
    this.identity = opts.instance ?? { node: HOST_NODE, instance: opts.name, shared: true };
    this.subscriptions = new Subscriptions({ name: this.name, log: this.log, metrics: this.metrics });
    const listen = (filter: string, fn: MessageHandler, qos: 0 | 1) => this.subscriptions.add(this.client, filter, fn, qos);
    this.requester = new Requester(
      { log: this.log, metrics: this.metrics, publish: (p, b, o) => this.publish(p, b, o), listen },
      opts.breaker,
    );
    this.responder = new Responder({
      log: this.log,
      metrics: this.metrics,
      reply: (pattern, body, ids) => this.sendReply(pattern, body, ids),
      holdAck: (packet, until) => this.acks.hold(packet, until),
      stream: () => this.client?.stream as Partial<Socket> | undefined,
    });
    this.presence = new Presence({
      name: this.name,
      version: this.version,
      capabilities: this.capabilities,
      log: this.log,
      metrics: this.metrics,
      publish: (p, b, o) => this.publish(p, b, o),
      health: () => this.healthStatus(),
      handles: () => this.handles,
      emits: () => [...this.emits],
      breakerStates: () => this.requester.breakerStates(),
      identity: () => this.identity,
      heartbeatMs: () => this.heartbeatMs,
      metricsMs: () => opts.metricsMs ?? envInt('ALICIA_METRICS_MS', 5_000),
    });
  }

  /** Override: acquire resources and register handlers. */
  protected onStart(): Promise<void> | void {}
  /** Override: release what onStart acquired. */
  protected onStop(): Promise<void> | void {}
  /** Override to report degraded (e.g. an engine missing). */
  protected healthStatus(): 'ok' | 'degraded' {
    return 'ok';
  }

  /** stop() has begun (or finished): publishing is over, the connection is closing. */
  protected get stopping(): boolean {
    return this.state === 'stopping' || this.state === 'stopped';
  }

  get running(): boolean {
    return this.state === 'running';
  }

  get heartbeatMs(): number {
    return this.opts.heartbeatMs ?? envInt('ALICIA_HEARTBEAT_MS', 5_000);
  }

  async start(): Promise<void> {
    if (this.state !== 'idle') return;
    this.state = 'starting';
    this.presence.markStarted();
    this.identity = this.opts.instance ?? instanceFromEnv(this.name);
    const conn = this.opts.connection ?? connectionFromEnv();
    const options = this.clientOptions(conn);
    const dataDir = process.env.ALICIA_DATA_DIR;
    if (dataDir) this.responder.persistIn(dataDir, this.name);
    const client = mqtt.connect(conn.url, options);
    this.acks.attach(client);
    this.client = client;
    client.on('message', (topic, payload, packet) => this.dispatch(topic, payload, packet));
    // While stopping, a message arriving as the connection closes fails its ack write ("write after
    // end"): expected then, a warning only while running.
    client.on('error', (err) => this.log[this.stopping ? 'debug' : 'warn']('mqtt error', { error: err.message }));
    let lostAt: number | null = null;
    client.on('close', () => {
      // the broker went away (or restarts): MQTT.js reconnects by itself; the log says when and for how long
      if (this.state !== 'running' || lostAt !== null) return;
      lostAt = Date.now();
      this.log.warn('broker connection lost', { url: conn.url });
    });
    client.on('connect', (connack) => {
      // Nagle + delayed ACK cost ~88 ms per QoS 1 round trip here (docs/benchmarks.md); MQTT.js has no option for it.
      (client.stream as Partial<Socket>).setNoDelay?.(true);
      if (lostAt !== null) {
        this.log.info('broker connection restored', { after_ms: Date.now() - lostAt, session_present: connack.sessionPresent });
        lostAt = null;
      }
      if (this.state === 'running') {
        // reconnected: a new broker may have lost our session; subscribe and announce again
        if (!connack.sessionPresent) void this.subscriptions.resubscribeAll(client);
        else if (this.identity.shared && this.identity.renewShared) void this.subscriptions.renewShared(client);
        this.presence.register();
      }
    });
    await new Promise<void>((resolve, reject) => {
      const onConnect = () => {
        cleanup();
        resolve();
      };
      const onClose = () => {
        // keep retrying (reconnectPeriod) unless we are being stopped
        if (this.state === 'stopping' || this.state === 'stopped') {
          cleanup();
          reject(new AliciaError('NOT_CONNECTED', 'stopped before connecting'));
        }
      };
      const cleanup = () => {
        client.off('connect', onConnect);
        client.off('close', onClose);
      };
      client.on('connect', onConnect);
      client.on('close', onClose);
    });
    await this.onStart();
    const early = this.early ?? [];
    this.early = null;
    for (const [t, p, pk] of early) this.dispatch(t, p, pk);
    this.started.resolve();
    this.state = 'running';
    this.presence.start();
    this.log.info('started', { version: this.version });
  }

  stop(): Promise<void> {
    if (!this.stopPromise) this.stopPromise = this.doStop();
    return this.stopPromise;
  }

  private async doStop(): Promise<void> {
    if (this.state === 'idle') {
      this.state = 'stopped';
      return;
    }
    this.state = 'stopping';
    this.presence.stop();
    for (const b of this.batchers) await b.flush().catch(() => undefined);
    this.batchers = [];
    this.requester.rejectAll(new AliciaError('NOT_CONNECTED', `${this.name} is stopping`));
    try {
      await this.onStop();
    } catch (e) {
      this.log.error('onStop failed', { error: toErrorInfo(e).message });
    }
    const client = this.client;
    this.client = null;
    if (client) {
      if (client.connected) {
        // A graceful stop says so (the will only fires on an unclean disconnect).
        await this.rawPublish(client, this.offlineHeartbeat()).catch(() => undefined);
      }
      await client.endAsync(false).catch(() => client.end(true));
    }
    this.state = 'stopped';
    this.log.info('stopped');
  }

  /** The heartbeat saying this service is offline: its last will, and sent on a clean stop. */
  private offlineHeartbeat(): SealedMessage {
    return sealMessage(this.name, 'alicia/health/heartbeat/+', this.presence.heartbeatBody('offline'), {
      params: [this.name],
      qos: 0,
      retain: false,
    });
  }

  private clientOptions(conn: ConnectionOptions): IClientOptions {
    const will = this.offlineHeartbeat();
    return {
      // one id per instance: two runs of a service with one id would take each other's session over
      clientId: this.opts.clientId ?? `alicia-${this.identity.instance}`,
      username: conn.username,
      password: conn.password,
      // Persistent session: QoS 1 requests sent while this service restarts are queued by the
      // broker and delivered when it is back.
      clean: false,
      protocolVersion: 4, // Aedes speaks MQTT 3.1.1 only: an MQTT 5 CONNECT is refused
      reconnectPeriod: 500,
      connectTimeout: 10_000,
      keepalive: 30,
      // MQTT.js would otherwise make mqtt-packet pre-build 65,536 Buffers, one per packet id (~6 MiB of heap per service)
      writeCache: false,
      will: { topic: will.topic, payload: Buffer.from(will.payload), qos: 0, retain: false },
      ...(conn.tls ?? {}),
    };
  }

  // ---------------------------------------------------------------- publish

  /** Publish a typed message: the body is validated against the topic's schema and sealed in the envelope. */
  async publish<P extends TopicPattern>(pattern: P, body: BodyOf<P>, opts: PublishOptions = {}): Promise<void> {
    const msg = sealMessage(this.name, pattern, body, opts);
    this.emits.add(pattern);
    await this.publishRaw(msg.topic, msg.payload, msg);
    this.metrics.countOut(pattern);
  }

  /** Publish bytes to any topic the ACL allows (foreign topics, e.g. Home Assistant command topics). */
  async publishRaw(topic: string, payload: string | Buffer, opts: { qos?: 0 | 1; retain?: boolean } = {}): Promise<void> {
    const client = this.client;
    if (!client || this.state === 'stopped') throw new AliciaError('NOT_CONNECTED', `${this.name} is not connected`);
    await this.rawPublish(client, { topic, payload, qos: opts.qos ?? 0, retain: opts.retain ?? false });
  }

  private rawPublish(client: MqttClient, m: { topic: string; payload: string | Buffer; qos: 0 | 1; retain: boolean }): Promise<void> {
    return new Promise((resolve, reject) => {
      client.publish(m.topic, m.payload, { qos: m.qos, retain: m.retain }, (err) =>
        err ? reject(new AliciaError('NOT_CONNECTED', err.message)) : resolve(),
      );
    });
  }

  /** A reply (or error reply) to a request: written synchronously, so before the request's PUBACK. */
  private async sendReply(pattern: TopicPattern, body: object, ids: PublishOptions): Promise<void> {
    const msg = sealMessage(this.name, pattern, body as BodyOf<TopicPattern>, { ...ids, retain: false }, 'INTERNAL');
    this.emits.add(pattern);
    await this.publishRaw(msg.topic, msg.payload, msg);
    this.metrics.countOut(pattern);
  }

  /** A publisher that sends queued messages together (one TCP write per batch), for high-rate events. */
  batcher(opts: BatchOptions = {}): BatchPublisher {
    const b = new BatchPublisher((items) => {
      const client = this.client;
      if (!client) return Promise.reject(new AliciaError('NOT_CONNECTED', 'not connected'));
      const stream = client.stream as Partial<Socket>;
      stream.cork?.();
      const all = Promise.all(items.map((i) => this.rawPublish(client, i)));
      // uncork on the next tick so every packet of the batch lands in one write
      process.nextTick(() => stream.uncork?.());
      return all.then(() => undefined);
    }, opts);
    this.batchers.push(b);
    return b;
  }

  /** Seal a typed message for a batcher (validated like publish()). */
  sealFor<P extends TopicPattern>(pattern: P, body: BodyOf<P>, opts: PublishOptions = {}): SealedMessage {
    return sealMessage(this.name, pattern, body, opts);
  }

  // ---------------------------------------------------------------- subscribe

  /**
   * Subscribe to a declared topic (pattern, or a concrete topic / narrower filter of one).
   * Each message is decoded and validated; invalid ones are logged, counted and dropped (events
   * have no one to answer). An empty payload (a cleared retained topic) goes to opts.onClear.
   */
  async subscribe<P extends TopicPattern>(
    filter: P | (string & {}),
    handler: (msg: MessageOf<P>, topic: string) => void | Promise<void>,
    opts: { onClear?: (topic: string) => void; qos?: 0 | 1 } = {},
  ): Promise<void> {
    await this.subscriptions.add(this.client, filter, this.subscriptions.decoded(handler, opts.onClear), opts.qos ?? 1);
  }

  /** Subscribe to foreign (non-Alicia) topics: raw bytes, the service validates them itself. */
  async subscribeRaw(
    filter: string,
    handler: (topic: string, payload: Buffer, packet: IPublishPacket) => void | Promise<void>,
    qos: 0 | 1 = 1,
  ): Promise<void> {
    await this.subscriptions.add(this.client, filter, this.subscriptions.raw(filter, handler), qos);
  }

  async unsubscribeRaw(filter: string): Promise<void> {
    await this.subscriptions.remove(this.client, filter);
  }

  private dispatch(topic: string, payload: Buffer, packet: IPublishPacket): void {
    if (this.early) {
      // A persistent session delivers what was queued for us right after CONNECT, before onStart()
      // registered the handlers: keep it (PUBACK held, so a crash now loses nothing) and replay it then.
      this.early.push([topic, payload, packet]);
      this.acks.hold(packet, this.started.promise);
      return;
    }
    this.subscriptions.dispatch(topic, payload, packet);
  }

  // ---------------------------------------------------------------- request / response

  /**
   * Answer requests on a request topic. The handler returns the reply body; the runtime validates
   * the request, echoes correlation/trace/session ids, and turns any failure into a coded error on
   * the topic's error topic. A handler never throws across the bus.
   * Requests arrive through a shared subscription whose group is the service's name, so instances of
   * one service (on the host and on nodes) split them, each request to one of them; a QoS 1 request an
   * instance had not acknowledged when it died goes to another. Plain on a broker without them.
   */
  async handle<P extends RequestTopic>(pattern: P, handler: RequestHandler<P>, opts: HandleOptions = {}): Promise<void> {
    this.handles.push(pattern);
    const brokerFilter = this.identity.shared ? sharedFilter(this.name, pattern) : pattern;
    await this.subscriptions.add(this.client, pattern, this.responder.handlerFor(pattern, handler, opts), 1, brokerFilter);
  }

  /** Which run of the service this is (known once start() has begun). */
  get instance(): Readonly<InstanceIdentity> {
    return this.identity;
  }

  /** The circuit breaker guarding one downstream request topic. */
  breaker(pattern: string): CircuitBreaker {
    return this.requester.breaker(pattern);
  }

  /**
   * Send a request and await its correlated reply. Rejects with AliciaError: TIMEOUT,
   * CIRCUIT_OPEN (the downstream failed repeatedly), NOT_CONNECTED, or the downstream's own code.
   */
  request<P extends RequestTopic>(pattern: P, body: BodyOf<P>, opts: RequestOptions = {}): Promise<MessageOf<ReplyTopicOf<P>>> {
    return this.requester.request(pattern, body, opts);
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
