import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seal } from '../../../services/lib/protocol/envelope.js';
import { connectClient, waitFor } from '../broker/testing/mqttClient.js';
import { startTestBroker } from '../broker/testing/testBroker.js';
import type { TestBroker } from '../broker/testing/testBroker.js';
import { replayNdjson } from './ndjson.js';
import { Recorder } from './recorder.js';
import { ask, RESPONSE_TOPIC } from './testing/query.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'alicia-ndjson-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function withRecorder<T>(
  name: string,
  fn: (tb: TestBroker, r: Recorder) => Promise<T>,
  opts: { maxResponseBytes?: number } = {},
): Promise<T> {
  const tb = await startTestBroker();
  const r = new Recorder({ dbPath: join(dir, `${name}.db`), bus: tb.broker, flushIntervalMs: 10, ...opts });
  await r.start();
  try {
    return await fn(tb, r);
  } finally {
    await r.stop();
    await tb.stop();
  }
}

describe('NDJSON export and replay', () => {
  it('exports one trace (text and binary payloads) and replays it into another broker, where it is recorded the same', async () => {
    const file = join(dir, 'trace.ndjson');
    const binary = Buffer.from([0x00, 0xff, 0x10, 0x80]);
    const sent = await withRecorder('a', async (tb, r) => {
      const msgs = [
        [
          'alicia/voice/command',
          JSON.stringify(seal({ session_id: 's1', text: 'hi' }, { source: 'test', trace_id: 'T1', session_id: 's1' })),
        ],
        ['alicia/broadcast/info', JSON.stringify(seal({ message: 'unrelated' }, { source: 'test', trace_id: 'OTHER' }))],
        ['alicia/ai/request', JSON.stringify(seal({ text: 'hi' }, { source: 'test', trace_id: 'T1' }))],
        ['alicia/voice/result', JSON.stringify(seal({ session_id: 's1', ok: true }, { source: 'test', trace_id: 'T1' }))],
      ] as const;
      for (const [t, p] of msgs) await tb.broker.publish(t, p, { qos: 1 });
      await tb.broker.publish('devices/raw/blob', binary, { qos: 0, retain: true });
      const trace = await r.exportNdjson({ trace_id: 'T1' }, file);
      expect(trace.lines).toBe(3);
      // the window's inline export over the bus: a time range, every topic
      const op = tb.credentials.operator;
      const c = await connectClient(tb.url, { username: op.username, password: op.password });
      await c.subscribeAsync(RESPONSE_TOPIC, { qos: 1 });
      const inline = await ask(c, { query: 'export', from: 0 });
      await c.endAsync();
      expect(inline).toMatchObject({ ok: true, format: 'ndjson', truncated: false });
      // (the export request itself was recorded too, last)
      const all = (inline.ndjson as string)
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { topic: string; encoding: string; payload: string; retain: boolean });
      expect(all[all.length - 1]!.topic).toBe('alicia/system/recorder/request');
      const lines = all.slice(0, -1);
      expect(lines.map((l) => l.topic)).toEqual([...msgs.map((m) => m[0]), 'devices/raw/blob']);
      expect(lines[4]).toMatchObject({ encoding: 'base64', payload: binary.toString('base64'), retain: true });
      return msgs.filter((m) => m[1].includes('"T1"'));
    });

    const text = await readFile(file, 'utf8');
    expect(
      text
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { topic: string }).topic),
    ).toEqual(sent.map((m) => m[0]));
    // a broken line is skipped and reported, not fatal
    await writeFile(file, `${text}not json\n`);

    await withRecorder('b', async (tb, r) => {
      const res = await replayNdjson(file, tb.broker);
      expect(res).toMatchObject({ published: 3, skipped: 1 });
      await waitFor(() => r.stats().written === 3, 'replayed messages recorded');
      const page = r.requireStore().page({ traceId: 'T1', order: 'asc', limit: 10, payload: 'full' });
      expect(page.messages.map((m) => [m.topic, m.payload!.toString()])).toEqual(sent.map((m) => [m[0], m[1]]));
    });
  });

  it('hands a long export over the bus out in parts, each continuing where the last stopped', async () => {
    await withRecorder(
      'parts',
      async (tb, r) => {
        for (let i = 0; i < 40; i++) await tb.broker.publish('e2e/export/parts', JSON.stringify({ i, pad: 'x'.repeat(100) }), { qos: 1 });
        // a sentinel: once it is stored, so is everything before it
        await tb.broker.publish('e2e/export/sentinel', '1', { qos: 1 });
        await waitFor(() => r.stats().written >= 41, 'messages recorded');
        const op = tb.credentials.operator;
        const c = await connectClient(tb.url, { username: op.username, password: op.password });
        await c.subscribeAsync(RESPONSE_TOPIC, { qos: 1 });
        const got: number[] = [];
        let parts = 0;
        let cursor: string | undefined;
        do {
          const a = await ask(c, { query: 'export', topic: 'e2e/export/parts', ...(cursor ? { cursor } : {}) });
          expect(a.ok, JSON.stringify(a.error)).toBe(true);
          parts++;
          for (const l of (a.ndjson as string).trim().split('\n'))
            got.push((JSON.parse((JSON.parse(l) as { payload: string }).payload) as { i: number }).i);
          expect(a.truncated).toBe(a.next_cursor !== null);
          cursor = (a.next_cursor as string | null) ?? undefined;
        } while (cursor);
        await c.endAsync();
        // ~190 bytes a line, 2000 bytes an answer
        expect(parts).toBeGreaterThanOrEqual(4);
        expect(got).toEqual(Array.from({ length: 40 }, (_, i) => i));
      },
      { maxResponseBytes: 2000 },
    );
  });
});
