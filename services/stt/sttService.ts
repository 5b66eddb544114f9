import { decodeBase64Strict, durationMs, parseWav, toMono16k, WAV_MAX_RATE, WAV_MIN_RATE } from '../lib/audio/wav.js';
import type { PcmAudio } from '../lib/audio/wav.js';
import { DeviceRegistry, deviceInfoFromStatus } from '../lib/language/deviceRegistry.js';
import { buildAnswerGrammar, buildGrammar, grammarVocabulary, loadDictionaryWords } from '../lib/language/grammar.js';
import { AliciaError, toErrorInfo } from '../lib/protocol/errors.js';
import type { BodyOf, MessageOf } from '../lib/protocol/topics.js';
import { lastSegment } from '../lib/protocol/topics.js';
import { BusService } from '../lib/runtime/busService.js';
import type { ConnectionOptions } from '../lib/runtime/busService.js';
import { decoderBackend } from './decoderBackends.js';
import { DEFAULT_MIN_MARGIN, DEFAULT_MIN_MARGIN_WITHOUT_GARBAGE, PocketsphinxEngine } from './pocketsphinxEngine.js';
import { parseSttConfig } from './sttConfig.js';
import type { SttConfig } from './sttConfig.js';
import type { SttEngine } from './sttEngine.js';
import { AudioStreams } from './audioStreams.js';
import { ListenSites } from './listenSites.js';
import type { WakeDetector, WakeDetectorFactory } from './listenSites.js';
import type { InstanceIdentity } from '../lib/runtime/serviceProcess.js';

export interface SttServiceOptions {
  connection?: ConnectionOptions;
  /** the stt config section (defaults for anything missing) */
  config?: unknown;
  /** engine override (tests, optional engines); default pocketsphinx from the config */
  engine?: SttEngine;
  /** wake-word detector override (tests of the hands-free plumbing); default wakeWord.ts */
  wakeDetector?: WakeDetectorFactory;
  heartbeatMs?: number;
  /** which run this is (default from the environment: the host's stt, or a service node's) */
  instance?: InstanceIdentity;
}

/**
 * Speech to text on `alicia/voice/stt/request` -> `alicia/voice/stt/result`.
 * One engine kept alive for the life of the service. The grammar follows the device registry
 * (retained alicia/device/status/+): a new, renamed or removed device rebuilds it, so "turn on the
 * garage light" is recognisable as soon as the garage light exists.
 * An engine that is not installed does not stop the service: it reports degraded health and every
 * request gets STT_ENGINE_MISSING with the reason, until it is restarted with the engine present.
 */
export class SttService extends BusService {
  readonly config: SttConfig;
  readonly registry = new DeviceRegistry();
  private readonly engine: SttEngine;
  private engineError: AliciaError | null = null;
  /** the engine is up and the dictionary file read: grammars can be built */
  private dictionaryReady = false;
  private grammarSignature: string | null = null;
  private grammarTimer: NodeJS.Timeout | null = null;
  private grammarUpdate: Promise<void> = Promise.resolve();
  /** words of device names the recogniser cannot say, for logs and the window */
  skipped: string[] = [];
  /** streamed utterances being decoded (alicia/voice/audio/+, and the sessions after a wake word) */
  readonly streams: AudioStreams;
  /** hands-free sites (alicia/voice/listen/+) */
  readonly listening: ListenSites;

  constructor(options: SttServiceOptions = {}) {
    const config = parseSttConfig(options.config);
    super({
      name: 'stt',
      version: '1.0.0',
      capabilities: [`stt.${options.engine?.name ?? config.engine}`],
      connection: options.connection,
      heartbeatMs: options.heartbeatMs,
      ...(options.instance ? { instance: options.instance } : {}),
    });
    this.config = config;
    const ps = config.pocketsphinx;
    this.engine =
      options.engine ??
      new PocketsphinxEngine({
        backend: decoderBackend(ps.backend),
        ...(ps.hmm ? { hmm: ps.hmm } : {}),
        ...(ps.dict ? { dict: ps.dict } : {}),
        ...(ps.phone_lm ? { phoneLm: ps.phone_lm } : {}),
        minMargin: ps.min_margin ?? (ps.garbage_path ? DEFAULT_MIN_MARGIN : DEFAULT_MIN_MARGIN_WITHOUT_GARBAGE),
        ...(ps.min_speech_ms !== undefined ? { minSpeechMs: ps.min_speech_ms } : {}),
      });
    this.streams = new AudioStreams({
      engine: this.engine,
      config: config.voice,
      log: this.log,
      grammarSettled: () => this.grammarSettled(),
      onEnd: (session_id, trace_id, reason) => this.announce({ type: 'endpoint', session_id, reason }, trace_id, session_id),
    });
    this.listening = new ListenSites({
      streams: this.streams,
      config: config.voice,
      log: this.log,
      detector: options.wakeDetector ?? defaultWakeDetector,
      onWake: (site_id, session_id, trace_id) => this.announce({ type: 'wake', site_id, session_id }, trace_id, session_id),
    });
  }

