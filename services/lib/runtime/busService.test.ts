import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import { startTestBroker } from '../../../electron/host/broker/testing/testBroker.js';
import type { TestBroker } from '../../../electron/host/broker/testing/testBroker.js';
import { BusService } from './busService.js';
import type { BusServiceOptions } from './busService.js';
import { AliciaError } from '../protocol/errors.js';
import { seal } from '../protocol/envelope.js';
import type { ServiceName } from '../protocol/services.js';

let tb: TestBroker;
const started: BusService[] = [];
const clients: MqttClient[] = [];

beforeAll(async () => {
  tb = await startTestBroker();
});
afterAll(async () => {
  for (const c of clients) await c.endAsync(true).catch(() => undefined);
  for (const s of started) await s.stop();
  await tb.stop();
});

function conn(name: ServiceName): BusServiceOptions['connection'] {
  return { url: tb.url, ...tb.credentials[name] };
}

/** An 'ai' service whose intent is trivial: it echoes the text upper-cased; "boom" fails with a code. */
class EchoAi extends BusService {
  calls = 0;
  /** the text of every request acted on, in order */
  readonly texts: string[] = [];
  constructor(extra: Partial<BusServiceOptions> = {}) {
    super({ name: 'ai', connection: conn('ai'), heartbeatMs: 200, metricsMs: 200, capabilities: ['test'], ...extra });
  }
  protected override async onStart() {
    await this.handle('alicia/ai/request', (msg) => {
      this.calls++;
      this.texts.push(msg.text);
      if (msg.text === 'boom') throw new AliciaError('AI_NOT_UNDERSTOOD', 'boom is not a command');
      return {
        ok: true,
        understood: true,
        intent: { name: 'echo', slots: {} },
        commands: [],
        response_text: msg.text.toUpperCase(),
        engine: 'echo',
      };
    });
  }
}

class Router extends BusService {
  constructor(extra: Partial<BusServiceOptions> = {}) {
    super({ name: 'voice-router', connection: conn('voice-router'), heartbeatMs: 200, ...extra });
  }
}

async function startSvc<T extends BusService>(s: T): Promise<T> {
  started.push(s);
  await s.start();
  return s;
}

async function operator(): Promise<MqttClient> {
  const c = await mqtt.connectAsync(tb.url, { ...tb.credentials.operator, protocolVersion: 4 });
  clients.push(c);
  return c;
}

function nextMessage(
  c: MqttClient,
  topic: string,
  pred: (m: Record<string, unknown>) => boolean = () => true,
  ms = 5000,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`nothing on ${topic} in ${ms} ms`)), ms);
    const on = (tp: string, payload: Buffer) => {
      if (tp !== topic) return;
      const m = JSON.parse(payload.toString()) as Record<string, unknown>;
      if (!pred(m)) return;
      clearTimeout(t);
      c.off('message', on);
      resolve(m);
    };
    c.on('message', on);
  });
}

