import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { decode } from '../../services/lib/protocol/decode.js';
import { SERVICE_NAMES } from '../../services/lib/protocol/services.js';
import { createLogger } from '../../services/lib/runtime/logger.js';
import { waitFor } from './broker/testing/mqttClient.js';
import { parseConfig } from './config.js';
import { startCore } from './core.js';
import type { Core } from './core.js';
import { NodeLauncher } from './supervisor/nodeLauncher.js';
import { pidAlive } from './supervisor/launcher.js';

/**
 * The core in-process with stand-in services (the supervisor's miniService fixture under every
 * service name), so it proves the start/stop order and wiring without the real engines; the real
 * services are covered by e2e/system/host.test.ts.
 */
const MINI = fileURLToPath(new URL('./supervisor/testing/fixtures/miniService.mjs', import.meta.url));
let dataDir: string;
let servicesDir: string;
let core: Core | undefined;

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'alicia-core-'));
  servicesDir = join(dataDir, 'fake-dist-services');
  for (const name of SERVICE_NAMES) {
    mkdirSync(join(servicesDir, name), { recursive: true });
    // main.js -> the .mjs fixture: Node follows the symlink, so it loads as ESM from its real path
    symlinkSync(MINI, join(servicesDir, name, 'main.js'));
  }
});
afterEach(async () => {
  await core?.stop();
  core = undefined;
  rmSync(dataDir, { recursive: true, force: true });
});

function options(overrides: Record<string, unknown> = {}) {
  const config = parseConfig({ services: { tts: { enabled: false } }, broker: { stats_interval_ms: 0 }, ...overrides }, 'test');
  return {
    dataDir,
    host: '127.0.0.1',
    mqttPort: 0,
    wsPort: 0,
    launcher: new NodeLauncher(),
    servicesDir,
    config,
    log: createLogger('core-test', 'error'),
  };
}

describe('startCore', { timeout: 120_000 }, () => {
  it('starts credentials, broker, recorder and the enabled services; stop() undoes it all and can run twice', async () => {
    core = await startCore(options());
    expect(core.addresses.mqttUrl).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
    expect(core.recorder).not.toBeNull();
    const settled = await core.whenServicesSettled(60_000);
    for (const name of SERVICE_NAMES) expect(settled[name], name).toBe(name === 'tts' ? 'stopped' : 'running');

    // an operator client sees each service's config section retained, as the services do
    const op = await mqtt.connectAsync(core.addresses.mqttUrl, { ...core.credentials.get('operator'), reconnectPeriod: 0 });
    const configs = new Set<string>();
    op.on('message', (t) => configs.add(t));
    await op.subscribeAsync('alicia/system/config/+');
    // retained messages follow the SUBACK, one per service section
    await waitFor(() => configs.size >= SERVICE_NAMES.length, 'a retained config per service');
    expect(configs.size).toBe(SERVICE_NAMES.length);
    await op.endAsync();

    const pids = core.supervisor.status().flatMap((s) => (s.pid === null ? [] : [s.pid]));
    expect(pids).toHaveLength(SERVICE_NAMES.length - 1);
    const port = Number(new URL(core.addresses.mqttUrl).port);
    await core.stop();
    await core.stop();
    expect(pids.filter(pidAlive)).toEqual([]);
    // the broker's port is free again
    await new Promise<void>((resolve, reject) => {
      const s = createServer()
        .once('error', reject)
        .listen(port, '127.0.0.1', () => s.close(() => resolve()));
    });
  });

  it('a start that fails half-way (port in use) throws and leaves nothing running', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    try {
      await expect(startCore({ ...options(), mqttPort: port })).rejects.toThrow();
    } finally {
      blocker.close();
    }
    // nothing half-started keeps the ws port or services: a fresh core starts fine in the same dir
    core = await startCore(options({ services: Object.fromEntries(SERVICE_NAMES.map((n) => [n, { enabled: false }])) }));
    expect(core.supervisor.status().every((s) => s.state === 'stopped')).toBe(true);
  });

  it('publishes alicia/system/host (retained, host only) with the LAN listener and its certificate fingerprint', async () => {
    const off = Object.fromEntries(SERVICE_NAMES.map((n) => [n, { enabled: false }]));
    core = await startCore({ ...options({ services: off, lan: { enabled: true, host: '127.0.0.1', port: 0 } }), version: '9.8.7' });
    expect(core.lan?.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    const op = await mqtt.connectAsync(core.addresses.mqttUrl, { ...core.credentials.get('operator'), reconnectPeriod: 0 });
    const got: Buffer[] = [];
    op.on('message', (t, p) => t === 'alicia/system/host' && got.push(p));
    await op.subscribeAsync('alicia/system/host', { qos: 1 });
    await waitFor(() => got.length > 0, 'the retained host message');
    const msg = decode('alicia/system/host', got[0]!);
    expect(msg.source).toBe('host');
    expect(msg.version).toBe('9.8.7');
    expect(msg.lan).toEqual({ enabled: true, url: core.lan!.url, fingerprint256: core.lan!.fingerprint256 });
    expect(msg.started_at).toBeGreaterThan(Date.now() - 120_000);

    // nobody else may publish it, not even the operator: a forged fingerprint is dropped
    await op.publishAsync(
      'alicia/system/host',
      JSON.stringify({ ...msg, lan: { enabled: true, url: 'mqtts://evil:8883', fingerprint256: 'AA' } }),
      { qos: 1, retain: true },
    );
    await op.unsubscribeAsync('alicia/system/host');
    got.length = 0;
    await op.subscribeAsync('alicia/system/host', { qos: 1 });
    await waitFor(() => got.length > 0, 'the retained host message again', 10_000);
    expect(decode('alicia/system/host', got[0]!).lan?.fingerprint256).toBe(core.lan!.fingerprint256);
    await op.endAsync();
  });

  it('the broker limits in config.json reach the broker: raised ones take effect', async () => {
    const off = Object.fromEntries(SERVICE_NAMES.map((n) => [n, { enabled: false }]));
    const broker = { stats_interval_ms: 0, max_topic_levels: 24, max_subscriptions_per_client: 2, rate_limit: { enabled: false } };
    core = await startCore(options({ services: off, recorder: { enabled: false }, broker }));
    const op = await mqtt.connectAsync(core.addresses.mqttUrl, { ...core.credentials.get('operator'), reconnectPeriod: 0 });
    const got: string[] = [];
    op.on('message', (t) => got.push(t));
    const deep = (n: number) => Array.from({ length: n }, (_, i) => `l${i}`).join('/');
    // two subscriptions allowed, the third refused
    await op.subscribeAsync([deep(20), 'limits/sentinel'], { qos: 1 });
    await expect(op.subscribeAsync('limits/third', { qos: 1 })).rejects.toMatchObject({ packet: { granted: [128] } });
    // 20 levels: over the default 16, within the configured 24
    await op.publishAsync(deep(20), 'deep', { qos: 1 });
    // no rate limit: a burst far over the default 5,000 keeps the connection
    for (let i = 0; i < 6000; i++) op.publish('limits/burst', 'x', { qos: 0 });
    await op.publishAsync('limits/sentinel', 'end', { qos: 1 });
    await waitFor(() => got.includes('limits/sentinel'), 'the sentinel');
    expect(got).toEqual([deep(20), 'limits/sentinel']);
    expect(op.connected).toBe(true);
    await op.endAsync();
  });
});
