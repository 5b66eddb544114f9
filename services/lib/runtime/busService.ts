import mqtt from 'mqtt';
import type { IClientOptions, IPublishPacket, MqttClient } from 'mqtt';
import type { Socket } from 'node:net';
import { decode, peekEnvelope } from '../protocol/decode.js';
import { seal, newId, parseJson } from '../protocol/envelope.js';
import type { Envelope } from '../protocol/envelope.js';
import { AliciaError, toErrorInfo } from '../protocol/errors.js';
import type { ErrorInfo } from '../protocol/errors.js';
import type { ServiceName } from '../protocol/services.js';
import { TOPICS, topicFor, topicMatches, patternOf } from '../protocol/topics.js';
import type { BodyOf, MessageOf, ReplyTopicOf, RequestTopic, TopicDef, TopicPattern } from '../protocol/topics.js';
import { CircuitBreaker } from './circuitBreaker.js';
import type { BreakerOptions, BreakerState } from './circuitBreaker.js';
import { retry } from './backoff.js';
import { ServiceMetrics } from './metrics.js';
import { createLogger } from './logger.js';
import type { Logger } from './logger.js';
import { BatchPublisher } from './batchPublisher.js';
import { HandledRequests } from './handledRequests.js';
import { join } from 'node:path';
import type { BatchOptions } from './batchPublisher.js';

export interface ConnectionOptions {
  url: string;
  username?: string;
  password?: string;
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
  /** MQTT client id; default alicia-<name> (fixed, so the persistent session survives restarts) */
  clientId?: string;
  logger?: Logger;
}

export interface PublishOptions {
  /** values for the `+` segments of the pattern, in order */
  params?: string[];
  trace_id?: string;
  correlation_id?: string;
  session_id?: string;
  deadline?: number;
  retain?: boolean;
  qos?: 0 | 1;
}

export interface RequestOptions {
  timeoutMs?: number;
  trace_id?: string;
  session_id?: string;
  /** retries after a TIMEOUT, with exponential backoff (default 0: requests are not assumed idempotent) */
  retries?: number;
}

export interface HandleOptions {
  /** shape the error body for this request topic (voice router: a full voice result); its fields win, `error` included */
  errorBody?: (error: ErrorInfo, raw: Record<string, unknown> | null) => Record<string, unknown>;
  /** requests older than this (by envelope ts) are dropped, e.g. queued while the service was down (default 30 s) */
  maxAgeMs?: number;
}

export interface HandlerContext {
  topic: string;
}

type Handler = (topic: string, payload: Buffer, packet: IPublishPacket) => void;

interface Pending {
  resolve: (msg: unknown) => void;
  reject: (err: unknown) => void;
  timer: NodeJS.Timeout;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 5_000;

/**
 * The seed's BusServiceWrapper, done properly. A service extends this, registers its handlers in
 * onStart(), and gets: a persistent MQTT session with a last will, typed and validated
 * publish/subscribe/request, coded error replies, heartbeat, discovery registration, circuit
 * breakers around downstream requests, batched publishing and metrics.
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
  private readonly handlers: { filter: string; fn: Handler }[] = [];
  private readonly subscribed = new Map<string, 0 | 1>();
  private readonly pending = new Map<string, Pending>();
  private readonly replySubscriptions = new Map<string, Promise<void>>();
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly recentRequestIds = new Set<string>();
  /** issue 7 (H9): PUBACKs of requests held until their handler returned, in arrival order (holdAck) */
  private readonly heldAcks: { messageId: number; ready: boolean; send: (() => void) | null }[] = [];
  private readonly heldPackets = new WeakSet<object>();
  /** messages that arrived before onStart() finished (replayed after it) */
  private early: [string, Buffer, IPublishPacket][] | null = [];
  private readonly started = deferred();
  /** answered request ids, persisted in the service's data dir (issue 7: no second answer after kill -9) */
  private handledIds = new HandledRequests(null);
  private readonly handles: string[] = [];
  private readonly emits = new Set<string>();
  private timers: NodeJS.Timeout[] = [];
  private batchers: BatchPublisher[] = [];
  private startedAt = 0;
  private seq = 0;
  private state: 'idle' | 'starting' | 'running' | 'stopping' | 'stopped' = 'idle';
  private stopPromise: Promise<void> | null = null;

