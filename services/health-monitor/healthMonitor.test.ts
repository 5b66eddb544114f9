import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker } from '../../electron/broker/testing/testBroker.js';
import type { TestBroker } from '../../electron/broker/testing/testBroker.js';
import { seal } from '../protocol/envelope.js';
import { BusService } from '../runtime/busService.js';
import { TestClient } from '../device-manager/testing/busClient.js';
import { HealthMonitor } from './healthMonitor.js';

let tb: TestBroker;
let op: TestClient;
let monitor: HealthMonitor;

beforeAll(async () => {
  tb = await startTestBroker();
  op = await TestClient.connect(tb.url, tb.credentials.operator);
  await op.sub('alicia/health/alert');
  await op.sub('alicia/health/status');
  monitor = new HealthMonitor({
    connection: { url: tb.url, ...tb.credentials['health-monitor'] },
    config: { tick_ms: 50, publish_interval_ms: 60_000 },
  });
  await monitor.start();
});
afterAll(async () => {
  await monitor?.stop();
  await op?.close();
  await tb?.stop();
});

const svcStatus = (name: string, status: string) => (m: Record<string, unknown>) =>
  (m.services as Record<string, { status: string }>)[name]?.status === status;

describe('health-monitor through a real broker', () => {
  it('a service whose heartbeats stop goes down with exactly one service_down alert, and recovers', async () => {
    // A hung "stt": its connection stays up (no last will) but it stops sending heartbeats.
    const stt = await TestClient.connect(tb.url, tb.credentials.stt);
    const beat = () =>
      stt.pub(
        'alicia/health/heartbeat/stt',
        seal({ service: 'stt', pid: 1, seq: 1, uptime_ms: 1, status: 'ok', interval_ms: 150 }, { source: 'stt' }),
      );
    await beat();
    await op.nextJson('alicia/health/status', svcStatus('stt', 'healthy'));
    const timer = setInterval(() => void beat(), 100);
    await new Promise((r) => setTimeout(r, 400));
    clearInterval(timer);

    const alerts = op.collect((t) => t === 'alicia/health/alert', 1_500);
    const down = await op.nextJson('alicia/health/status', svcStatus('stt', 'down'));
    expect((down.services as Record<string, { reason: string; missed: number }>).stt).toMatchObject({
      reason: expect.stringMatching(/missed \d+ heartbeats/),
    });
    const got = (await alerts).map((m) => JSON.parse(m.payload.toString()) as Record<string, unknown>).filter((a) => a.service === 'stt');
    expect(got.filter((a) => a.alert === 'service_down')).toHaveLength(1);
    expect(got.find((a) => a.alert === 'service_down')).toMatchObject({ severity: 'critical' });

    const recovered = op.nextJson('alicia/health/alert', (a) => a.alert === 'service_recovered' && a.service === 'stt');
    await beat();
    await recovered;
    await stt.close();
  });

  it('a real service stopping (offline heartbeat) is down at once; the aggregate is retained', async () => {
    const tts = new (class extends BusService {})({ name: 'tts', connection: { url: tb.url, ...tb.credentials.tts }, heartbeatMs: 200 });
    await tts.start();
    await op.nextJson('alicia/health/status', svcStatus('tts', 'healthy'));
    const alert = op.nextJson('alicia/health/alert', (a) => a.alert === 'service_down' && a.service === 'tts');
    await tts.stop();
    expect(await alert).toMatchObject({ message: expect.stringMatching(/offline/) });
    const late = await TestClient.retained(tb.url, tb.credentials.window, 'alicia/health/status');
    expect(late).toMatchObject({ overall: 'down' });
    expect((late!.services as Record<string, { status: string }>).tts?.status).toBe('down');
  });
});
