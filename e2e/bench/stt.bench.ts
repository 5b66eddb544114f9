import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findDefaultHomeFile, loadHomeFile } from '../../services/device-manager/homeFile.js';
import { DeviceRegistry } from '../../services/lib/language/deviceRegistry.js';
import { buildGrammar, loadDictionaryWords } from '../../services/lib/language/grammar.js';
import { pocketsphinxBundle } from '../../services/lib/language/pocketsphinxBundle.js';
import { decodeUtterance } from '../../services/stt/decoder.js';
import type { Decoder, DecoderBackend } from '../../services/stt/decoder.js';
import { nativeBackend } from '../../services/stt/nativeDecoder.js';
import { GRAMMAR_BEAMS, PHONE_LOOP_BEAMS, PocketsphinxEngine } from '../../services/stt/pocketsphinxEngine.js';
import { pocketsphinxLoads } from '../../services/stt/pocketsphinxLib.js';
import { wasmBackend } from '../../services/stt/wasmDecoder.js';
import { quantile } from './stats.js';
import type { BenchSection } from './types.js';

const exec = promisify(execFile);

/**
 * The speech recogniser's two backends side by side in one run: pocketsphinx compiled to WebAssembly
 * (a worker thread per decoder, the default) and Debian's libpocketsphinx through koffi, on the same
 * espeak-ng utterances with the default home's grammar and the engine's beams. Each utterance is
 * decoded by both, alternating which goes first (the machine is shared: only a comparison within one
 * run means anything). Measured per utterance: the grammar pass, the phone-loop pass (rejection) and
 * the engine's recognize() (both at once); per streamed chunk: ps_process_raw on 100 ms of audio, and
 * from the last chunk to the final hypothesis (what end-of-speech latency adds).
 */

const SENTENCES = [
  'turn on the kitchen light',
  'switch off the bedroom lamp',
  'set the living room light to twenty percent',
  'dim the kitchen light to thirty percent',
  'set the thermostat to twenty one degrees',
  'set the thermostat to cool',
  'lock the front door',
  'what is the temperature in the hallway',
  'is the kitchen light on',
  'turn the volume down',
  'set the kitchen speaker to sixty percent',
  'play music on the kitchen speaker',
  'what time is it',
  'cancel',
  'please call my mother',
  'order a pizza with extra cheese',
];
const ROUNDS = 3;
const CHUNK_MS = 100;
const WARMUP = 3;

interface Timings {
  load: number[];
  grammar: number[];
  grammarCpu: number[];
  phones: number[];
  phonesCpu: number[];
  recognize: number[];
  chunk: number[];
  chunkCpu: number[];
  finish: number[];
  stream: number[];
}
const emptyTimings = (): Timings => ({
  load: [],
  grammar: [],
  grammarCpu: [],
  phones: [],
  phonesCpu: [],
  recognize: [],
  chunk: [],
  chunkCpu: [],
  finish: [],
  stream: [],
});

interface Side {
  backend: DecoderBackend;
  grammar: Decoder;
  phones: Decoder;
  engine: PocketsphinxEngine;
  t: Timings;
  hyps: (string | null)[];
}

async function speak(dir: string, text: string, i: number): Promise<Int16Array> {
  const raw = join(dir, `${i}.wav`);
  const out = join(dir, `${i}.raw`);
  await exec('espeak-ng', ['-v', 'en-us', '-s', '140', '-w', raw, text]);
  await exec('sox', [raw, '-r', '16000', '-c', '1', '-b', '16', '-t', 'raw', out, 'pad', '0.3', '0.3']);
  const b = await readFile(out);
  return new Int16Array(b.buffer, b.byteOffset, b.length / 2);
}

function homeGrammar(): string {
  const file = findDefaultHomeFile();
  if (!file) throw new Error('resources/home.json not found');
  const registry = new DeviceRegistry();
  for (const d of loadHomeFile(file))
    registry.upsert({
      device_id: d.id,
      name: d.name,
      kind: d.kind,
      room: d.room,
      aliases: d.aliases,
      traits: d.traits,
      state: d.state,
      online: true,
    });
  return buildGrammar(registry, loadDictionaryWords()).jsgf;
}

/**
 * Wall time into `xs`; with `cpu`, also the process's CPU time (every thread: the WASM workers and
 * koffi's), which on a shared machine says more than wall time. Calls are awaited one at a time, so
 * the CPU of a call is its decoder's work plus a little of this thread's messaging.
 */
async function timed<T>(xs: number[], fn: () => Promise<T>, cpu?: number[]): Promise<T> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await fn();
  xs.push(performance.now() - t0);
  const c = process.cpuUsage(c0);
  cpu?.push((c.user + c.system) / 1000);
  return r;
}

async function openSide(backend: DecoderBackend, jsgf: string): Promise<Side> {
  const m = pocketsphinxBundle();
  // the engine's arguments (pocketsphinxEngine.ts): the phone loop has no word dictionary
  const common = ['-hmm', m.hmm, '-allphone_ci', 'yes', '-cmn', 'current'];
  const t = emptyTimings();
  const [grammar, phones] = await timed(t.load, () =>
    Promise.all([backend.open([...common, '-dict', m.dict, ...GRAMMAR_BEAMS], 'g'), backend.open([...common, ...PHONE_LOOP_BEAMS], 'p')]),
  );
  await grammar.setJsgf(jsgf);
  await phones.setPhoneLoop(m.phoneLm);
  const engine = new PocketsphinxEngine({ backend });
  await engine.start();
  await engine.setGrammar(jsgf);
  return { backend, grammar, phones, engine, t, hyps: [] };
}

