import { readFileSync } from 'node:fs';
import { parentPort as threadPort } from 'node:worker_threads';
import { AliciaError, toErrorInfo } from '../protocol/errors.js';
import { HOST_NODE, instanceId, isNodeName } from '../protocol/nodes.js';
import type { BusService, ConnectionOptions } from './busService.js';
import { createLogger } from './logger.js';

/**
 * A service process: its settings from the environment the supervisor gives it
 * (electron/host/supervisor/serviceEnv.ts), and runService(), the entry point of services/<name>/main.ts.
 */

/** A positive integer from the environment, or `dflt` when unset; CONFIG_INVALID otherwise. */
export function envInt(name: string, dflt: number, env: NodeJS.ProcessEnv = process.env): number {
  const v = env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0)
    throw new AliciaError('CONFIG_INVALID', `${name} must be a positive integer, got ${JSON.stringify(v)}`);
  return n;
}

/**
 * The broker connection from ALICIA_MQTT_URL / ALICIA_MQTT_USERNAME / ALICIA_MQTT_PASSWORD, and on
 * the user's own broker over TLS its settings (electron/host/external/externalBroker.ts tlsEnv):
 * ALICIA_MQTT_CA_FILE, ALICIA_MQTT_CERT_FILE, ALICIA_MQTT_KEY_FILE (PEM files, read here) and
 * ALICIA_MQTT_REJECT_UNAUTHORIZED (1 or 0).
 */
export function connectionFromEnv(env: NodeJS.ProcessEnv = process.env): ConnectionOptions {
  const url = env.ALICIA_MQTT_URL ?? 'mqtt://127.0.0.1:1883';
  if (!/^(mqtts?|wss?|tcp):\/\//.test(url))
    throw new AliciaError('CONFIG_INVALID', `ALICIA_MQTT_URL must be an mqtt:// or ws:// URL, got ${JSON.stringify(url)}`);
  const out: ConnectionOptions = { url, username: env.ALICIA_MQTT_USERNAME, password: env.ALICIA_MQTT_PASSWORD };
  const pem = (name: string): string | undefined => {
    const file = env[name];
    if (!file) return undefined;
    try {
      return readFileSync(file, 'utf8');
    } catch (e) {
      throw new AliciaError('CONFIG_INVALID', `${name} ${file} cannot be read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
  };
  const ca = pem('ALICIA_MQTT_CA_FILE');
  const cert = pem('ALICIA_MQTT_CERT_FILE');
  const key = pem('ALICIA_MQTT_KEY_FILE');
  if (ca !== undefined || cert !== undefined || key !== undefined || env.ALICIA_MQTT_REJECT_UNAUTHORIZED !== undefined) {
    out.tls = {
      ...(ca !== undefined ? { ca } : {}),
      ...(cert !== undefined ? { cert } : {}),
      ...(key !== undefined ? { key } : {}),
      rejectUnauthorized: env.ALICIA_MQTT_REJECT_UNAUTHORIZED !== '0',
    };
  }
  return out;
}

/** Which run of a service this process is (services/lib/protocol/nodes.ts). */
export interface InstanceIdentity {
  node: string;
  instance: string;
  /** subscribe to request topics through a shared subscription (off on a broker without them) */
  shared: boolean;
  /** renew the shared subscriptions after a reconnect that kept the session (Subscriptions.renewShared) */
  renewShared?: boolean;
}

/**
 * The instance from ALICIA_NODE_NAME (default: the host) and ALICIA_INSTANCE_ID (default from the
 * node), ALICIA_MQTT_SHARED (`0`: the broker has no shared subscriptions) and ALICIA_MQTT_SHARED_RENEW
 * (`1`: renew them after a reconnect, Subscriptions.renewShared).
 */
export function instanceFromEnv(service: string, env: NodeJS.ProcessEnv = process.env): InstanceIdentity {
  const node = env.ALICIA_NODE_NAME || HOST_NODE;
  if (!isNodeName(node))
    throw new AliciaError('CONFIG_INVALID', `ALICIA_NODE_NAME must be a node name such as kitchen-box, got ${JSON.stringify(node)}`);
  const instance = env.ALICIA_INSTANCE_ID || instanceId(service, node);
  if (instance.length > 128 || /[+#/\0]/.test(instance))
    throw new AliciaError('CONFIG_INVALID', `ALICIA_INSTANCE_ID must be at most 128 characters without / + # or NUL`);
  return { node, instance, shared: env.ALICIA_MQTT_SHARED !== '0', renewShared: env.ALICIA_MQTT_SHARED_RENEW === '1' };
}

/** This service's config section, passed by the supervisor as JSON in ALICIA_SERVICE_CONFIG. */
export function serviceConfigFromEnv(env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  const raw = env.ALICIA_SERVICE_CONFIG;
  if (!raw) return {};
  try {
    const v: unknown = JSON.parse(raw);
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    /* fall through */
  }
  throw new AliciaError('CONFIG_INVALID', 'ALICIA_SERVICE_CONFIG must be a JSON object');
}

/** Exit code of a service whose configuration is unusable (EX_CONFIG): the supervisor treats it like any crash. */
const EX_CONFIG = 78;
/** A stop that takes longer than this exits anyway (the supervisor's grace period is longer). */
const STOP_DEADLINE_MS = 4_000;

/**
 * Entry point of a service process (services/<name>/main.ts): start, and stop cleanly on SIGTERM,
 * SIGINT, a {type:'stop'} message from the supervisor (child_process IPC, Electron's parentPort, or
 * worker_threads' parentPort when it runs as a thread of the shared service process), or the parent
 * going away. In a thread, process.exit ends that thread only. A crash exits non-zero so the supervisor restarts it.
 */
export function runService(factory: () => BusService): void {
  let svc: BusService;
  try {
    svc = factory();
  } catch (e) {
    // no service yet to log with: the supervisor names the log file after the service
    createLogger('service').error('service could not be created', toErrorInfo(e) as unknown as Record<string, unknown>);
    process.exit(EX_CONFIG);
  }
  let stopping = false;
  const shutdown = (why: string) => {
    if (stopping) return;
    stopping = true;
    svc.log.info('stopping', { why });
    const force = setTimeout(() => process.exit(0), STOP_DEADLINE_MS);
    force.unref();
    svc.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('message', (m: unknown) => {
    if ((m as { type?: string } | null)?.type === 'stop') shutdown('stop message');
  });
  // child_process IPC channel closed = the host died: do not linger as an orphan
  process.on('disconnect', () => shutdown('parent disconnected'));
  const parentPort = (process as unknown as { parentPort?: { on(ev: 'message', cb: (e: { data: unknown }) => void): void } }).parentPort;
  parentPort?.on('message', (e) => {
    if ((e.data as { type?: string } | null)?.type === 'stop') shutdown('stop message');
  });
  threadPort?.on('message', (m: unknown) => {
    if ((m as { type?: string } | null)?.type === 'stop') shutdown('stop message');
  });
  process.on('uncaughtException', (e) => {
    svc.log.error('uncaught exception', { error: e.message, stack: e.stack });
    process.exit(1);
  });
  process.on('unhandledRejection', (e) => {
    svc.log.error('unhandled rejection', toErrorInfo(e) as unknown as Record<string, unknown>);
  });
  svc.start().catch((e: unknown) => {
    svc.log.error('start failed', toErrorInfo(e) as unknown as Record<string, unknown>);
    process.exit(1);
  });
}
