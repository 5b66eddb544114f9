import { BusService } from '../lib/runtime/busService.js';
import type { ConnectionOptions } from '../lib/runtime/busService.js';
import { AliciaError, toErrorInfo } from '../lib/protocol/errors.js';
import type { BodyOf } from '../lib/protocol/topics.js';
import { encodeWav } from '../lib/audio/wav.js';
import { EspeakWasmEngine } from './espeakWasmEngine.js';
import { EspeakCliEngine } from './espeakCliEngine.js';
import { SerialQueue } from './serialQueue.js';
import { escapeSsml, prepareText } from './text.js';
import { parseTtsConfig } from './ttsConfig.js';
import type { TtsConfig } from './ttsConfig.js';
import type { TtsEngine } from './ttsEngine.js';

export interface TtsServiceOptions {
  connection?: ConnectionOptions;
  /** the tts config section (defaults for anything missing) */
  config?: unknown;
  /** where the WASM package is (default: the installed @echogarden/espeak-ng-emscripten) */
  wasmModule?: string;
  /** the espeak-ng program of the fallback engine (default: "espeak-ng" on PATH) */
  cliBinary?: string;
  heartbeatMs?: number;
}

/**
 * Text to speech on `alicia/voice/tts/request` -> `alicia/voice/tts/result` (base64 WAV, 16-bit mono).
 * One engine instance, loaded once at start; requests take turns through a bounded queue, each with
 * its own deadline (TTS_TIMEOUT). Bad input (empty, too long, unknown voice) gets a coded error on
 * `alicia/voice/tts/error` and never disturbs the next request.
 */
export class TtsService extends BusService {
  readonly config: TtsConfig;
  private readonly options: TtsServiceOptions;
  private engine: TtsEngine | null = null;
  private fallbackActive = false;
  private queue: SerialQueue | null = null;

  constructor(options: TtsServiceOptions = {}) {
    super({
      name: 'tts',
      version: '1.0.0',
      capabilities: ['tts.espeak-ng'],
      connection: options.connection,
      heartbeatMs: options.heartbeatMs,
    });
    this.options = options;
    this.config = parseTtsConfig(options.config);
  }

  /** The engine in use ("espeak-ng-wasm" or "espeak-ng-cli"); null before start. */
  get engineName(): string | null {
    return this.engine?.name ?? null;
  }

  protected override async onStart(): Promise<void> {
    this.engine = await this.startEngine();
    this.queue = new SerialQueue(this.config.max_queue, 'TTS_TIMEOUT', 'TTS_BUSY');
    await this.handle('alicia/voice/tts/request', (msg) => this.speak(msg.text, msg.voice, msg.rate));
  }

  protected override async onStop(): Promise<void> {
    this.queue?.close();
    this.queue = null;
    const engine = this.engine;
    this.engine = null;
    await engine?.stop();
  }

  /** Running on the fallback program means the built-in engine is broken: worth a look. */
  protected override healthStatus(): 'ok' | 'degraded' {
    return this.fallbackActive ? 'degraded' : 'ok';
  }

  private async startEngine(): Promise<TtsEngine> {
    const { engine: choice, voice } = this.config;
    if (choice !== 'cli') {
      const wasm = new EspeakWasmEngine({ defaultVoice: voice, moduleSpecifier: this.options.wasmModule });
      try {
        await wasm.start();
        return wasm;
      } catch (e) {
        await wasm.stop();
        if (choice === 'wasm') throw e;
        this.log.warn(
          'espeak-ng WASM failed to load; falling back to the espeak-ng program',
          toErrorInfo(e) as unknown as Record<string, unknown>,
        );
      }
    }
    const cli = new EspeakCliEngine(this.options.cliBinary);
    await cli.start();
    this.fallbackActive = choice === 'auto';
    return cli;
  }

  private async speak(raw: string, voice: string | undefined, rate: number | undefined): Promise<BodyOf<'alicia/voice/tts/result'>> {
    const queue = this.queue;
    const engine = this.engine;
    if (!queue || !engine) throw new AliciaError('TTS_ENGINE_FAILED', 'the tts service is not running');
    const text = prepareText(raw, this.config.max_chars);
    const t0 = performance.now();
    const out = await queue.run(
      (remainingMs) =>
        engine.synthesize(escapeSsml(text), { voice: voice ?? this.config.voice, rate: rate ?? this.config.rate }, remainingMs),
      this.config.timeout_ms,
    );
    const processing_ms = performance.now() - t0;
    const wav = encodeWav(out.samples, out.sampleRate, 1);
    return {
      ok: true,
      audio_data: wav.toString('base64'),
      format: { container: 'wav', sample_rate: out.sampleRate, channels: 1, bits: 16 },
      duration_ms: Math.round((out.samples.length / out.sampleRate) * 1000),
      processing_ms: Math.round(processing_ms * 10) / 10,
      engine: engine.name,
    };
  }
}
