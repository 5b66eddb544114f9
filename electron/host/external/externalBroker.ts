import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { AliciaError } from '../../../services/lib/protocol/errors.js';

/**
 * The user's own broker (`alicia serve --broker URL`, config.json `broker.external`): where it is
 * and how to speak TLS to it. Standard MQTT 3.1.1 over TCP or TLS only, no broker-specific API, so
 * Mosquitto, EMQX, HiveMQ and VerneMQ all do.
 */
export interface ExternalBrokerSettings {
  /** mqtt://HOST[:PORT] or mqtts://HOST[:PORT] */
  url: string;
  /** the broker's own WebSocket listener for the window (ws:// or wss://); absent = the host's proxy */
  ws_url?: string | undefined;
  /** PEM files; relative paths are relative to the data dir */
  ca_file?: string | undefined;
  cert_file?: string | undefined;
  key_file?: string | undefined;
  /** refuse a certificate that the CA (or the system's CAs) does not vouch for; default true */
  reject_unauthorized: boolean;
}

/** The TLS options every connection to it gets (services receive the file paths in their environment). */
export interface ExternalTls {
  ca?: string;
  cert?: string;
  key?: string;
  rejectUnauthorized: boolean;
}

/** The settings resolved at start: URLs checked, files read. */
export interface ExternalBroker {
  url: string;
  wsUrl: string | null;
  /** null for mqtt:// */
  tls: ExternalTls | null;
  /** absolute paths of the PEM files, for the services' environment */
  files: { ca?: string; cert?: string; key?: string };
}

/**
 * Why a broker URL is unusable, or null. Credentials never ride in the URL (they come from
 * credentials.json, one per principal), and a path or query would be silently ignored by MQTT.
 */
export function brokerUrlProblem(url: string, schemes: readonly string[] = ['mqtt:', 'mqtts:']): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `not a URL: ${JSON.stringify(url).slice(0, 80)}`;
  }
  const want = schemes.map((s) => `${s}//HOST[:PORT]`).join(' or ');
  if (!schemes.includes(u.protocol)) return `must be ${want}, got ${JSON.stringify(url).slice(0, 80)}`;
  if (!u.hostname) return `has no host: ${JSON.stringify(url).slice(0, 80)}`;
  if (u.username || u.password) return 'must not hold a user name or password (each part of Alicia uses its own from credentials.json)';
  const wsPath = u.protocol === 'ws:' || u.protocol === 'wss:';
  if ((!wsPath && u.pathname !== '' && u.pathname !== '/') || u.search || u.hash) return `must be ${want}, without a path or query`;
  return null;
}

function readPem(dataDir: string, key: string, file: string): { path: string; text: string } {
  const path = isAbsolute(file) ? file : join(dataDir, file);
  try {
    return { path, text: readFileSync(path, 'utf8') };
  } catch (e) {
    throw new AliciaError(
      'CONFIG_INVALID',
      `broker.external.${key} ${path} cannot be read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
    );
  }
}

/** Check the settings and read the PEM files. Throws AliciaError CONFIG_INVALID in one line naming the key. */
export function resolveExternalBroker(s: ExternalBrokerSettings, dataDir: string): ExternalBroker {
  const bad = (key: string, why: string) => new AliciaError('CONFIG_INVALID', `broker.external.${key} ${why}`);
  const urlProblem = brokerUrlProblem(s.url);
  if (urlProblem) throw bad('url', urlProblem);
  if (s.ws_url !== undefined) {
    const p = brokerUrlProblem(s.ws_url, ['ws:', 'wss:']);
    if (p) throw bad('ws_url', p);
  }
  const secure = new URL(s.url).protocol === 'mqtts:';
  const anyTls = s.ca_file !== undefined || s.cert_file !== undefined || s.key_file !== undefined;
  if (!secure && anyTls) throw bad('url', 'is mqtt:// (plain TCP) but ca_file, cert_file or key_file is set: use mqtts://');
  if ((s.cert_file === undefined) !== (s.key_file === undefined))
    throw bad('cert_file', 'and key_file go together (a client certificate and its key)');
  const files: ExternalBroker['files'] = {};
  const tls: ExternalTls = { rejectUnauthorized: s.reject_unauthorized };
  for (const [key, field] of [
    ['ca_file', 'ca'],
    ['cert_file', 'cert'],
    ['key_file', 'key'],
  ] as const) {
    const file = s[key];
    if (file === undefined) continue;
    const pem = readPem(dataDir, key, file);
    files[field] = pem.path;
    tls[field] = pem.text;
  }
  return { url: s.url, wsUrl: s.ws_url ?? null, tls: secure ? tls : null, files };
}

/** The environment a service gets to reach the same broker with the same TLS settings (its credential is added by the supervisor). */
export function tlsEnv(b: ExternalBroker): Record<string, string> {
  if (!b.tls) return {};
  const env: Record<string, string> = { ALICIA_MQTT_REJECT_UNAUTHORIZED: b.tls.rejectUnauthorized ? '1' : '0' };
  if (b.files.ca) env.ALICIA_MQTT_CA_FILE = b.files.ca;
  if (b.files.cert) env.ALICIA_MQTT_CERT_FILE = b.files.cert;
  if (b.files.key) env.ALICIA_MQTT_KEY_FILE = b.files.key;
  return env;
}
