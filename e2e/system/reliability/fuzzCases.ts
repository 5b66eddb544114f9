import type { RequestTopic } from '../../../services/lib/protocol/topics.js';

/**
 * Seeded generator of malformed requests for the fuzzer (fuzz.test.ts): truncated and deeply nested
 * JSON, wrong types, huge strings and arrays, invalid UTF-8, binary garbage, base64 that is not
 * WAV, WAV headers that lie about their size or rate. Pure and deterministic: the same seed gives
 * the same bytes, so a failure can be replayed.
 */

/** mulberry32 (Tommy Ettinger's public-domain 32-bit PRNG): tiny, fast, good enough for fuzzing. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const FUZZ_TOPICS = [
  'alicia/voice/stt/request',
  'alicia/ai/request',
  'alicia/voice/tts/request',
  'alicia/voice/command',
  'alicia/device/command',
  'alicia/device/registry/request',
  'alicia/system/supervisor/request',
  'alicia/system/recorder/request',
] as const satisfies readonly RequestTopic[];
export type FuzzTopic = (typeof FUZZ_TOPICS)[number];

export const FUZZ_KINDS = [
  'truncated',
  'deep',
  'wrong_type',
  'huge_string',
  'huge_array',
  'invalid_utf8',
  'garbage',
  'not_object',
  'empty',
  'bad_version',
  'not_wav',
  'lying_wav',
] as const;
export type FuzzKind = (typeof FUZZ_KINDS)[number];

export interface FuzzCase {
  n: number;
  topic: FuzzTopic;
  kind: FuzzKind;
  payload: Buffer;
  /** envelope ids an answer may echo as correlation_id (runtime: correlation_id, else id) */
  ids: string[];
  /** a mutation that may, by chance, still be a valid request (a normal reply is then legitimate) */
  mayBeValid: boolean;
}

/**
 * Bodies that are harmless if a mutation happens to leave them valid: nothing real is stopped,
 * removed or switched (an unknown service / device, empty text, a counts query).
 */
function baseBody(topic: FuzzTopic, n: number): Record<string, unknown> {
  switch (topic) {
    case 'alicia/voice/stt/request':
      return {
        audio_data: Buffer.from(`not a wav ${n}`).toString('base64'),
        format: { container: 'wav', sample_rate: 16000, channels: 1, bits: 16 },
      };
    case 'alicia/ai/request':
      return { text: '' };
    case 'alicia/voice/tts/request':
      return { text: '', voice: 'en-us' };
    case 'alicia/voice/command':
      return { session_id: `fuzz-${n}`, text: '', speak: false };
    case 'alicia/device/command':
      return { device_id: 'fuzz_missing_device', action: 'turn_on', params: {} };
    case 'alicia/device/registry/request':
      return { action: 'remove', device_id: 'fuzz_missing_device' };
    case 'alicia/system/supervisor/request':
      return { action: 'restart', service: 'fuzz-missing-service' };
    case 'alicia/system/recorder/request':
      return { query: 'messages', topic: 'fuzz/none', limit: 0 };
  }
}

const ENVELOPE_FIELDS = ['v', 'id', 'ts', 'source', 'trace_id', 'correlation_id', 'session_id'];

export class FuzzGenerator {
  private readonly rnd: () => number;
  private n = 0;
  private hugeBudget: number;

  /** hugeBudgetBytes bounds the sum of huge strings/arrays over the whole run (recorder, CI time). */
  constructor(seed: number, hugeBudgetBytes = 16 * 1024 * 1024) {
    this.rnd = mulberry32(seed);
    this.hugeBudget = hugeBudgetBytes;
  }

