import { z } from 'zod';
import { errorInfoSchema, serviceNameSchema } from './common.js';

export const discoveryRegisterSchema = z.looseObject({
  service: serviceNameSchema,
  version: z.string(),
  pid: z.number().int(),
  capabilities: z.array(z.string()).max(100),
  /** topic patterns it answers / emits, for the window and other services */
  handles: z.array(z.string()).default([]),
  emits: z.array(z.string()).default([]),
  heartbeat_ms: z.number().int().positive(),
  /** which run of the service this is (nodes.ts instanceId) and the node it runs on; absent from older services */
  instance: z.string().min(1).max(128).optional(),
  node: z.string().min(1).max(64).optional(),
});
export const discoveryHeartbeatSchema = z.looseObject({
  service: serviceNameSchema,
  seq: z.number().int().nonnegative(),
  /** the node of the instance (nodes.ts); absent from older services */
  node: z.string().min(1).max(64).optional(),
});
export const discoveredServiceSchema = z.looseObject({
  service: z.string(),
  version: z.string(),
  capabilities: z.array(z.string()),
  registered_at: z.number(),
  last_seen: z.number(),
  alive: z.boolean(),
});
/** Retained: the current registry after each change. */
export const discoveryUpdateSchema = z.looseObject({
  event: z.enum(['register', 'expire', 'unregister', 'snapshot']),
  service: z.string().optional(),
  services: z.array(discoveredServiceSchema),
});

export const SERVICE_STATES = ['starting', 'running', 'stopping', 'stopped', 'crashed', 'failed'] as const;
/**
 * Why a service is stopping or stopped, so nobody reads a stop as a fault: `request` (a stop on
 * alicia/system/supervisor/request), `restart` (the stop half of a requested restart), `host` (the
 * host is stopping), `exit` (it exited with code 0 on its own and is not restarted), `disabled` (not
 * enabled in the config and never started). A crash is no stop: its state is crashed or failed.
 */
export const STOP_REASONS = ['request', 'restart', 'host', 'exit', 'disabled'] as const;
/** Retained on alicia/system/services/<name> by the supervisor. */
export const serviceStateSchema = z.looseObject({
  service: z.string(),
  state: z.enum(SERVICE_STATES),
  pid: z.number().int().nullable(),
  /**
   * A service running as a worker thread of the shared service process: its thread id there
   * (`pid` is then the shared process's, the same for every service in it). Absent for a service
   * with a process of its own, and from hosts before it.
   */
  thread: z.number().int().nonnegative().optional(),
  restarts: z.number().int().nonnegative(),
  startedAt: z.number().nullable(),
  exit_code: z.number().int().nullable().optional(),
  exit_signal: z.string().nullable().optional(),
  last_error: z.string().optional(),
  /** stopping and stopped only: why (STOP_REASONS) */
  stop_reason: z.enum(STOP_REASONS).optional(),
  /** stop_reason request/restart: the principal that asked (`window:<session>`, `operator`); absent for the host's own requests */
  stopped_by: z.string().max(128).optional(),
  /** stopping and stopped: when the stop began (host clock, ms) */
  stopped_at: z.number().optional(),
  /** the node whose supervisor runs it and the instance's id (nodes.ts); absent from older hosts */
  node: z.string().max(64).optional(),
  instance: z.string().max(128).optional(),
});

/**
 * Retained on alicia/system/nodes/<node> by a node's supervisor (`alicia node`): whether it is
 * connected (its last will says `online: false`), whether the broker splits requests between
 * instances (shared subscriptions), and the state of each service it runs.
 */
export const nodeStateSchema = z.looseObject({
  node: z.string().min(1).max(64),
  online: z.boolean(),
  shared: z.boolean().optional(),
  services: z.array(serviceStateSchema).max(64),
});

/** alicia/system/probe/<id>: a message a part sends itself at start to learn what the broker can do (shared subscriptions). */
export const probeSchema = z.looseObject({
  probe: z.string().min(1).max(64),
});