  /** Events about streams are for the window; losing one must not end the stream. */
  private announce(body: BodyOf<'alicia/voice/event'>, trace_id: string, session_id: string): void {
    this.publish('alicia/voice/event', body, { trace_id, session_id }).catch((e: unknown) =>
      this.log.warn('voice event not sent', { session_id, ...toErrorInfo(e) }),
    );
  }

  protected override async onStart(): Promise<void> {
    try {
      await this.engine.start();
      if (this.engine instanceof PocketsphinxEngine) this.log.info('speech recogniser ready', { backend: this.engine.backendName });
      // the answers' words are template words: grammarVocabulary has them. This first read also makes a
      // missing or unreadable dictionary an engine error at start.
      const answerWords = loadDictionaryWords(this.config.pocketsphinx.dict, grammarVocabulary(this.registry));
      this.dictionaryReady = true;
      await this.engine.setGrammar(buildAnswerGrammar(answerWords), 'answers');
      await this.rebuildGrammar();
    } catch (e) {
      const info = toErrorInfo(e);
      this.engineError = e instanceof AliciaError ? e : new AliciaError('STT_ENGINE_MISSING', `stt engine unavailable: ${info.message}`);
      this.log.error('stt engine unavailable; requests will fail with a coded error', { ...this.engineError.toInfo() });
    }
    await this.subscribe(
      'alicia/device/status/+',
      (msg) => {
        if (this.registry.upsert(deviceInfoFromStatus(msg))) this.scheduleGrammar();
      },
      { onClear: (topic) => this.registry.remove(lastSegment(topic)) && this.scheduleGrammar() },
    );
    await this.handle('alicia/voice/stt/request', (msg) =>
      msg.stream !== undefined ? this.transcribeStream(msg, msg.stream) : this.transcribe(msg),
    );
    // Streams are not answered on the bus chunk by chunk: a bad chunk is dropped (logged), and the
    // seq gap it leaves ends its utterance with STT_STREAM_GAP at the next chunk.
    await this.subscribe('alicia/voice/audio/+', (msg, topic) => this.streams.onChunk(msg, lastSegment(topic)), { qos: 1 });
    await this.subscribe('alicia/voice/listen/+', (msg, topic) => this.listening.onChunk(msg, lastSegment(topic)), { qos: 0 });
  }

  protected override async onStop(): Promise<void> {
    this.streams.stop('NOT_CONNECTED', 'stt is stopping');
    await this.listening.stop();
    if (this.grammarTimer) clearTimeout(this.grammarTimer);
    this.grammarTimer = null;
    await this.grammarUpdate.catch(() => undefined);
    await this.engine.stop();
  }

  protected override healthStatus(): 'ok' | 'degraded' {
    return this.engineError ? 'degraded' : 'ok';
  }

  /** Resolves when the grammar reflects every device change seen so far (tests, requests). */
  async grammarSettled(): Promise<void> {
    if (this.grammarTimer) {
      clearTimeout(this.grammarTimer);
      this.grammarTimer = null;
      this.grammarUpdate = this.grammarUpdate.then(() => this.rebuildGrammar());
    }
    await this.grammarUpdate;
  }

  private scheduleGrammar(): void {
    if (this.engineError || this.grammarTimer) return;
    this.grammarTimer = setTimeout(() => {
      this.grammarTimer = null;
      this.grammarUpdate = this.grammarUpdate.then(() => this.rebuildGrammar());
    }, this.config.grammar_debounce_ms);
  }

  private async rebuildGrammar(): Promise<void> {
    if (!this.dictionaryReady || this.engineError) return;
    if (this.registry.vocabularySignature() === this.grammarSignature) return;
    try {
      // only the words this grammar could use (loadDictionaryWords says why)
      const g = buildGrammar(this.registry, loadDictionaryWords(this.config.pocketsphinx.dict, grammarVocabulary(this.registry)));
      await this.engine.setGrammar(this.config.pocketsphinx.garbage_path ? g.fsg : g.jsgf);
      this.grammarSignature = g.signature;
      this.skipped = g.skipped.map((s) => `${s.kind} "${s.text}" (not in the dictionary: ${s.missing.join(', ')})`);
      this.log.info('grammar updated', { devices: this.registry.size, words: g.words.length, skipped: this.skipped });
      await this.publish(
        'alicia/voice/stt/grammar',
        {
          signature: g.signature,
          words: g.words.length,
          skipped: g.skipped.map((k) => ({ kind: k.kind, text: k.text, missing: k.missing })),
        },
        { retain: true, qos: 1 },
      ).catch((e: unknown) => this.log.warn('grammar state not published', { ...toErrorInfo(e) }));
    } catch (e) {
      // keep the previous grammar: recognition keeps working for the devices it knew
      this.log.error('grammar rejected by the engine; keeping the previous one', { ...toErrorInfo(e) });
    }
  }

