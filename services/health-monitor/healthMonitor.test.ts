import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestBroker } from '../../electron/host/broker/testing/testBroker.js';
import type { TestBroker } from '../../electron/host/broker/testing/testBroker.js';
import { seal } from '../lib/protocol/envelope.js';
import { BusService } from '../lib/runtime/busService.js';
import type { Logger } from '../lib/runtime/logger.js';
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
    // the aggregate at least every 100 ms, changed or not: a count of them says ticks have passed
    config: { tick_ms: 50, publish_interval_ms: 100 },
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
    const alerts: Record<string, unknown>[] = [];
    const onAlert = (topic: string, payload: Buffer) => {
      if (topic === 'alicia/health/alert') alerts.push(JSON.parse(payload.toString()) as Record<string, unknown>);
    };
    op.client.on('message', onAlert);
    try {
      const beat = () =>
        stt.pub(
          'alicia/health/heartbeat/stt',
          seal({ service: 'stt', pid: 1, seq: 1, uptime_ms: 1, status: 'ok', interval_ms: 150 }, { source: 'stt' }),
        );
      await beat();
      await op.nextJson('alicia/health/status', svcStatus('stt', 'healthy'));
      // beating for a while (load pacing, not a wait for anything), then silence
      const timer = setInterval(() => void beat(), 100);
      await new Promise((r) => setTimeout(r, 400));
      clearInterval(timer);

      const down = await op.nextJson('alicia/health/status', svcStatus('stt', 'down'));
      expect((down.services as Record<string, { reason: string; missed: number }>).stt).toMatchObject({
        reason: expect.stringMatching(/missed \d+ heartbeats/),
      });
      // It stays down while the monitor judges it again and again: five more aggregates, each from
      // a later tick, each still "down" ...
      for (let i = 0; i < 5; i++) await op.nextJson('alicia/health/status', svcStatus('stt', 'down'));
      // ... then it comes back. The monitor publishes its alerts in order on one connection, so a
      // repeated service_down from any of those ticks would be here before service_recovered.
      const recovered = op.nextJson('alicia/health/alert', (a) => a.alert === 'service_recovered' && a.service === 'stt');
      await beat();
      await recovered;
      const got = alerts.filter((a) => a.service === 'stt');
      expect(got.filter((a) => a.alert === 'service_down')).toHaveLength(1);
      expect(got.find((a) => a.alert === 'service_down')).toMatchObject({ severity: 'critical' });
      expect(got.at(-1)).toMatchObject({ alert: 'service_recovered' });
    } finally {
      op.client.off('message', onAlert);
      await stt.close();
    }
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

describe('health-monitor beside a service node', () => {
  it("a node's instance of a service going offline does not make the service down while the host's runs", async () => {
    const make = (node?: string) =>
      new (class extends BusService {})({
        name: 'voice-router',
        connection: { url: tb.url, ...tb.credentials['voice-router'] },
        heartbeatMs: 200,
        ...(node ? { instance: { node, instance: `voice-router@${node}`, shared: true } } : {}),
      });
    const onHost = make();
    const onNode = make('box');
    await onHost.start();
    await onNode.start();
    try {
      await op.nextJson('alicia/health/status', svcStatus('voice-router', 'healthy'));
      await onNode.stop(); // its goodbye: an offline heartbeat of voice-router, from node box
      // a few aggregates later (every 100 ms, each after the heartbeats before it) voice-router is still healthy
      for (let i = 0; i < 3; i++) {
        const agg = await op.nextJson('alicia/health/status', () => true);
        expect((agg.services as Record<string, { status: string }>)['voice-router']?.status).toBe('healthy');
      }
      // and the host's own going offline still makes it down
      const alert = op.nextJson('alicia/health/alert', (a) => a.alert === 'service_down' && a.service === 'voice-router');
      await onHost.stop();
      expect(await alert).toMatchObject({ message: expect.stringMatching(/offline/) });
    } finally {
      await onNode.stop();
      await onHost.stop();
    }
  });
});

