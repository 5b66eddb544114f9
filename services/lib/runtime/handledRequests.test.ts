import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../../electron/host/broker/testing/mqttClient.js';
import { startTestBroker } from '../../../electron/host/broker/testing/testBroker.js';
import type { TestBroker } from '../../../electron/host/broker/testing/testBroker.js';
import { seal } from '../protocol/envelope.js';
import { BusService } from './busService.js';
import { HandledRequests } from './handledRequests.js';

let tb: TestBroker;
let dir: string;
beforeAll(async () => {
  tb = await startTestBroker();
  dir = await mkdtemp(join(tmpdir(), 'alicia-handled-'));
});
afterAll(async () => {
  await tb.stop();
  await rm(dir, { recursive: true, force: true });
});

const onFile = async (path: string): Promise<string[]> => (await readFile(path, 'utf8').catch(() => '')).split('\n').filter(Boolean);

class Ai extends BusService {
  calls = 0;
  constructor() {
    super({ name: 'ai', connection: { url: tb.url, ...tb.credentials.ai }, heartbeatMs: 60_000, metricsMs: 60_000 });
  }
  protected override async onStart() {
    await this.handle('alicia/ai/request', (msg) => {
      this.calls++;
      return { ok: true, understood: true, intent: { name: 'echo', slots: {} }, commands: [], response_text: msg.text, engine: 'echo' };
    });
  }
  /** The service's socket (to hold its writes in the process, as a busy socket does). */
  get socket(): Socket {
    return (this as unknown as { client: { stream: Socket } }).client.stream;
  }
}

describe('answered request ids on file', () => {
  it('keeps memory and file apart: remember() is this process only, persist() survives a restart', () => {
    const path = join(dir, 'unit');
    const a = new HandledRequests(path);
    a.remember('m1');
    a.add('m2');
    expect(a.has('m1') && a.has('m2')).toBe(true);
    const b = new HandledRequests(path);
    expect([b.has('m1'), b.has('m2')]).toEqual([false, true]);
  });

  it('go on file only once the reply has left the process (a kill -9 before that must get the request again)', async () => {
    process.env.ALICIA_DATA_DIR = dir;
    const ai = new Ai();
    try {
      await ai.start();
    } finally {
      delete process.env.ALICIA_DATA_DIR;
    }
    const file = join(dir, '.handled-requests-ai');
    const op = await mqtt.connectAsync(tb.url, { ...tb.credentials.operator, protocolVersion: 4 });
    try {
      await op.subscribeAsync('alicia/ai/response', { qos: 1 });
      const replies: string[] = [];
      op.on('message', (_t, p) => replies.push(String((JSON.parse(p.toString()) as { correlation_id?: string }).correlation_id)));
      // Hold the service's writes in its own buffer, like a socket under backpressure.
      ai.socket.cork();
      await op.publishAsync('alicia/ai/request', JSON.stringify(seal({ text: 'held' }, { source: 'op', id: 'held-1' })), { qos: 1 });
      await waitFor(() => ai.calls === 1, 'the handler ran');
      // Sentinel: a later request, read and handled after the first one's reply was written and its
      // id remembered; still corked, so neither id may be on file yet.
      await op.publishAsync('alicia/ai/request', JSON.stringify(seal({ text: 'held' }, { source: 'op', id: 'held-2' })), { qos: 1 });
      await waitFor(() => ai.calls === 2, 'the sentinel handler ran');
      expect(ai.socket.writableLength).toBeGreaterThan(0); // the reply is still in the process
      expect(await onFile(file)).not.toContain('held-1');
      expect(await onFile(file)).not.toContain('held-2');
      ai.socket.uncork();
      await waitFor(() => replies.includes('held-1'), 'the reply');
      const end = Date.now() + 5000;
      while (!(await onFile(file)).includes('held-1') && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      expect(await onFile(file)).toContain('held-1');
      // an unbuffered reply goes on file right away
      await op.publishAsync('alicia/ai/request', JSON.stringify(seal({ text: 'free' }, { source: 'op', id: 'free-1' })), { qos: 1 });
      await waitFor(() => replies.includes('free-1'), 'the second reply');
      expect(await onFile(file)).toContain('free-1');
    } finally {
      await op.endAsync();
      await ai.stop();
    }
  });
});