export const supervisorRequestSchema = z.looseObject({
  action: z.enum(['start', 'stop', 'restart']),
  /** a service name, or "*" for all */
  service: z.string().min(1).max(64),
  /** the node whose supervisor acts (`alicia node --name`); absent: the host's */
  node: z.string().min(1).max(64).optional(),
});
export const supervisorResponseSchema = z.looseObject({
  ok: z.boolean(),
  service: z.string(),
  action: z.string(),
  state: z.string().optional(),
  error: errorInfoSchema.optional(),
  /** the node whose supervisor answered; absent: the host's */
  node: z.string().max(64).optional(),
});

/** Log lines of a service's stdout/stderr, batched, on alicia/system/logs/<service>. */
export const logLinesSchema = z.looseObject({
  service: z.string(),
  stream: z.enum(['stdout', 'stderr', 'supervisor']),
  lines: z.array(z.string().max(4000)).max(500),
  /**
   * The process these lines came from (or, for supervisor lines, were about): one batch never mixes
   * two runs, so a reader can tell the old process's last words from the new one's first. Null for
   * supervisor lines about no process (a launch that failed before there was one); absent from
   * hosts before it.
   */
  pid: z.number().int().nullable().optional(),
  /**
   * Which start of the service by its supervisor the lines are from (1, 2, ...). The services in the
   * shared service process keep its pid from one run to the next, so the pid alone does not tell
   * their runs apart. Absent from hosts before it.
   */
  run: z.number().int().positive().optional(),
});

export const configSchema = z.record(z.string(), z.unknown());

export const broadcastSchema = z.looseObject({
  message: z.string().max(4000).optional(),
});

/** $SYS-style broker stats, every few seconds. */
export const brokerStatsSchema = z.looseObject({
  clients: z.number().int().nonnegative(),
  subscriptions: z.number().int().nonnegative(),
  messages_in_per_s: z.number().nonnegative(),
  messages_out_per_s: z.number().nonnegative(),
  bytes_in_per_s: z.number().nonnegative(),
  bytes_out_per_s: z.number().nonnegative(),
  messages_in: z.number().int().nonnegative(),
  messages_out: z.number().int().nonnegative(),
  bytes_in: z.number().int().nonnegative(),
  bytes_out: z.number().int().nonnegative(),
  denied_publish: z.number().int().nonnegative(),
  denied_subscribe: z.number().int().nonnegative(),
  uptime_ms: z.number().nonnegative(),
  retained: z.number().int().nonnegative().optional(),
  recorder: z.looseObject({}).optional(),
});

