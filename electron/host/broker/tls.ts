import { X509Certificate, createPublicKey } from 'node:crypto';
import { chmod, readFile, rename, writeFile } from 'node:fs/promises';
import { isIP, type AddressInfo } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import { generate } from 'selfsigned';
import { AliciaError } from '../../../services/lib/protocol/errors.js';

/**
 * LAN access (off by default): nothing listens beyond 127.0.0.1 unless the user turns it
 * on, and then only over TLS with a self-signed certificate generated on first use: MQTT over TLS
 * (mqtts, `lan.enabled`) for devices, HTTPS and WSS for the window (`tls`, required by a non-local
 * `host`). The certificate and key live in the data dir (key 0600); the window shows the SHA-256
 * fingerprint so a user can pin it on the devices they connect (mosquitto_sub --cafile, mqtt.js `ca`)
 * and compare it with what their browser shows.
 */

export const TLS_CERT_FILE = 'lan-cert.pem';
export const TLS_KEY_FILE = 'lan-key.pem';

export interface LanCertificate {
  cert: string;
  key: string;
  /** SHA-256 fingerprint, "AB:CD:..." (what `openssl x509 -fingerprint -sha256` prints) */
  fingerprint256: string;
  certPath: string;
  keyPath: string;
  /** true when this call generated it */
  created: boolean;
  /** the fingerprint of the certificate this call replaced because it did not name a required address */
  replacedFingerprint256?: string;
}

export interface CertificateOptions {
  /**
   * names the certificate must be valid for (subjectAltName; default localhost and 127.0.0.1). A
   * stored certificate that lacks one is re-issued with the same key for all of them.
   */
  dnsNames?: string[];
  ips?: string[];
  /** validity in days (default 825, the longest Apple platforms accept for TLS server certificates) */
  days?: number;
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]';
}

/**
 * The names a client may use to reach these listen addresses: the address itself, and for a
 * wildcard bind every address of this machine and its host name; always localhost and the loopback
 * addresses. A browser (or mosquitto_sub --cafile) refuses a certificate that does not name the
 * address it connected to.
 */
export function certificateNamesFor(hosts: readonly string[]): { dnsNames: string[]; ips: string[] } {
  const dns = new Set(['localhost']);
  const ips = new Set(['127.0.0.1', '::1']);
  const add = (h: string) => {
    const bare = h.replace(/^\[|\]$/g, '');
    if (isIP(bare) !== 0) ips.add(bare);
    else if (bare) dns.add(bare.toLowerCase());
  };
  for (const h of hosts) {
    if (!isWildcard(h)) {
      add(h);
      continue;
    }
    dns.add(hostname().toLowerCase());
    dns.add(`${hostname().toLowerCase()}.local`);
    for (const list of Object.values(networkInterfaces()))
      for (const a of list ?? []) if (!a.address.startsWith('fe80:')) ips.add(a.address);
  }
  return { dnsNames: [...dns], ips: [...ips] };
}

/** The DNS names and IP addresses of a certificate's subjectAltName. */
function namesOf(x509: X509Certificate): { dnsNames: string[]; ips: string[] } {
  const dnsNames: string[] = [];
  const ips: string[] = [];
  for (const part of (x509.subjectAltName ?? '').split(/,\s*/)) {
    if (part.startsWith('DNS:')) dnsNames.push(part.slice(4));
    else if (part.startsWith('IP Address:')) ips.push(part.slice(11));
  }
  return { dnsNames, ips };
}

/** SHA-256 fingerprint of a PEM certificate. */
export function fingerprintOf(certPem: string): string {
  return new X509Certificate(certPem).fingerprint256;
}

async function readIfExists(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new AliciaError('CONFIG_INVALID', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { path });
  }
}

/** Atomic write (temporary file + rename) with the mode set before the content lands. */
async function writeSecret(path: string, text: string, mode: number): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text, { mode });
  await chmod(tmp, mode);
  await rename(tmp, path);
}

/**
 * The LAN certificate of this data dir: loaded when present and valid, generated (EC P-256,
 * self-signed) on first use. A corrupt pair is an error naming the file, never silently replaced:
 * devices have pinned its fingerprint.
 */
