import { z } from 'zod';
import type { SERVICE_HEALTH } from '../lib/protocol/health.js';
import type { STOP_REASONS } from '../lib/protocol/system.js';

/**
 * Per-service health from heartbeats, metrics and the supervisor's process state. Pure (the clock
 * is injected): the health monitor feeds it bus messages and publishes what evaluate() returns.
 *
 *   stopped   the supervisor stopped it and says why (stop_reason): someone asked (a stop or the stop
 *             half of a restart), the host is stopping, it exited with code 0 on its own, or it is
 *             disabled. Not a fault: an info alert, and the overall status is not made worse by it.
 *             The supervisor publishes `stopping` with its reason before it sends the stop message,
 *             so the reason is here before the service's goodbye heartbeat.
 *   down      supervisor says stopped (without a reason)/crashed/failed, or the service said goodbye
 *             (offline heartbeat = graceful stop or its MQTT last will) with no stop announced, or
 *             `missed_down` heartbeat intervals passed silently
 *   degraded  a heartbeat is late (> late_factor x interval), the service reports itself degraded,
 *             its error rate over the last metrics window is above `error_rate`, or its handler p95
 *             latency is above `slow_p95_ms`
 *   healthy   none of the above
 *   unknown   never heard from (only the supervisor or nothing at all), or starting again and no
 *             heartbeat of the new process yet
 *
 * Alerts are raised on transitions only (de-duplicated): a service that stays down is one alert.
 */
export const healthThresholdsSchema = z.looseObject({
  missed_down: z.number().int().min(1).max(100).default(3),
  late_factor: z.number().min(1).max(100).default(1.5),
  /** failed / handled messages over one metrics window */
  error_rate: z.number().min(0).max(1).default(0.2),
  /** a window with fewer messages than this says nothing about the error rate */
  error_rate_min_messages: z.number().int().min(1).default(5),
  slow_p95_ms: z.number().positive().default(1_000),
  /** heartbeat interval assumed before a service's first heartbeat says otherwise */
  default_interval_ms: z.number().int().positive().default(5_000),
});
export type HealthThresholds = z.infer<typeof healthThresholdsSchema>;

export type ServiceHealth = (typeof SERVICE_HEALTH)[number];

// a type alias, not an interface: it must be assignable to the loose (index-signature) schema type
export type HealthAlert = {
  alert: 'service_down' | 'service_recovered' | 'service_stopped' | 'service_started' | 'error_rate' | 'slow_handler' | 'degraded';
  severity: 'info' | 'warning' | 'critical';
  service: string;
  message: string;
  value?: number;
};

export type ServiceHealthView = {
  status: ServiceHealth;
  last_heartbeat: number | null;
  missed: number;
  reason?: string;
  error_rate?: number;
  p95_ms?: number;
  supervisor?: string;
  stop_reason?: StopReason;
};

export type HealthAggregate = {
  overall: ServiceHealth;
  services: Record<string, ServiceHealthView>;
};

type StopReason = (typeof STOP_REASONS)[number];

/** What the supervisor said about a service's process (alicia/system/services/<name>). */
export type SupervisorState = {
  service: string;
  state: string;
  pid?: number | null;
  stop_reason?: StopReason | undefined;
  stopped_by?: string | undefined;
};

interface Record_ {
  lastHeartbeat: number | null;
  intervalMs: number;
  offline: boolean;
  selfDegraded: boolean;
  supervisor?: string;
  /** the process the supervisor runs now, when it says */
  pid: number | null;
  stopReason?: StopReason | undefined;
  stoppedBy?: string | undefined;
  prevIn?: number;
  prevErrors?: number;
  errorRate: number | null;
  p95: number | null;
  status: ServiceHealth;
  reason: string;
  missed: number;
  everUp: boolean;
  downAlerted: boolean;
  stopAlerted: boolean;
  flags: { late: boolean; errors: boolean; slow: boolean; self: boolean };
}

/** How much each status worsens the overall one: an asked-for stop not at all. */
const RANK: Record<ServiceHealth, number> = { healthy: 0, stopped: 0, unknown: 1, degraded: 2, down: 3 };

const STOP_TEXT: Record<StopReason, string> = {
  request: 'was stopped on request',
  restart: 'is restarting on request',
  host: 'stopped with the host',
  exit: 'exited by itself (code 0) and was not restarted',
  disabled: 'is disabled in the config',
};

function stopText(reason: StopReason, by: string | undefined): string {
  return by && (reason === 'request' || reason === 'restart') ? `${STOP_TEXT[reason]} (${by})` : STOP_TEXT[reason];
}