describe("health-monitor and the supervisor's stop reasons", () => {
  it('a real service stopped on request (the supervisor says so first) is "stopped" with an info alert, not down', async () => {
    const ai = new (class extends BusService {})({ name: 'ai', connection: { url: tb.url, ...tb.credentials.ai }, heartbeatMs: 200 });
    const alerts: Record<string, unknown>[] = [];
    const onAlert = (topic: string, payload: Buffer) => {
      if (topic === 'alicia/health/alert') alerts.push(JSON.parse(payload.toString()) as Record<string, unknown>);
    };
    op.client.on('message', onAlert);
    try {
      await ai.start();
      await op.nextJson('alicia/health/status', svcStatus('ai', 'healthy'));
      // what supervisor.ts publishes (retained) before it sends the stop message
      const state = { service: 'ai', pid: process.pid, restarts: 0, startedAt: Date.now() - 1_000 };
      const stopping = { ...state, state: 'stopping', stop_reason: 'request', stopped_by: 'window:e2e', stopped_at: Date.now() };
      await op.pub('alicia/system/services/ai', seal(stopping, { source: 'supervisor' }), { retain: true });
      const stopped = op.nextJson('alicia/health/alert', (a) => a.alert === 'service_stopped' && a.service === 'ai');
      await ai.stop();
      expect(await stopped).toMatchObject({ severity: 'info', message: 'ai was stopped on request (window:e2e)' });
      const agg = await op.nextJson('alicia/health/status', svcStatus('ai', 'stopped'));
      expect((agg.services as Record<string, { reason?: string }>).ai?.reason).toBe('was stopped on request (window:e2e)');
      // Sentinel: the monitor publishes its alerts in order on one connection; an alert about another
      // service raised after the goodbye arrives after any service_down about ai would have.
      const sentinel = op.nextJson('alicia/health/alert', (a) => a.alert === 'service_down' && a.service === 'sentinel');
      const other = await TestClient.connect(tb.url, tb.credentials.operator);
      const beat = (status: string) =>
        other.pub(
          'alicia/health/heartbeat/sentinel',
          seal({ service: 'sentinel', pid: 2, seq: 1, uptime_ms: 1, status, interval_ms: 1_000 }, { source: 'operator' }),
        );
      await beat('ok');
      await op.nextJson('alicia/health/status', svcStatus('sentinel', 'healthy'));
      await beat('offline');
      await sentinel;
      await other.close();
      expect(alerts.filter((a) => a.service === 'ai').map((a) => a.alert)).toEqual(['service_stopped']);
    } finally {
      op.client.off('message', onAlert);
      await ai.stop();
      await op.pub('alicia/system/services/ai', '', { retain: true });
    }
  });
});

describe('health-monitor at its own stop', () => {
  it('once the supervisor announced its stop, services going offline raise no alert and log no warning', async () => {
    // A broker of its own: this monitor must not share the client id or the aggregate topic with the one above.
    const broker = await startTestBroker();
    const lines: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
    const at =
      (level: string) =>
      (msg: string, fields?: Record<string, unknown>): void =>
        void lines.push(fields === undefined ? { level, msg } : { level, msg, fields });
    const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => logger };
    const watcher = await TestClient.connect(broker.url, broker.credentials.operator);
    const mon = new HealthMonitor({
      connection: { url: broker.url, ...broker.credentials['health-monitor'] },
      config: { tick_ms: 50, publish_interval_ms: 60_000 },
      logger,
    });
    const tts = new (class extends BusService {})({
      name: 'tts',
      connection: { url: broker.url, ...broker.credentials.tts },
      heartbeatMs: 200,
    });
    try {
      await watcher.sub('alicia/health/status');
      await mon.start();
      await tts.start();
      await watcher.nextJson('alicia/health/status', svcStatus('tts', 'healthy'));

      // What the supervisor publishes before it sends the stop message (supervisor.ts publishState).
      const stopping = { service: 'health-monitor', state: 'stopping', pid: process.pid, restarts: 0, startedAt: Date.now() - 1_000 };
      await watcher.pub('alicia/system/services/health-monitor', seal(stopping, { source: 'supervisor' }), { retain: true });
      await vi.waitFor(() => expect(lines.map((l) => l.msg)).toContain('stop announced by the supervisor: no more alerts'), {
        timeout: 5_000,
      });

      // The host stops everyone at once: tts says goodbye (offline heartbeat) before the monitor's own stop message.
      await tts.stop();
      await vi.waitFor(
        () =>
          expect(lines).toContainEqual({ level: 'debug', msg: 'went offline while this monitor stops: no alert', fields: { of: 'tts' } }),
        { timeout: 5_000 },
      );
      await mon.stop();
      // An alert is logged as a warning before it is published: none, and no failed publish either.
      expect(lines.filter((l) => l.level === 'warn' || l.level === 'error')).toEqual([]);
      expect(lines.map((l) => l.msg)).toContain('stopped');
    } finally {
      await tts.stop();
      await mon.stop();
      await watcher.close();
      await broker.stop();
    }
  });
});
