import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import { newId, seal } from '../../services/lib/protocol/envelope.js';
import type { ServiceName } from '../../services/lib/protocol/services.js';
import type { BusService, ConnectionOptions } from '../../services/lib/runtime/busService.js';
import { DeviceManager } from '../../services/device-manager/deviceManager.js';
import { TtsService } from '../../services/tts/ttsService.js';
import { VoiceRouter } from '../../services/voice-router/voiceRouter.js';
import { AiService } from '../../services/ai/aiService.js';
import { SttService } from '../../services/stt/sttService.js';
import { DEFAULT_RATE_LIMIT } from '../../electron/host/broker/rateLimit.js';
import { benchBroker } from './load.js';
import { quantile } from './stats.js';
import { topicFor } from '../../services/lib/protocol/topics.js';
import { trimSilence } from '../../services/stt/trimSilence.js';
import type { BenchSection } from './types.js';

const exec = promisify(execFile);

/**
 * Voice pipeline latency and intent accuracy: the real device-manager, stt (pocketsphinx), ai, tts
 * (espeak-ng WASM) and voice router in this process, against a real AliciaBroker (auth + ACL) on
 * free ports. A plain MQTT client sends voice commands one at a time (latency, not throughput) and
 * times each from publish to result:
 *  - typed commands: ai -> device -> tts;
 *  - spoken commands: ~2 s espeak-ng utterances (140 wpm, padded 0.3 s each side, 16 kHz mono as
 *    espeak-ng + sox make them (sox resamples to 16 kHz), and 22.05 kHz for the other voice so conversion is measured too),
 *    sent whole: "from end of audio to result" = from publish to result.
 * Intent accuracy compares the result's intent with the intent each sentence is written to mean.
 * Issue 3 targets: typed p50 < 150 ms to device changed + reply audio; spoken p50 < 300 ms.
 */

/** sentence -> the intent it means (names of services/lib/language/intents.ts) */
export const SENTENCES: readonly [string, string][] = [
  ['turn on the kitchen light', 'turn_on'],
  ['turn off the kitchen light', 'turn_off'],
  ['switch on the living room light', 'turn_on'],
  ['turn off the living room light', 'turn_off'],
  ['turn on the bedroom lamp', 'turn_on'],
  ['switch off the bedroom lamp', 'turn_off'],
  ['set the kitchen light to fifty percent', 'set_brightness'],
  ['dim the kitchen light to thirty percent', 'set_brightness'],
  ['set the thermostat to twenty one degrees', 'set_temperature'],
  ['set the thermostat to cool', 'set_mode'],
  ['lock the front door', 'lock'],
  ['unlock the front door', 'unlock'],
  ['what is the temperature in the hallway', 'get_temperature'],
  ['is the kitchen light on', 'get_state'],
  ['is the front door locked', 'get_state'],
  ['turn the volume down', 'volume_down'],
  ['set the volume to forty percent', 'set_volume'],
  ['play music on the kitchen speaker', 'play_music'],
  ['pause the music', 'pause_music'],
  ['what time is it', 'get_time'],
];
const TEXT_ROUNDS = 2;
export const VOICES = [
  { voice: 'en-us', speed: 140, rate: 16000 },
  { voice: 'en-us+f3', speed: 150, rate: 22050 },
];

export interface Outcome {
  /** the sentence and the intent it means */
  sentence?: string;
  expected?: string;
  heard: string;
  ok: boolean;
  intent: string | null;
  code: string | null;
  timings: Record<string, number>;
  /** the recogniser's own processing time (spoken commands) */
  stt_engine_ms: number;
  client_ms: number;
}

interface StreamOutcome extends Outcome {
  /** client clock: the chunk holding the end of speech was published -> result */
  speech_to_result_ms: number;
  /** streamed without final: end of speech -> stt's endpoint event; endpoint event -> result */
  endpoint_delay_ms: number;
  after_endpoint_ms: number;
  /** stt's own figures: silence waited (audio clock), tail decode */
  stt_endpoint_ms: number;
  stt_tail_ms: number;
}