/** Recorder queries; the recorder answers on alicia/system/recorder/response. */
export const recorderRequestSchema = z.discriminatedUnion('query', [
  z.looseObject({
    query: z.literal('messages'),
    topic: z.string().min(1).max(512).default('#'),
    from: z.number().optional(),
    to: z.number().optional(),
    /** opaque paging cursor from a previous page */
    cursor: z.string().max(128).optional(),
    limit: z.number().int().min(1).max(1000).default(100),
    /** newest first (default) or oldest first */
    order: z.enum(['asc', 'desc']).default('desc'),
    include_payload: z.boolean().default(true),
    /**
     * each payload cut to this many bytes (a list's previews: more rows fit one response); the
     * whole payload of one row comes from the `message` query. Default: the recorder's inline limit.
     */
    payload_bytes: z
      .number()
      .int()
      .min(1)
      .max(1 << 20)
      .optional(),
  }),
  // One stored message with its whole stored payload, by the `id` a `messages`, `trace` or
  // `session` answer gave it (named `row` here: `id` is the envelope's own field).
  z.looseObject({
    query: z.literal('message'),
    row: z.number().int().positive(),
  }),
  // `trace_id` is an envelope field: seal() keeps the envelope's own value, so a body `trace_id`
  // never arrives. The trace to look up travels as `trace`; without it the request's own trace_id
  // is used (a caller that sealed the request into the trace it wants).
  z.looseObject({
    query: z.literal('trace'),
    trace: z.string().min(1).max(128).optional(),
    trace_id: z.string().min(1).max(128).optional(),
    limit: z.number().int().min(1).max(5000).default(1000),
  }),
  // Same for `session_id`: a top-level session_id makes the request itself part of that session
  // (recorded and indexed as such), so the session to look up travels as `session`.
  z.looseObject({
    query: z.literal('session'),
    session: z.string().min(1).max(128).optional(),
    session_id: z.string().min(1).max(128).optional(),
    limit: z.number().int().min(1).max(5000).default(1000),
  }),
  z.looseObject({
    query: z.literal('sessions'),
    from: z.number().optional(),
    to: z.number().optional(),
    limit: z.number().int().min(1).max(500).default(50),
    cursor: z.string().max(128).optional(),
  }),
  z.looseObject({
    query: z.literal('counts'),
    topic: z.string().min(1).max(512).default('#'),
    limit: z.number().int().min(1).max(5000).default(500),
  }),
  // export of one trace: `trace` (the envelope's trace_id is always present, so it cannot select one)
  z.looseObject({
    query: z.literal('export'),
    from: z.number().optional(),
    to: z.number().optional(),
    trace: z.string().min(1).max(128).optional(),
    trace_id: z.string().optional(),
    topic: z.string().max(512).optional(),
    /** an answer cut at the response limit says where the next part starts (next_cursor) */
    cursor: z.string().max(128).optional(),
  }),
  z.looseObject({ query: z.literal('stats') }),
]);
export const recorderResponseSchema = z.looseObject({
  ok: z.boolean(),
  query: z.string().optional(),
  error: errorInfoSchema.optional(),
});

/**
 * Credential rotation, operator/window only (no service's ACL lists it). The answer never
 * carries a password: the rotated services get theirs from the supervisor when it restarts them.
 * principal: one service name, or "services" for all of them.
 */
export const credentialsRequestSchema = z.discriminatedUnion('action', [
  z.looseObject({
    action: z.literal('rotate'),
    principal: z.string().min(1).max(64),
  }),
  // External devices (per-device credentials, docs/security.md). The password of a new device never travels
  // on the bus (every window/operator subscriber sees the response topic): the host writes it to
  // <dataDir>/device-credentials/<name>.txt (0600) and answers with that path. add_device on an
  // existing name re-issues its password (the old one stops working, its connections are closed).
  z.looseObject({ action: z.literal('add_device'), name: z.string().min(1).max(40) }),
  z.looseObject({ action: z.literal('remove_device'), name: z.string().min(1).max(40) }),
  z.looseObject({ action: z.literal('list_devices') }),
]);
export const credentialsResponseSchema = z.looseObject({
  ok: z.boolean(),
  action: z.string().optional(),
  /** principals whose password changed */
  rotated: z.array(z.string()).optional(),
  /** services restarted to pick up their new credential */
  restarted: z.array(z.string()).optional(),
  /** add_device/remove_device: the device name; its MQTT username is `device:<name>` */
  device: z.string().optional(),
  username: z.string().optional(),
  /** add_device: where the host wrote the new password (0600), read it there, then delete the file */
  password_file: z.string().optional(),
  /** add_device: true when an existing device's password was re-issued */
  replaced: z.boolean().optional(),
  /** remove_device / re-issue: connections of the device that were closed */
  disconnected: z.number().int().nonnegative().optional(),
  /** list_devices (and after add/remove): the devices that have a credential */
  devices: z.array(z.string()).optional(),
  error: errorInfoSchema.optional(),
});

/**
 * Retained on alicia/system/host by the host itself (in-process, electron/core.ts; no client may
 * publish it, acl.ts HOST_ONLY_TOPICS): what the window shows about the host, e.g. the LAN
 * certificate fingerprint a user pins on their devices.
 */
