import { toErrorInfo } from '../protocol/errors.js';
import type { ServiceName } from '../protocol/services.js';
import type { BodyOf, TopicPattern } from '../protocol/topics.js';
import type { BreakerState } from './circuitBreaker.js';
import type { Logger } from './logger.js';
import type { ServiceMetrics } from './metrics.js';
import type { PublishOptions } from './sealMessage.js';

export type HealthStatus = 'ok' | 'degraded' | 'offline';

/** What presence needs of its service. */
export interface PresenceHost {
  readonly name: ServiceName;
  readonly version: string;
  readonly capabilities: string[];
  readonly log: Logger;
  readonly metrics: ServiceMetrics;
  publish<P extends TopicPattern>(pattern: P, body: BodyOf<P>, opts?: PublishOptions): Promise<void>;
  /** the service's own view of its health (e.g. degraded: an engine is missing) */
  health(): 'ok' | 'degraded';
  /** request topics it answers and topics it has published, for the discovery registration */
  handles(): string[];
  emits(): string[];
  breakerStates(): Record<string, BreakerState>;
  /** which run of the service this is (its instance id and node) */
  identity(): { instance: string; node: string };
  /** read when needed: they come from the environment, whose errors belong to start() */
  heartbeatMs(): number;
  metricsMs(): number;
}

/**
 * How a service shows it is alive: a heartbeat on alicia/health/heartbeat/<name> (the last will
 * says offline for it), registration and a heartbeat on alicia/system/discovery, and its metrics on
 * alicia/health/status/<name>. start() begins the periodic messages, stop() ends them (twice is fine).
 */
export class Presence {
  private seq = 0;
  private startedAt = 0;
  private timers: NodeJS.Timeout[] = [];

  constructor(private readonly host: PresenceHost) {}

  /** The body of a heartbeat (also of the will and of the offline message sent on a clean stop). */
  heartbeatBody(status: HealthStatus): BodyOf<'alicia/health/heartbeat/+'> {
    return {
      service: this.host.name,
      pid: process.pid,
      seq: this.seq,
      uptime_ms: this.startedAt ? Date.now() - this.startedAt : 0,
      status,
      interval_ms: this.host.heartbeatMs(),
      rss: process.memoryUsage.rss(),
      ...this.instanceFields(),
    };
  }

  /** Every announcement names the instance: with several runs of a service, readers tell them apart. */
  private instanceFields(): { instance: string; node: string } {
    const { instance, node } = this.host.identity();
    return { instance, node };
  }

  /** Uptime counts from here. */
  markStarted(): void {
    this.startedAt = Date.now();
  }

  /** Announce the service and begin the heartbeat and metrics intervals. */
  start(): void {
    this.register();
    this.sendHeartbeat();
    const hb = setInterval(() => this.sendHeartbeat(), this.host.heartbeatMs());
    const mt = setInterval(() => this.sendMetrics(), this.host.metricsMs());
    hb.unref();
    mt.unref();
    this.timers.push(hb, mt);
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  /** Tell discovery who we are (at start and after every reconnect: a new broker may not know us). */
  register(): void {
    const h = this.host;
    h.publish('alicia/system/discovery/register', {
      service: h.name,
      version: h.version,
      pid: process.pid,
      capabilities: h.capabilities,
      handles: h.handles(),
      emits: h.emits(),
      heartbeat_ms: h.heartbeatMs(),
      ...this.instanceFields(),
    }).catch((e: unknown) => h.log.warn('registration not sent', toErrorInfo(e) as unknown as Record<string, unknown>));
  }

  private sendHeartbeat(): void {
    const h = this.host;
    this.seq++;
    h.publish('alicia/health/heartbeat/+', this.heartbeatBody(h.health()), { params: [h.name] }).catch((e: unknown) =>
      h.log.warn('heartbeat not sent', toErrorInfo(e) as unknown as Record<string, unknown>),
    );
    h.publish('alicia/system/discovery/heartbeat', { service: h.name, seq: this.seq, node: h.identity().node }).catch(() => undefined);
  }

  private sendMetrics(): void {
    const h = this.host;
    h.publish(
      'alicia/health/status/+',
      { service: h.name, ...h.metrics.snapshot(), breakers: h.breakerStates(), ...this.instanceFields() },
      { params: [h.name] },
    ).catch(() => undefined);
  }
}
