import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seal } from '../../../services/lib/protocol/envelope.js';
import { topicFor } from '../../../services/lib/protocol/topics.js';
import { connectClient, waitFor } from '../broker/testing/mqttClient.js';
import { startTestBroker } from '../broker/testing/testBroker.js';
import type { TestBroker } from '../broker/testing/testBroker.js';
import { Recorder } from './recorder.js';
import { ask, RESPONSE_TOPIC } from './testing/query.js';

interface Msg {
  id: number;
  time: number;
  topic: string;
  payload?: string;
  payload_encoding?: string;
  client_id: string | null;
  principal: string | null;
  trace_id: string | null;
  session_id: string | null;
  qos: number;
  retain: boolean;
}

let tb: TestBroker;
let dir: string;
let recorder: Recorder;
let client: MqttClient;

beforeAll(async () => {
  tb = await startTestBroker();
  dir = await mkdtemp(join(tmpdir(), 'alicia-recorder-'));
  recorder = new Recorder({ dbPath: join(dir, 'history.db'), bus: tb.broker, flushIntervalMs: 20 });
  await recorder.start();
  const op = tb.credentials.operator;
  client = await connectClient(tb.url, { username: op.username, password: op.password, clientId: 'recorder-test-op' });
  await client.subscribeAsync(RESPONSE_TOPIC, { qos: 1 });
});

