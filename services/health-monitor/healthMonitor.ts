import { isHostInstance } from '../lib/protocol/nodes.js';
import { z } from 'zod';
import { AliciaError, toErrorInfo } from '../lib/protocol/errors.js';
import { lastSegment } from '../lib/protocol/topics.js';
import { BusService } from '../lib/runtime/busService.js';
import { serviceConfigFromEnv } from '../lib/runtime/serviceProcess.js';
import type { ConnectionOptions } from '../lib/runtime/busService.js';
import type { Logger } from '../lib/runtime/logger.js';
import { HealthEvaluator, healthThresholdsSchema } from './healthEvaluator.js';
import type { HealthThresholds } from './healthEvaluator.js';

/** health-monitor section of the service config (ALICIA_SERVICE_CONFIG): thresholds plus timing. */
export const healthMonitorConfigSchema = healthThresholdsSchema.extend({
  /** how often statuses are re-evaluated (missed heartbeats are noticed at this resolution) */
  tick_ms: z.number().int().min(20).max(60_000).default(1_000),
  /** the aggregate is re-published at least this often, even without changes */
  publish_interval_ms: z.number().int().min(100).max(3_600_000).default(10_000),
});
export type HealthMonitorConfig = z.infer<typeof healthMonitorConfigSchema>;

export interface HealthMonitorOptions {
  connection?: ConnectionOptions;
  config?: Record<string, unknown>;
  now?: () => number;
  heartbeatMs?: number;
  clientId?: string;
  logger?: Logger;
}

/**
 * The health monitor: heartbeats, service metrics and supervisor states in; the retained aggregate
 * alicia/health/status and de-duplicated alerts on alicia/health/alert out.
 *
 * Its own stop ends its watch. The host stops every service at once (supervisor.ts doStop), so the
 * others going offline then are the shutdown, not faults: alerting on them only wrote a critical
 * "<service> is down" and a NOT_CONNECTED "health not published" into its log at every quit.
 */
export class HealthMonitor extends BusService {
  readonly config: HealthMonitorConfig;
  private readonly evaluator: HealthEvaluator;
  private timer: NodeJS.Timeout | null = null;
  private lastPublished = 0;
  private publishing: Promise<void> = Promise.resolve();
  /**
   * The supervisor announced this monitor's stop: "stopping" on alicia/system/services/health-monitor,
   * published as it sends the stop message (at a host stop, in the same turn as every other
   * service's, so before any of them can go offline).
   */
  private stopAnnounced = false;
  /** stop() reached onStop(): the stop message (over IPC it usually beats the announcement) or a signal. */
  private stopBegun = false;

  constructor(opts: HealthMonitorOptions = {}) {
    super({
      name: 'health-monitor',
      version: '1.0.0',
      capabilities: ['health.aggregate', 'health.alerts'],
      ...(opts.connection ? { connection: opts.connection } : {}),
      ...(opts.heartbeatMs ? { heartbeatMs: opts.heartbeatMs } : {}),
      ...(opts.clientId ? { clientId: opts.clientId } : {}),
      ...(opts.logger ? { logger: opts.logger } : {}),
    });
    const r = healthMonitorConfigSchema.safeParse(opts.config ?? serviceConfigFromEnv());
    if (!r.success) {
      const i = r.error.issues[0];
      throw new AliciaError('CONFIG_INVALID', `health-monitor config: ${i ? `${i.path.join('.')}: ${i.message}` : 'invalid'}`);
    }
    this.config = r.data;
    const thresholds: HealthThresholds = r.data;
    this.evaluator = new HealthEvaluator(thresholds, opts.now ?? Date.now);
  }

  protected override async onStart(): Promise<void> {
    await this.subscribe('alicia/health/heartbeat/+', (msg, topic) => {
      if (!isHostInstance(msg)) return;
      // The topic names the service (the ACL makes it unforgeable); the body's field could lie.
      const service = lastSegment(topic);
      this.evaluator.heartbeat({ service, status: msg.status, interval_ms: msg.interval_ms, pid: msg.pid });
      if (this.stopping && msg.status === 'offline') this.log.debug('went offline while this monitor stops: no alert', { of: service });
      this.evaluate(false);
    });
    await this.subscribe('alicia/health/status/+', (msg, topic) => {
      if (!isHostInstance(msg)) return;
      this.evaluator.metrics({
        service: lastSegment(topic),
        messages_in: msg.messages_in,
        errors: msg.errors,
        handler_latency_ms: msg.handler_latency_ms,
      });
      this.evaluate(false);
    });
    await this.subscribe(
      'alicia/system/services/+',
      (msg, topic) => {
        const service = lastSegment(topic);
        // The pid says the announcement is about this process, not one of an earlier run.
        if (service === this.name && msg.pid === process.pid) {
          const announced = msg.state === 'stopping';
          if (announced && !this.stopping) this.log.info('stop announced by the supervisor: no more alerts');
          this.stopAnnounced = announced;
        }
        this.evaluator.supervisor({ service, state: msg.state, pid: msg.pid, stop_reason: msg.stop_reason, stopped_by: msg.stopped_by });
        this.evaluate(false);
      },
      // QoS 0: the states are retained and each supersedes the last, so a fresh subscription has
      // them all and nothing needs queueing while this monitor is down. At a host stop they come
      // thick and fast (every service stopping, then stopped) while its connection closes; at QoS 1
      // each wanted a PUBACK written into the ended socket ("mqtt error: write after end").
      { qos: 0 },
    );
    this.timer = setInterval(() => this.evaluate(true), this.config.tick_ms);
    this.timer.unref();
    this.evaluate(true);
  }

  protected override async onStop(): Promise<void> {
    this.stopBegun = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.publishing;
  }

  /** Its own stop has begun (the runtime's, or announced by the supervisor before the signal arrives). */
  protected override get stopping(): boolean {
    return super.stopping || this.stopAnnounced || this.stopBegun;
  }

  private evaluate(periodic: boolean): void {
    // Inputs are still recorded (above); only judging and publishing stop with the monitor.
    if (this.stopping) return;
    const { changed, alerts, aggregate } = this.evaluator.evaluate();
    const due = periodic && Date.now() - this.lastPublished >= this.config.publish_interval_ms;
    if (!changed && !due && alerts.length === 0) return;
    // Serialize: the aggregate after an alert must not overtake it, nor an older aggregate a newer one.
    this.publishing = this.publishing.then(async () => {
      try {
        for (const a of alerts) {
          this.log.warn('alert', { ...a });
          await this.publish('alicia/health/alert', a);
        }
        if (changed || due) {
          this.lastPublished = Date.now();
          await this.publish('alicia/health/status', aggregate, { retain: true });
        }
      } catch (e) {
        // Queued just before the stop and caught by the closing connection: part of the stop, not a fault.
        const fields = toErrorInfo(e) as unknown as Record<string, unknown>;
        if (this.stopping) this.log.debug('health not published: stopping', fields);
        else this.log.warn('health not published', fields);
      }
    });
  }
}
