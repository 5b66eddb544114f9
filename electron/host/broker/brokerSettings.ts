import { z } from 'zod';
import { bridgesConfigSchema } from '../bridge/bridgeSettings.js';
import { TOPIC_LEVELS_CAP } from './aedesInternals.js';
import { DEFAULT_OFFLINE_SESSION_EXPIRY_MS } from './offlineSessions.js';
import { DEFAULT_RATE_LIMIT, type RateLimitOptions } from './rateLimit.js';

/**
 * The embedded broker's limits: one list, its defaults, and the `broker` section of config.json that
 * sets them. They guard the broker against hostile or broken clients (docs/security.md, "Limits");
 * a user with a busy bridge or sensor gateway raises them here.
 */
export interface BrokerLimits {
  /** largest PUBLISH payload accepted */
  maxPayloadBytes: number;
  /** connected clients allowed at once */
  maxClients: number;
  /** subscriptions one client may hold */
  maxSubscriptionsPerClient: number;
  /** deepest topic name or filter (levels) a client may use */
  maxTopicLevels: number;
  /** a connection that has not sent its CONNECT by then is closed */
  connectTimeoutMs: number;
  /** per-client PUBLISH rate (token bucket, rateLimit.ts); null = off */
  rateLimit: RateLimitOptions | null;
  /** a persistent (clean:false) session offline this long is ended (offlineSessions.ts); 0 = never */
  offlineSessionExpiryMs: number;
  /** QoS 1 messages of shared subscriptions one member may hold unacknowledged (sharedSubscriptions.ts) */
  sharedInflightWindow: number;
  /** messages a shared subscription group keeps while no member can take them (sharedSubscriptions.ts) */
  sharedMaxQueued: number;
}

/** MQTT's largest packet is 256 MB (its remaining-length field, section 2.2.3); room is kept for the rest of a PUBLISH. */
const PAYLOAD_BYTES_CAP = 256 * 1024 * 1024 - 65_536;

export const DEFAULT_BROKER_LIMITS: Readonly<BrokerLimits> = {
  maxPayloadBytes: 8 * 1024 * 1024,
  maxClients: 500,
  maxSubscriptionsPerClient: 1000,
  maxTopicLevels: 16,
  connectTimeoutMs: 10_000,
  rateLimit: DEFAULT_RATE_LIMIT,
  offlineSessionExpiryMs: DEFAULT_OFFLINE_SESSION_EXPIRY_MS,
  // Mosquitto's max_inflight_messages default
  sharedInflightWindow: 20,
  sharedMaxQueued: 1000,
};

const DEFAULT_STATS_INTERVAL_MS = 5000;

const comment = { '//': z.string().optional() };
const positiveInt = z.number().int().positive();
const d = DEFAULT_BROKER_LIMITS;
const rateDefault = d.rateLimit ?? DEFAULT_RATE_LIMIT;

const rateLimitSection = z.strictObject({
  ...comment,
  enabled: z.boolean().default(true),
  messages_per_second: z.number().positive().default(rateDefault.messagesPerSecond),
  burst: positiveInt.default(rateDefault.burst),
});

const sharedSection = z.strictObject({
  ...comment,
  inflight_window: positiveInt.max(65_535).default(d.sharedInflightWindow),
  max_queued: z.number().int().min(0).default(d.sharedMaxQueued),
});

/**
 * `broker.external`: the user's own broker instead of the embedded one (`alicia serve --broker
 * URL`; docs/security.md, "On your own broker"). With it set none of the limits above apply (the
 * user's broker has its own). URLs and files are checked at load (external/externalBroker.ts).
 */
const externalSection = z.strictObject({
  ...comment,
  url: z.string().min(1),
  ws_url: z.string().min(1).optional(),
  ca_file: z.string().min(1).optional(),
  cert_file: z.string().min(1).optional(),
  key_file: z.string().min(1).optional(),
  reject_unauthorized: z.boolean().default(true),
});

const brokerSection = z.strictObject({
  ...comment,
  max_payload_bytes: positiveInt.max(PAYLOAD_BYTES_CAP).default(d.maxPayloadBytes),
  max_clients: positiveInt.default(d.maxClients),
  max_subscriptions_per_client: positiveInt.default(d.maxSubscriptionsPerClient),
  max_topic_levels: positiveInt.max(TOPIC_LEVELS_CAP).default(d.maxTopicLevels),
  connect_timeout_ms: positiveInt.default(d.connectTimeoutMs),
  offline_session_expiry_ms: z.number().int().min(0).default(d.offlineSessionExpiryMs),
  stats_interval_ms: z.number().int().min(0).default(DEFAULT_STATS_INTERVAL_MS),
  rate_limit: rateLimitSection.default(() => rateLimitSection.parse({})),
  shared_subscriptions: sharedSection.default(() => sharedSection.parse({})),
  // bridges to the user's own brokers (electron/host/bridge/bridgeSettings.ts)
  bridges: bridgesConfigSchema,
  external: externalSection.nullable().default(null),
});

/** config.json `broker`: strict like the rest (an unknown key is an error naming it), every key optional. */
export const brokerConfigSchema = brokerSection.default(() => brokerSection.parse({}));

export type BrokerConfig = z.output<typeof brokerConfigSchema>;

/** The broker options a validated `broker` section gives (AliciaBrokerOptions takes them as they are). */
export function brokerLimitsFromConfig(c: BrokerConfig): BrokerLimits & { statsIntervalMs: number } {
  return {
    maxPayloadBytes: c.max_payload_bytes,
    maxClients: c.max_clients,
    maxSubscriptionsPerClient: c.max_subscriptions_per_client,
    maxTopicLevels: c.max_topic_levels,
    connectTimeoutMs: c.connect_timeout_ms,
    rateLimit: c.rate_limit.enabled ? { messagesPerSecond: c.rate_limit.messages_per_second, burst: c.rate_limit.burst } : null,
    offlineSessionExpiryMs: c.offline_session_expiry_ms,
    sharedInflightWindow: c.shared_subscriptions.inflight_window,
    sharedMaxQueued: c.shared_subscriptions.max_queued,
    statsIntervalMs: c.stats_interval_ms,
  };
}