async function measure(s: Side, pcm: Int16Array, record: boolean): Promise<void> {
  const t = record ? s.t : emptyTimings();
  const g = await timed(t.grammar, () => decodeUtterance(s.grammar, pcm), t.grammarCpu);
  if (record) s.hyps.push(g.hyp);
  await timed(t.phones, () => decodeUtterance(s.phones, pcm), t.phonesCpu);
  await timed(t.recognize, () => s.engine.recognize(pcm));
  const n = Math.round((16000 * CHUNK_MS) / 1000);
  const t0 = performance.now();
  await s.grammar.startUtt();
  for (let at = 0; at < pcm.length; at += n) {
    const chunk = pcm.slice(at, at + n);
    await timed(t.chunk, () => s.grammar.processRaw(chunk, false), t.chunkCpu);
  }
  await timed(t.finish, async () => {
    await s.grammar.endUtt();
    return s.grammar.hyp();
  });
  t.stream.push(performance.now() - t0);
}

export async function run(): Promise<BenchSection> {
  const dir = await mkdtemp(join(tmpdir(), 'alicia-stt-bench-'));
  // no system library here (macOS, Windows): the WASM column alone
  const native = pocketsphinxLoads();
  const sides: Side[] = [];
  try {
    const audio: Int16Array[] = [];
    for (const [i, s] of SENTENCES.entries()) audio.push(await speak(dir, s, i));
    const jsgf = homeGrammar();
    sides.push(await openSide(wasmBackend(), jsgf));
    if (native) sides.push(await openSide(nativeBackend, jsgf));
    // warm-up: V8 tiers the WASM code up on first use, and the first utterance of a decoder differs
    for (const pcm of audio.slice(0, WARMUP)) for (const s of sides) await measure(s, pcm, false);
    for (let r = 0; r < ROUNDS; r++) {
      for (const [i, pcm] of audio.entries()) {
        const order = (i + r) % 2 === 0 ? sides : [...sides].reverse();
        for (const s of order) await measure(s, pcm, r === 0);
      }
    }
    const [w, n] = sides;
    const agree = n ? w!.hyps.filter((h, i) => h === n.hyps[i]).length : 0;
    const audioMs = audio.reduce((a, p) => a + p.length / 16, 0) / audio.length;
    const rows: (string | number)[][] = [];
    const add = (label: string, k: keyof Timings) => {
      const q = (s: Side | undefined, p: number) => (s ? quantile(s.t[k], p) : NaN);
      const ratio = (p: number) => (n ? `${(q(w, p) / q(n, p)).toFixed(2)}x` : '-');
      const cell = (v: number) => (Number.isNaN(v) ? '-' : v);
      rows.push([label, cell(q(w, 0.5)), cell(q(n, 0.5)), ratio(0.5), cell(q(w, 0.95)), cell(q(n, 0.95)), ratio(0.95)]);
    };
    add('load: both decoders (ps_init), ms', 'load');
    add('grammar pass per utterance, ms', 'grammar');
    add('grammar pass per utterance, CPU ms', 'grammarCpu');
    add('phone-loop pass per utterance, ms', 'phones');
    add('phone-loop pass per utterance, CPU ms', 'phonesCpu');
    add('recognize(): both passes at once, ms', 'recognize');
    add(`streamed: ps_process_raw per ${CHUNK_MS} ms chunk, ms`, 'chunk');
    add(`streamed: ps_process_raw per ${CHUNK_MS} ms chunk, CPU ms`, 'chunkCpu');
    add('streamed: last chunk -> final hypothesis, ms', 'finish');
    add('streamed: whole utterance in chunks, ms', 'stream');
    return {
      title: 'Speech recognition: WebAssembly vs native pocketsphinx',
      columns: ['measure', 'wasm p50', 'native p50', 'wasm/native', 'wasm p95', 'native p95', 'wasm/native p95'],
      rows,
      notes: [
        `${SENTENCES.length} espeak-ng utterances (mean ${Math.round(audioMs)} ms with 0.3 s pads, 16 kHz) x ${ROUNDS} rounds after ${WARMUP} warm-up utterances; the default home's grammar, the engine's beams`,
        `wasm: resources/pocketsphinx (Debian's source packages, emcc 3.1.6 -O3 -msimd128 -flto), one worker thread per decoder, timed from the service's thread (includes the message round trip); native: Debian's libpocketsphinx3 through koffi`,
        n
          ? `same hypothesis from both backends on ${agree} of ${w!.hyps.length} utterances`
          : 'native: the system library is not installed here',
        `load average at the end: ${loadavg()
          .map((l) => l.toFixed(1))
          .join(' ')} (2-core machine shared with other work: compare the ratios)`,
      ],
    };
  } finally {
    for (const s of sides) {
      await s.grammar.close();
      await s.phones.close();
      await s.engine.stop();
    }
    await rm(dir, { recursive: true, force: true });
  }
}