  constructor(opts: BusServiceOptions) {
    this.opts = opts;
    this.name = opts.name;
    this.version = opts.version ?? '1.0.0';
    this.capabilities = opts.capabilities ?? [];
    this.log = opts.logger ?? createLogger(opts.name);
  }

  /** Override: acquire resources and register handlers. */
  protected onStart(): Promise<void> | void {}
  /** Override: release what onStart acquired. */
  protected onStop(): Promise<void> | void {}

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
    this.startedAt = Date.now();
    const conn = this.opts.connection ?? connectionFromEnv();
    const will = seal(this.heartbeatBody('offline'), { source: this.name });
    const options: IClientOptions = {
      clientId: this.opts.clientId ?? `alicia-${this.name}`,
      username: conn.username,
      password: conn.password,
      // Persistent session: QoS 1 requests sent while this service restarts are queued by the
      // broker and delivered when it is back (issue 7).
      clean: false,
      protocolVersion: 4, // Aedes speaks MQTT 3.1.1 only (PLATFORM.md)
      reconnectPeriod: 500,
      connectTimeout: 10_000,
      keepalive: 30,
      will: {
        topic: topicFor('alicia/health/heartbeat/+', this.name),
        payload: Buffer.from(JSON.stringify(will)),
        qos: 0,
        retain: false,
      },
    };
    const dataDir = process.env.ALICIA_DATA_DIR;
    if (dataDir) this.handledIds = new HandledRequests(join(dataDir, `.handled-requests-${this.name}`));
    const client = mqtt.connect(conn.url, options);
    // issue 7 (H9): MQTT.js PUBACKs a QoS 1 message as soon as it is read (handlers/publish.js). A
    // request acked before its handler answered is lost when the process is killed (kill -9 with
    // 1,000 commands in flight lost 112): the broker never redelivers an acked message. So the PUBACK
    // of a request is held until its handler has returned (holdAck); the persistent session
    // redelivers whatever was not acked. Only the PUBACK write is deferred, never MQTT.js's packet
    // loop: a handler awaiting its own QoS 1 publish or a reply must still be able to read it.
    const internals = client as unknown as {
      _sendPacket: (packet: { cmd: string; messageId?: number }, cb?: (err?: Error) => void, ...rest: unknown[]) => void;
    };
    const sendPacket = internals._sendPacket.bind(client);
    internals._sendPacket = (packet, cb, ...rest) => {
      if (packet.cmd === 'puback' && packet.messageId !== undefined) {
        const held = this.heldAcks.find((h) => h.messageId === packet.messageId && h.send === null);
        if (held) {
          held.send = () => sendPacket(packet, undefined, ...rest);
          cb?.();
          this.flushAcks();
          return;
        }
      }
      sendPacket(packet, cb, ...rest);
    };
    this.client = client;
    client.on('message', (topic, payload, packet) => this.dispatch(topic, payload, packet));
    // While stopping, a message arriving as the connection closes fails its ack write ("write after
    // end"): expected then, a warning only while running.
    client.on('error', (err) => (this.stopping ? this.log.debug : this.log.warn).call(this.log, 'mqtt error', { error: err.message }));
    client.on('connect', (connack) => {
      // Nagle + delayed ACK cost ~88 ms per QoS 1 round trip here; MQTT.js has no option (PLATFORM.md).
      (client.stream as Partial<Socket>).setNoDelay?.(true);
      if (this.state === 'running') {
        // reconnected: a new broker may have lost our session; subscribe and announce again
        if (!connack.sessionPresent) void this.resubscribeAll();
        this.register();
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
    this.register();
    this.sendHeartbeat();
    const hb = setInterval(() => this.sendHeartbeat(), this.heartbeatMs);
    const mt = setInterval(() => this.sendMetrics(), this.opts.metricsMs ?? envInt('ALICIA_METRICS_MS', 5_000));
    hb.unref();
    mt.unref();
    this.timers.push(hb, mt);
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
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    for (const b of this.batchers) await b.flush().catch(() => undefined);
    this.batchers = [];
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new AliciaError('NOT_CONNECTED', `${this.name} is stopping`));
      this.pending.delete(id);
    }
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
        await this.rawPublish(
          client,
          topicFor('alicia/health/heartbeat/+', this.name),
          JSON.stringify(seal(this.heartbeatBody('offline'), { source: this.name })),
          0,
          false,
        ).catch(() => undefined);
      }
      await client.endAsync(false).catch(() => client.end(true));
    }
    this.state = 'stopped';
    this.log.info('stopped');
  }

  // ---------------------------------------------------------------- publish

  /** Publish a typed message: the body is validated against the topic's schema and sealed in the envelope. */
  async publish<P extends TopicPattern>(pattern: P, body: BodyOf<P>, opts: PublishOptions = {}): Promise<void> {
    const def: TopicDef = TOPICS[pattern];
    const topic = topicFor(pattern, ...(opts.params ?? []));
    const msg = seal(body as object, {
      source: this.name,
      trace_id: opts.trace_id,
      correlation_id: opts.correlation_id,
      session_id: opts.session_id,
      deadline: opts.deadline,
    });
    const check = def.schema.safeParse(msg);
    if (!check.success) {
      // a bug in this service, not bad input: refuse to put an invalid message on the bus
      throw new AliciaError(
        'SCHEMA_INVALID',
        `${this.name} tried to publish an invalid ${pattern}: ${check.error.issues[0]?.message ?? ''}`,
      );
    }
    this.emits.add(pattern);
    await this.publishRaw(topic, JSON.stringify(msg), { qos: opts.qos ?? def.qos, retain: opts.retain ?? def.retain ?? false });
    this.metrics.countOut(pattern);
  }

  /** Publish bytes to any topic the ACL allows (foreign topics, e.g. Home Assistant command topics). */
  async publishRaw(topic: string, payload: string | Buffer, opts: { qos?: 0 | 1; retain?: boolean } = {}): Promise<void> {
    const client = this.client;
    if (!client || this.state === 'stopped') throw new AliciaError('NOT_CONNECTED', `${this.name} is not connected`);
    await this.rawPublish(client, topic, payload, opts.qos ?? 0, opts.retain ?? false);
  }

  private rawPublish(client: MqttClient, topic: string, payload: string | Buffer, qos: 0 | 1, retain: boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      client.publish(topic, payload, { qos, retain }, (err) => (err ? reject(new AliciaError('NOT_CONNECTED', err.message)) : resolve()));
    });
  }

  /** A publisher that sends queued messages together (one TCP write per batch), for high-rate events. */
  batcher(opts: BatchOptions = {}): BatchPublisher {
    const b = new BatchPublisher((items) => {
      const client = this.client;
      if (!client) return Promise.reject(new AliciaError('NOT_CONNECTED', 'not connected'));
      const stream = client.stream as Partial<Socket>;
      stream.cork?.();
      const all = Promise.all(items.map((i) => this.rawPublish(client, i.topic, i.payload, i.qos, i.retain)));
      // uncork on the next tick so every packet of the batch lands in one write
      process.nextTick(() => stream.uncork?.());
      return all.then(() => undefined);
    }, opts);
    this.batchers.push(b);
    return b;
  }

  /** Seal a typed message for a batcher. */
  sealFor<P extends TopicPattern>(
    pattern: P,
    body: BodyOf<P>,
    opts: PublishOptions = {},
  ): { topic: string; payload: string; qos: 0 | 1; retain: boolean } {
    const def: TopicDef = TOPICS[pattern];
    return {
      topic: topicFor(pattern, ...(opts.params ?? [])),
      payload: JSON.stringify(
        seal(body as object, {
          source: this.name,
          trace_id: opts.trace_id,
          correlation_id: opts.correlation_id,
          session_id: opts.session_id,
        }),
      ),
      qos: opts.qos ?? def.qos,
      retain: opts.retain ?? def.retain ?? false,
    };
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
    await this.addHandler(
      filter,
      (topic, payload) => {
        const pattern = patternOf(topic);
        if (!pattern) return;
        this.metrics.countIn(pattern);
        if (payload.length === 0) {
          opts.onClear?.(topic);
          return;
        }
        let msg: MessageOf<P>;
        try {
          msg = decode(pattern, payload) as MessageOf<P>;
        } catch (e) {
          this.metrics.countError(pattern);
          this.log.warn('dropped invalid message', { topic, ...toErrorInfo(e) });
          return;
        }
        this.runHandler(pattern, () => handler(msg, topic));
      },
      opts.qos ?? 1,
    );
  }

  /** Subscribe to foreign (non-Alicia) topics: raw bytes, the service validates them itself. */
  async subscribeRaw(
    filter: string,
    handler: (topic: string, payload: Buffer, packet: IPublishPacket) => void | Promise<void>,
    qos: 0 | 1 = 1,
  ): Promise<void> {
    await this.addHandler(
      filter,
      (topic, payload, packet) => {
        this.metrics.countIn(filter);
        this.runHandler(filter, () => handler(topic, payload, packet));
      },
      qos,
    );
  }

  async unsubscribeRaw(filter: string): Promise<void> {
    for (let i = this.handlers.length - 1; i >= 0; i--) if (this.handlers[i]?.filter === filter) this.handlers.splice(i, 1);
    if (this.subscribed.delete(filter) && this.client) await this.client.unsubscribeAsync(filter).catch(() => undefined);
  }

  private runHandler(pattern: string, fn: () => void | Promise<void>): void {
    const t0 = performance.now();
    const done = () => this.metrics.latency.add(performance.now() - t0);
    try {
      const r = fn();
      if (r && typeof (r as Promise<void>).then === 'function') {
        (r as Promise<void>).then(done, (e: unknown) => {
          done();
          this.metrics.countError(pattern);
          this.log.error('handler failed', { pattern, ...toErrorInfo(e) });
        });
      } else done();
    } catch (e) {
      done();
      this.metrics.countError(pattern);
      this.log.error('handler failed', { pattern, ...toErrorInfo(e) });
    }
  }

  private async addHandler(filter: string, fn: Handler, qos: 0 | 1): Promise<void> {
    this.handlers.push({ filter, fn });
    const have = this.subscribed.get(filter);
    if (have !== undefined && have >= qos) return;
    this.subscribed.set(filter, qos);
    if (this.client) await this.subscribeOnBroker(this.client, filter, qos);
  }

  private async subscribeOnBroker(client: MqttClient, filter: string, qos: 0 | 1): Promise<void> {
    // MQTT 3.1.1 section 3.9.3: 0x80 in the SUBACK = refused (here: the broker's ACL). MQTT.js 5
    // rejects subscribeAsync for it ("Unspecified error"); older versions resolve with qos 128.
    const granted = await client.subscribeAsync(filter, { qos }).catch((e: unknown) => {
      throw new AliciaError('INTERNAL', `${this.name}: subscription to ${filter} refused by the broker (ACL): ${(e as Error).message}`);
    });
    if (granted.some((g) => g.qos === 128)) {
      throw new AliciaError('INTERNAL', `${this.name}: subscription to ${filter} refused by the broker (ACL)`);
    }
  }

  private async resubscribeAll(): Promise<void> {
    const client = this.client;
    if (!client) return;
    for (const [filter, qos] of this.subscribed) {
      await this.subscribeOnBroker(client, filter, qos).catch((e: unknown) =>
        this.log.error('resubscribe failed', { filter, ...toErrorInfo(e) }),
      );
    }
  }

  private dispatch(topic: string, payload: Buffer, packet: IPublishPacket): void {
    if (this.early) {
      // issue 7 (H9): a persistent session delivers what was queued for us right after CONNECT,
      // before onStart() registered the handlers: keep it and replay it once they exist.
      this.early.push([topic, payload, packet]);
      this.holdAck(packet, this.started.promise);
      return;
    }
    for (const h of this.handlers) {
      if (topicMatches(h.filter, topic)) h.fn(topic, payload, packet);
    }
  }

  // ---------------------------------------------------------------- request / response

  /**
   * Answer requests on a request topic. The handler returns the reply body; the runtime validates
   * the request, echoes correlation/trace/session ids, and turns any failure into a coded error on
   * the topic's error topic. A handler never throws across the bus.
   */
  async handle<P extends RequestTopic>(
    pattern: P,
    handler: (msg: MessageOf<P>, ctx: HandlerContext) => Promise<BodyOf<ReplyTopicOf<P>>> | BodyOf<ReplyTopicOf<P>>,
    opts: HandleOptions = {},
  ): Promise<void> {
    const def: TopicDef = TOPICS[pattern];
    const replyPattern = def.reply as TopicPattern;
    const errorPattern = def.error as TopicPattern;
    const maxAge = opts.maxAgeMs ?? 30_000;
    this.handles.push(pattern);
    await this.addHandler(
      pattern,
      (topic, payload, packet) => {
        this.metrics.countIn(pattern);
        const t0 = performance.now();
        let raw: Record<string, unknown> | null = null;
        try {
          raw = parseJson(payload);
        } catch {
          raw = null;
        }
        const ids = raw ? pick(raw) : peekEnvelope(payload);
        const fail = (e: unknown) => {
          this.metrics.countError(pattern);
          const info = toErrorInfo(e);
          if (info.code === 'INTERNAL') this.log.error('handler failed', { pattern, error: info.message });
          // errorBody comes last so a service may also restate the error (voice router: VOICE_BAD_REQUEST)
          const body = { ok: false, error: info, request_topic: topic, ...(opts.errorBody ? opts.errorBody(info, raw) : {}) };
          return this.sendReply(errorPattern, body, ids).catch((err: unknown) =>
            this.log.warn('could not send error reply', { pattern, ...toErrorInfo(err) }),
          );
        };
        let msg: MessageOf<P>;
        try {
          msg = decode(pattern, payload) as MessageOf<P>;
        } catch (e) {
          void fail(e); // writes the error reply synchronously, before the PUBACK
          return;
        }
        // QoS 1 is at-least-once: a redelivered request must not act twice.
        if (this.recentRequestIds.has(msg.id) || this.handledIds.has(msg.id)) return;
        this.rememberRequest(msg.id);
        if (msg.deadline !== undefined && Date.now() > msg.deadline) {
          // the requester has already answered itself with a TIMEOUT: acting now would surprise the user
          this.log.warn('dropped expired request', { pattern, late_ms: Date.now() - msg.deadline });
          return;
        }
        // An explicit deadline says how long the requester waits; only requests without one fall back
        // to the age limit (issue 7: a command queued while its service restarts is still wanted).
        if (msg.deadline === undefined && maxAge > 0 && Date.now() - msg.ts > maxAge) {
          this.log.warn('dropped stale request', { pattern, age_ms: Date.now() - msg.ts });
          return;
        }
        const replyIds = { correlation_id: msg.correlation_id ?? msg.id, trace_id: msg.trace_id, session_id: msg.session_id };
        const handled = Promise.resolve().then(() => handler(msg, { topic }));
        // the id is remembered right after the reply is written (sendReply writes synchronously), and
        // put on file once that write has left the process (persistAfterFlush)
        const answered = (sent: Promise<unknown>) => {
          this.handledIds.remember(msg.id);
          this.persistAfterFlush(msg.id);
          return sent;
        };
        handled
          .then(
            (body) => answered(this.sendReply(replyPattern, body as object, replyIds)),
            (e: unknown) => answered(fail(e)),
          )
          .catch((e: unknown) => {
            // the reply itself was invalid (a bug): still answer with a coded error
            void fail(e);
          })
          .finally(() => this.metrics.latency.add(performance.now() - t0));
        // The reply chain above reacts to `handled` first, so its PUBLISH is written before this PUBACK.
        this.holdAck(packet, handled);
      },
      1,
    );
  }

  /**
   * Put an answered request id on file once everything written so far has left the process. Under
   * load the socket's own buffer holds writes (the reply, then the request's PUBACK behind it); a
   * kill -9 then loses both, the broker redelivers the request, and an id already on file would
   * drop it unanswered (seen: 12 of 1,000 in the kill -9 test on a busy machine). A kernel socket
   * buffer is sent even after the process dies, so once the reply is out it reaches the broker.
   * A zero-length write's callback runs when every write before it has been handed to the kernel
   * (Writable keeps order); on a stream that dies first it never runs and the request comes back.
   */
  private persistAfterFlush(id: string): void {
    const s = this.client?.stream as Partial<Socket> | undefined;
    if (!s?.write || !s.writableLength) {
      this.handledIds.persist(id);
      return;
    }
    s.write(EMPTY, (err) => {
      if (!err) this.handledIds.persist(id);
    });
  }

  /**
   * Hold the PUBACK of a request until `handled` settles (its reply PUBLISH is written before), at
   * most ACK_HOLD_MAX_MS (a stuck handler must not keep the message in flight forever). PUBACKs
   * leave in arrival order (MQTT-4.6.0-2).
   */
  private holdAck(packet: IPublishPacket, handled: Promise<unknown>): void {
    if (packet.qos !== 1 || packet.messageId === undefined || this.heldPackets.has(packet)) return;
    this.heldPackets.add(packet);
    const entry = { messageId: packet.messageId, ready: false, send: null as (() => void) | null };
    this.heldAcks.push(entry);
    const timer = setTimeout(() => {
      entry.ready = true;
      this.flushAcks();
    }, ACK_HOLD_MAX_MS);
    timer.unref();
    void handled
      .then(
        () => undefined,
        () => undefined,
      )
      .then(() => {
        clearTimeout(timer);
        entry.ready = true;
        this.flushAcks();
      });
  }

  private flushAcks(): void {
    while (this.heldAcks.length > 0) {
      const head = this.heldAcks[0]!;
      if (!head.ready || !head.send) return;
      this.heldAcks.shift();
      head.send();
    }
  }

  private rememberRequest(id: string): void {
    this.recentRequestIds.add(id);
    if (this.recentRequestIds.size > 10_000) {
      const first = this.recentRequestIds.values().next().value;
      if (first !== undefined) this.recentRequestIds.delete(first);
    }
  }

  private async sendReply(
    pattern: TopicPattern,
    body: object,
    ids: { correlation_id?: string; trace_id?: string; session_id?: string },
  ): Promise<void> {
    const def: TopicDef = TOPICS[pattern];
    const msg = seal(body, { source: this.name, ...ids });
    const check = def.schema.safeParse(msg);
    if (!check.success) {
      throw new AliciaError(
        'INTERNAL',
        `${this.name} produced an invalid ${pattern}: ${check.error.issues[0]?.path.join('.')} ${check.error.issues[0]?.message ?? ''}`,
      );
    }
    this.emits.add(pattern);
    await this.publishRaw(pattern, JSON.stringify(msg), { qos: def.qos, retain: false });
    this.metrics.countOut(pattern);
  }

  /** The circuit breaker guarding one downstream request topic. */
  breaker(pattern: string): CircuitBreaker {
    let b = this.breakers.get(pattern);
    if (!b) {
      b = new CircuitBreaker(pattern, {
        // only infrastructure failures open the circuit; a coded answer means the downstream is alive
        isFailure: (e) => e instanceof AliciaError && (e.code === 'TIMEOUT' || e.code === 'NOT_CONNECTED'),
        ...this.opts.breaker,
        onStateChange: (s: BreakerState) => this.log.warn('circuit breaker', { downstream: pattern, state: s }),
      });
      this.breakers.set(pattern, b);
    }
    return b;
  }

  /**
   * Send a request and await its correlated reply. Rejects with AliciaError: TIMEOUT,
   * CIRCUIT_OPEN (the downstream failed repeatedly), NOT_CONNECTED, or the downstream's own code.
   */
  async request<P extends RequestTopic>(pattern: P, body: BodyOf<P>, opts: RequestOptions = {}): Promise<MessageOf<ReplyTopicOf<P>>> {
    const def: TopicDef = TOPICS[pattern];
    const replyPattern = def.reply as TopicPattern;
    const errorPattern = def.error as TopicPattern;
    await this.ensureReplySubscription(replyPattern);
    if (errorPattern !== replyPattern) await this.ensureReplySubscription(errorPattern);
    const timeoutMs = opts.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const trace_id = opts.trace_id ?? newId();
    const once = () =>
      this.breaker(pattern).exec(
        () =>
          new Promise<MessageOf<ReplyTopicOf<P>>>((resolve, reject) => {
            const correlation_id = newId();
            const timer = setTimeout(() => {
              this.pending.delete(correlation_id);
              reject(new AliciaError('TIMEOUT', `no answer on ${replyPattern} within ${timeoutMs} ms`));
            }, timeoutMs);
            this.pending.set(correlation_id, { resolve: resolve as (m: unknown) => void, reject, timer });
            const deadline = Date.now() + timeoutMs;
            this.publish(pattern, body, { correlation_id, trace_id, session_id: opts.session_id, deadline }).catch((e: unknown) => {
              clearTimeout(timer);
              this.pending.delete(correlation_id);
              reject(e);
            });
          }),
      );
    if (!opts.retries) return once();
    return retry(() => once(), {
      retries: opts.retries,
      shouldRetry: (e) => e instanceof AliciaError && e.code === 'TIMEOUT',
      initialMs: 100,
      maxMs: 2_000,
    });
  }

  private ensureReplySubscription(pattern: TopicPattern): Promise<void> {
    let p = this.replySubscriptions.get(pattern);
    if (!p) {
      p = this.addHandler(
        pattern,
        (topic, payload) => {
          const ids = peekEnvelope(payload);
          const pending = ids.correlation_id ? this.pending.get(ids.correlation_id) : undefined;
          if (!pending || !ids.correlation_id) return; // someone else's reply
          this.pending.delete(ids.correlation_id);
          clearTimeout(pending.timer);
          this.metrics.countIn(pattern);
          let msg: Envelope & Record<string, unknown>;
          try {
            msg = decode(pattern, payload) as Envelope & Record<string, unknown>;
          } catch (e) {
            // an error reply may not match the reply schema of shared reply/error topics
            const raw = safeParse(payload);
            if (raw && raw.ok === false && isErrorInfo(raw.error)) {
              pending.reject(new AliciaError(raw.error.code as never, raw.error.message, raw.error.details));
              return;
            }
            this.metrics.countError(pattern);
            pending.reject(e);
            return;
          }
          if (msg.ok === false && isErrorInfo(msg.error)) {
            pending.reject(Object.assign(new AliciaError(msg.error.code as never, msg.error.message, msg.error.details), { reply: msg }));
          } else pending.resolve(msg);
        },
        1,
      );
      this.replySubscriptions.set(pattern, p);
    }
    return p;
  }

  // ---------------------------------------------------------------- health, discovery, metrics

  private heartbeatBody(status: 'ok' | 'degraded' | 'offline') {
    return {
      service: this.name,
      pid: process.pid,
      seq: this.seq,
      uptime_ms: this.startedAt ? Date.now() - this.startedAt : 0,
      status,
      interval_ms: this.heartbeatMs,
      rss: process.memoryUsage.rss(),
    };
  }

  /** Override to report degraded (e.g. an engine missing). */
  protected healthStatus(): 'ok' | 'degraded' {
    return 'ok';
  }

  private sendHeartbeat(): void {
    this.seq++;
    this.publish('alicia/health/heartbeat/+', this.heartbeatBody(this.healthStatus()), { params: [this.name] }).catch((e: unknown) =>
      this.log.warn('heartbeat not sent', toErrorInfo(e) as unknown as Record<string, unknown>),
    );
    this.publish('alicia/system/discovery/heartbeat', { service: this.name, seq: this.seq }).catch(() => undefined);
  }

  private register(): void {
    this.publish('alicia/system/discovery/register', {
      service: this.name,
      version: this.version,
      pid: process.pid,
      capabilities: this.capabilities,
      handles: this.handles,
      emits: [...this.emits],
      heartbeat_ms: this.heartbeatMs,
    }).catch((e: unknown) => this.log.warn('registration not sent', toErrorInfo(e) as unknown as Record<string, unknown>));
  }

  private sendMetrics(): void {
    const breakers: Record<string, BreakerState> = {};
    for (const [k, b] of this.breakers) breakers[k] = b.state;
    this.publish('alicia/health/status/+', { service: this.name, ...this.metrics.snapshot(), breakers }, { params: [this.name] }).catch(
      () => undefined,
    );
  }
}

