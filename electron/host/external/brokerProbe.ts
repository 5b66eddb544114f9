import mqtt from 'mqtt';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { AliciaError } from '../../../services/lib/protocol/errors.js';
import type { Credential } from '../broker/types.js';
import type { ExternalTls } from './externalBroker.js';

/** CONNACK return codes of MQTT 3.1.1 §3.2.2.3, in words. */
export const CONNACK_WORDS: Readonly<Record<number, string>> = {
  1: 'unacceptable protocol version',
  2: 'identifier rejected',
  3: 'server unavailable',
  4: 'bad user name or password',
  5: 'not authorized',
};

/** Socket and TLS failures, in words (Node's error codes). */
const NETWORK_WORDS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused (is it running, on that port?)',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'its name does not resolve (yet)',
  ETIMEDOUT: 'no answer (a firewall?)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'it closed the connection (TLS to a plain port, or the other way round?)',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'its certificate is self-signed: give its CA as broker.external.ca_file',
  SELF_SIGNED_CERT_IN_CHAIN: 'its certificate chain ends in an unknown CA: give it as broker.external.ca_file',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'its certificate is signed by an unknown CA: give it as broker.external.ca_file',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'its certificate is signed by an unknown CA: give it as broker.external.ca_file',
  CERT_HAS_EXPIRED: 'its certificate has expired',
  ERR_TLS_CERT_ALTNAME_INVALID: 'its certificate does not name that host',
};

/**
 * One line saying why a connection to the user's broker failed: which principal and why, with the
 * CONNACK code in words (MQTT 3.1.1 §3.2.2.3) or the network error. BROKER_REFUSED for a CONNACK
 * refusal, BROKER_UNREACHABLE otherwise.
 */
export function describeConnectFailure(err: unknown, url: string, principal: string): AliciaError {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'number') {
    const words = CONNACK_WORDS[code] ?? 'refused';
    return new AliciaError('BROKER_REFUSED', `the broker at ${url} refused principal "${principal}": ${words} (CONNACK ${code})`, {
      principal,
      connack: code,
    });
  }
  const text = typeof code === 'string' ? (NETWORK_WORDS[code] ?? code) : (err as Error).message;
  return new AliciaError('BROKER_UNREACHABLE', `cannot reach the broker at ${url}: ${text}`, {
    code: typeof code === 'string' ? code : null,
  });
}

/** One CONNECT with a credential, clean session, no retry: resolves when accepted, rejects with describeConnectFailure(). */
export function tryConnect(
  url: string,
  tls: ExternalTls | null,
  principal: string,
  credential: Credential,
  timeoutMs: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, {
      // a throwaway id and clean session: never disturbs the part's own persistent session
      clientId: `alicia-probe-${principal}-${randomBytes(4).toString('hex')}`,
      username: credential.username,
      password: credential.password,
      clean: true,
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: timeoutMs,
      ...(tls ?? {}),
    });
    let settled = false;
    const finish = (e: AliciaError | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.end(true);
      if (e) reject(e);
      else resolve();
    };
    const timer = setTimeout(
      () =>
        finish(
          new AliciaError('BROKER_UNREACHABLE', `cannot reach the broker at ${url}: no CONNACK within ${Math.round(timeoutMs / 1000)} s`),
        ),
      timeoutMs,
    );
    client.once('connect', () => finish(null));
    client.once('error', (err) => finish(describeConnectFailure(err, url, principal)));
    client.once('close', () =>
      finish(new AliciaError('BROKER_UNREACHABLE', `cannot reach the broker at ${url}: it closed the connection before CONNACK`)),
    );
  });
}

export interface ProbeOptions {
  url: string;
  tls: ExternalTls | null;
  /** every principal that will connect, in the order to report them */
  credentials: { principal: string; credential: Credential }[];
  /** where they come from, for the hint (DIR/credentials.json) */
  credentialsFile: string;
  timeoutMs?: number;
}

/**
 * Before anything starts: is the broker there, and does it take every principal's credential? One
 * AliciaError in one line otherwise, naming the first principal refused and why, and how many more
 * were, so `alicia serve` stops cleanly instead of starting services that would retry forever.
 */
export async function probeBroker(o: ProbeOptions): Promise<void> {
  const timeoutMs = o.timeoutMs ?? 10_000;
  const [first, ...rest] = o.credentials;
  if (!first) return;
  // reachability once, then every credential at the same time
  const hint = `; give your broker the credentials in ${o.credentialsFile} (for Mosquitto: alicia broker-config mosquitto --data-dir ${dirname(o.credentialsFile)} --out OUT) and reload it`;
  const refusal = (e: unknown) => (e instanceof AliciaError && e.code === 'BROKER_REFUSED' ? e : null);
  try {
    await tryConnect(o.url, o.tls, first.principal, first.credential, timeoutMs);
  } catch (e) {
    const r = refusal(e);
    if (!r) throw e;
    // the others may be refused too: count them for the same line
    rest.unshift(first);
  }
  const results = await Promise.allSettled(rest.map((c) => tryConnect(o.url, o.tls, c.principal, c.credential, timeoutMs)));
  const refused: { principal: string; error: AliciaError }[] = [];
  for (const [i, r] of results.entries()) {
    if (r.status === 'fulfilled') continue;
    const ref = refusal(r.reason);
    if (!ref) throw r.reason;
    refused.push({ principal: rest[i]!.principal, error: ref });
  }
  if (refused.length === 0) return;
  const more =
    refused.length > 1
      ? ` (and ${refused.length - 1} more: ${refused
          .slice(1)
          .map((r) => r.principal)
          .join(', ')})`
      : '';
  throw new AliciaError('BROKER_REFUSED', `${refused[0]!.error.message}${more}${hint}`, {
    refused: refused.map((r) => r.principal),
  });
}
