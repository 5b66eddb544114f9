import { DEVICE_NAME_RE, isDeviceName } from '../../../services/lib/protocol/services.js';

/**
 * The "Device credentials" panel: the name of an external device's credential (its MQTT username
 * is `device:<name>`, its topics `<name>/#`: services/lib/protocol/services.ts deviceAclFor) and the
 * mosquitto_pub line a user can paste to try it. Pure, tested in deviceFormCredential.test.ts.
 */

/** Why a credential name cannot be used, or null. */
export function credentialNameProblem(raw: string): string | null {
  const name = raw.trim();
  if (name === '') return 'Give the device a name, e.g. porch_sensor';
  if (name.length > 40) return 'At most 40 characters';
  if (!DEVICE_NAME_RE.test(name)) return 'Use lower-case letters, digits, _ and - (it becomes the topic root <name>/)';
  if (!isDeviceName(name)) return `“${name}” is reserved: the system's own topics live under it`;
  return null;
}

/** POSIX shell single quotes: safe for any path or name. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:@-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The directory that holds `device-credentials/` (the data dir), from the password file's path. */
export function dataDirOf(passwordFile: string): string {
  const sep = passwordFile.includes('\\') && !passwordFile.includes('/') ? '\\' : '/';
  const parts = passwordFile.split(sep);
  return parts.slice(0, -2).join(sep);
}

export interface PubExample {
  name: string;
  /** the broker as the device reaches it */
  host: string;
  port: string;
  /** where the host wrote the password (add_device's password_file) */
  passwordFile: string;
  /** mqtts (the LAN listener, self-signed): the certificate to trust */
  caFile?: string;
}

/**
 * `mosquitto_pub` publishing one message to the device's own tree, reading the password from the
 * file the host wrote (the password never travels on the bus, so the window never has it).
 */
export function mosquittoPubExample(e: PubExample): string {
  const parts = ['mosquitto_pub', '-h', shellQuote(e.host), '-p', shellQuote(e.port)];
  if (e.caFile) parts.push('--cafile', shellQuote(e.caFile));
  parts.push(
    '-u',
    shellQuote(`device:${e.name}`),
    '-P',
    `"$(sed -n 's/^password=//p' ${shellQuote(e.passwordFile)})"`,
    '-t',
    shellQuote(`${e.name}/status`),
    '-m',
    'online',
  );
  return parts.join(' ');
}

/** Where the example's host and port came from (the panel says so next to them). */
export type BrokerAddressSource = 'lan' | 'host' | 'guess';

/**
 * Host and port for the example: the LAN listener when it is on; else the local MQTT listener the
 * host announced (alicia/system/host mqtt_url: any port with `--mqtt-port 0`); else, from a host
 * that does not announce it, the host the window reached and the default port 1883.
 */
export function brokerAddress(
  lanUrl: string | null,
  mqttUrl: string | null,
  wsUrl: string,
): { host: string; port: string; tls: boolean; source: BrokerAddressSource } {
  const parse = (u: string): URL | null => {
    try {
      return new URL(u);
    } catch {
      return null;
    }
  };
  const bare = (hostname: string) => hostname.replace(/^\[|\]$/g, '');
  const lan = lanUrl ? parse(lanUrl) : null;
  if (lan && lan.hostname) return { host: bare(lan.hostname), port: lan.port || '8883', tls: true, source: 'lan' };
  const reached = bare(parse(wsUrl)?.hostname ?? '') || '127.0.0.1';
  const mqtt = mqttUrl ? parse(mqttUrl) : null;
  if (mqtt && mqtt.hostname) {
    // A listener on every interface (host 0.0.0.0 or ::) is reached the way the window reached the host.
    const host = bare(mqtt.hostname);
    return { host: host === '0.0.0.0' || host === '::' ? reached : host, port: mqtt.port || '1883', tls: false, source: 'host' };
  }
  return { host: reached, port: '1883', tls: false, source: 'guess' };
}