export const hostInfoSchema = z.looseObject({
  version: z.string(),
  /**
   * The local MQTT TCP listener, e.g. "mqtt://127.0.0.1:1883" (the port may be any with
   * `--mqtt-port 0`): what services and tools on this machine connect to. The window only knows its
   * WebSocket address, so it takes the host and port of its "try it" examples from here. Optional:
   * hosts before it did not publish it.
   */
  mqtt_url: z.string().max(512).optional(),
  lan: z
    .looseObject({
      enabled: z.boolean(),
      /** mqtts://HOST:PORT */
      url: z.string(),
      /** SHA-256 of the self-signed certificate, "AB:CD:..." */
      fingerprint256: z.string(),
    })
    .nullable(),
  /**
   * The window's HTTPS and the broker's WSS (`tls` on; required off 127.0.0.1): the SHA-256 of
   * their certificate (the LAN certificate), for comparing with what the browser shows. Optional:
   * hosts before it did not publish it.
   */
  tls: z.looseObject({ fingerprint256: z.string() }).nullable().optional(),
  started_at: z.number(),
  /**
   * Which broker Alicia is on: its own embedded one, or the user's (`alicia serve --broker URL`),
   * and how the window reaches it (the embedded broker's WebSocket, the host's proxy, or the
   * user's broker's own WebSocket listener). On the user's broker the host's own connection counts
   * its outages: the window says when the broker was lost and when it came back. Optional: hosts
   * before it did not publish it (they were all embedded).
   */
  broker: z
    .looseObject({
      mode: z.enum(['embedded', 'external']),
      url: z.string().max(512),
      window: z.enum(['embedded', 'proxy', 'broker']),
      outages: z.number().int().nonnegative().optional(),
      last_outage: z.looseObject({ lost_at: z.number(), restored_at: z.number() }).nullable().optional(),
    })
    .optional(),
});

/**
 * One open window session (electron/host/windowSessions.ts): a browser signed in with the host's
 * login token, or the desktop app's window. Public facts only: never the browser's cookie nor the
 * session's broker credential.
 */
export const windowSessionSchema = z.looseObject({
  /** public id; the session's broker username is `window:<id>` */
  id: z.string().min(1).max(64),
  /** browser: signed in through the login link; app: the desktop app's own window */
  kind: z.enum(['browser', 'app']),
  created_at: z.number(),
  /** its last HTTP request, broker connection or disconnection */
  last_seen: z.number(),
  user_agent: z.string().max(256),
  /** where it signed in from (the HTTP client's address; "local" for the desktop app) */
  remote: z.string().max(64),
  /** broker connections of its credential open now */
  connections: z.number().int().nonnegative(),
  /** false for the desktop app's window: it is never idle-expired */
  expires: z.boolean(),
});

/**
 * Retained on alicia/system/window/sessions by the host itself (in-process; no client may publish
 * it, acl.ts HOST_ONLY_TOPICS): the open window sessions, after every change.
 */
export const windowSessionsSchema = z.looseObject({
  sessions: z.array(windowSessionSchema).max(10_000),
  /** a session with no request and no broker connection for this long is ended (window.session_idle_minutes) */
  idle_minutes: z.number().positive(),
});

/**
 * End a window session (operator/window only): its credential is revoked and its connections
 * closed. The session travels as `session` (its public id): `id` is the envelope's message id.
 */
export const windowRequestSchema = z.discriminatedUnion('action', [
  z.looseObject({ action: z.literal('end'), session: z.string().min(1).max(64) }),
]);
export const windowResponseSchema = z.looseObject({
  ok: z.boolean(),
  action: z.string().optional(),
  /** the session's public id */
  session: z.string().optional(),
  /** broker connections of the ended session that were closed */
  disconnected: z.number().int().nonnegative().optional(),
  error: errorInfoSchema.optional(),
});
