import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { z } from 'zod';
import type { bridgeCountersSchema, bridgeStateSchema } from '../../../services/lib/protocol/bridge.js';
import { seal } from '../../../services/lib/protocol/envelope.js';
import { AliciaError } from '../../../services/lib/protocol/errors.js';
import { topicFor } from '../../../services/lib/protocol/topics.js';
import { backoffDelay } from '../../../services/lib/runtime/backoff.js';
import type { Logger } from '../../../services/lib/runtime/logger.js';
import { canPublish } from '../broker/acl.js';
import type { Credential } from '../broker/types.js';
import { BridgeRoutes, type Route } from './bridgeRoutes.js';
import type { BridgeSettings } from './bridgeSettings.js';
import { LoopGuard } from './loopGuard.js';

type BridgeState = z.input<typeof bridgeStateSchema>;
type Counters = z.input<typeof bridgeCountersSchema>;

export interface BridgeOptions {
  settings: BridgeSettings;
  /** Alicia's broker over TCP (mqtt://127.0.0.1:PORT) */
  localUrl: string;
  /** the `bridge` principal's credential, asked at every connection (a rotated password is picked up) */
  localCredential: () => Credential;
  log: Logger;
  /** how often moving counters are published (the state itself goes out on every change); default 5 s */
  stateIntervalMs?: number;
  /** default a LoopGuard with its defaults; a test passes one that sees no echo to show the loop it prevents */
  guard?: LoopGuard;
}

/** Topics remembered as retained upstream (their updates stay retained here), at most this many. */
const RETAINED_TOPICS_MAX = 10_000;

/**
 * One bridge between Alicia's broker and the user's own (config broker.bridges[i]): messages on the
 * `in` filters upstream are published on Alicia's broker, messages on the `out` filters here are
 * published upstream (bridgeRoutes.ts says which filters, loopGuard.ts keeps a message from coming
 * back). On Alicia's broker it is the `bridge` principal (BRIDGE_ACL); upstream, whatever the
 * configured credential allows.
 *
 * The upstream connection is retried with backoff (backoffDelay, reconnect.initial_ms..max_ms) for
 * as long as the host runs: a broker that is down at start or restarts later is not an error of the
 * host, and the state on alicia/system/bridge/<name> says what is going on. While upstream is down,
 * messages going out are dropped and counted (`failed`), never delivered late: a light must not
 * switch minutes after the command was given up on.
 */
export class Bridge {
  readonly name: string;
  private readonly routes: BridgeRoutes;
  private readonly guard: LoopGuard;
  private readonly counters: Counters = { bridged_in: 0, bridged_out: 0, loops_dropped: 0, failed: 0, reconnects: 0 };
  private readonly retainedUpstream = new Set<string>();
  private local: MqttClient | null = null;
  private upstream: MqttClient | null = null;
  private state: BridgeState['state'] = 'connecting';
  private since = Date.now();
  private lastError: string | undefined;
  private retryInMs: number | undefined;
  private attempt = 0;
  private everConnected = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private stateTimer: NodeJS.Timeout | null = null;
  private publishedCounters = '';
  /** each side's messages are handled one after the other, in order (a config's subscriptions before the config) */
  private fromUpstream: Promise<void> = Promise.resolve();
  private fromLocal: Promise<void> = Promise.resolve();
  private started = false;
  private stopping: Promise<void> | null = null;

  constructor(private readonly opts: BridgeOptions) {
    this.name = opts.settings.name;
    this.routes = new BridgeRoutes(opts.settings);
    this.guard = opts.guard ?? new LoopGuard();
  }

