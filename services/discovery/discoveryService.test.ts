import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker } from '../../electron/host/broker/testing/testBroker.js';
import type { TestBroker } from '../../electron/host/broker/testing/testBroker.js';
import { seal } from '../lib/protocol/envelope.js';
import { BusService } from '../lib/runtime/busService.js';
import { TestClient } from '../device-manager/testing/busClient.js';
import { DiscoveryService } from './discoveryService.js';

let tb: TestBroker;
let op: TestClient;
let discovery: DiscoveryService;

beforeAll(async () => {
  tb = await startTestBroker();
  op = await TestClient.connect(tb.url, tb.credentials.operator);
  await op.sub('alicia/system/discovery/update');
  discovery = new DiscoveryService({ connection: { url: tb.url, ...tb.credentials.discovery }, config: { check_ms: 50 } });
  await discovery.start();
});
afterAll(async () => {
  await discovery?.stop();
  await op?.close();
  await tb?.stop();
});

type Update = { event: string; service?: string; services: { service: string; alive: boolean; version: string; capabilities: string[] }[] };

describe('discovery through a real broker', () => {
  it('a starting service is registered with its capabilities; a graceful stop unregisters it', async () => {
    // The runtime sends its registration and first heartbeat together; either may land first, so
    // wait for the update that carries the registration's version.
    const registered = op.nextJson(
      'alicia/system/discovery/update',
      (m) =>
        m.event === 'register' &&
        m.service === 'tts' &&
        (m as unknown as Update).services.some((s) => s.service === 'tts' && s.version === '2.0.0'),
    );
    const tts = new (class extends BusService {})({
      name: 'tts',
      version: '2.0.0',
      capabilities: ['tts.espeak'],
      connection: { url: tb.url, ...tb.credentials.tts },
      heartbeatMs: 200,
    });
    await tts.start();
    const u = (await registered) as unknown as Update;
    expect(u.services.find((s) => s.service === 'tts')).toMatchObject({ version: '2.0.0', capabilities: ['tts.espeak'], alive: true });
    // the retained update gives a late subscriber the same picture
    const late = (await TestClient.retained(tb.url, tb.credentials.window, 'alicia/system/discovery/update')) as unknown as Update;
    expect(late.services.map((s) => s.service)).toContain('tts');

    const gone = op.nextJson('alicia/system/discovery/update', (m) => m.event === 'unregister' && m.service === 'tts');
    await tts.stop();
    expect(((await gone) as unknown as Update).services.map((s) => s.service)).not.toContain('tts');
  });

  it('a starting service is registered once: one register update per registration, none from a heartbeat before it', async () => {
    // Every update on the way from the start to the unregister of a graceful stop (the sentinel:
    // discovery publishes in order, so nothing of the start can come after it).
    const events: { event: string; version?: string }[] = [];
    const onUpdate = (topic: string, payload: Buffer) => {
      if (topic !== 'alicia/system/discovery/update' || payload.length === 0) return;
      const u = JSON.parse(payload.toString()) as Update;
      if (u.service === 'ai') events.push({ event: u.event, version: u.services.find((s) => s.service === 'ai')?.version });
    };
    op.client.on('message', onUpdate);
    try {
      const registered = op.nextJson('alicia/system/discovery/update', (m) => m.event === 'register' && m.service === 'ai');
      const ai = new (class extends BusService {})({
        name: 'ai',
        version: '3.0.0',
        capabilities: [],
        connection: { url: tb.url, ...tb.credentials.ai },
      });
      await ai.start();
      await registered;
      const gone = op.nextJson('alicia/system/discovery/update', (m) => m.event === 'unregister' && m.service === 'ai');
      await ai.stop();
      await gone;
    } finally {
      op.client.off('message', onUpdate);
    }
    expect(events).toEqual([
      { event: 'register', version: '3.0.0' },
      { event: 'unregister', version: undefined },
    ]);
  });

  it('a later heartbeat of a service it does not know registers it, once (discovery restarted after the registration)', async () => {
    const vr = await TestClient.connect(tb.url, tb.credentials['voice-router']);
    const beat = (seq: number) =>
      vr.pub(
        'alicia/health/heartbeat/voice-router',
        seal({ service: 'voice-router', pid: 77, seq, uptime_ms: 1, status: 'ok', interval_ms: 5000 }, { source: 'voice-router' }),
      );
    const updates: string[] = [];
    const onUpdate = (topic: string, payload: Buffer) => {
      if (topic !== 'alicia/system/discovery/update' || payload.length === 0) return;
      const u = JSON.parse(payload.toString()) as Update;
      if (u.service === 'voice-router') updates.push(`${u.event} ${u.services.find((s) => s.service === 'voice-router')?.version}`);
    };
    op.client.on('message', onUpdate);
    try {
      await beat(1);
      const registered = op.nextJson('alicia/system/discovery/update', (m) => m.event === 'register' && m.service === 'voice-router');
      await beat(9);
      await registered;
    } finally {
      op.client.off('message', onUpdate);
      await vr.close();
    }
    // (that the first heartbeat waits for the registration: the test above)
    expect(updates).toEqual(['register unknown']);
  });

  it('a service that stops sending heartbeats expires after 3 intervals', async () => {
    const stt = await TestClient.connect(tb.url, tb.credentials.stt);
    const registered = op.nextJson('alicia/system/discovery/update', (m) => m.event === 'register' && m.service === 'stt');
    await stt.pub(
      'alicia/system/discovery/register',
      seal({ service: 'stt', version: '1.0.0', pid: 9, capabilities: ['stt.pocketsphinx'], heartbeat_ms: 100 }, { source: 'stt' }),
    );
    await registered;
    const expired = op.nextJson('alicia/system/discovery/update', (m) => m.event === 'expire' && m.service === 'stt');
    const t0 = Date.now();
    const u = (await expired) as unknown as Update;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250); // not before 3 x 100 ms of silence
    expect(u.services.find((s) => s.service === 'stt')).toMatchObject({ alive: false });
    const back = op.nextJson('alicia/system/discovery/update', (m) => m.event === 'register' && m.service === 'stt');
    await stt.pub('alicia/system/discovery/heartbeat', seal({ service: 'stt', seq: 2 }, { source: 'stt' }));
    expect(((await back) as unknown as Update).services.find((s) => s.service === 'stt')).toMatchObject({ alive: true });
    await stt.close();
  });
});
