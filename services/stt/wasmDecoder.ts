import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { pocketsphinxBundle } from '../lib/language/pocketsphinxBundle.js';
import type { PocketsphinxBundle } from '../lib/language/pocketsphinxBundle.js';
import { AliciaError } from '../lib/protocol/errors.js';
import { parseSegments } from './decoder.js';
import type { Decoder, DecoderBackend, FsgFiller, Hypothesis, WordSegment } from './decoder.js';

/**
 * pocketsphinx compiled to WebAssembly (resources/pocketsphinx, built by build/pocketsphinx-wasm/build.sh
 * from Debian's source packages): the default backend, the same on Linux, macOS and Windows, with
 * nothing from the system. Each decoder lives in its own worker thread, so a decode never blocks the
 * service's event loop and two decoders (the grammar and the phone loop) run on two cores at once.
 *
 * The .wasm is compiled once per process (WebAssembly.compile, off the event loop) and the compiled
 * module is handed to every worker, which instantiates it: V8 shares the compiled code between them.
 * The model files are read with ordinary file calls inside the WASM (Emscripten's NODERAWFS maps them
 * onto Node's fs), so they are not copied into WASM memory first.
 *
 * The worker is an inline (eval) CommonJS script so it runs the same from TypeScript sources under
 * vitest and from dist/; it calls the C API of build/pocketsphinx-wasm/driver.c.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
let M;
let ps = 0;
let search = 0;
let pcm = 0;
let pcmCap = 0;
let out = 0;
let broken = null;

class Refused extends Error {
  constructor(code, message) { super(message); this.code = code; }
}
function cstr(s) {
  const n = M.lengthBytesUTF8(s) + 1;
  const p = M._malloc(n);
  M.stringToUTF8(s, p, n);
  return p;
}
function withStrings(list, fn) {
  const ptrs = list.map(cstr);
  try { return fn(ptrs); } finally { for (const p of ptrs) M._free(p); }
}
function selected(rc, what) {
  if (rc === -1) throw new Refused('STT_ENGINE_FAILED', what);
  if (rc < 0) throw new Refused('STT_ENGINE_FAILED', 'pocketsphinx has no search ' + workerData.search);
}
const ops = {
  setJsgf(jsgf) {
    selected(withStrings([jsgf], ([g]) => M._psw_set_jsgf(ps, search, g)), 'pocketsphinx rejected the JSGF grammar');
  },
  setFsg(path, fillers) {
    selected(withStrings([path, fillers], ([p, f]) => M._psw_set_fsg(ps, search, p, f)), 'pocketsphinx rejected the FSG grammar (a word missing from the dictionary?)');
  },
  addWords(words) {
    // the search is rebuilt once, with the last word
    words.forEach((w, i) => {
      if (withStrings([w.word, w.phones], ([a, b]) => M._ps_add_word(ps, a, b, i === words.length - 1 ? 1 : 0)) < 0)
        throw new Refused('STT_ENGINE_FAILED', 'pocketsphinx refused the word ' + w.word + ' (' + w.phones + ')');
    });
  },
  setPhoneLoop(path) {
    selected(withStrings([path], ([p]) => M._psw_set_allphone(ps, search, p)), 'pocketsphinx could not load the phone model ' + path);
  },
  setKeyphrase(phrase, threshold) {
    selected(withStrings([phrase], ([p]) => M._psw_set_keyphrase(ps, search, p, threshold)), 'pocketsphinx rejected the keyphrase "' + phrase + '"');
  },
  startUtt() {
    if (M._ps_start_utt(ps) < 0) throw new Refused('STT_ENGINE_FAILED', 'pocketsphinx could not start an utterance');
  },
  processRaw(samples, fullUtt) {
    if (samples.length > pcmCap) {
      if (pcm) M._free(pcm);
      pcmCap = Math.max(samples.length, 16000);
      pcm = M._malloc(pcmCap * 2);
    }
    M.HEAP16.set(samples, pcm >> 1);
    if (M._ps_process_raw(ps, pcm, samples.length, 0, fullUtt ? 1 : 0) < 0)
      throw new Refused('STT_ENGINE_FAILED', 'pocketsphinx failed to process the audio');
    return M._ps_get_n_frames(ps);
  },
  endUtt() {
    if (M._ps_end_utt(ps) < 0) throw new Refused('STT_ENGINE_FAILED', 'pocketsphinx could not end the utterance');
  },
  hyp() {
    const h = M._psw_hyp(ps, out);
    return { hyp: h ? M.UTF8ToString(h) : null, score: M.HEAP32[out >> 2], frames: M._ps_get_n_frames(ps) };
  },
  segments() {
    return M.UTF8ToString(M._psw_segments(ps));
  },
  prob() {
    return M._ps_get_prob(ps);
  },
  close() {
    if (ps) M._ps_free(ps);
    ps = 0;
  },
};

(async () => {
  try {
    const create = require(workerData.glue);
    M = await create({
      // the module compiled once by the service (shared code); Emscripten only instantiates it
      instantiateWasm(imports, receive) {
        const instance = new WebAssembly.Instance(workerData.module, imports);
        receive(instance, workerData.module);
        return instance.exports;
      },
      print() {},
      printErr() {},
    });
    out = M._malloc(4);
    search = cstr(workerData.search);
    ps = withStrings(workerData.argv, (ptrs) => {
      const argv = M._malloc(4 * ptrs.length);
      ptrs.forEach((p, i) => { M.HEAP32[(argv >> 2) + i] = p; });
      try { return M._psw_init(ptrs.length, argv); } finally { M._free(argv); }
    });
    if (!ps) {
      parentPort.postMessage({ type: 'failed', code: 'STT_ENGINE_FAILED', message: 'pocketsphinx refused its configuration or could not load its acoustic model or dictionary (' + workerData.argv.join(' ') + ')' });
      return;
    }
    parentPort.postMessage({ type: 'ready' });
  } catch (e) {
    parentPort.postMessage({ type: 'failed', code: 'STT_ENGINE_FAILED', message: 'the WebAssembly decoder did not load: ' + String((e && e.message) || e) });
    return;
  }
  parentPort.on('message', ({ id, op, args }) => {
    if (broken) {
      parentPort.postMessage({ id, ok: false, code: 'STT_ENGINE_FAILED', message: broken });
      return;
    }
    try {
      parentPort.postMessage({ id, ok: true, value: ops[op](...args) });
    } catch (e) {
      if (e instanceof Refused) {
        parentPort.postMessage({ id, ok: false, code: e.code, message: e.message });
      } else {
        // a trap inside the WASM (abort, out of memory): its state is unknown from here on
        broken = 'the WebAssembly decoder crashed: ' + String((e && e.message) || e);
        parentPort.postMessage({ id, ok: false, code: 'STT_ENGINE_FAILED', message: broken });
      }
    }
  });
})();
`;

type Op =
  | 'setJsgf'
  | 'setFsg'
  | 'addWords'
  | 'setPhoneLoop'
  | 'setKeyphrase'
  | 'startUtt'
  | 'processRaw'
  | 'endUtt'
  | 'hyp'
  | 'segments'
  | 'prob'
  | 'close';
type ErrorCodeOf = 'STT_ENGINE_FAILED' | 'STT_ENGINE_MISSING';
type WorkerReply =
  | { type: 'ready' }
  | { type: 'failed'; code: ErrorCodeOf; message: string }
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; code: ErrorCodeOf; message: string };

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: AliciaError) => void;
}

/** A compiled WebAssembly.Module (opaque here: it is only handed to the workers). */
interface CompiledWasm {
  readonly compiledWasm: never;
}
// The one WebAssembly call made on this side; the project's TypeScript libs (ES2023 + Node) have no WebAssembly types.
declare const WebAssembly: { compile(bytes: Uint8Array): Promise<CompiledWasm> };