export async function loadOrCreateLanCertificate(dataDir: string, opts: CertificateOptions = {}): Promise<LanCertificate> {
  const certPath = join(dataDir, TLS_CERT_FILE);
  const keyPath = join(dataDir, TLS_KEY_FILE);
  const [cert, key] = await Promise.all([readIfExists(certPath), readIfExists(keyPath)]);
  if (cert !== null && key !== null) {
    let x509: X509Certificate;
    try {
      x509 = new X509Certificate(cert);
    } catch (e) {
      throw new AliciaError(
        'CONFIG_INVALID',
        `${certPath} is not a valid certificate (${(e as Error).message}); remove it and ${TLS_KEY_FILE} to generate a new pair`,
        { path: certPath },
      );
    }
    // an older host or a user may have left the key readable by others
    await chmod(keyPath, 0o600);
    const missing = [
      ...(opts.dnsNames ?? []).filter((n) => x509.checkHost(n, { wildcards: false }) === undefined),
      ...(opts.ips ?? []).filter((ip) => x509.checkIP(ip) === undefined),
    ];
    if (missing.length === 0) return { cert, key, fingerprint256: x509.fingerprint256, certPath, keyPath, created: false };
    // Listening on an address the certificate does not name: re-issue it for the old names and the
    // new ones, with the same key (a client pinning the public key keeps working; one pinning the
    // certificate's fingerprint must re-pin, which the host logs with both fingerprints).
    const had = namesOf(x509);
    const pems = await issue(
      {
        dnsNames: [...new Set([...had.dnsNames, ...(opts.dnsNames ?? [])])],
        ips: [...new Set([...had.ips, ...(opts.ips ?? [])])],
        days: opts.days,
      },
      key,
    );
    await writeSecret(certPath, pems.cert, 0o644);
    return {
      cert: pems.cert,
      key,
      fingerprint256: fingerprintOf(pems.cert),
      certPath,
      keyPath,
      created: false,
      replacedFingerprint256: x509.fingerprint256,
    };
  }
  if (cert !== null || key !== null) {
    throw new AliciaError(
      'CONFIG_INVALID',
      `only one of ${certPath} and ${keyPath} exists; restore the other or remove both to generate a new pair`,
      { path: cert ? keyPath : certPath },
    );
  }
  const pems = await issue({ dnsNames: opts.dnsNames ?? ['localhost'], ips: opts.ips ?? ['127.0.0.1'], days: opts.days });
  await writeSecret(keyPath, pems.private, 0o600);
  await writeSecret(certPath, pems.cert, 0o644);
  return { cert: pems.cert, key: pems.private, fingerprint256: fingerprintOf(pems.cert), certPath, keyPath, created: true };
}

/** A self-signed EC P-256 certificate for these names; with `key`, for that key instead of a new one. */
async function issue(
  names: { dnsNames: string[]; ips: string[]; days?: number },
  key?: string,
): Promise<{ cert: string; private: string }> {
  const days = names.days ?? 825;
  const now = new Date();
  const altNames = [...names.dnsNames.map((value) => ({ type: 2 as const, value })), ...names.ips.map((ip) => ({ type: 7 as const, ip }))];
  return generate([{ name: 'commonName', value: 'Alicia Control Center (LAN)' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    ...(key ? { keyPair: { privateKey: key, publicKey: createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString() } } : {}),
    notBeforeDate: new Date(now.getTime() - 60_000),
    notAfterDate: new Date(now.getTime() + days * 86_400_000),
    extensions: [
      // self-signed and used as its own trust anchor by pinning clients (mqtt.js `ca`, mosquitto --cafile)
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames },
    ],
  });
}

export interface LanListener {
  /** mqtts://HOST:PORT */
  url: string;
  port: number;
  fingerprint256: string;
  close(): Promise<void>;
}

/**
 * MQTT over TLS for LAN devices: a TLS server whose decrypted streams go to the broker exactly like
 * TCP ones (same auth, ACL, limits). `accept` is AliciaBroker.acceptConnection.
 */
export async function startLanListener(
  accept: (stream: TLSSocket) => void,
  opts: { host: string; port: number; certificate: LanCertificate },
): Promise<LanListener> {
  const server: TlsServer = createTlsServer({ cert: opts.certificate.cert, key: opts.certificate.key, minVersion: 'TLSv1.2' }, (socket) => {
    // without TCP_NODELAY a QoS 1 round trip takes ~88 ms (measured over plain TCP): Nagle waits
    // for the peer's delayed ACK
    socket.setNoDelay(true);
    accept(socket);
  });
  // a failed handshake (plain MQTT on the TLS port, a scanner) is that socket's problem only
  server.on('tlsClientError', (_err, socket) => socket.destroy());
  const sockets = new Set<TLSSocket>();
  server.on('secureConnection', (s: TLSSocket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new AliciaError('BROKER_LISTEN_FAILED', `cannot listen on ${opts.host}:${opts.port} (lan): ${err.code ?? err.message}`)),
    );
    server.listen(opts.port, opts.host, () => resolve((server.address() as AddressInfo).port));
  });
  const urlHost = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  let closing: Promise<void> | null = null;
  return {
    url: `mqtts://${urlHost}:${port}`,
    port,
    fingerprint256: opts.certificate.fingerprint256,
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      });
      return closing;
    },
  };
}