afterAll(async () => {
  await client?.endAsync();
  await recorder?.stop();
  await tb?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function pub(
  topic: string,
  body: Record<string, unknown> | Buffer,
  fields: { trace_id?: string; session_id?: string; correlation_id?: string } = {},
): Promise<void> {
  const payload = Buffer.isBuffer(body) ? body : JSON.stringify(seal(body, { source: 'test', ...fields }));
  await client.publishAsync(topic, payload, { qos: 1 });
}

async function pageAll(q: Record<string, unknown>): Promise<{ pages: Msg[][]; all: Msg[] }> {
  const pages: Msg[][] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 100; i++) {
    const r = await ask(client, { query: 'messages', ...q, ...(cursor ? { cursor } : {}) });
    expect(r.ok, JSON.stringify(r.error)).toBe(true);
    pages.push(r.messages as Msg[]);
    if (!r.next_cursor) break;
    cursor = r.next_cursor as string;
  }
  return { pages, all: pages.flat() };
}

describe('recorder queries over the bus', () => {
  it('finds messages published by a real client by exact topic, wildcard and time range, with stable paging', async () => {
    const lamps = ['hall', 'kitchen', 'porch'];
    const sent: { topic: string; seq: number }[] = [];
    for (let seq = 0; seq < 45; seq++) {
      const topic = topicFor('alicia/device/status/+', lamps[seq % 3]!);
      await pub(topic, { device_id: lamps[seq % 3], seq, state: { on: seq % 2 === 0 } });
      sent.push({ topic, seq });
      // noise on other topics that a status filter must not return
      if (seq % 5 === 0) await pub(topicFor('alicia/broadcast/+', 'info'), { message: `noise ${seq}` });
    }
    const binary = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x80]);
    await client.publishAsync('homeassistant/light/porch/raw', binary, { qos: 1 });

    // wildcard, oldest first, pages of 7: every status message once, in publish order
    const asc = await pageAll({ topic: 'alicia/device/status/+', order: 'asc', limit: 7 });
    expect(asc.pages.length).toBe(7); // 45 / 7 -> 6 full pages + 3
    expect(asc.all.map((m) => (JSON.parse(m.payload!) as { seq: number }).seq)).toEqual(sent.map((s) => s.seq));
    expect(asc.all.every((m) => m.client_id === 'recorder-test-op' && m.principal === 'operator' && m.qos === 1)).toBe(true);

    // newest first while new messages keep arriving: pages neither repeat nor skip anything
    const desc: Msg[] = [];
    let cursor: string | undefined;
    for (;;) {
      const r = await ask(client, { query: 'messages', topic: 'alicia/device/status/#', limit: 10, ...(cursor ? { cursor } : {}) });
      desc.push(...(r.messages as Msg[]));
      await pub(topicFor('alicia/device/status/+', 'hall'), { device_id: 'hall', seq: 1000 + desc.length });
      if (!r.next_cursor) break;
      cursor = r.next_cursor as string;
    }
    const descSeqs = desc.map((m) => (JSON.parse(m.payload!) as { seq: number }).seq);
    expect(descSeqs.slice(0, 45).reverse()).toEqual(sent.map((s) => s.seq));
    expect(new Set(desc.map((m) => m.id)).size).toBe(desc.length);

    // exact topic
    const porch = await pageAll({ topic: topicFor('alicia/device/status/+', 'porch'), order: 'asc', limit: 100 });
    expect(porch.all.map((m) => m.topic).every((t) => t === 'alicia/device/status/porch')).toBe(true);
    expect(porch.all.length).toBe(15);

    // '+' in the middle, on a foreign tree; binary payload comes back as base64, byte for byte
    const ha = await ask(client, { query: 'messages', topic: 'homeassistant/+/porch/#' });
    const haMsgs = ha.messages as Msg[];
    expect(haMsgs.length).toBe(1);
    expect(haMsgs[0]!.payload_encoding).toBe('base64');
    expect(Buffer.from(haMsgs[0]!.payload!, 'base64').equals(binary)).toBe(true);

    // time range: exactly the messages whose broker time lies in [from, to]
    const from = asc.all[10]!.time;
    const to = asc.all[30]!.time;
    const ranged = await pageAll({ topic: 'alicia/device/status/+', from, to, order: 'asc', limit: 8 });
    const expected = asc.all.filter((m) => m.time >= from && m.time <= to).map((m) => m.id);
    expect(ranged.all.map((m) => m.id)).toEqual(expected);
    expect(expected.length).toBeGreaterThanOrEqual(21);

    // counts per topic
    const counts = await ask(client, { query: 'counts', topic: 'alicia/device/status/+' });
    const byTopic = Object.fromEntries((counts.topics as { topic: string; count: number }[]).map((t) => [t.topic, t.count]));
    expect(byTopic['alicia/device/status/porch']).toBe(15);
    expect(byTopic['alicia/device/status/kitchen']).toBe(15);
    expect(byTopic['alicia/device/status/hall']).toBeGreaterThan(15);
    expect(byTopic['alicia/broadcast/info']).toBeUndefined();
  });

  it('returns a whole voice session in order by trace and by session, and lists it with outcome and stage timings', async () => {
    const trace = 'trace-voice-1';
    const session = 'sess-voice-1';
    const cmdId = 'cmd-voice-1';
    const steps: [string, Record<string, unknown>, Record<string, string>][] = [
      [
        topicFor('alicia/voice/command'),
        { session_id: session, text: 'turn on the kitchen light' },
        { correlation_id: cmdId, session_id: session },
      ],
      [topicFor('alicia/voice/event'), { stage: 'ai', status: 'started', elapsed_ms: 1 }, { session_id: session }],
      [topicFor('alicia/ai/request'), { text: 'turn on the kitchen light' }, { correlation_id: 'ai-1', session_id: session }],
      [
        topicFor('alicia/ai/response'),
        { ok: true, understood: true, intent: { name: 'light_on', slots: { room: 'kitchen' } } },
        { correlation_id: 'ai-1', session_id: session },
      ],
      [
        topicFor('alicia/device/command'),
        { device_id: 'kitchen_light', action: 'turn_on' },
        { correlation_id: 'dev-1', session_id: session },
      ],
      [topicFor('alicia/device/response'), { ok: true, device_id: 'kitchen_light' }, { correlation_id: 'dev-1', session_id: session }],
      [
        topicFor('alicia/voice/result'),
        {
          session_id: session,
          ok: true,
          transcription: 'turn on the kitchen light',
          intent: { name: 'light_on', slots: { room: 'kitchen' } },
          response_text: 'The kitchen light is on.',
          audio_data: '',
          timings: { stt_ms: 0, ai_ms: 12, device_ms: 4, tts_ms: 30, total_ms: 51 },
          stage: 'done',
        },
        { correlation_id: cmdId, session_id: session },
      ],
    ];
    // an unrelated message in between, other trace
    for (const [i, [topic, body, f]] of steps.entries()) {
      await pub(topic, body, { trace_id: trace, ...f });
      if (i === 3) await pub(topicFor('alicia/broadcast/+', 'info'), { message: 'other' }, { trace_id: 'other-trace' });
    }
    // a failed session
    await pub(
      topicFor('alicia/voice/command'),
      { session_id: 'sess-voice-2', text: 'open the pod bay doors' },
      { correlation_id: 'cmd-voice-2', session_id: 'sess-voice-2', trace_id: 'trace-voice-2' },
    );
    await pub(
      topicFor('alicia/voice/result'),
      {
        session_id: 'sess-voice-2',
        ok: false,
        transcription: 'open the pod bay doors',
        intent: null,
        response_text: "Sorry, I didn't understand that.",
        audio_data: '',
        timings: { stt_ms: 0, ai_ms: 9, device_ms: 0, tts_ms: 0, total_ms: 10 },
        stage: 'ai',
        error: { code: 'AI_NOT_UNDERSTOOD', message: 'no intent' },
      },
      { correlation_id: 'cmd-voice-2', session_id: 'sess-voice-2', trace_id: 'trace-voice-2' },
    );

    const byTrace = await ask(client, { query: 'trace', trace });
    expect(byTrace.ok, JSON.stringify(byTrace.error)).toBe(true);
    const tm = byTrace.messages as Msg[];
    expect(tm.map((m) => m.topic)).toEqual(steps.map((s) => s[0]));
    expect(tm.every((m) => m.trace_id === trace)).toBe(true);
    expect(byTrace.truncated).toBe(false);

    const bySession = await ask(client, { query: 'session', session });
    expect((bySession.messages as Msg[]).map((m) => m.topic)).toEqual(steps.map((s) => s[0]));

    const list = await ask(client, { query: 'sessions', limit: 10 });
    const sessions = list.sessions as {
      session_id: string;
      ok: boolean;
      transcription: string;
      intent: string | null;
      timings: Record<string, number>;
      total_ms: number;
      error: { code: string } | null;
      input: string;
    }[];
    // newest first
    expect(sessions.map((s) => s.session_id)).toEqual(['sess-voice-2', session]);
    expect(sessions[1]).toMatchObject({
      ok: true,
      transcription: 'turn on the kitchen light',
      intent: 'light_on',
      total_ms: 51,
      error: null,
      input: 'text',
    });
    expect(sessions[1]!.timings).toEqual({ stt_ms: 0, ai_ms: 12, device_ms: 4, tts_ms: 30, total_ms: 51 });
    expect(sessions[0]).toMatchObject({ ok: false, intent: null, error: { code: 'AI_NOT_UNDERSTOOD' } });

    // the response echoes our correlation id and the request's trace
    const r = await ask(client, { query: 'trace', trace: 'no-such-trace' }, { correlationId: 'corr-404' });
    expect(r).toMatchObject({ ok: false, correlation_id: 'corr-404', source: 'recorder', error: { code: 'RECORDER_NOT_FOUND' } });
  });

  it('lists a topic with short previews and gives one stored message whole by its row', async () => {
    const topic = 'e2e/recorder/big/tts';
    // a reply with audio: ~110 KB of JSON, above the 64 KiB a list answer carries per payload
    const big = JSON.stringify(seal({ text: 'hello', audio_data: 'UklGR'.padEnd(110_000, 'A') }, { source: 'test' }));
    for (let i = 0; i < 3; i++) await pub(topic, { seq: i });
    await client.publishAsync(topic, big, { qos: 1 });

    const list = await ask(client, { query: 'messages', topic, limit: 10, payload_bytes: 40 });
    const msgs = list.messages as (Msg & { size: number; payload_clipped?: boolean })[];
    expect(msgs.map((m) => m.size)).toEqual([Buffer.byteLength(big), ...msgs.slice(1).map((m) => m.size)]);
    expect(msgs).toHaveLength(4);
    expect(msgs.every((m) => m.payload!.length === 40 && m.payload_clipped === true)).toBe(true);

    // without payload_bytes the recorder's inline limit (64 KiB) still cuts the big one
    const full = await ask(client, { query: 'messages', topic, limit: 1 });
    expect((full.messages as Msg[])[0]!.payload!.length).toBe(64 * 1024);

    const one = await ask(client, { query: 'message', row: msgs[0]!.id });
    expect(one.ok, JSON.stringify(one.error)).toBe(true);
    const m = one.message as Msg & { payload_clipped?: boolean };
    expect(m).toMatchObject({ id: msgs[0]!.id, topic, payload_encoding: 'utf8' });
    expect(m.payload).toBe(big);
    expect(m.payload_clipped).toBeUndefined();

    const gone = await ask(client, { query: 'message', row: 987_654_321 });
    expect(gone).toMatchObject({ ok: false, error: { code: 'RECORDER_NOT_FOUND' } });
  });

  it('answers bad queries with coded errors carrying the correlation id', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ query: 'messages', topic: 'alicia/#/status' }, 'RECORDER_BAD_QUERY'],
      [{ query: 'messages', topic: 'alicia/dev+ice' }, 'RECORDER_BAD_QUERY'],
      [{ query: 'messages', limit: 1_000_000 }, 'RECORDER_BAD_QUERY'],
      [{ query: 'messages', cursor: 'not-a-cursor' }, 'RECORDER_BAD_QUERY'],
      [{ query: 'messages', from: 10, to: 5 }, 'RECORDER_BAD_QUERY'],
      [{ query: 'drop_table' }, 'RECORDER_BAD_QUERY'],
      [{ query: 'trace', trace: '' }, 'RECORDER_BAD_QUERY'],
      [{ query: 'session' }, 'RECORDER_BAD_QUERY'],
      [{ query: 'sessions', cursor: 'garbage' }, 'RECORDER_BAD_QUERY'],
      [{ query: 'session', session: 'nobody' }, 'RECORDER_NOT_FOUND'],
      [{ query: 'message' }, 'RECORDER_BAD_QUERY'],
      [{ query: 'message', row: -1 }, 'RECORDER_BAD_QUERY'],
      [{ query: 'messages', payload_bytes: 0 }, 'RECORDER_BAD_QUERY'],
      [{ query: 'export', cursor: 'garbage' }, 'RECORDER_BAD_QUERY'],
    ];
    for (const [body, code] of cases) {
      const r = await ask(client, body, { correlationId: `bad-${code}-${JSON.stringify(body)}` });
      expect(r, JSON.stringify(body)).toMatchObject({ ok: false, error: { code }, correlation_id: `bad-${code}-${JSON.stringify(body)}` });
    }
    // SQL-looking text is only ever a bound parameter: it matches nothing and breaks nothing
    const inj = await ask(client, { query: 'messages', topic: "alicia/x' OR 1=1; DROP TABLE messages; --/+" });
    expect(inj).toMatchObject({ ok: true, messages: [] });
    // not JSON / wrong schema major: coded too; a correlation id we can still read is echoed
    const badJson = new Promise<Record<string, unknown>>((resolve) => {
      const on = (topic: string, buf: Buffer) => {
        const m = JSON.parse(buf.toString()) as { error?: { code?: string } };
        if (topic === RESPONSE_TOPIC && m.error?.code === 'BAD_JSON') {
          client.off('message', on);
          resolve(m);
        }
      };
      client.on('message', on);
    });
    await client.publishAsync(topicFor('alicia/system/recorder/request'), '{"query": "stats", "correlation_id": "cj', { qos: 1 });
    expect(await badJson).toMatchObject({ ok: false, source: 'recorder', error: { code: 'BAD_JSON' } });
    const v2 = await ask(
      client,
      JSON.stringify({ v: '2.0', id: 'x1', ts: 1, source: 't', trace_id: 't', correlation_id: 'v2-corr', query: 'stats' }),
      { correlationId: 'v2-corr' },
    );
    expect(v2).toMatchObject({ ok: false, error: { code: 'UNSUPPORTED_VERSION' } });
    const stats = await ask(client, { query: 'stats' });
    expect(stats).toMatchObject({ ok: true, stats: { dropped: 0 } });
    expect((stats.stats as { written: number }).written).toBeGreaterThan(60);
    await waitFor(() => recorder.stats().queued === 0, 'queue drained');
  });
});