const compiled = new Map<string, Promise<CompiledWasm>>();

/** Compile the .wasm once per process; a failure is not cached (the next open tries again). */
function compileOnce(wasm: string): Promise<CompiledWasm> {
  let m = compiled.get(wasm);
  if (!m) {
    m = readFile(wasm).then(
      (bytes) => WebAssembly.compile(bytes),
      (e: unknown) => {
        throw new AliciaError('STT_ENGINE_MISSING', `the WebAssembly speech recogniser is missing: ${(e as Error).message}`);
      },
    );
    compiled.set(wasm, m);
    m.catch(() => compiled.delete(wasm));
  }
  return m;
}

export interface WasmBackendOptions {
  /** where pocketsphinx.cjs + pocketsphinx.wasm are (default: the one the app ships) */
  bundle?: Pick<PocketsphinxBundle, 'glue' | 'wasm'>;
  /** how long loading the model may take before open() fails (default 60 s: a slow disk, a busy CPU) */
  loadTimeoutMs?: number;
}

export function wasmBackend(opts: WasmBackendOptions = {}): DecoderBackend {
  return {
    name: 'wasm',
    async open(argv, search) {
      const bundle = opts.bundle ?? pocketsphinxBundle();
      const module = await compileOnce(bundle.wasm);
      return WasmDecoder.open(bundle.glue, module, argv, search, opts.loadTimeoutMs ?? 60_000);
    },
  };
}