/** Longest a request's PUBACK waits for its handler (holdAck); a slower handler is acked anyway. */
/** written after a reply to learn when it has left the process (persistAfterFlush) */
const EMPTY = Buffer.alloc(0);
const ACK_HOLD_MAX_MS = 30_000;

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

function pick(raw: Record<string, unknown>): { correlation_id?: string; trace_id?: string; session_id?: string } {
  // Echo only ids a receiver can accept (envelope: 1..128 chars). The fuzzer (e2e/system/reliability)
  // found a 2 MB correlation_id echoed into the error reply: an invalid, amplified answer.
  const s = (k: string) => {
    const v = raw[k];
    return typeof v === 'string' && v.length >= 1 && v.length <= 128 ? v : undefined;
  };
  return { correlation_id: s('correlation_id') ?? s('id'), trace_id: s('trace_id'), session_id: s('session_id') };
}

function safeParse(payload: Buffer): Record<string, unknown> | null {
  try {
    return parseJson(payload);
  } catch {
    return null;
  }
}

function isErrorInfo(e: unknown): e is ErrorInfo {
  return typeof e === 'object' && e !== null && typeof (e as ErrorInfo).code === 'string' && typeof (e as ErrorInfo).message === 'string';
}

function envInt(name: string, dflt: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0)
    throw new AliciaError('CONFIG_INVALID', `${name} must be a positive integer, got ${JSON.stringify(v)}`);
  return n;
}