  private int(lo: number, hi: number): number {
    return lo + Math.floor(this.rnd() * (hi - lo + 1));
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.rnd() * xs.length)]!;
  }

  private bytes(len: number): Buffer {
    const b = Buffer.allocUnsafe(len);
    for (let i = 0; i < len; i++) b[i] = Math.floor(this.rnd() * 256);
    return b;
  }

  /** A sealed-looking envelope with ids unique to this case (dedupe must never swallow a case). */
  private envelope(n: number): Record<string, unknown> {
    return { v: '1.0', id: `fz-id-${n}`, ts: Date.now(), source: 'fuzzer', trace_id: `fz-tr-${n}`, correlation_id: `fz-c-${n}` };
  }

  next(): FuzzCase {
    const n = this.n++;
    const topic = FUZZ_TOPICS[n % FUZZ_TOPICS.length]!;
    const audio = topic === 'alicia/voice/stt/request' || topic === 'alicia/voice/command';
    const kinds = FUZZ_KINDS.filter((k) => audio || (k !== 'not_wav' && k !== 'lying_wav'));
    const kind = this.pick(kinds);
    const env = this.envelope(n);
    const obj: Record<string, unknown> = { ...env, ...baseBody(topic, n) };
    let mayBeValid = false;
    let payload: Buffer;
    switch (kind) {
      case 'truncated': {
        const full = JSON.stringify(obj);
        payload = Buffer.from(full.slice(0, this.int(0, full.length - 1)));
        break;
      }
      case 'deep': {
        // 10 .. 50,000 levels of [] or {"a":...} in a body field
        let depth = this.pick([10, 100, 1000, 10_000, 50_000]);
        if (depth * 5 > 8192) {
          if (depth * 5 > this.hugeBudget) depth = 1000;
          this.hugeBudget -= depth * 5;
        }
        const arr = this.rnd() < 0.5;
        const inner = arr ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
        const field = this.pick([...Object.keys(baseBody(topic, n)), 'params', 'context', 'extra']);
        const head = JSON.stringify({ ...obj, [field]: '__DEEP__' });
        payload = Buffer.from(head.replace('"__DEEP__"', inner));
        mayBeValid = field === 'params' || field === 'context' || field === 'extra';
        break;
      }
      case 'wrong_type': {
        const field = this.pick([...ENVELOPE_FIELDS, ...Object.keys(baseBody(topic, n))]);
        const values: unknown[] = [42, -1.5, true, false, null, [], [1, 'a'], {}, { x: 1 }, `str-${n}`, '', 1e308];
        let v = this.pick(values);
        // ts: a number in the past is a *valid* but stale request, which the runtime drops on
        // purpose after 30 s (its caller has given up); only non-numbers test the type check.
        if (field === 'ts' && typeof v === 'number') v = 'yesterday';
        obj[field] = v;
        mayBeValid = typeof v === 'string' && !ENVELOPE_FIELDS.includes(field);
        payload = Buffer.from(JSON.stringify(obj));
        break;
      }
      case 'huge_string': {
        const size = this.hugeSize();
        const field = this.pick([...Object.keys(baseBody(topic, n)), 'correlation_id', 'source']);
        obj[field] = 'x'.repeat(size);
        payload = Buffer.from(JSON.stringify(obj));
        mayBeValid = field === 'audio_data'; // "xxxx" is base64 of some bytes (then: not a WAV)
        break;
      }
      case 'huge_array': {
        const len = Math.max(1, Math.floor(this.hugeSize() / 2));
        const field = this.pick([...Object.keys(baseBody(topic, n)), 'aliases', 'params']);
        obj[field] = new Array<number>(len).fill(0);
        payload = Buffer.from(JSON.stringify(obj));
        break;
      }
      case 'invalid_utf8': {
        const text = Buffer.from(JSON.stringify({ ...obj, note: '@@' }));
        const at = text.indexOf('@@');
        const bad = this.pick([
          Buffer.from([0xc3, 0x28]),
          Buffer.from([0xff, 0xfe]),
          Buffer.from([0xed, 0xa0, 0x80]),
          Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80]),
        ]);
        payload = Buffer.concat([text.subarray(0, at), bad, text.subarray(at + 2)]);
        break;
      }
      case 'garbage':
        payload = this.bytes(this.int(1, 4096));
        break;
      case 'not_object':
        payload = Buffer.from(this.pick(['[]', '[1,2,3]', '"text"', '123', 'null', 'true', '{}garbage', '1e999', '"\\ud800"']));
        break;
      case 'empty':
        payload = Buffer.alloc(0);
        break;
      case 'bad_version':
        obj.v = this.pick(['2.0', '0.9', '99.1', '1', 'v1', '1.0.0', '']);
        payload = Buffer.from(JSON.stringify(obj));
        break;
      case 'not_wav': {
        const b64 = this.pick([
          this.bytes(this.int(1, 2048)).toString('base64'),
          Buffer.from('hello, this is not audio').toString('base64'),
          'AAAA',
          '!!!not base64!!!',
          'QUJD=extra=',
        ]);
        obj.audio_data = b64;
        if (topic === 'alicia/voice/command') delete obj.text;
        payload = Buffer.from(JSON.stringify(obj));
        break;
      }
      case 'lying_wav': {
        obj.audio_data = this.lyingWav().toString('base64');
        if (topic === 'alicia/voice/command') delete obj.text;
        if (this.rnd() < 0.5)
          obj.format = {
            container: 'wav',
            sample_rate: this.pick([8000, 16000, 22050, 44100, 48000]),
            channels: this.pick([1, 2]),
            bits: 16,
          };
        payload = Buffer.from(JSON.stringify(obj));
        // a header that lies only a little may still decode (then it is noise: not understood)
        mayBeValid = true;
        break;
      }
    }
    // what an answer may echo as correlation_id: the (possibly mutated) correlation_id, else the id
    const ids = [env.id as string, env.correlation_id as string];
    for (const k of ['correlation_id', 'id']) {
      const v = obj[k];
      if (typeof v === 'string' && v.length >= 1 && v.length <= 128 && !ids.includes(v)) ids.push(v);
    }
    return { n, topic, kind, payload, ids, mayBeValid };
  }

  /**
   * 8 KiB .. 2 MiB, big ones rare and bounded by the run's budget (broker limit is 8 MiB). Never
   * below 8 KiB: above every text limit of the protocol (ai 2,000, tts at most 5,000 characters),
   * so a huge string is never a valid request by accident.
   */
  private hugeSize(): number {
    const r = this.rnd();
    let size = r < 0.6 ? this.int(8192, 64 * 1024) : r < 0.95 ? this.int(64 * 1024, 512 * 1024) : this.int(512 * 1024, 2 * 1024 * 1024);
    if (size > this.hugeBudget) size = 8192;
    this.hugeBudget -= size;
    return size;
  }

  /** A RIFF/WAVE header whose sizes, rate, channels or bit depth do not match the data that follows. */
  private lyingWav(): Buffer {
    const dataLen = this.int(0, 4000);
    const claimedData = this.pick([dataLen, dataLen * 1000, 0xffffffff, 0, dataLen + 1, Math.max(0, dataLen - 7)]);
    const rate = this.pick([16000, 0, 1, 8000, 192000, 4_000_000_000 >>> 0, 22050]);
    const channels = this.pick([1, 0, 2, 7, 65535]);
    const bits = this.pick([16, 0, 8, 24, 13, 64]);
    const fmtSize = this.pick([16, 0, 2, 40, 1000]);
    const h = Buffer.alloc(44);
    h.write('RIFF', 0, 'ascii');
    h.writeUInt32LE(this.pick([36 + dataLen, 0, 0xffffffff, 4]), 4);
    h.write('WAVE', 8, 'ascii');
    h.write('fmt ', 12, 'ascii');
    h.writeUInt32LE(fmtSize, 16);
    h.writeUInt16LE(this.pick([1, 3, 0, 0xfffe]), 20);
    h.writeUInt16LE(channels, 22);
    h.writeUInt32LE(rate >>> 0, 24);
    h.writeUInt32LE(((rate * channels * bits) / 8) >>> 0, 28);
    h.writeUInt16LE(((channels * bits) / 8) & 0xffff, 32);
    h.writeUInt16LE(bits, 34);
    h.write('data', 36, 'ascii');
    h.writeUInt32LE(claimedData >>> 0, 40);
    return Buffer.concat([h, this.bytes(dataLen)]);
  }
}
