import { isHostInstance } from '../lib/protocol/nodes.js';
import { z } from 'zod';
import { AliciaError, toErrorInfo } from '../lib/protocol/errors.js';
import { lastSegment } from '../lib/protocol/topics.js';
import { BusService } from '../lib/runtime/busService.js';
import { serviceConfigFromEnv } from '../lib/runtime/serviceProcess.js';
import type { ConnectionOptions } from '../lib/runtime/busService.js';
import { ServiceRegistry } from './serviceRegistry.js';
import type { RegistryEvent } from './serviceRegistry.js';

/** discovery section of the service config (ALICIA_SERVICE_CONFIG). */
export const discoveryConfigSchema = z.looseObject({
  /** a service expires after this many heartbeat intervals without a heartbeat */
  expiry_intervals: z.number().int().min(1).max(100).default(3),
  default_heartbeat_ms: z.number().int().positive().default(5_000),
  /** how often expiry is checked */
  check_ms: z.number().int().min(20).max(60_000).default(1_000),
  /** the retained snapshot is refreshed this often (last_seen values) */
  snapshot_interval_ms: z.number().int().min(100).max(3_600_000).default(30_000),
});
export type DiscoveryConfig = z.infer<typeof discoveryConfigSchema>;

export interface DiscoveryOptions {
  connection?: ConnectionOptions;
  config?: Record<string, unknown>;
  now?: () => number;
  heartbeatMs?: number;
  clientId?: string;
}

/**
 * Service discovery: who is running, with which version and capabilities. Every change is published
 * retained on alicia/system/discovery/update with the whole registry, so a late subscriber (the
 * window) gets the current picture from the one retained message.
 */
export class DiscoveryService extends BusService {
  readonly config: DiscoveryConfig;
  private readonly registry: ServiceRegistry;
  private discoveryTimers: NodeJS.Timeout[] = [];
  private publishing: Promise<void> = Promise.resolve();

  constructor(opts: DiscoveryOptions = {}) {
    super({
      name: 'discovery',
      version: '1.0.0',
      capabilities: ['discovery.registry'],
      ...(opts.connection ? { connection: opts.connection } : {}),
      ...(opts.heartbeatMs ? { heartbeatMs: opts.heartbeatMs } : {}),
      ...(opts.clientId ? { clientId: opts.clientId } : {}),
    });
    const r = discoveryConfigSchema.safeParse(opts.config ?? serviceConfigFromEnv());
    if (!r.success) {
      const i = r.error.issues[0];
      throw new AliciaError('CONFIG_INVALID', `discovery config: ${i ? `${i.path.join('.')}: ${i.message}` : 'invalid'}`);
    }
    this.config = r.data;
    this.registry = new ServiceRegistry(r.data, opts.now ?? Date.now);
  }

  /** The current registry (tests, diagnostics). */
  services() {
    return this.registry.snapshot();
  }

  protected override async onStart(): Promise<void> {
    // the host's instances only (nodes.ts isHostInstance): a node's are in its record
    await this.subscribe('alicia/system/discovery/register', (msg) => {
      if (isHostInstance(msg)) this.emit(this.registry.register(msg));
    });
    await this.subscribe('alicia/system/discovery/heartbeat', (msg) => {
      if (isHostInstance(msg) && !this.registrationOnItsWay(msg.service, msg.seq)) this.emit(this.registry.heartbeat(msg.service));
    });
    await this.subscribe('alicia/health/heartbeat/+', (msg, topic) => {
      if (!isHostInstance(msg)) return;
      // The topic names the sender (the broker ACL lets a service publish only its own heartbeat topic).
      const service = lastSegment(topic);
      if (msg.status === 'offline') this.emit(this.registry.unregister(service));
      else if (!this.registrationOnItsWay(service, msg.seq)) this.emit(this.registry.heartbeat(service, msg.interval_ms));
    });
    const check = setInterval(() => {
      for (const e of this.registry.expire()) this.emit(e);
    }, this.config.check_ms);
    const snap = setInterval(() => this.emit({ event: 'snapshot' }), this.config.snapshot_interval_ms);
    check.unref();
    snap.unref();
    this.discoveryTimers.push(check, snap);
    this.emit({ event: 'snapshot' });
  }

  protected override async onStop(): Promise<void> {
    for (const t of this.discoveryTimers) clearInterval(t);
    this.discoveryTimers = [];
    await this.publishing;
  }

  /**
   * A service sends its registration and its first heartbeat (seq 1) together at start
   * (services/lib/runtime/presence.ts), and the heartbeat often arrives first: the broker writes a
   * QoS 1 registration to discovery's persistent session only after storing it, a QoS 0 heartbeat at
   * once. Registered from that heartbeat, each start was two register updates and two "service
   * register" lines, the first with version "unknown". So a first heartbeat of a service not yet
   * known waits for its registration; any later one (discovery restarted, or the registration was
   * lost) registers it as before.
   */
  private registrationOnItsWay(service: string, seq: number): boolean {
    return seq <= 1 && !this.registry.knows(service);
  }

  private emit(e: RegistryEvent | { event: 'snapshot'; service?: undefined } | null): void {
    // Once stop() began the connection is closing: other services going offline in the same host
    // stop are not news worth publishing (the next start publishes a fresh snapshot).
    if (!e || this.stopping) return;
    const services = this.registry.snapshot();
    if (e.event !== 'snapshot') this.log.info(`service ${e.event}`, { service: e.service });
    // In order: a subscriber must never see an older registry after a newer one.
    this.publishing = this.publishing.then(() =>
      this.publish(
        'alicia/system/discovery/update',
        { event: e.event, ...(e.service ? { service: e.service } : {}), services },
        { retain: true },
      ).catch((err: unknown) => this.log.warn('discovery update not published', toErrorInfo(err) as unknown as Record<string, unknown>)),
    );
  }
}