export function connectionFromEnv(env: NodeJS.ProcessEnv = process.env): ConnectionOptions {
  const url = env.ALICIA_MQTT_URL ?? 'mqtt://127.0.0.1:1883';
  if (!/^(mqtts?|wss?|tcp):\/\//.test(url))
    throw new AliciaError('CONFIG_INVALID', `ALICIA_MQTT_URL must be an mqtt:// or ws:// URL, got ${JSON.stringify(url)}`);
  return { url, username: env.ALICIA_MQTT_USERNAME, password: env.ALICIA_MQTT_PASSWORD };
}

/** This service's config section, passed by the supervisor as JSON in ALICIA_SERVICE_CONFIG. */
export function serviceConfigFromEnv(env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  const raw = env.ALICIA_SERVICE_CONFIG;
  if (!raw) return {};
  try {
    const v: unknown = JSON.parse(raw);
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    /* fall through */
  }
  throw new AliciaError('CONFIG_INVALID', 'ALICIA_SERVICE_CONFIG must be a JSON object');
}

/**
 * Entry point of a service process (services/<name>/main.ts): start, and stop cleanly on SIGTERM,
 * SIGINT, a {type:'stop'} message from the supervisor (child_process IPC or Electron's parentPort),
 * or the parent going away. A crash exits non-zero so the supervisor restarts it.
 */
export function runService(factory: () => BusService): void {
  let svc: BusService;
  try {
    svc = factory();
  } catch (e) {
    process.stderr.write(JSON.stringify({ level: 'error', msg: 'service could not be created', ...toErrorInfo(e) }) + '\n');
    process.exit(78); // EX_CONFIG: the supervisor treats it like any crash
  }
  let stopping = false;
  const shutdown = (why: string) => {
    if (stopping) return;
    stopping = true;
    svc.log.info('stopping', { why });
    const force = setTimeout(() => process.exit(0), 4_000);
    force.unref();
    svc.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('message', (m: unknown) => {
    if ((m as { type?: string } | null)?.type === 'stop') shutdown('stop message');
  });
  // child_process IPC channel closed = the host died: do not linger as an orphan
  process.on('disconnect', () => shutdown('parent disconnected'));
  const parentPort = (process as unknown as { parentPort?: { on(ev: 'message', cb: (e: { data: unknown }) => void): void } }).parentPort;
  parentPort?.on('message', (e) => {
    if ((e.data as { type?: string } | null)?.type === 'stop') shutdown('stop message');
  });
  process.on('uncaughtException', (e) => {
    svc.log.error('uncaught exception', { error: e.message, stack: e.stack });
    process.exit(1);
  });
  process.on('unhandledRejection', (e) => {
    svc.log.error('unhandled rejection', toErrorInfo(e) as unknown as Record<string, unknown>);
  });
  svc.start().catch((e: unknown) => {
    svc.log.error('start failed', toErrorInfo(e) as unknown as Record<string, unknown>);
    process.exit(1);
  });
}
