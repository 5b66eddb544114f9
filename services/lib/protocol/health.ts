import { z } from 'zod';

export const heartbeatSchema = z.looseObject({
  service: z.string(),
  pid: z.number().int(),
  seq: z.number().int().nonnegative(),
  uptime_ms: z.number().nonnegative(),
  status: z.enum(['ok', 'degraded', 'offline']),
  interval_ms: z.number().int().positive(),
  /** memory of the process, bytes */
  rss: z.number().nonnegative().optional(),
  /** which run of the service (nodes.ts instanceId) and its node; absent from older services */
  instance: z.string().min(1).max(128).optional(),
  node: z.string().min(1).max(64).optional(),
});

export const latencySchema = z.looseObject({
  p50: z.number(),
  p95: z.number(),
  p99: z.number(),
  count: z.number().int().nonnegative(),
});

/** Per-service metrics, published by the runtime on alicia/health/status/<service>. */
export const serviceMetricsSchema = z.looseObject({
  service: z.string(),
  messages_in: z.number().int().nonnegative(),
  messages_out: z.number().int().nonnegative(),
  errors: z.number().int().nonnegative(),
  /** over the last window */
  in_per_s: z.number().nonnegative(),
  out_per_s: z.number().nonnegative(),
  handler_latency_ms: latencySchema,
  /** per downstream topic: circuit breaker state */
  breakers: z.record(z.string(), z.enum(['closed', 'open', 'half_open'])).default({}),
  per_topic: z.record(z.string(), z.looseObject({ in: z.number(), out: z.number(), errors: z.number() })).default({}),
  window_ms: z.number().int().positive(),
  /** which run of the service (nodes.ts instanceId) and its node; absent from older services */
  instance: z.string().min(1).max(128).optional(),
  node: z.string().min(1).max(64).optional(),
});

/**
 * A service's health. `stopped`: not running because someone asked (or it exited cleanly, or is
 * disabled), as the supervisor's retained state says; it is no fault, so it does not make the
 * overall status worse.
 */
export const SERVICE_HEALTH = ['healthy', 'degraded', 'down', 'unknown', 'stopped'] as const;

/** Aggregate, retained on alicia/health/status by the health monitor. */
export const healthAggregateSchema = z.looseObject({
  overall: z.enum(SERVICE_HEALTH),
  services: z.record(
    z.string(),
    z.looseObject({
      status: z.enum(SERVICE_HEALTH),
      last_heartbeat: z.number().nullable(),
      missed: z.number().int().nonnegative(),
      reason: z.string().optional(),
    }),
  ),
});

export const healthAlertSchema = z.looseObject({
  /** service_stopped / service_started: a stop someone asked for and the start after it (info, not a fault) */
  alert: z.enum(['service_down', 'service_recovered', 'service_stopped', 'service_started', 'error_rate', 'slow_handler', 'degraded']),
  severity: z.enum(['info', 'warning', 'critical']),
  service: z.string(),
  message: z.string(),
  value: z.number().optional(),
});