export class BenchClient {
  private waiting = new Map<string, { resolve: (m: Record<string, unknown>) => void; sentAt: number }>();
  /** when stt's endpoint event of each session arrived */
  private readonly endpoints = new Map<string, number>();
  private constructor(private readonly client: MqttClient) {
    client.on('message', (topic, payload) => {
      const m = JSON.parse(payload.toString()) as Record<string, unknown>;
      if (topic === 'alicia/voice/event') {
        if (m.type === 'endpoint') this.endpoints.set(m.trace_id as string, performance.now());
        return;
      }
      const w = this.waiting.get(m.correlation_id as string);
      if (w) {
        this.waiting.delete(m.correlation_id as string);
        w.resolve(m);
      }
    });
  }
  static async connect(url: string, username: string, password: string): Promise<BenchClient> {
    const client = await mqtt.connectAsync(url, {
      clientId: `bench-${newId()}`,
      username,
      password,
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    (client.stream as Partial<Socket>).setNoDelay?.(true); // Nagle + delayed ACK: ~88 ms per round trip otherwise
    await client.subscribeAsync({ 'alicia/voice/result': { qos: 1 }, 'alicia/voice/event': { qos: 0 } });
    return new BenchClient(client);
  }
  async command(body: Record<string, unknown>): Promise<Outcome> {
    const correlation_id = newId();
    const msg = seal(body, { source: 'operator', correlation_id, session_id: body.session_id as string });
    const t0 = performance.now();
    const reply = new Promise<Record<string, unknown>>((resolve, reject) => {
      this.waiting.set(correlation_id, { resolve, sentAt: t0 });
      setTimeout(() => reject(new Error('no voice result within 30 s')), 30_000).unref();
    });
    await this.client.publishAsync('alicia/voice/command', JSON.stringify(msg), { qos: 1 });
    const r = await reply;
    const client_ms = performance.now() - t0;
    return {
      ok: r.ok === true,
      heard: typeof r.transcription === 'string' ? r.transcription : '',
      intent: (r.intent as { name?: string } | null)?.name ?? null,
      code: (r.error as { code?: string } | undefined)?.code ?? null,
      timings: r.timings as Record<string, number>,
      stt_engine_ms: (r.stt as { processing_ms?: number } | undefined)?.processing_ms ?? NaN,
      client_ms,
    };
  }
  /**
   * Stream 16 kHz audio in real time as the window does (a 100 ms chunk every 100 ms), the last
   * chunk `final` or not (then stt ends it on silence); `speechEnd` is the sample where the speech
   * ends. Timed from the publish of the chunk holding the end of speech.
   */
  async stream(session_id: string, pcm: Int16Array, final: boolean, speechEnd: number): Promise<StreamOutcome> {
    const correlation_id = newId();
    const trace_id = newId();
    const reply = new Promise<Record<string, unknown>>((resolve, reject) => {
      this.waiting.set(correlation_id, { resolve, sentAt: 0 });
      setTimeout(() => reject(new Error('no voice result within 30 s')), 30_000).unref();
    });
    const topic = topicFor('alicia/voice/audio/+', session_id);
    const t0 = performance.now();
    let speechSentAt = NaN;
    let done = false;
    void reply.then(() => (done = true));
    for (let i = 0, at = 0; at < pcm.length && !done; i++, at += CHUNK) {
      const wait = t0 + i * 100 - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const piece = pcm.subarray(at, at + CHUNK);
      const last = at + CHUNK >= pcm.length;
      if (last && !final && piece.length < CHUNK) break;
      const body = {
        session_id,
        seq: i,
        rate: 16000,
        width: 2,
        channels: 1,
        pcm: Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength).toString('base64'),
        ...(final && last ? { final: true } : {}),
      };
      const msg = seal(body, { source: 'operator', trace_id, session_id, ...(i === 0 ? { correlation_id } : {}) });
      await this.client.publishAsync(topic, JSON.stringify(msg), { qos: 1 });
      // with final: from the final chunk (the user let go at the end of speech); else the chunk holding the end
      if (final ? last : Number.isNaN(speechSentAt) && at + CHUNK >= speechEnd) speechSentAt = performance.now();
    }
    const r = await reply;
    const at = performance.now();
    const endpointAt = this.endpoints.get(trace_id) ?? NaN;
    const stt = (r.stt ?? {}) as { processing_ms?: number; endpoint?: { endpoint_ms?: number; tail_ms?: number } };
    return {
      ok: r.ok === true,
      heard: typeof r.transcription === 'string' ? r.transcription : '',
      intent: (r.intent as { name?: string } | null)?.name ?? null,
      code: (r.error as { code?: string } | undefined)?.code ?? null,
      timings: r.timings as Record<string, number>,
      stt_engine_ms: stt.processing_ms ?? NaN,
      client_ms: at - t0,
      speech_to_result_ms: at - speechSentAt,
      endpoint_delay_ms: endpointAt - speechSentAt,
      after_endpoint_ms: at - endpointAt,
      stt_endpoint_ms: stt.endpoint?.endpoint_ms ?? NaN,
      stt_tail_ms: stt.endpoint?.tail_ms ?? NaN,
    };
  }

  close(): Promise<void> {
    return this.client.endAsync(true);
  }
}

/** 100 ms of 16 kHz audio: the window's chunk. */
const CHUNK = 1600;

/** 16-bit samples of a canonical WAV (sox writes a 44-byte header). */
function samplesOf(wav: Buffer): Int16Array {
  const body = Buffer.from(wav.subarray(44));
  return new Int16Array(body.buffer, body.byteOffset, body.length / 2);
}

export async function utterance(dir: string, text: string, v: (typeof VOICES)[number], i: number): Promise<string> {
  const raw = join(dir, `${i}.raw.wav`);
  const out = join(dir, `${i}.wav`);
  await exec('espeak-ng', ['-v', v.voice, '-s', String(v.speed), '-w', raw, text]);
  await exec('sox', [raw, '-r', String(v.rate), '-c', '1', '-b', '16', out, 'pad', '0.3', '0.3']);
  return (await readFile(out)).toString('base64');
}

/**
 * The voice pipeline's services in this process, started in the supervisor's order (devices first,
 * the router last), once the router knows the kitchen light. Stopped by the caller (reverse order).
 */
export async function startVoiceServices(conn: (name: ServiceName) => ConnectionOptions, dataDir: string): Promise<BusService[]> {
  const services: BusService[] = [];
  services.push(new DeviceManager({ connection: conn('device-manager'), dataDir, config: { sensor_interval_ms: 3_600_000 } }));
  services.push(new SttService({ connection: conn('stt') }));
  services.push(new AiService({ connection: conn('ai') }));
  services.push(new TtsService({ connection: conn('tts') }));
  const router = new VoiceRouter({ connection: conn('voice-router') });
  services.push(router);
  try {
    for (const s of services) await s.start();
  } catch (e) {
    for (const s of [...services].reverse()) await s.stop().catch(() => undefined);
    throw e;
  }
  const deadline = Date.now() + 10_000;
  while (!router.knownDevice('kitchen_light') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return services;
}

export async function run(): Promise<BenchSection> {
  const loadBefore = loadavg()[0]!;
  const dataDir = await mkdtemp(join(tmpdir(), 'alicia-voice-bench-'));
  // the broker as shipped: its default per-client rate limit
  const { broker, credentials } = await benchBroker(dataDir, { rateLimit: DEFAULT_RATE_LIMIT });
  const url = broker.addresses.mqttUrl;
  const conn = (name: ServiceName): ConnectionOptions => {
    const c = credentials.all()[name];
    return { url, username: c.username, password: c.password };
  };
  let services: BusService[] = [];
  let client: BenchClient | null = null;
  try {
    services = await startVoiceServices(conn, dataDir);
    const op = credentials.all().operator;
    client = await BenchClient.connect(url, op.username, op.password);

    // warm-up (JIT, first grammar use, first WAV encode): not measured
    for (const [s] of SENTENCES.slice(0, 4)) await client.command({ session_id: 'warm', text: s });

    const text: Outcome[] = [];
    for (let round = 0; round < TEXT_ROUNDS; round++) {
      for (const [s, intent] of SENTENCES)
        text.push({ ...(await client.command({ session_id: `text-${round}`, text: s })), sentence: s, expected: intent });
    }

    const audioDir = await mkdtemp(join(tmpdir(), 'alicia-voice-bench-audio-'));
    const spoken: Outcome[] = [];
    try {
      let i = 0;
      for (const v of VOICES) {
        for (const [s, intent] of SENTENCES) {
          const audio_data = await utterance(audioDir, s, v, i++);
          spoken.push({ ...(await client.command({ session_id: `voice-${v.voice}`, audio_data })), sentence: s, expected: intent });
        }
      }
    } finally {
      await rm(audioDir, { recursive: true, force: true });
    }

    // Streamed, as the window sends it: 16 kHz, 100 ms chunks in real time. "with final": the
    // speech plus 150 ms, then final (push-to-talk released, or a click). "endpointing": the
    // utterance and 1.5 s of silence without final; stt ends it itself.
    const streamedFinal: StreamOutcome[] = [];
    const streamedEndpoint: StreamOutcome[] = [];
    const streamedChunkwise: StreamOutcome[] = [];
    const streamDir = await mkdtemp(join(tmpdir(), 'alicia-voice-bench-stream-'));
    try {
      let i = 0;
      const pcms: { pcm: Int16Array; s: string; intent: string; voice: string }[] = [];
      for (const v of VOICES)
        for (const [s, intent] of SENTENCES)
          pcms.push({
            pcm: samplesOf(Buffer.from(await utterance(streamDir, s, { ...v, rate: 16000 }, i++), 'base64')),
            s,
            intent,
            voice: v.voice,
          });
      for (const { pcm, s, intent, voice } of pcms) {
        const speech = trimSilence(pcm, 16000);
        const session = voice.replace('+', '-');
        streamedFinal.push({
          ...(await client.stream(`stream-${session}`, pcm.subarray(0, speech.end), true, speech.end)),
          sentence: s,
          expected: intent,
        });
        const padded = new Int16Array(pcm.length + 24000);
        padded.set(pcm);
        streamedEndpoint.push({
          ...(await client.stream(`stream-ep-${session}`, padded, false, speech.end - 150 * 16)),
          sentence: s,
          expected: intent,
        });
      }
      // the same with final, decoded chunk by chunk (voice.decode "stream"): a fresh stt with that setting
      const sttIndex = services.findIndex((x) => x instanceof SttService);
      await services[sttIndex]!.stop();
      const chunkwise = new SttService({ connection: conn('stt'), config: { voice: { decode: 'stream' } } });
      services[sttIndex] = chunkwise;
      await chunkwise.start();
      for (let k = 0; k < 500 && chunkwise.registry.size < 7; k++) await new Promise((r) => setTimeout(r, 20));
      await chunkwise.grammarSettled();
      for (const { pcm, s, intent, voice } of pcms) {
        const speech = trimSilence(pcm, 16000);
        streamedChunkwise.push({
          ...(await client.stream(`stream-cw-${voice.replace('+', '-')}`, pcm.subarray(0, speech.end), true, speech.end)),
          sentence: s,
          expected: intent,
        });
      }
    } finally {
      await rm(streamDir, { recursive: true, force: true });
    }

    const rows: (string | number)[][] = [];
    const add = <O extends Outcome>(label: string, xs: O[], pick: (o: O) => number) => {
      const v = xs.map(pick);
      rows.push([label, v.length, quantile(v, 0.5), quantile(v, 0.95)]);
    };
    const okText = text.filter((o) => o.ok);
    const okSpoken = spoken.filter((o) => o.ok);
    add('typed: ai', okText, (o) => o.timings.ai_ms ?? NaN);
    add(
      'typed: device',
      okText.filter((o) => (o.timings.device_ms ?? 0) > 0),
      (o) => o.timings.device_ms ?? NaN,
    );
    add('typed: tts', okText, (o) => o.timings.tts_ms ?? NaN);
    add('typed: total (router)', okText, (o) => o.timings.total_ms ?? NaN);
    add('typed: publish -> result (client)', okText, (o) => o.client_ms);
    add('spoken: stt (incl. WAV check + 16 kHz)', okSpoken, (o) => o.timings.stt_ms ?? NaN);
    add('spoken: stt engine (its own processing_ms)', okSpoken, (o) => o.stt_engine_ms);
    add('spoken: ai', okSpoken, (o) => o.timings.ai_ms ?? NaN);
    add(
      'spoken: device',
      okSpoken.filter((o) => (o.timings.device_ms ?? 0) > 0),
      (o) => o.timings.device_ms ?? NaN,
    );
    add('spoken: tts', okSpoken, (o) => o.timings.tts_ms ?? NaN);
    add('spoken: total (router)', okSpoken, (o) => o.timings.total_ms ?? NaN);
    add('spoken: end of audio -> result (client)', okSpoken, (o) => o.client_ms);
    const okFinal = streamedFinal.filter((o) => o.ok);
    const okEndpoint = streamedEndpoint.filter((o) => o.ok);
    add('streamed + final: end of speech -> result (client)', okFinal, (o) => o.speech_to_result_ms);
    add('streamed + final: stt tail after the last chunk (stt)', okFinal, (o) => o.stt_tail_ms);
    add('streamed + endpointing: end of speech -> result (client)', okEndpoint, (o) => o.speech_to_result_ms);
    add('streamed + endpointing: end of speech -> endpoint event (client)', okEndpoint, (o) => o.endpoint_delay_ms);
    add('streamed + endpointing: silence waited, audio clock (stt endpoint_ms)', okEndpoint, (o) => o.stt_endpoint_ms);
    add('streamed + endpointing: endpoint event -> result (client)', okEndpoint, (o) => o.after_endpoint_ms);
    add('streamed + endpointing: stt tail after the endpoint (stt)', okEndpoint, (o) => o.stt_tail_ms);
    const okChunkwise = streamedChunkwise.filter((o) => o.ok);
    add('decode "stream" + final: end of speech -> result (client)', okChunkwise, (o) => o.speech_to_result_ms);
    add('decode "stream" + final: stt tail after the last chunk (stt)', okChunkwise, (o) => o.stt_tail_ms);
    const acc = (xs: Outcome[]) => {
      const right = xs.filter((o) => o.ok && o.intent === o.expected).length;
      return `${right}/${xs.length} (${((100 * right) / Math.max(1, xs.length)).toFixed(1)} %)`;
    };
    rows.push(['typed: intent accuracy', text.length, acc(text), '']);
    rows.push(['spoken: intent accuracy', spoken.length, acc(spoken), '']);
    rows.push(['streamed + final: intent accuracy', streamedFinal.length, acc(streamedFinal), '']);
    rows.push(['streamed + endpointing: intent accuracy', streamedEndpoint.length, acc(streamedEndpoint), '']);
    rows.push(['decode "stream" + final: intent accuracy', streamedChunkwise.length, acc(streamedChunkwise), '']);

    const misses = spoken.filter((o) => !(o.ok && o.intent === o.expected));
    const notes = [
      `${SENTENCES.length} sentences across every intent family; typed ${TEXT_ROUNDS} rounds; spoken once per voice (${VOICES.map((v) => `${v.voice} ${v.speed} wpm ${v.rate} Hz`).join(', ')}), ~1.5-2.5 s each.`,
      'One command at a time, all services in this process (one event loop; tts synthesises in a worker thread).',
      'Latency rows cover successful sessions only; accuracy counts every session.',
      'Issue 3 targets: typed p50 < 150 ms (device changed + reply audio), spoken p50 < 300 ms from end of audio.',
      'Streamed (16 kHz, 100 ms chunks in real time, like the window). With final: the speech and 150 ms, timed from the final chunk. With endpointing: the utterance and 1.5 s of silence, no final; the end of speech is the last 20 ms frame above -40 dBFS, timed from the publish of the chunk that holds it. Targets: streamed with final p50 < 120 ms; after the endpoint p50 < 120 ms.',
      'stt recognises a stream as a whole utterance (voice.decode "whole", the default: the same answer as the audio sent in one piece), starting early once the speech and the 70 ms of silence it keeps after it are in; "stream" (chunk by chunk, ~30 ms tail) was measured less reliable (services/stt/README.md).',
      `Load average (1 min) ${loadBefore.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end, on ${cpus().length} cores: latencies scale with it (compare rows of one run, not runs).`,
      `Endpointing waits endpoint_silence_ms = 500 ms of silence after the WebRTC VAD's last speech frame (vad_mode 2), which itself trails the speech by ~60-120 ms.`,
    ];
    const streamMisses = [...streamedFinal, ...streamedEndpoint, ...streamedChunkwise].filter((o) => !(o.ok && o.intent === o.expected));
    for (const m of [...text.filter((o) => !(o.ok && o.intent === o.expected)), ...misses, ...streamMisses]) {
      notes.push(`miss: "${m.sentence ?? ''}" heard "${m.heard}" -> ${m.code ?? m.intent ?? '?'}`);
    }
    return { title: 'Voice pipeline: latency per stage and intent accuracy', columns: ['measure', 'n', 'p50 ms', 'p95 ms'], rows, notes };
  } finally {
    await client?.close().catch(() => undefined);
    for (const s of services.reverse()) await s.stop().catch(() => undefined);
    await broker.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