  /**
   * A streamed utterance's recognition: answered when it ends. processing_ms is the tail, from the
   * end of the utterance (last chunk handled) to the result; the rest was decoded while it arrived.
   */
  private async transcribeStream(
    msg: MessageOf<'alicia/voice/stt/request'>,
    sessionId: string,
  ): Promise<BodyOf<'alicia/voice/stt/result'>> {
    if (this.engineError) throw this.engineError;
    // the stream may start just after the request (the router asks as soon as it sees chunk 0)
    const cfg = this.config.voice;
    const left = msg.deadline !== undefined ? msg.deadline - Date.now() : cfg.max_utterance_ms + cfg.stream_timeout_ms;
    const out = await this.streams.outcome(sessionId, Math.max(0, Math.min(left, cfg.stream_timeout_ms)));
    if (!out.ok) throw out.error;
    const r = out.recognition;
    return {
      ok: true,
      transcription: r.understood ? r.text : '',
      understood: r.understood,
      confidence: Math.min(1, Math.max(0, r.confidence)),
      engine: this.engine.name,
      processing_ms: out.endpoint.tail_ms,
      audio_ms: Math.round(out.audioMs),
      endpoint: { ...out.endpoint },
      ...(r.reason ? { reason: r.reason } : {}),
    };
  }

  private async transcribe(msg: MessageOf<'alicia/voice/stt/request'>): Promise<BodyOf<'alicia/voice/stt/result'>> {
    const t0 = performance.now();
    if (this.engineError) throw this.engineError;
    const pcm = toMono16k(this.readAudio(msg));
    await this.grammarSettled();
    let r;
    try {
      r = await this.engine.recognize(pcm);
    } catch (e) {
      if (e instanceof AliciaError) throw e;
      throw new AliciaError('STT_ENGINE_FAILED', `recognition failed: ${toErrorInfo(e).message}`);
    }
    return {
      ok: true,
      transcription: r.understood ? r.text : '',
      understood: r.understood,
      confidence: Math.min(1, Math.max(0, r.confidence)),
      engine: this.engine.name,
      processing_ms: Math.round((performance.now() - t0) * 10) / 10,
      audio_ms: Math.round(durationMs(pcm.length, 16000)),
      ...(r.reason ? { reason: r.reason } : {}),
    };
  }

  /** WAV (default) or raw 16-bit PCM with its format beside it (protocol common.ts audioFormatSchema). */
  private readAudio(msg: MessageOf<'alicia/voice/stt/request'>): PcmAudio {
    const bytes = decodeBase64Strict(msg.audio_data ?? '', 'STT_BAD_AUDIO');
    const fmt = msg.format;
    if (fmt?.container === 'pcm') {
      const rate = fmt.sample_rate;
      const channels = fmt.channels ?? 1;
      if (rate === undefined || rate < WAV_MIN_RATE || rate > WAV_MAX_RATE)
        throw new AliciaError('STT_BAD_AUDIO', 'raw PCM needs format.sample_rate (8000-48000)');
      if (bytes.length === 0 || bytes.length % (2 * channels) !== 0)
        throw new AliciaError('STT_BAD_AUDIO', 'raw PCM must be whole 16-bit frames');
      const ms = durationMs(bytes.length / 2, rate, channels);
      if (ms > this.config.max_audio_ms)
        throw new AliciaError('STT_BAD_AUDIO', `${Math.round(ms)} ms of audio exceeds the ${this.config.max_audio_ms} ms limit`);
      const aligned = bytes.byteOffset % 2 === 0 ? bytes : Buffer.from(bytes);
      return {
        sampleRate: rate,
        channels: channels as 1 | 2,
        samples: new Int16Array(aligned.buffer, aligned.byteOffset, aligned.length / 2),
      };
    }
    return parseWav(bytes, 'STT_BAD_AUDIO', { maxDurationMs: this.config.max_audio_ms });
  }
}

/** The wake-word detector of this folder (wakeWord.ts), loaded when a site first listens. */
async function defaultWakeDetector(opts: { phrase: string; threshold?: number }): Promise<WakeDetector> {
  // by URL: the detector is its own module, and stt runs (typed commands, push-to-talk) without it
  const url = new URL('./wakeWord.js', import.meta.url).href;
  const mod = (await import(url)) as { WakeWordDetector: new (o: { phrase: string; threshold?: number }) => WakeDetector };
  return new mod.WakeWordDetector(opts);
}