export class HealthEvaluator {
  private readonly services = new Map<string, Record_>();

  constructor(
    private readonly t: HealthThresholds,
    private readonly now: () => number = Date.now,
  ) {}

  private rec(service: string): Record_ {
    let r = this.services.get(service);
    if (!r) {
      r = {
        lastHeartbeat: null,
        pid: null,
        intervalMs: this.t.default_interval_ms,
        offline: false,
        selfDegraded: false,
        errorRate: null,
        p95: null,
        status: 'unknown',
        reason: '',
        missed: 0,
        everUp: false,
        downAlerted: false,
        stopAlerted: false,
        flags: { late: false, errors: false, slow: false, self: false },
      };
      this.services.set(service, r);
    }
    return r;
  }

  /** alicia/health/heartbeat/<service>; status 'offline' is the last will or a graceful stop. */
  heartbeat(hb: { service: string; status: 'ok' | 'degraded' | 'offline'; interval_ms: number; pid?: number }): void {
    const r = this.rec(hb.service);
    // The goodbye of a process the supervisor has already replaced (a restart) is not about this one.
    if (hb.pid !== undefined && r.pid !== null && hb.pid !== r.pid) return;
    if (hb.status === 'offline') {
      r.offline = true;
      return;
    }
    r.offline = false;
    r.lastHeartbeat = this.now();
    r.intervalMs = hb.interval_ms;
    r.selfDegraded = hb.status === 'degraded';
  }

  /** alicia/health/status/<service>: cumulative counters, so the rate is over the delta since the last report. */
  metrics(m: { service: string; messages_in: number; errors: number; handler_latency_ms: { p95: number; count: number } }): void {
    const r = this.rec(m.service);
    const restarted = r.prevIn === undefined || m.messages_in < r.prevIn || m.errors < (r.prevErrors ?? 0);
    const dIn = restarted ? m.messages_in : m.messages_in - (r.prevIn ?? 0);
    const dErr = restarted ? m.errors : m.errors - (r.prevErrors ?? 0);
    r.prevIn = m.messages_in;
    r.prevErrors = m.errors;
    const n = Math.max(dIn, dErr);
    r.errorRate = n >= this.t.error_rate_min_messages ? dErr / n : null;
    r.p95 = m.handler_latency_ms.count > 0 ? m.handler_latency_ms.p95 : null;
  }

  /** alicia/system/services/<service> from the supervisor. */
  supervisor(s: SupervisorState): void {
    const r = this.rec(s.service);
    r.supervisor = s.state;
    if (s.pid !== undefined) r.pid = s.pid;
    const stopping = s.state === 'stopping' || s.state === 'stopped';
    r.stopReason = stopping ? s.stop_reason : undefined;
    r.stoppedBy = stopping ? s.stopped_by : undefined;
    // A new process: the last one's goodbye and heartbeats say nothing about it.
    if (s.state === 'starting') {
      r.offline = false;
      r.lastHeartbeat = null;
    }
  }

