import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, waitFor } from './testing/mqttClient.js';
import { startTestBroker, type TestBroker } from './testing/testBroker.js';
import { X509Certificate } from 'node:crypto';
import { hostname, networkInterfaces } from 'node:os';
import {
  TLS_CERT_FILE,
  TLS_KEY_FILE,
  certificateNamesFor,
  fingerprintOf,
  loadOrCreateLanCertificate,
  startLanListener,
  type LanListener,
} from './tls.js';

let tb: TestBroker;
let dir: string;
let lan: LanListener;

beforeAll(async () => {
  tb = await startTestBroker();
  dir = await mkdtemp(join(tmpdir(), 'alicia-tls-'));
});
afterAll(async () => {
  await lan?.close();
  await tb?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('LAN TLS certificate', () => {
  it('is generated on first use (key 0600), then loaded unchanged', async () => {
    const first = await loadOrCreateLanCertificate(dir);
    expect(first.created).toBe(true);
    expect((await stat(join(dir, TLS_KEY_FILE))).mode & 0o777).toBe(0o600);
    expect(first.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(fingerprintOf(await readFile(join(dir, TLS_CERT_FILE), 'utf8'))).toBe(first.fingerprint256);
    const again = await loadOrCreateLanCertificate(dir);
    expect(again.created).toBe(false);
    expect(again.fingerprint256).toBe(first.fingerprint256);
  });

  it('a corrupt certificate is an error naming the file, never silently replaced', async () => {
    const d = await mkdtemp(join(tmpdir(), 'alicia-tls-bad-'));
    await writeFile(join(d, TLS_CERT_FILE), 'garbage');
    await writeFile(join(d, TLS_KEY_FILE), 'garbage');
    await expect(loadOrCreateLanCertificate(d)).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining(TLS_CERT_FILE),
    });
    await rm(d, { recursive: true, force: true });
  });
});

describe('the certificate names the addresses it is served on', () => {
  it('a new certificate names the bound address; a stored one lacking it is re-issued with the same key', async () => {
    const d = await mkdtemp(join(tmpdir(), 'alicia-tls-san-'));
    const first = await loadOrCreateLanCertificate(d, certificateNamesFor(['127.0.0.1']));
    const x1 = new X509Certificate(first.cert);
    expect(x1.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(x1.checkHost('localhost')).toBe('localhost');
    expect(x1.checkIP('127.0.0.2')).toBeUndefined();
    // the same names: loaded unchanged
    expect((await loadOrCreateLanCertificate(d, certificateNamesFor(['127.0.0.1']))).fingerprint256).toBe(first.fingerprint256);
    // served on 127.0.0.2 now: re-issued for both, same key, the old fingerprint reported
    const second = await loadOrCreateLanCertificate(d, certificateNamesFor(['127.0.0.2']));
    expect(second.replacedFingerprint256).toBe(first.fingerprint256);
    expect(second.fingerprint256).not.toBe(first.fingerprint256);
    expect(second.key).toBe(first.key);
    const x2 = new X509Certificate(second.cert);
    expect(x2.checkIP('127.0.0.2')).toBe('127.0.0.2');
    expect(x2.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(x2.checkHost('localhost')).toBe('localhost');
    expect(x2.publicKey.export({ type: 'spki', format: 'pem' })).toBe(x1.publicKey.export({ type: 'spki', format: 'pem' }));
    expect(fingerprintOf(await readFile(join(d, TLS_CERT_FILE), 'utf8'))).toBe(second.fingerprint256);
    await rm(d, { recursive: true, force: true });
  });

  it('a wildcard bind names every address of this machine and its host name', () => {
    const names = certificateNamesFor(['0.0.0.0']);
    expect(names.dnsNames).toEqual(expect.arrayContaining(['localhost', hostname().toLowerCase()]));
    const own = Object.values(networkInterfaces()).flatMap((l) => (l ?? []).map((a) => a.address));
    expect(names.ips).toEqual(expect.arrayContaining(own.filter((a) => !a.startsWith('fe80:'))));
    expect(certificateNamesFor(['alicia.local']).dnsNames).toContain('alicia.local');
    expect(certificateNamesFor(['[::1]']).ips).toContain('::1');
  });
});

describe('mqtts listener', () => {
  it('serves MQTT over TLS to a client pinning the certificate, with the same auth and ACL', async () => {
    const cert = await loadOrCreateLanCertificate(dir);
    lan = await startLanListener((s) => tb.broker.acceptConnection(s), { host: '127.0.0.1', port: 0, certificate: cert });
    expect(lan.url).toMatch(/^mqtts:\/\/127\.0\.0\.1:\d+$/);

    // pinned: the self-signed certificate is the only trust anchor
    const op = await connectClient(lan.url, {
      ...tb.credentials.operator,
      ca: cert.cert,
      rejectUnauthorized: true,
      servername: 'localhost',
    });
    const got: string[] = [];
    op.on('message', (_t, p) => got.push(p.toString()));
    await op.subscribeAsync('alicia/broadcast/+', { qos: 1 });
    await op.publishAsync('alicia/broadcast/lan', 'over tls', { qos: 1 });
    await waitFor(() => got.includes('over tls'), 'the message over TLS');
    // the peer certificate is the one whose fingerprint the window shows
    const peer = (op.stream as unknown as { getPeerX509Certificate(): { fingerprint256: string } }).getPeerX509Certificate();
    expect(peer.fingerprint256).toBe(cert.fingerprint256);
    // ACL applies as on TCP: a service cannot subscribe outside its table
    const stt = await connectClient(lan.url, { ...tb.credentials.stt, ca: cert.cert, servername: 'localhost' });
    await expect(stt.subscribeAsync('alicia/#')).rejects.toMatchObject({ packet: { granted: [128] } });
    await Promise.all([op.endAsync(), stt.endAsync()]);
  });

  it('refuses a client that does not trust the certificate, and a wrong password', async () => {
    // default trust store: a self-signed certificate is rejected by the client
    await expect(connectClient(lan.url, { ...tb.credentials.operator, servername: 'localhost' })).rejects.toThrow(
      /self-signed|certificate/i,
    );
    await expect(
      connectClient(lan.url, {
        username: 'operator',
        password: 'wrong',
        ca: (await loadOrCreateLanCertificate(dir)).cert,
        servername: 'localhost',
      }),
    ).rejects.toThrow(/bad user|not authorized/i);
  });

  it('plain MQTT on the TLS port fails the handshake without disturbing TLS clients', async () => {
    const u = new URL(lan.url);
    const { connect } = await import('node:net');
    const plain = connect({ host: u.hostname, port: Number(u.port) });
    plain.on('error', () => undefined);
    plain.write(Buffer.from([0x10, 0x0c, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x1e, 0x00, 0x00]));
    await new Promise<void>((r) => plain.once('close', () => r()));
    // a raw TLS handshake still works
    const cert = await loadOrCreateLanCertificate(dir);
    await new Promise<void>((resolve, reject) => {
      const s = tlsConnect({ host: u.hostname, port: Number(u.port), ca: cert.cert, servername: 'localhost' }, () => {
        s.end();
        resolve();
      });
      s.on('error', reject);
    });
  });
});