  /** Connects to Alicia's broker (must succeed) and starts connecting upstream (retried until stop). */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const upstreamOptions = this.upstreamOptions();
    this.local = await this.connectLocal();
    if (this.stopping) {
      // stopped while connecting: doStop saw no connection to close
      await this.local.endAsync(true).catch(() => undefined);
      this.local = null;
      return;
    }
    this.publishState();
    this.stateTimer = setInterval(() => this.publishCountersIfMoved(), this.opts.stateIntervalMs ?? 5000);
    this.stateTimer.unref();
    const up = mqtt.connect(this.opts.settings.url, upstreamOptions);
    this.upstream = up;
    up.on('connect', () => this.onUpstreamConnect(up));
    up.on('error', (e) => {
      this.lastError = e.message;
    });
    up.on('close', () => this.onUpstreamClose());
    up.on('message', (topic, payload, packet) => {
      this.fromUpstream = this.fromUpstream
        .then(() => this.carryIn(topic, payload, packet.qos, packet.retain))
        .catch((e: unknown) => this.onCarryError('in', topic, e));
    });
  }

  /** Publishes `stopped`, then closes both connections. Twice is fine. */
  stop(): Promise<void> {
    return (this.stopping ??= this.doStop());
  }

  private async doStop(): Promise<void> {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.stateTimer) clearInterval(this.stateTimer);
    this.retryTimer = null;
    this.stateTimer = null;
    const up = this.upstream;
    this.upstream = null;
    if (up) await up.endAsync(true).catch(() => undefined);
    const local = this.local;
    if (local) {
      this.setState('stopped');
      await local.endAsync().catch(() => undefined);
    }
    this.local = null;
  }

  // --- Alicia's broker ----------------------------------------------------------------------

  private connectLocal(): Promise<MqttClient> {
    const cred = this.opts.localCredential();
    const c = mqtt.connect(this.opts.localUrl, {
      clientId: `alicia-bridge-${this.name}`,
      username: cred.username,
      password: cred.password,
      protocolVersion: 4,
      clean: true,
      reconnectPeriod: 1000,
    });
    c.on('connect', () => {
      (c.stream as Partial<Socket>).setNoDelay?.(true); // Nagle + delayed ACK cost ~88 ms per QoS 1 round trip
      void this.subscribe(c, this.routes.outFilters(), 'out');
      if (this.local === c) this.publishState();
    });
    c.on('reconnect', () => {
      const fresh = this.opts.localCredential();
      c.options.username = fresh.username;
      c.options.password = fresh.password;
    });
    c.on('message', (topic, payload, packet) => {
      this.fromLocal = this.fromLocal
        .then(() => this.carryOut(topic, payload, packet.qos, packet.retain))
        .catch((e: unknown) => this.onCarryError('out', topic, e));
    });
    return new Promise((resolve, reject) => {
      const fail = (e: Error) => {
        c.removeListener('connect', ok);
        void c.endAsync(true);
        reject(new AliciaError('NOT_CONNECTED', `bridge ${this.name}: cannot connect to Alicia's broker: ${e.message}`));
      };
      const ok = () => {
        c.removeListener('error', fail);
        resolve(c);
      };
      c.once('connect', ok);
      c.once('error', fail);
    });
  }

  /** Out: a message on one of the out filters here goes upstream. */
  private carryOut(topic: string, payload: Buffer, qos: number, retain: boolean): void {
    if (this.guard.isEcho('local', topic, payload, retain)) {
      this.counters.loops_dropped++;
      return;
    }
    const up = this.upstream;
    if (!up?.connected) {
      this.counters.failed++;
      return;
    }
    this.guard.published('upstream', topic, payload, retain, this.routes.holdsIn(topic));
    up.publish(topic, payload, { qos: qos ? 1 : 0, retain }, (e) => this.counted('out', topic, e));
  }

  // --- the upstream broker ------------------------------------------------------------------

  /** Credential and TLS of the upstream connection; files unreadable now are CONFIG_INVALID (startup fails naming them). */
  private upstreamOptions(): IClientOptions {
    const s = this.opts.settings;
    const file = (key: string, path: string) => {
      try {
        return readFileSync(path);
      } catch (e) {
        throw new AliciaError(
          'CONFIG_INVALID',
          `broker.bridges "${s.name}": cannot read ${key} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        );
      }
    };
    const password =
      s.password_file !== undefined ? (file('password_file', s.password_file).toString('utf8').split(/\r?\n/)[0] ?? '') : s.password;
    return {
      clientId: s.client_id ?? `alicia-bridge-${s.name}`,
      protocolVersion: 4,
      clean: true,
      reconnectPeriod: 0, // reconnects are ours, with backoff (onUpstreamClose)
      connectTimeout: 10_000,
      keepalive: 30,
      ...(s.username !== undefined ? { username: s.username } : {}),
      ...(password !== undefined ? { password } : {}),
      ...(s.tls?.ca_file ? { ca: file('tls.ca_file', s.tls.ca_file) } : {}),
      ...(s.tls?.cert_file ? { cert: file('tls.cert_file', s.tls.cert_file) } : {}),
      ...(s.tls?.key_file ? { key: file('tls.key_file', s.tls.key_file) } : {}),
      rejectUnauthorized: s.tls?.reject_unauthorized ?? true,
    };
  }

  private onUpstreamConnect(up: MqttClient): void {
    if (this.upstream !== up) return;
    (up.stream as Partial<Socket>).setNoDelay?.(true);
    if (this.everConnected) this.counters.reconnects++;
    this.everConnected = true;
    this.attempt = 0;
    this.lastError = undefined;
    this.retryInMs = undefined;
    this.opts.log.info('bridge connected upstream', { bridge: this.name, url: this.safeUrl() });
    this.setState('connected');
    // clean session: every connection subscribes again, and the broker sends what it retains
    void this.subscribe(up, this.routes.inFilters(), 'in');
  }

  private onUpstreamClose(): void {
    const up = this.upstream;
    if (!up || this.stopping || this.retryTimer) return;
    const delay = backoffDelay(this.attempt++, {
      initialMs: this.opts.settings.reconnect.initial_ms,
      maxMs: this.opts.settings.reconnect.max_ms,
    });
    this.retryInMs = delay;
    if (this.state === 'connected')
      this.opts.log.warn('bridge lost its upstream broker', { bridge: this.name, error: this.lastError, retry_in_ms: delay });
    this.setState(this.everConnected ? 'reconnecting' : 'connecting');
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.upstream !== up || this.stopping) return;
      // a password file may have changed since (a rotated credential)
      try {
        const o = this.upstreamOptions();
        up.options.password = o.password;
      } catch (e) {
        this.lastError = (e as Error).message;
      }
      up.reconnect();
    }, delay);
    this.retryTimer.unref();
  }

  /** In: a message on one of the in filters upstream comes here. Discovery configs first move the followed filters. */
  private async carryIn(topic: string, payload: Buffer, qos: number, retain: boolean): Promise<void> {
    if (this.guard.isEcho('upstream', topic, payload, retain)) {
      this.counters.loops_dropped++;
      return;
    }
    const config = this.routes.isDiscoveryConfig(topic);
    if (config) await this.follow(topic, payload);
    // the ACL would disconnect the bridge for it (3.1.1 has no negative PUBACK): alicia/ topics stay upstream
    if (!canPublish('bridge', topic)) {
      this.counters.failed++;
      return;
    }
    // A live delivery has its retain flag cleared [MQTT-3.3.1-9]: a topic upstream retains (seen
    // retained once) or a discovery config (retained by HA convention) stays retained here, so a
    // service starting later reads its last value, and an empty payload clears it here too.
    if (retain && this.retainedUpstream.size < RETAINED_TOPICS_MAX) this.retainedUpstream.add(topic);
    const keep = retain || config || this.retainedUpstream.has(topic);
    const local = this.local;
    if (!local?.connected) {
      this.counters.failed++;
      return;
    }
    this.guard.published('local', topic, payload, keep, this.routes.holdsOut(topic));
    // not awaited: MQTT.js keeps the order, and waiting for each PUBACK would cap the bridge at one round trip per message
    local.publish(topic, payload, { qos: qos ? 1 : 0, retain: keep }, (e) => this.counted('in', topic, e));
  }

  /** Subscribe to what a (new, changed, removed) discovery config names; unsubscribe what it no longer does. */
  private async follow(configTopic: string, payload: Buffer): Promise<void> {
    const change = this.routes.followConfig(configTopic, payload);
    const local = this.local;
    const up = this.upstream;
    // out first: the command topic is held before the device manager can adopt the device and use it
    if (local && change.out.add.length) await this.subscribe(local, change.out.add, 'out');
    if (local && change.out.remove.length) await local.unsubscribeAsync(change.out.remove).catch(() => undefined);
    if (up?.connected && change.in.add.length) await this.subscribe(up, change.in.add, 'in');
    if (up?.connected && change.in.remove.length) await up.unsubscribeAsync(change.in.remove).catch(() => undefined);
    if (change.in.add.length || change.in.remove.length || change.out.add.length || change.out.remove.length) {
      this.opts.log.info('bridge follows discovery config', {
        bridge: this.name,
        config: configTopic,
        in: change.in.add.map((r) => r.filter),
        out: change.out.add.map((r) => r.filter),
        dropped: [...change.in.remove, ...change.out.remove],
      });
      this.publishState();
    }
  }

  private async subscribe(c: MqttClient, routes: Route[], direction: 'in' | 'out'): Promise<void> {
    if (routes.length === 0) return;
    try {
      const granted = await c.subscribeAsync(Object.fromEntries(routes.map((r) => [r.filter, { qos: r.qos }])));
      const refused = granted.filter((g) => g.qos === 128).map((g) => g.topic);
      if (refused.length) {
        this.lastError = `${direction === 'in' ? 'the upstream broker' : "Alicia's broker"} refused the subscription to ${refused.join(', ')}`;
        this.opts.log.warn('bridge subscription refused', { bridge: this.name, direction, filters: refused });
        this.publishState();
      }
    } catch (e) {
      // the connection went: its next connect subscribes everything again
      this.opts.log.debug('bridge subscribe failed', { bridge: this.name, direction, error: (e as Error).message });
    }
  }

  /** A carried message was acknowledged by the other side (QoS 1) or written (QoS 0), or failed. */
  private counted(direction: 'in' | 'out', topic: string, e: Error | undefined): void {
    if (e) this.onCarryError(direction, topic, e);
    else if (direction === 'in') this.counters.bridged_in++;
    else this.counters.bridged_out++;
  }

  private onCarryError(direction: 'in' | 'out', topic: string, e: unknown): void {
    this.counters.failed++;
    this.opts.log.debug('bridge could not carry a message', { bridge: this.name, direction, topic, error: (e as Error).message });
  }

  // --- state on the bus ---------------------------------------------------------------------

  private setState(state: BridgeState['state']): void {
    if (state !== this.state) {
      this.state = state;
      this.since = Date.now();
    }
    this.publishState();
  }

  private publishCountersIfMoved(): void {
    if (JSON.stringify(this.counters) !== this.publishedCounters) this.publishState();
  }

  private publishState(): void {
    const local = this.local;
    if (!local) return;
    const body: BridgeState = {
      name: this.name,
      url: this.safeUrl(),
      state: this.state,
      since: this.since,
      ...(this.lastError !== undefined ? { last_error: this.lastError } : {}),
      ...(this.state === 'reconnecting' || this.state === 'connecting'
        ? this.retryInMs !== undefined
          ? { retry_in_ms: this.retryInMs }
          : {}
        : {}),
      counters: { ...this.counters },
      filters: { in: this.routes.inFilters().map((r) => r.filter), out: this.routes.outFilters().map((r) => r.filter) },
    };
    this.publishedCounters = JSON.stringify(this.counters);
    const msg = seal(body, { source: 'bridge' });
    local.publish(topicFor('alicia/system/bridge/+', this.name), JSON.stringify(msg), { qos: 1, retain: true }, (e) => {
      if (e) this.opts.log.debug('bridge state not published', { bridge: this.name, error: e.message });
    });
  }

  /** The URL as configured, which never holds a credential (bridgeSettings.ts refuses one). */
  private safeUrl(): string {
    return this.opts.settings.url;
  }

  /** For tests and the host: the counters now. */
  get stats(): Readonly<Counters> & { state: BridgeState['state'] } {
    return { ...this.counters, state: this.state };
  }
}
