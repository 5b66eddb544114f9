import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Writable } from 'node:stream';
import type { InProcessBus } from '../broker/types.js';
import type { StoredMessage } from './historyReader.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Payload bytes as text when they are valid UTF-8 (JSON, plain text), base64 otherwise (audio, binary). */
export function encodePayload(buf: Buffer): { payload: string; encoding: 'utf8' | 'base64' } {
  try {
    return { payload: utf8.decode(buf), encoding: 'utf8' };
  } catch {
    return { payload: buf.toString('base64'), encoding: 'base64' };
  }
}

/** One export line: a message as it crossed the broker. */
export interface NdjsonLine {
  time: number;
  topic: string;
  payload: string;
  /** how `payload` is written: utf8 text or base64 bytes */
  encoding: 'utf8' | 'base64';
  qos: number;
  retain: boolean;
  client: string | null;
  principal?: string | null;
  /** original size, present when the stored payload was cut at the recorder's limit */
  size?: number;
  truncated?: boolean;
}

export function toNdjsonLine(m: StoredMessage): string {
  const { payload, encoding } = encodePayload(m.payload ?? Buffer.alloc(0));
  const line: NdjsonLine = {
    time: m.time,
    topic: m.topic,
    payload,
    encoding,
    qos: m.qos,
    retain: m.retain,
    client: m.client_id,
    principal: m.principal,
  };
  if (m.truncated) {
    line.truncated = true;
    line.size = m.size;
  }
  return `${JSON.stringify(line)}\n`;
}

/** Parse and validate one NDJSON line from a file someone hands us. Throws on anything off. */
export function parseNdjsonLine(text: string): { time: number; topic: string; payload: Buffer; qos: 0 | 1; retain: boolean } {
  const v: unknown = JSON.parse(text);
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('line is not a JSON object');
  const o = v as Record<string, unknown>;
  // eslint-disable-next-line no-control-regex -- a topic name never holds U+0000 or wildcards [MQTT-1.5.3-2, MQTT-4.7.1-1]
  if (typeof o.topic !== 'string' || o.topic.length === 0 || /[+#\u0000]/.test(o.topic)) throw new Error('bad topic');
  if (typeof o.payload !== 'string') throw new Error('bad payload');
  const enc = o.encoding ?? 'utf8';
  if (enc !== 'utf8' && enc !== 'base64') throw new Error('bad encoding');
  const time = typeof o.time === 'number' && Number.isFinite(o.time) ? o.time : 0;
  // InProcessBus publishes QoS 0/1 (Aedes in-process); a recorded QoS 2 is replayed as 1.
  const qos: 0 | 1 = o.qos === 0 ? 0 : 1;
  return { time, topic: o.topic, payload: Buffer.from(o.payload, enc), qos, retain: o.retain === true };
}

export interface ReplayResult {
  published: number;
  skipped: number;
  errors: { line: number; message: string }[];
}

/**
 * Publish every line of an NDJSON export into the broker, in file order. speed: undefined/0 = as
 * fast as the broker takes them; 1 = the recorded pacing; 2 = twice as fast. Invalid lines are
 * skipped and reported (first 20), never fatal: a hand-edited file should replay what it can.
 */
export async function replayNdjson(
  file: string,
  bus: InProcessBus,
  opts: { speed?: number; signal?: AbortSignal } = {},
): Promise<ReplayResult> {
  const speed = opts.speed ?? 0;
  const rl = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  const res: ReplayResult = { published: 0, skipped: 0, errors: [] };
  let prevTime: number | null = null;
  let n = 0;
  try {
    for await (const text of rl) {
      n++;
      if (opts.signal?.aborted) break;
      if (text.trim() === '') continue;
      let line: ReturnType<typeof parseNdjsonLine>;
      try {
        line = parseNdjsonLine(text);
      } catch (e) {
        res.skipped++;
        if (res.errors.length < 20) res.errors.push({ line: n, message: (e as Error).message });
        continue;
      }
      if (speed > 0 && prevTime !== null && line.time > prevTime) {
        await sleep(Math.min((line.time - prevTime) / speed, 60_000));
      }
      prevTime = line.time;
      await bus.publish(line.topic, line.payload, { qos: line.qos, retain: line.retain });
      res.published++;
    }
  } finally {
    rl.close();
  }
  return res;
}

/** Write text chunks to a stream honouring backpressure. */
export async function writeAll(out: Writable, chunks: Iterable<string>): Promise<void> {
  for (const c of chunks) {
    if (!out.write(c)) await once(out, 'drain');
  }
}

export function openFileSink(path: string): Writable {
  return createWriteStream(path, { encoding: 'utf8' });
}
