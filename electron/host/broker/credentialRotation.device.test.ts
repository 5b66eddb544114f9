import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seal } from '../../../services/lib/protocol/envelope.js';
import { CredentialRotation, DEVICE_CREDENTIALS_DIR } from './credentialRotation.js';
import { connectClient, waitFor } from './testing/mqttClient.js';
import { startTestBroker, type TestBroker } from './testing/testBroker.js';

/**
 * Per-device credentials over alicia/system/credentials/request, with the real broker
 * and real mqtt.js clients: the password never appears on the bus, it lands in a 0600 file, it
 * lets the device connect within its ACL only, and remove_device disconnects the device.
 */

let tb: TestBroker;
let rotation: CredentialRotation;
let operator: MqttClient;
let windowClient: MqttClient;
/** every payload seen on the bus, by anyone ('#') */
const bus: { topic: string; payload: string }[] = [];
const responses: Record<string, unknown>[] = [];
const logLines: string[] = [];

beforeAll(async () => {
  tb = await startTestBroker();
  const log = {
    info: (m: string, f?: Record<string, unknown>) => logLines.push(m + JSON.stringify(f ?? {})),
    warn: (m: string, f?: Record<string, unknown>) => logLines.push(m + JSON.stringify(f ?? {})),
  };
  rotation = new CredentialRotation({
    bus: tb.broker,
    credentials: tb.broker.credentials,
    disconnectPrincipal: (p) => tb.broker.disconnectPrincipal(p),
    restartService: async () => undefined,
    deviceCredentialsDir: join(tb.dataDir, DEVICE_CREDENTIALS_DIR),
    log,
  });
  await rotation.start();
  operator = await connectClient(tb.url, { ...tb.credentials.operator, clientId: 'dev-op' });
  operator.on('message', (topic, payload) => {
    bus.push({ topic, payload: payload.toString() });
    if (topic === 'alicia/system/credentials/response') responses.push(JSON.parse(payload.toString()) as Record<string, unknown>);
  });
  await operator.subscribeAsync('#', { qos: 1 });
  windowClient = await connectClient(tb.wsUrl, { ...tb.credentials.window, clientId: 'dev-window' });
});

afterAll(async () => {
  await Promise.all([operator, windowClient].map((c) => c?.endAsync(true).catch(() => undefined)));
  await rotation?.stop();
  await tb?.stop();
});

async function ask(client: MqttClient, body: Record<string, unknown>): Promise<Record<string, unknown>> {
  const msg = seal(body, { source: 'test' });
  await client.publishAsync('alicia/system/credentials/request', JSON.stringify(msg), { qos: 1 });
  let reply: Record<string, unknown> | undefined;
  await waitFor(() => (reply = responses.find((r) => r.correlation_id === msg.id)) !== undefined, `reply to ${body.action as string}`);
  return reply!;
}

describe('device credentials over alicia/system/credentials/request', () => {
  it('add_device writes the password to a 0600 file, never to the bus; the device connects within its ACL; remove_device disconnects it', async () => {
    const r = await ask(windowClient, { action: 'add_device', name: 'lamp1' });
    expect(r).toMatchObject({
      ok: true,
      action: 'add_device',
      device: 'lamp1',
      username: 'device:lamp1',
      replaced: false,
      disconnected: 0,
      devices: ['lamp1'],
    });
    const file = r.password_file as string;
    expect(file).toBe(join(tb.dataDir, DEVICE_CREDENTIALS_DIR, 'lamp1.txt'));
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(join(tb.dataDir, DEVICE_CREDENTIALS_DIR))).mode & 0o777).toBe(0o700);
    const text = await readFile(file, 'utf8');
    const password = /^password=(.+)$/m.exec(text)?.[1];
    expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(/^username=(.+)$/m.exec(text)?.[1]).toBe('device:lamp1');
    // nowhere on the bus, not in the log, not in credentials.json
    expect(bus.some((m) => m.payload.includes(password!))).toBe(false);
    expect(logLines.some((l) => l.includes(password!))).toBe(false);
    expect(tb.logs.some((l) => JSON.stringify(l).includes(password!))).toBe(false);
    expect(await readFile(tb.broker.credentials.path, 'utf8')).not.toContain(password!);

    // the device connects with it, and stays inside its own topics
    const dev = await connectClient(tb.url, { username: 'device:lamp1', password, clientId: 'lamp1', reconnectPeriod: 0 });
    await dev.publishAsync('lamp1/stat/POWER', 'ON', { qos: 1 });
    await dev.publishAsync('alicia/device/status/lamp1', '{"forged":true}', { qos: 1 });
    await dev.publishAsync('lamp1/stat/sentinel', 'S', { qos: 1 });
    await waitFor(() => bus.some((m) => m.topic === 'lamp1/stat/sentinel'), 'sentinel');
    expect(bus.some((m) => m.topic === 'lamp1/stat/POWER' && m.payload === 'ON')).toBe(true);
    expect(bus.some((m) => m.topic === 'alicia/device/status/lamp1')).toBe(false);

    // re-issue: the old password's connection is closed, the old password refused
    const closed = new Promise<void>((res) => dev.once('close', () => res()));
    const r2 = await ask(operator, { action: 'add_device', name: 'lamp1' });
    expect(r2).toMatchObject({ ok: true, replaced: true, disconnected: 1 });
    await closed;
    await expect(
      connectClient(tb.url, { username: 'device:lamp1', password, clientId: 'lamp1-old', reconnectPeriod: 0 }),
    ).rejects.toThrow();
    const password2 = /^password=(.+)$/m.exec(await readFile(file, 'utf8'))?.[1];
    expect(password2).not.toBe(password);
    const dev2 = await connectClient(tb.url, { username: 'device:lamp1', password: password2, clientId: 'lamp1', reconnectPeriod: 0 });

    expect(await ask(operator, { action: 'list_devices' })).toMatchObject({ ok: true, devices: ['lamp1'] });

    const closed2 = new Promise<void>((res) => dev2.once('close', () => res()));
    const r3 = await ask(windowClient, { action: 'remove_device', name: 'lamp1' });
    expect(r3).toMatchObject({ ok: true, action: 'remove_device', device: 'lamp1', disconnected: 1, devices: [] });
    await closed2;
    await expect(stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(
      connectClient(tb.url, { username: 'device:lamp1', password: password2, clientId: 'lamp1-gone', reconnectPeriod: 0 }),
    ).rejects.toThrow();
    await dev2.endAsync(true).catch(() => undefined);
  });

  it('refuses invalid and reserved names and unknown devices, with a code', async () => {
    for (const name of ['alicia', 'homeassistant', 'Lamp', 'a/b', '#']) {
      const r = await ask(operator, { action: 'add_device', name });
      expect(r, name).toMatchObject({ ok: false, action: 'add_device' });
      expect((r.error as { code: string }).code).toBe('SCHEMA_INVALID');
    }
    const r = await ask(operator, { action: 'remove_device', name: 'nosuch' });
    expect(r).toMatchObject({ ok: false, action: 'remove_device', error: { code: 'DEVICE_UNKNOWN' } });
    expect(tb.broker.credentials.devices()).toEqual([]);
  });
});
