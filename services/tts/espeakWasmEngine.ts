import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AliciaError } from '../lib/protocol/errors.js';
import type { SynthesisOptions, SynthesisOutput, TtsEngine } from './ttsEngine.js';

/**
 * eSpeak NG compiled to WebAssembly (@echogarden/espeak-ng-emscripten): offline, inside npm, so a
 * desktop install needs nothing else. The module is loaded ONCE into a worker thread and kept:
 * - its `synthesize()` is synchronous (~130-350 ms a sentence here), so on the service's own thread it
 *   would stall heartbeats and request handling; in a worker the service stays responsive;
 * - a per-request timeout can really abort a synthesis (terminate the worker, load a fresh one),
 *   which a timer on the main thread could never do to a synchronous call.
 *
 * The package API (read from node_modules/@echogarden/espeak-ng-emscripten/espeak-ng.js): the default
 * export is an async Emscripten factory; `new module.eSpeakNGWorker()` gives an engine with
 * set_voice(id) -> 0 on success, set_rate(wpm), get_samplerate() (22050), and
 * synthesize(text, cb(samples: Int16Array, events)) calling cb per chunk (returning true aborts).
 * A fresh instance is slow for its first few sentences (V8 tiers the WASM code up), so the worker
 * speaks a warm-up sentence before it reports ready.
 * Its text is parsed as SSML (measured: `<break time="2s"/>` adds 2 s), so callers pass escaped text.
 *
 * The worker is an inline (eval) CommonJS script so it runs the same from TypeScript sources under
 * vitest and from dist/ (a separate .js worker file would not exist before the build).
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  let engine;
  try {
    const { default: init } = await import(workerData.moduleUrl);
    const mod = await init();
    engine = new mod.eSpeakNGWorker();
    if (engine.set_voice(workerData.voice) !== 0) throw new Error('voice "' + workerData.voice + '" not found');
    // Warm-up: the first syntheses of a fresh instance run before V8 has optimised the WASM code
    // (measured here: "ok" 320 ms cold, 5 ms warm); pay that at load, not on the first request.
    for (let i = 0; i < 3; i++) engine.synthesize('Turned on the kitchen light. What is the temperature?', () => false);
    parentPort.postMessage({ type: 'ready', sampleRate: engine.get_samplerate() });
  } catch (e) {
    parentPort.postMessage({ type: 'failed', message: String((e && e.message) || e) });
    return;
  }
  let voice = workerData.voice;
  let rate = -1;
  parentPort.on('message', (req) => {
    try {
      if (req.voice !== voice) {
        voice = undefined;
        if (engine.set_voice(req.voice) !== 0) {
          parentPort.postMessage({ type: 'result', id: req.id, ok: false, code: 'TTS_VOICE_UNKNOWN', message: 'unknown voice "' + req.voice + '"' });
          return;
        }
        voice = req.voice;
      }
      if (req.rate !== rate) { engine.set_rate(req.rate); rate = req.rate; }
      const chunks = [];
      let n = 0;
      engine.synthesize(req.text, (samples) => { chunks.push(samples); n += samples.length; return false; });
      const out = new Int16Array(n);
      let at = 0;
      for (const c of chunks) { out.set(c, at); at += c.length; }
      parentPort.postMessage({ type: 'result', id: req.id, ok: true, samples: out, sampleRate: engine.get_samplerate() }, [out.buffer]);
    } catch (e) {
      parentPort.postMessage({ type: 'result', id: req.id, ok: false, code: 'TTS_ENGINE_FAILED', message: String((e && e.message) || e) });
    }
  });
})();
`;

type WorkerReply =
  | { type: 'ready'; sampleRate: number }
  | { type: 'failed'; message: string }
  | { type: 'result'; id: number; ok: true; samples: Int16Array; sampleRate: number }
  | { type: 'result'; id: number; ok: false; code: 'TTS_VOICE_UNKNOWN' | 'TTS_ENGINE_FAILED'; message: string };

interface Pending {
  resolve: (out: SynthesisOutput) => void;
  reject: (e: AliciaError) => void;
  timer: NodeJS.Timeout;
}

export interface EspeakWasmOptions {
  defaultVoice: string;
  /** how long loading the module may take before start() fails (default 30 s: a slow disk, a busy CPU) */
  loadTimeoutMs?: number;
  /** where the package lives (tests may point at a missing module to exercise the fallback) */
  moduleSpecifier?: string;
}

export class EspeakWasmEngine implements TtsEngine {
  readonly name = 'espeak-ng-wasm';
  private readonly opts: EspeakWasmOptions;
  private worker: Worker | null = null;
  private ready: Promise<void> | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stopped = false;