  /** Recompute every service. `changed` is true when a status or reason changed since the last call. */
  evaluate(): { changed: boolean; alerts: HealthAlert[]; aggregate: HealthAggregate } {
    const now = this.now();
    const alerts: HealthAlert[] = [];
    let changed = false;
    for (const [service, r] of this.services) {
      const prev = r.status;
      const prevReason = r.reason;
      const since = r.lastHeartbeat === null ? 0 : now - r.lastHeartbeat;
      r.missed = r.lastHeartbeat === null ? 0 : Math.floor(since / r.intervalMs);
      const flags = {
        late: r.lastHeartbeat !== null && since > r.intervalMs * this.t.late_factor,
        errors: r.errorRate !== null && r.errorRate > this.t.error_rate,
        slow: r.p95 !== null && r.p95 > this.t.slow_p95_ms,
        self: r.selfDegraded,
      };
      let status: ServiceHealth;
      let reason: string;
      if (r.stopReason !== undefined) {
        status = 'stopped';
        reason = stopText(r.stopReason, r.stoppedBy);
      } else if (r.supervisor === 'stopped' || r.supervisor === 'crashed' || r.supervisor === 'failed') {
        status = 'down';
        reason = `supervisor: ${r.supervisor}`;
      } else if (r.supervisor === 'starting' && r.lastHeartbeat === null) {
        status = 'unknown';
        reason = 'starting';
      } else if (r.offline) {
        status = 'down';
        reason = 'offline (stopped or lost its connection)';
      } else if (r.lastHeartbeat === null) {
        status = 'unknown';
        reason = 'no heartbeat yet';
      } else if (r.missed >= this.t.missed_down) {
        status = 'down';
        reason = `missed ${r.missed} heartbeats`;
      } else {
        const why: string[] = [];
        if (flags.late) why.push(`heartbeat late by ${since - r.intervalMs} ms`);
        if (flags.self) why.push('reports itself degraded');
        if (flags.errors) why.push(`error rate ${(r.errorRate! * 100).toFixed(0)} %`);
        if (flags.slow) why.push(`handler p95 ${Math.round(r.p95!)} ms`);
        status = why.length ? 'degraded' : 'healthy';
        reason = why.join('; ');
      }
      r.status = status;
      // A late heartbeat's reason text changes every tick; only its presence counts as a change.
      r.reason = reason;
      if (status !== prev || stripNumbers(reason) !== stripNumbers(prevReason)) changed = true;

      const up = status === 'healthy' || status === 'degraded';
      if (status === 'down' && r.everUp && !r.downAlerted) {
        alerts.push({ alert: 'service_down', severity: 'critical', service, message: `${service} is down: ${reason}` });
        r.downAlerted = true;
      }
      // A stop the user asked for reads as what it is. `exit` is no request: a service that quits by
      // itself is worth a warning, though not the critical alert of a crash.
      if (status === 'stopped' && r.everUp && !r.stopAlerted && r.stopReason !== 'host') {
        alerts.push({
          alert: 'service_stopped',
          severity: r.stopReason === 'exit' ? 'warning' : 'info',
          service,
          message: `${service} ${reason}`,
        });
        r.stopAlerted = true;
      }
      if (up && r.downAlerted) {
        alerts.push({ alert: 'service_recovered', severity: 'info', service, message: `${service} is back` });
        r.downAlerted = false;
        r.stopAlerted = false;
      }
      if (up && r.stopAlerted) {
        alerts.push({ alert: 'service_started', severity: 'info', service, message: `${service} is running again` });
        r.stopAlerted = false;
      }
      if (up) r.everUp = true;
      if (up && flags.errors && !r.flags.errors) {
        alerts.push({
          alert: 'error_rate',
          severity: 'warning',
          service,
          message: `${service} error rate ${(r.errorRate! * 100).toFixed(0)} % is above ${(this.t.error_rate * 100).toFixed(0)} %`,
          value: r.errorRate!,
        });
      }
      if (up && flags.slow && !r.flags.slow) {
        alerts.push({
          alert: 'slow_handler',
          severity: 'warning',
          service,
          message: `${service} handler p95 ${Math.round(r.p95!)} ms is above ${this.t.slow_p95_ms} ms`,
          value: r.p95!,
        });
      }
      if (up && ((flags.late && !r.flags.late) || (flags.self && !r.flags.self))) {
        alerts.push({ alert: 'degraded', severity: 'warning', service, message: `${service} is degraded: ${reason}` });
      }
      // Flags re-arm only when the condition clears, so a condition that persists alerts once.
      r.flags = up ? flags : { late: false, errors: false, slow: false, self: false };
    }
    return { changed, alerts, aggregate: this.aggregate() };
  }

  aggregate(): HealthAggregate {
    const services: Record<string, ServiceHealthView> = {};
    let overall: ServiceHealth = 'healthy';
    for (const [name, r] of [...this.services].sort(([a], [b]) => a.localeCompare(b))) {
      const v: ServiceHealthView = { status: r.status, last_heartbeat: r.lastHeartbeat, missed: r.missed };
      if (r.reason) v.reason = r.reason;
      if (r.errorRate !== null) v.error_rate = Math.round(r.errorRate * 1000) / 1000;
      if (r.p95 !== null) v.p95_ms = Math.round(r.p95 * 10) / 10;
      if (r.supervisor) v.supervisor = r.supervisor;
      if (r.stopReason) v.stop_reason = r.stopReason;
      services[name] = v;
      if (RANK[r.status] > RANK[overall]) overall = r.status;
    }
    const all = [...this.services.values()];
    if (all.length === 0) return { overall: 'unknown', services };
    // nothing runs: "healthy" would say too much
    if (all.every((r) => r.status === 'stopped')) overall = 'stopped';
    return { overall, services };
  }
}

function stripNumbers(s: string): string {
  return s.replace(/\d+(\.\d+)?/g, '#');
}
