import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { AliciaError } from '../../services/lib/protocol/errors.js';
import { SERVICE_NAMES } from '../../services/lib/protocol/services.js';
import { resolveExternalBroker } from './external/externalBroker.js';
import { brokerConfigSchema } from './broker/brokerSettings.js';
import { CONFIG_FILE, defaultConfigPath } from './paths.js';

/**
 * The host's configuration: <dataDir>/config.json, created from resources/config.default.json on
 * first start. Validation is strict: an unknown key is an error, so a typo ("enabeld") is reported
 * at startup instead of being silently ignored. Two exceptions: the "//" comment key, and each
 * service's own `config` object, which is passed to the service as ALICIA_SERVICE_CONFIG and
 * validated there (the service knows its fields; the host does not). Missing keys take defaults,
 * so a config.json written by an older version keeps working. Command-line flags override it.
 */
const port = z.number().int().min(0).max(65535);
const positiveInt = z.number().int().positive();
const comment = { '//': z.string().optional() };

const serviceSection = z.strictObject({
  ...comment,
  enabled: z.boolean().default(true),
  config: z.record(z.string(), z.unknown()).default({}),
});

const servicesShape = Object.fromEntries(SERVICE_NAMES.map((n) => [n, serviceSection.default({ enabled: true, config: {} })])) as Record<
  (typeof SERVICE_NAMES)[number],
  z.ZodDefault<typeof serviceSection>
>;

export const configSchema = z.strictObject({
  ...comment,
  /**
   * listen address of the window's web server and the broker's WebSocket (plain MQTT over TCP always
   * stays on 127.0.0.1). Anything but 127.0.0.1, ::1 or localhost reaches the network and needs `tls`.
   */
  host: z.string().min(1).default('127.0.0.1'),
  /** serve the window over HTTPS and the broker's WebSocket over WSS (the LAN certificate, broker/tls.ts) */
  tls: z.boolean().default(false),
  ports: z
    .strictObject({ ...comment, mqtt: port.default(1883), ws: port.default(9001), http: port.default(8470) })
    .default({ mqtt: 1883, ws: 9001, http: 8470 }),
  log_level: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  // the embedded broker's limits (electron/host/broker/brokerSettings.ts)
  broker: brokerConfigSchema,
  // the window's sessions (docs/security.md, "Window sessions"): a browser session with no request and
  // no broker connection for this long is ended, and its credential with it. Fractions allowed (0.5 = 30 s).
  window: z
    .strictObject({
      ...comment,
      session_idle_minutes: z
        .number()
        .positive()
        .max(7 * 24 * 60)
        .default(30),
    })
    .default({ session_idle_minutes: 30 }),
  // LAN access: off by default (docs/security.md); when on, an extra MQTT-over-TLS listener (electron/host/broker/tls.ts)
  lan: z
    .strictObject({ ...comment, enabled: z.boolean().default(false), host: z.string().min(1).default('0.0.0.0'), port: port.default(8883) })
    .default({ enabled: false, host: '0.0.0.0', port: 8883 }),
  recorder: z
    .strictObject({
      ...comment,
      enabled: z.boolean().default(true),
      max_age_hours: z.number().positive().default(168),
      max_bytes: positiveInt.default(500 * 1024 * 1024),
      max_rows: positiveInt.default(5_000_000),
      // nice value of the writer thread (Linux): 0 = same priority as the broker; higher = history
      // yields the CPU to delivery and the services, and catches up when they are idle
      writer_nice: z.number().int().min(0).max(19).default(19),
    })
    .default({ enabled: true, max_age_hours: 168, max_bytes: 500 * 1024 * 1024, max_rows: 5_000_000, writer_nice: 19 }),
  supervisor: z
    .strictObject({
      ...comment,
      backoff_initial_ms: positiveInt.default(500),
      backoff_max_ms: positiveInt.default(30_000),
      stable_ms: positiveInt.default(60_000),
      max_crashes: z.number().int().min(0).default(5),
      crash_window_ms: positiveInt.default(60_000),
      grace_ms: positiveInt.default(3_000),
      ready_timeout_ms: positiveInt.default(30_000),
      log_file_max_bytes: positiveInt.default(5 * 1024 * 1024),
      log_files_kept: positiveInt.default(3),
      // the light services as threads of one shared process (serviceFlags.ts SERVICE_PROCESS); false: each its own process
      service_pool: z.boolean().default(true),
    })
    .default({
      backoff_initial_ms: 500,
      backoff_max_ms: 30_000,
      stable_ms: 60_000,
      max_crashes: 5,
      crash_window_ms: 60_000,
      grace_ms: 3_000,
      ready_timeout_ms: 30_000,
      log_file_max_bytes: 5 * 1024 * 1024,
      log_files_kept: 3,
      service_pool: true,
    }),
  services: z.strictObject({ ...comment, ...servicesShape }).default(() => z.strictObject(servicesShape).parse({})),
});

export type AliciaConfig = z.output<typeof configSchema>;
export type ServiceConfigSection = z.output<typeof serviceSection>;