class WasmDecoder implements Decoder {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private dead: AliciaError | null = null;

  private constructor(private readonly worker: Worker) {}

  static open(glue: string, module: CompiledWasm, argv: readonly string[], search: string, loadTimeoutMs: number): Promise<WasmDecoder> {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { glue, module, argv: [...argv], search } });
    const decoder = new WasmDecoder(worker);
    return new Promise<WasmDecoder>((resolve, reject) => {
      const fail = (e: AliciaError) => {
        clearTimeout(timer);
        reject(e);
        void worker.terminate();
      };
      const timer = setTimeout(
        () => fail(new AliciaError('STT_ENGINE_FAILED', `the WebAssembly decoder did not load within ${loadTimeoutMs} ms`)),
        loadTimeoutMs,
      );
      worker.on('message', (m: WorkerReply) => {
        if ('type' in m) {
          if (m.type === 'ready') {
            clearTimeout(timer);
            resolve(decoder);
          } else fail(new AliciaError(m.code, m.message));
        } else decoder.settle(m);
      });
      worker.on('error', (e) => {
        const err = new AliciaError('STT_ENGINE_FAILED', `the WebAssembly decoder's worker crashed: ${e.message}`);
        decoder.failAll(err);
        fail(err);
      });
      worker.on('exit', () => {
        const err = new AliciaError('STT_ENGINE_FAILED', "the WebAssembly decoder's worker exited");
        decoder.failAll(err);
        fail(err);
      });
    });
  }

  setJsgf(jsgf: string): Promise<void> {
    return this.call<void>('setJsgf', jsgf);
  }

  /** The text goes through a private temporary file: pocketsphinx reads FSGs from files only. */
  async setFsg(fsg: string, fillers: readonly FsgFiller[]): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), 'alicia-fsg-'));
    try {
      const path = join(dir, 'grammar.fsg');
      await writeFile(path, fsg);
      await this.call<void>('setFsg', path, fillers.map((f) => `${f.state} ${f.word} ${f.prob}\n`).join(''));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  addWords(words: ReadonlyArray<{ word: string; phones: string }>): Promise<void> {
    return this.call<void>('addWords', words);
  }

  setPhoneLoop(phoneLm: string): Promise<void> {
    return this.call<void>('setPhoneLoop', phoneLm);
  }

  setKeyphrase(phrase: string, threshold: number): Promise<void> {
    return this.call<void>('setKeyphrase', phrase, threshold);
  }

  startUtt(): Promise<void> {
    return this.call<void>('startUtt');
  }

  processRaw(pcm: Int16Array, fullUtt = false): Promise<number> {
    // postMessage copies a view's whole buffer: send just the samples when pcm is a slice of a larger one
    const own = pcm.byteOffset === 0 && pcm.byteLength === pcm.buffer.byteLength ? pcm : pcm.slice();
    return this.call<number>('processRaw', own, fullUtt);
  }

  endUtt(): Promise<void> {
    return this.call<void>('endUtt');
  }

  hyp(): Promise<Hypothesis> {
    return this.call<Hypothesis>('hyp');
  }

  async segments(): Promise<WordSegment[]> {
    return parseSegments(await this.call<string>('segments'));
  }

  prob(): Promise<number> {
    return this.call<number>('prob');
  }

  /** Free the decoder after the calls already made, then end the worker; can run twice. */
  async close(): Promise<void> {
    if (this.dead) return;
    await this.call('close').catch(() => undefined);
    this.failAll(new AliciaError('STT_ENGINE_MISSING', 'the pocketsphinx decoder is closed'));
    await this.worker.terminate();
  }

  private call<T>(op: Op, ...args: unknown[]): Promise<T> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, op, args });
    });
  }

  private settle(m: Extract<WorkerReply, { id: number }>): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (m.ok) p.resolve(m.value);
    else p.reject(new AliciaError(m.code, m.message));
  }

  private failAll(e: AliciaError): void {
    this.dead ??= e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }
}
