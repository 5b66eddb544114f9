import { z } from 'zod';
import { AliciaError, toErrorInfo } from '../protocol/errors.js';
import { lastSegment } from '../protocol/topics.js';
import { BusService, serviceConfigFromEnv } from '../runtime/busService.js';
import type { ConnectionOptions } from '../runtime/busService.js';
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
}

/**
 * The health monitor: heartbeats, service metrics and supervisor states in; the retained aggregate
 * alicia/health/status and de-duplicated alerts on alicia/health/alert out.
 */
export class HealthMonitor extends BusService {
  readonly config: HealthMonitorConfig;
  private readonly evaluator: HealthEvaluator;
  private timer: NodeJS.Timeout | null = null;
  private lastPublished = 0;
  private publishing: Promise<void> = Promise.resolve();

  constructor(opts: HealthMonitorOptions = {}) {
    super({
      name: 'health-monitor',
      version: '1.0.0',
      capabilities: ['health.aggregate', 'health.alerts'],
      ...(opts.connection ? { connection: opts.connection } : {}),
      ...(opts.heartbeatMs ? { heartbeatMs: opts.heartbeatMs } : {}),
      ...(opts.clientId ? { clientId: opts.clientId } : {}),
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
      // The topic names the service (the ACL makes it unforgeable); the body's field could lie.
      this.evaluator.heartbeat({ service: lastSegment(topic), status: msg.status, interval_ms: msg.interval_ms });
      this.evaluate(false);
    });
    await this.subscribe('alicia/health/status/+', (msg, topic) => {
      this.evaluator.metrics({
        service: lastSegment(topic),
        messages_in: msg.messages_in,
        errors: msg.errors,
        handler_latency_ms: msg.handler_latency_ms,
      });
      this.evaluate(false);
    });
    await this.subscribe('alicia/system/services/+', (msg, topic) => {
      this.evaluator.supervisor({ service: lastSegment(topic), state: msg.state });
      this.evaluate(false);
    });
    this.timer = setInterval(() => this.evaluate(true), this.config.tick_ms);
    this.timer.unref();
    this.evaluate(true);
  }

  protected override async onStop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.publishing;
  }

  private evaluate(periodic: boolean): void {
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
        this.log.warn('health not published', toErrorInfo(e) as unknown as Record<string, unknown>);
      }
    });
  }
}
