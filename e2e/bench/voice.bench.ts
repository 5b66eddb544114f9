import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import { AliciaBroker } from '../../electron/host/broker/broker.js';
import { Credentials } from '../../electron/host/broker/credentials.js';
import { newId, seal } from '../../services/lib/protocol/envelope.js';
import type { ServiceName } from '../../services/lib/protocol/services.js';
import type { BusService, ConnectionOptions } from '../../services/lib/runtime/busService.js';
import { DeviceManager } from '../../services/device-manager/deviceManager.js';
import { TtsService } from '../../services/tts/ttsService.js';
import { VoiceRouter } from '../../services/voice-router/voiceRouter.js';
import { AiService } from '../../services/ai/aiService.js';
import { SttService } from '../../services/stt/sttService.js';
import { quantile } from './stats.js';
import type { BenchSection } from './types.js';
import { createLogger } from '../../services/lib/runtime/logger.js';

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
const VOICES = [
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

export class BenchClient {
  private waiting = new Map<string, { resolve: (m: Record<string, unknown>) => void; sentAt: number }>();
  private constructor(private readonly client: MqttClient) {
    client.on('message', (_t, payload) => {
      const m = JSON.parse(payload.toString()) as Record<string, unknown>;
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
    await client.subscribeAsync('alicia/voice/result', { qos: 1 });
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
  close(): Promise<void> {
    return this.client.endAsync(true);
  }
}

async function utterance(dir: string, text: string, v: (typeof VOICES)[number], i: number): Promise<string> {
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
  const dataDir = await mkdtemp(join(tmpdir(), 'alicia-voice-bench-'));
  const credentials = await Credentials.loadOrCreate(dataDir);
  const broker = new AliciaBroker({
    dataDir,
    credentials,
    mqttPort: 0,
    wsPort: 0,
    statsIntervalMs: 0,
    log: createLogger('broker', { sink: () => undefined }),
  });
  await broker.start();
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

    const rows: (string | number)[][] = [];
    const add = (label: string, xs: Outcome[], pick: (o: Outcome) => number) => {
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
    const acc = (xs: Outcome[]) => {
      const right = xs.filter((o) => o.ok && o.intent === o.expected).length;
      return `${right}/${xs.length} (${((100 * right) / Math.max(1, xs.length)).toFixed(1)} %)`;
    };
    rows.push(['typed: intent accuracy', text.length, acc(text), '']);
    rows.push(['spoken: intent accuracy', spoken.length, acc(spoken), '']);

    const misses = spoken.filter((o) => !(o.ok && o.intent === o.expected));
    const notes = [
      `${SENTENCES.length} sentences across every intent family; typed ${TEXT_ROUNDS} rounds; spoken once per voice (${VOICES.map((v) => `${v.voice} ${v.speed} wpm ${v.rate} Hz`).join(', ')}), ~1.5-2.5 s each.`,
      'One command at a time, all services in this process (one event loop; tts synthesises in a worker thread).',
      'Latency rows cover successful sessions only; accuracy counts every session.',
      'Issue 3 targets: typed p50 < 150 ms (device changed + reply audio), spoken p50 < 300 ms from end of audio.',
    ];
    for (const m of [...text.filter((o) => !(o.ok && o.intent === o.expected)), ...misses]) {
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