  constructor(opts: EspeakWasmOptions) {
    this.opts = opts;
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.spawn();
  }

  async synthesize(text: string, opts: SynthesisOptions, timeoutMs: number): Promise<SynthesisOutput> {
    if (this.stopped) throw new AliciaError('TTS_ENGINE_FAILED', 'the speech engine is stopped');
    // A previous timeout replaced the worker: wait for the fresh one (its load counts against this request).
    const t0 = Date.now();
    if (!this.worker || !this.ready) await this.spawn();
    else await this.ready;
    const left = timeoutMs - (Date.now() - t0);
    if (left <= 0) throw new AliciaError('TTS_TIMEOUT', `speech synthesis did not finish within ${timeoutMs} ms`);
    const worker = this.worker;
    if (!worker) throw new AliciaError('TTS_ENGINE_FAILED', 'the speech engine is not running');
    const id = this.nextId++;
    return new Promise<SynthesisOutput>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new AliciaError('TTS_TIMEOUT', `speech synthesis did not finish within ${timeoutMs} ms`));
        // The synthesis is synchronous inside the worker: the only way to stop it is to end the worker.
        // Load a fresh one now, so the next request does not pay the ~0.4 s load within its deadline.
        this.discardWorker(worker);
        if (!this.stopped && !this.worker) void this.spawn().catch(() => undefined);
      }, left);
      this.pending.set(id, { resolve, reject, timer });
      worker.postMessage({ id, text, voice: opts.voice, rate: opts.rate });
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const w = this.worker;
    this.worker = null;
    this.ready = null;
    this.failAll(new AliciaError('TTS_ENGINE_FAILED', 'the speech engine stopped'));
    if (w) await w.terminate();
  }

  private spawn(): Promise<void> {
    let moduleUrl: string;
    try {
      moduleUrl = resolveModuleUrl(this.opts.moduleSpecifier ?? '@echogarden/espeak-ng-emscripten');
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { moduleUrl, voice: this.opts.defaultVoice } });
    this.worker = worker;
    const loadTimeoutMs = this.opts.loadTimeoutMs ?? 30_000;
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new AliciaError('TTS_ENGINE_FAILED', `espeak-ng WASM did not load within ${loadTimeoutMs} ms`));
        this.discardWorker(worker);
      }, loadTimeoutMs);
      worker.on('message', (m: WorkerReply) => {
        if (m.type === 'ready') {
          clearTimeout(timer);
          resolve();
        } else if (m.type === 'failed') {
          clearTimeout(timer);
          reject(new AliciaError('TTS_ENGINE_FAILED', `espeak-ng WASM failed to load: ${m.message}`));
          this.discardWorker(worker);
        } else {
          this.settle(m);
        }
      });
      worker.on('error', (e) => {
        clearTimeout(timer);
        reject(new AliciaError('TTS_ENGINE_FAILED', `espeak-ng WASM worker crashed: ${e.message}`));
        this.discardWorker(worker);
      });
      worker.on('exit', () => {
        clearTimeout(timer);
        reject(new AliciaError('TTS_ENGINE_FAILED', 'espeak-ng WASM worker exited'));
        if (this.worker === worker) this.discardWorker(worker);
      });
    });
    this.ready = ready;
    // Settled by whoever awaits it; this only keeps an unawaited failure from being "unhandled".
    ready.catch(() => undefined);
    return ready;
  }

  private settle(m: Extract<WorkerReply, { type: 'result' }>): void {
    const p = this.pending.get(m.id);
    if (!p) return; // timed out already
    this.pending.delete(m.id);
    clearTimeout(p.timer);
    if (m.ok) p.resolve({ samples: m.samples, sampleRate: m.sampleRate });
    else p.reject(new AliciaError(m.code, m.message));
  }

  /** Drop a worker (timed out, crashed): fail what it still owed, terminate it; the next request spawns a fresh one. */
  private discardWorker(worker: Worker): void {
    if (this.worker === worker) {
      this.worker = null;
      this.ready = null;
      this.failAll(new AliciaError('TTS_ENGINE_FAILED', 'the speech engine was restarted'));
    }
    worker.terminate().catch(() => undefined); // already gone is fine
  }

  private failAll(e: AliciaError): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(e);
      this.pending.delete(id);
    }
  }
}

/** The package has no "exports" map, so require.resolve finds its "main"; the worker imports it by file URL. */
function resolveModuleUrl(specifier: string): string {
  const require = createRequire(import.meta.url);
  try {
    return pathToFileURL(require.resolve(specifier)).href;
  } catch (e) {
    throw new AliciaError('TTS_ENGINE_FAILED', `cannot find ${specifier}: ${(e as Error).message.split('\n')[0] ?? ''}`);
  }
}
