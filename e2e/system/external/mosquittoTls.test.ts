import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Credentials } from '../../../electron/host/broker/credentials.js';
import { certificateNamesFor, loadOrCreateLanCertificate, type LanCertificate } from '../../../electron/host/broker/tls.js';
import { SERVICE_NAMES } from '../../../services/lib/protocol/services.js';
import { startTestMosquitto, type TestMosquitto } from '../../support/mosquitto.js';
import { HostStartError, startHost, until, type HostProcess } from '../../support/host.js';

/**
 * `broker.external` over TLS: Debian's Mosquitto with an mqtts:// listener and a self-signed
 * certificate; config.json names it as the CA (`ca_file`), and every part of Alicia (host parts and
 * service processes, which get the file in their environment) connects over TLS with its own
 * credential. Without the CA the start stops in one line saying so.
 */

const dataDir = mkdtempSync(join(tmpdir(), 'alicia-ext-tls-'));
const certDir = mkdtempSync(join(tmpdir(), 'alicia-ext-tls-cert-'));
let cert: LanCertificate;
let mosq: TestMosquitto;
let host: HostProcess | null = null;

beforeAll(async () => {
  await Credentials.loadOrCreate(dataDir);
  cert = await loadOrCreateLanCertificate(certDir, certificateNamesFor(['127.0.0.1']));
  mosq = await startTestMosquitto(dataDir, { tls: { certFile: cert.certPath, keyFile: cert.keyPath } });
}, 30_000);

afterAll(async () => {
  await host?.stop({ keep: true });
  await mosq?.dispose();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(certDir, { recursive: true, force: true });
});

describe('alicia serve on mqtts:// (broker.external with ca_file)', () => {
  it('without the CA: one line saying the certificate is not trusted, exit code 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'alicia-ext-tls-noca-'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ broker: { external: { url: mosq.tlsUrl } } }));
    const err = await startHost({ dataDir: dir, timeoutMs: 30_000 }).catch((e: unknown) => e);
    rmSync(dir, { recursive: true, force: true });
    expect(err).toBeInstanceOf(HostStartError);
    const e = err as HostStartError;
    expect(e.exit?.code).toBe(1);
    const line = e.stderr.split('\n').filter((l) => l.includes('cannot start'));
    expect(line).toHaveLength(1);
    expect(line[0]).toMatch(
      /cannot reach the broker at mqtts:\/\/127\.0\.0\.1:\d+: its certificate .*(self-signed|unknown CA).*broker\.external\.ca_file/,
    );
  });

  it('with it: the host, every service and the recorder run over TLS', async () => {
    writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ broker: { external: { url: mosq.tlsUrl, ca_file: cert.certPath } } }));
    host = await startHost({ dataDir });
    expect(host.runtime.mqtt.url).toBe(mosq.tlsUrl);
    const c = await mqtt.connectAsync(mosq.tlsUrl!, { ...host.runtime.mqtt, ca: cert.cert, protocolVersion: 4, reconnectPeriod: 0 });
    try {
      const states = new Map<string, string>();
      c.on('message', (t, p) => {
        if (t.startsWith('alicia/system/services/') && p.length > 0)
          states.set(t.split('/').pop()!, (JSON.parse(p.toString()) as { state: string }).state);
      });
      await c.subscribeAsync('alicia/system/services/+', { qos: 1 });
      await until('every service running over TLS', () => SERVICE_NAMES.every((n) => states.get(n) === 'running'), 90_000);
    } finally {
      await c.endAsync();
    }
    // each part connected with its own user name (Mosquitto's log of every CONNECT)
    const log = mosq.log();
    for (const who of ['host', 'supervisor', 'recorder', ...SERVICE_NAMES])
      expect(log, who).toMatch(new RegExp(`New client connected from 127\\.0\\.0\\.1:\\d+ as \\S+ \\(p2, c0, k\\d+, u'${who}'\\)`));
  }, 120_000);
});