describe('BusService', () => {
  it('request/response: the reply echoes correlation and trace ids, through the real broker with ACL', async () => {
    const ai = await startSvc(new EchoAi());
    const router = await startSvc(new Router());
    const reply = await router.request('alicia/ai/request', { text: 'hello' }, { timeoutMs: 3000, trace_id: 'trace-1', session_id: 's-1' });
    expect(reply.response_text).toBe('HELLO');
    expect(reply.trace_id).toBe('trace-1');
    expect(reply.session_id).toBe('s-1');
    expect(reply.source).toBe('ai');
    expect(ai.calls).toBe(1);
    // a coded failure in the handler comes back as that code
    await expect(router.request('alicia/ai/request', { text: 'boom' }, { timeoutMs: 3000 })).rejects.toMatchObject({
      code: 'AI_NOT_UNDERSTOOD',
    });
  });

  it('malformed JSON, schema-invalid payloads and an unknown major version get coded errors on the error topic; the service keeps answering', async () => {
    const op = await operator();
    await op.subscribeAsync('alicia/ai/error');
    const cases: [string | Buffer, string][] = [
      ['{"text": "unterminated', 'BAD_JSON'],
      [Buffer.from([0xc3, 0x28, 0xff]), 'BAD_JSON'],
      [JSON.stringify(seal({ text: 42 }, { source: 'op', correlation_id: 'c-schema' })), 'SCHEMA_INVALID'],
      [JSON.stringify({ ...seal({ text: 'hi' }, { source: 'op', correlation_id: 'c-major' }), v: '9.0' }), 'UNSUPPORTED_VERSION'],
    ];
    for (const [payload, code] of cases) {
      const got = nextMessage(op, 'alicia/ai/error', (m) => (m.error as { code: string }).code === code);
      await op.publishAsync('alicia/ai/request', payload, { qos: 1 });
      const m = await got;
      expect(m.ok).toBe(false);
      expect(m.request_topic).toBe('alicia/ai/request');
      if (code === 'SCHEMA_INVALID') expect(m.correlation_id).toBe('c-schema');
    }
    const router = started.find((s) => s instanceof Router) as Router;
    await expect(router.request('alicia/ai/request', { text: 'still here' }, { timeoutMs: 3000 })).resolves.toMatchObject({
      response_text: 'STILL HERE',
    });
  });

  it('a redelivered request (same message id) is acted on once; a stale one is dropped', async () => {
    const ai = started.find((s) => s instanceof EchoAi) as EchoAi;
    const op = await operator();
    await op.subscribeAsync('alicia/ai/response', { qos: 1 });
    const before = ai.calls;
    const msg = JSON.stringify(seal({ text: 'once' }, { source: 'op', id: 'fixed-id-1', correlation_id: 'c-dup' }));
    await op.publishAsync('alicia/ai/request', msg, { qos: 1 });
    await op.publishAsync('alicia/ai/request', msg, { qos: 1 });
    await op.publishAsync('alicia/ai/request', JSON.stringify(seal({ text: 'old' }, { source: 'op', ts: Date.now() - 60_000 })), {
      qos: 1,
    });
    // Sentinel: a later request on the same topic is handled after the three above (one publisher,
    // one topic: the broker keeps their order), so once it is answered they have all been seen.
    const sentinel = nextMessage(op, 'alicia/ai/response', (m) => m.correlation_id === 'c-sentinel');
    await op.publishAsync('alicia/ai/request', JSON.stringify(seal({ text: 'sentinel' }, { source: 'op', correlation_id: 'c-sentinel' })), {
      qos: 1,
    });
    await expect(sentinel).resolves.toMatchObject({ response_text: 'SENTINEL' });
    expect(ai.calls - before - 1).toBe(1); // minus the sentinel
    expect(ai.texts.slice(-2)).toEqual(['once', 'sentinel']);
  });

  it('a request to a stopped service times out with TIMEOUT; the breaker opens, then half-opens and closes when it is back', async () => {
    const router = await startSvc(new Router({ clientId: 'router-breaker', breaker: { failureThreshold: 2, resetTimeoutMs: 400 } }));
    await expect(router.request('alicia/voice/tts/request', { text: 'hi' }, { timeoutMs: 150 })).rejects.toMatchObject({ code: 'TIMEOUT' });
    await expect(router.request('alicia/voice/tts/request', { text: 'hi' }, { timeoutMs: 150 })).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(router.breaker('alicia/voice/tts/request').state).toBe('open');
    const t0 = Date.now();
    await expect(router.request('alicia/voice/tts/request', { text: 'hi' }, { timeoutMs: 150 })).rejects.toMatchObject({
      code: 'CIRCUIT_OPEN',
    });
    expect(Date.now() - t0).toBeLessThan(100); // fails fast, does not wait for the timeout
    // the downstream comes back
    class Tts extends BusService {
      constructor() {
        super({ name: 'tts', connection: conn('tts') });
      }
      protected override async onStart() {
        await this.handle('alicia/voice/tts/request', () => ({
          ok: true,
          audio_data: 'UklGRg==',
          format: { container: 'wav' },
          duration_ms: 1,
          processing_ms: 1,
          engine: 'test',
        }));
      }
    }
    await startSvc(new Tts());
    await new Promise((r) => setTimeout(r, 450));
    expect(router.breaker('alicia/voice/tts/request').state).toBe('half_open');
    await expect(router.request('alicia/voice/tts/request', { text: 'hi' }, { timeoutMs: 2000 })).resolves.toMatchObject({ ok: true });
    expect(router.breaker('alicia/voice/tts/request').state).toBe('closed');
  });

  it('a request that timed out while its service was down is not acted on when the service comes back (deadline)', async () => {
    const router = await startSvc(new Router({ clientId: 'router-deadline' }));
    let calls = 0;
    const acted: string[] = [];
    class LateDevices extends BusService {
      constructor() {
        super({ name: 'device-manager', clientId: 'late-devices', connection: conn('device-manager') });
      }
      protected override async onStart() {
        await this.handle('alicia/device/command', (m) => {
          calls++;
          acted.push(m.device_id);
          return { ok: true, device_id: m.device_id, action: m.action, state: {} };
        });
      }
    }
    // first start registers the persistent session and its subscription, then it goes away
    const first = new LateDevices();
    await first.start();
    await first.stop();
    await expect(
      router.request('alicia/device/command', { device_id: 'kitchen_light', action: 'turn_on', params: {} }, { timeoutMs: 200 }),
    ).rejects.toMatchObject({ code: 'TIMEOUT' });
    const again = await startSvc(new LateDevices());
    // Sentinel, and a fresh request is served: the broker delivers the queued request first (same
    // session, same topic), so once this one is answered the expired one has been seen and dropped.
    await expect(
      router.request('alicia/device/command', { device_id: 'hall_light', action: 'turn_on', params: {} }, { timeoutMs: 2000 }),
    ).resolves.toMatchObject({ ok: true, device_id: 'hall_light' });
    expect(acted.filter((d) => d === 'kitchen_light').length).toBe(0);
    expect(calls).toBe(1);
    expect(acted).toEqual(['hall_light']);
    expect(again.running).toBe(true);
  });

  it('publishes heartbeats, discovery registration and metrics with latency percentiles', async () => {
    const op = await operator();
    await op.subscribeAsync(['alicia/health/heartbeat/ai', 'alicia/health/status/ai', 'alicia/system/discovery/register']);
    const hb = await nextMessage(op, 'alicia/health/heartbeat/ai');
    expect(hb).toMatchObject({ service: 'ai', status: 'ok', interval_ms: 200 });
    const st = await nextMessage(op, 'alicia/health/status/ai', (m) => (m.messages_in as number) > 0);
    expect(st.handler_latency_ms).toMatchObject({ p50: expect.any(Number), p95: expect.any(Number), p99: expect.any(Number) });
    expect(st.errors as number).toBeGreaterThan(0); // the malformed requests above
    // registration is sent on start: a fresh service announces itself
    const reg = nextMessage(
      op,
      'alicia/system/discovery/register',
      (m) => m.service === 'tts' && (m.capabilities as string[]).includes('fresh'),
    );
    class Tts2 extends BusService {
      constructor() {
        super({ name: 'tts', clientId: 'tts-2', connection: conn('tts'), capabilities: ['fresh'] });
      }
    }
    await startSvc(new Tts2());
    await expect(reg).resolves.toMatchObject({ service: 'tts', pid: process.pid });
  });

  it('a subscription outside the ACL of the service is refused by the broker and start() fails loudly', async () => {
    class Rogue extends BusService {
      constructor() {
        super({ name: 'tts', clientId: 'rogue-tts', connection: conn('tts') });
      }
      protected override async onStart() {
        await this.subscribe('alicia/device/command', () => undefined);
      }
    }
    const rogue = new Rogue();
    started.push(rogue);
    await expect(rogue.start()).rejects.toThrow(/refused by the broker/);
  });

  it('sealFor() seals like publish(): envelope ids including the deadline, the topic params, and the schema check', () => {
    const router = new Router({ clientId: 'router-seal' });
    const m = router.sealFor('alicia/ai/request', { text: 'hi' }, { correlation_id: 'c-1', trace_id: 't-1', deadline: 1_700_000_000_000 });
    expect(m).toMatchObject({ topic: 'alicia/ai/request', qos: 1, retain: false });
    expect(JSON.parse(m.payload)).toMatchObject({
      text: 'hi',
      source: 'voice-router',
      correlation_id: 'c-1',
      trace_id: 't-1',
      deadline: 1_700_000_000_000,
    });
    expect(
      router.sealFor(
        'alicia/health/heartbeat/+',
        { service: 'voice-router', pid: 1, seq: 1, uptime_ms: 0, status: 'ok', interval_ms: 1 },
        { params: ['voice-router'] },
      ).topic,
    ).toBe('alicia/health/heartbeat/voice-router');
    expect(() => router.sealFor('alicia/ai/request', { text: 42 } as never)).toThrow(expect.objectContaining({ code: 'SCHEMA_INVALID' }));
  });

  it('stop() releases everything and can run twice; publishing after stop is NOT_CONNECTED', async () => {
    const s = new Router({ clientId: 'router-stop' });
    await s.start();
    await s.stop();
    await s.stop();
    await expect(
      s.publish('alicia/voice/event', { session_id: 'x', stage: 'done', status: 'finished', elapsed_ms: 1 }),
    ).rejects.toMatchObject({ code: 'NOT_CONNECTED' });
  });
});