/** Flags that override the file (CLI or Electron main). */
export interface ConfigOverrides {
  host?: string;
  tls?: boolean;
  mqttPort?: number;
  wsPort?: number;
  httpPort?: number;
  /** --broker URL: the user's own broker (broker.external.url) */
  brokerUrl?: string;
  /** --broker-ws URL: that broker's WebSocket listener for the window (broker.external.ws_url) */
  brokerWsUrl?: string;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const key = issue.path.length ? issue.path.map(String).join('.') : '(top level)';
  if (issue.code === 'unrecognized_keys') {
    const where = issue.path.length ? `${key}.` : '';
    return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${where}${k}"`).join(', ')}`;
  }
  return `"${key}": ${issue.message}`;
}

/** Validate a parsed config object. Throws AliciaError CONFIG_INVALID naming the file and every bad key. */
export function parseConfig(raw: unknown, file: string): AliciaConfig {
  const r = configSchema.safeParse(raw);
  if (r.success) return r.data;
  const issues = r.error.issues.slice(0, 10).map(describeIssue);
  throw new AliciaError('CONFIG_INVALID', `invalid configuration in ${file}: ${issues.join('; ')}`, {
    file,
    issues: r.error.issues.slice(0, 10).map((i) => ({ key: i.path.map(String).join('.'), message: i.message })),
  });
}

/**
 * Read <dataDir>/config.json, creating it from the default first. The data dir must exist.
 * Throws AliciaError CONFIG_INVALID naming the file (and the key) for unreadable, non-JSON or invalid content.
 */
export function loadConfig(dataDir: string, overrides: ConfigOverrides = {}, defaultsFile = defaultConfigPath()): AliciaConfig {
  const file = join(dataDir, CONFIG_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT')
      throw new AliciaError('CONFIG_INVALID', `cannot read config file ${file}: ${code ?? (e as Error).message}`, { file });
    try {
      // COPYFILE_EXCL: never overwrite a config another process just wrote
      copyFileSync(defaultsFile, file, 1);
      text = readFileSync(file, 'utf8');
    } catch (e2) {
      const c2 = (e2 as NodeJS.ErrnoException).code;
      throw new AliciaError('CONFIG_INVALID', `cannot create config file ${file} from ${defaultsFile}: ${c2 ?? (e2 as Error).message}`, {
        file,
      });
    }
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new AliciaError('CONFIG_INVALID', `config file ${file} is not valid JSON: ${(e as Error).message}`, { file });
  }
  const config = applyOverrides(parseConfig(raw, file), overrides);
  checkExposure(config, file);
  checkExternalBroker(config, file, dataDir);
  return config;
}

/** Addresses that never leave this machine; every other `host` (127.0.0.2 too) counts as the network. */
const LOCAL_HOSTS = new Set(['127.0.0.1', '::1', '[::1]', 'localhost']);

export function isLocalOnly(host: string): boolean {
  return LOCAL_HOSTS.has(host.toLowerCase());
}

/**
 * The window and the broker's WebSocket carry the window's credential and everything it sees: on
 * the network they go over TLS or not at all. One line, naming the flags, for the user to act on.
 */
export function checkExposure(config: AliciaConfig, file: string): void {
  if (isLocalOnly(config.host) || config.tls) return;
  throw new AliciaError(
    'CONFIG_INVALID',
    `host ${config.host} is reachable from the network, which needs TLS: add --tls (or "tls": true in ${file}), or listen on 127.0.0.1 only (--host 127.0.0.1)`,
    { file },
  );
}

/**
 * On the user's own broker: its URLs and TLS files must be usable (one line naming the key), and
 * LAN access, which is a listener of the embedded broker, is that broker's business.
 */
export function checkExternalBroker(config: AliciaConfig, file: string, dataDir: string): void {
  const external = config.broker.external;
  if (!external) return;
  try {
    resolveExternalBroker(external, dataDir);
  } catch (e) {
    throw new AliciaError('CONFIG_INVALID', `invalid configuration in ${file} (or --broker): ${(e as Error).message}`, { file });
  }
  if (config.lan.enabled) {
    throw new AliciaError(
      'CONFIG_INVALID',
      `lan.enabled in ${file} opens a listener of the embedded broker, which does not run with broker.external (--broker): give your own broker a TLS listener instead`,
      { file },
    );
  }
}

export function applyOverrides(cfg: AliciaConfig, o: ConfigOverrides): AliciaConfig {
  let external = cfg.broker.external;
  if (o.brokerUrl !== undefined) external = { ...(external ?? { reject_unauthorized: true }), url: o.brokerUrl };
  if (o.brokerWsUrl !== undefined) {
    if (!external) throw new AliciaError('CONFIG_INVALID', '--broker-ws needs --broker URL (or broker.external.url in config.json)');
    external = { ...external, ws_url: o.brokerWsUrl };
  }
  return {
    ...cfg,
    broker: { ...cfg.broker, external },
    host: o.host ?? cfg.host,
    tls: o.tls ?? cfg.tls,
    ports: {
      ...cfg.ports,
      mqtt: o.mqttPort ?? cfg.ports.mqtt,
      ws: o.wsPort ?? cfg.ports.ws,
      http: o.httpPort ?? cfg.ports.http,
    },
  };
}
