import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseWav, toMono16k } from '../lib/audio/wav.js';
import { buildAnswerGrammar, buildGrammar, loadDictionaryWords } from '../lib/language/grammar.js';
import { matchIntent } from '../lib/language/matcher.js';
import { defaultHomeRegistry } from '../lib/language/testing/defaultHome.js';
import { GRAMMAR_BEAMS, PHONE_LOOP_BEAMS, PocketsphinxEngine } from './pocketsphinxEngine.js';
import type { SttRecognition } from './sttEngine.js';
import { COMMAND_SENTENCES, OUT_OF_GRAMMAR, SpeechCorpus, VOICES } from './testing/speech.js';
import type { AudioShape, Voice } from './testing/speech.js';

/**
 * Real pocketsphinx on espeak-ng speech generated at test time. Prints per-intent accuracy, the
 * rejection margins and the cost per utterance (numbers are reported, never asserted as time).
 * Every utterance is generated once, up front, two espeak-ng/sox pipelines at a time, and decoded
 * once. STT_MEASURE=1 also prints every score and runs the side-by-side cost comparison with the
 * previous configuration (one decoder, whole audio, grammar then phone loop).
 */

const MEASURE = !!process.env.STT_MEASURE;
const home = defaultHomeRegistry();
const corpus = new SpeechCorpus();
const engine = new PocketsphinxEngine();
const NOW = new Date(2026, 10, 27, 12, 0);

const CONVERSION_SENTENCES = [
  'turn on the kitchen light',
  'lock the front door',
  'set the thermostat to twenty one degrees',
  'play music',
  'what time is it',
  'turn off the bedroom lamp',
];
const SHAPES = [
  { rate: 8000, channels: 1 as const },
  { rate: 44100, channels: 2 as const },
];

interface Utterance {
  text: string;
  voice: Voice;
  shape?: AudioShape;
  wav?: Buffer;
}
const commands: Utterance[] = VOICES.flatMap((voice) => COMMAND_SENTENCES.map((text) => ({ text, voice })));
const conversions: Utterance[] = SHAPES.flatMap((shape) => CONVERSION_SENTENCES.map((text) => ({ text, voice: VOICES[0]!, shape })));
const outOfGrammar: Utterance[] = VOICES.flatMap((voice) => OUT_OF_GRAMMAR.map((text) => ({ text, voice })));

type Timed = SttRecognition & { ms: number; cpuMs: number };

async function recognizePcm(e: PocketsphinxEngine, pcm: Int16Array): Promise<Timed> {
  // process-wide CPU: includes koffi's worker threads, where the decoding runs
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await e.recognize(pcm);
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  // STT_MEASURE=1 prints every score, to re-tune DEFAULT_MIN_MARGIN / DEFAULT_ENTRY_OFFSET
  if (MEASURE) console.log('DATA ' + JSON.stringify(r.details));
  return { ...r, ms, cpuMs: (c.user + c.system) / 1000 };
}

const pcmOf = (wav: Buffer) => toMono16k(parseWav(wav, 'STT_BAD_AUDIO'));
const recognizeWav = (wav: Buffer) => recognizePcm(engine, pcmOf(wav));

/** What the sentence means when typed: the reference the spoken version must reach. */
function expected(text: string) {
  const r = matchIntent(text, home, {}, { now: NOW });
  return { intent: r.intent.name, commands: JSON.stringify(r.commands) };
}

function percentile(xs: number[], k: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(k * s.length))]!;
}

beforeAll(async () => {
  await engine.start();
  const g = buildGrammar(home, loadDictionaryWords());
  await engine.setGrammar(g.fsg);
  const all = [...commands, ...conversions, ...outOfGrammar];
  const wavs = await corpus.speakAll(all.map((u) => ({ text: u.text, voice: u.voice, ...(u.shape ? { shape: u.shape } : {}) })));
  all.forEach((u, i) => (u.wav = wavs[i]));
}, 300_000);

afterAll(async () => {
  await engine.stop();
  await engine.stop(); // twice is fine
  await corpus.dispose();
});

describe('pocketsphinx engine on the default home', () => {
  it('recognises >= 30 commands at two voices/speeds with the right intent, and reports accuracy', async () => {
    expect(COMMAND_SENTENCES.length).toBeGreaterThanOrEqual(30);
    const perIntent = new Map<string, { ok: number; n: number }>();
    const rows: string[] = [];
    let ok = 0;
    let wrongCommand = 0;
    const latencies: number[] = [];
    const cpu: number[] = [];
    const margins: number[] = [];
    for (const u of commands) {
      const want = expected(u.text);
      expect(want.intent).not.toBe('unknown');
      const r = await recognizeWav(u.wav!);
      const got = matchIntent(r.text, home, {}, { now: NOW });
      const right = r.understood && got.intent.name === want.intent && JSON.stringify(got.commands) === want.commands;
      // the worst outcome (services/voice-router/README.md): understood, but commanding something else
      if (r.understood && !right && got.commands.length > 0) wrongCommand++;
      const s = perIntent.get(want.intent) ?? { ok: 0, n: 0 };
      s.n++;
      if (right) s.ok++;
      perIntent.set(want.intent, s);
      if (right) ok++;
      latencies.push(r.ms);
      cpu.push(r.cpuMs);
      if (typeof r.details?.margin === 'number') margins.push(r.details.margin);
      rows.push(
        `${right ? 'ok  ' : 'MISS'} ${u.voice.voice}/${u.voice.speed} ${u.text.padEnd(42)} -> ${JSON.stringify(r.text || r.details?.hypothesis || '')} margin=${String(r.details?.margin)} conf=${r.confidence.toFixed(2)} ${r.ms.toFixed(0)}ms`,
      );
    }
    margins.sort((a, b) => a - b);
    const n = commands.length;
    const report = [
      ...rows,
      '',
      'intent accuracy (spoken, espeak-ng, 2 voices):',
      ...[...perIntent].map(([k, s]) => `  ${k.padEnd(16)} ${s.ok}/${s.n} ${((100 * s.ok) / s.n).toFixed(0)}%`),
      `  overall          ${ok}/${n} ${((100 * ok) / n).toFixed(1)}%   wrong device commands: ${wrongCommand}`,
      `stt per utterance: wall p50 ${percentile(latencies, 0.5).toFixed(0)} ms, p95 ${percentile(latencies, 0.95).toFixed(0)} ms; ` +
        `cpu p50 ${percentile(cpu, 0.5).toFixed(0)} ms, p95 ${percentile(cpu, 0.95).toFixed(0)} ms`,
      `in-grammar margins: min ${margins[0]} p10 ${margins[Math.floor(margins.length * 0.1)]} median ${margins[Math.floor(margins.length / 2)]}`,
    ].join('\n');
    console.log(report);
    // The engine's default grammar has the garbage path (stt's opt-in, pocketsphinx.garbage_path), priced
    // for rejection: on the corpus's test set it keeps 80 % of commands (docs/benchmarks.md, recognition);
    // measured here 51/68 with the system's library and 50/68 on the WebAssembly engine alone (CI's run
    // without the system pocketsphinx), none read as a wrong device command. Without it (stt's default,
    // JSGF) commands are ~98 %.
    expect(ok / n).toBeGreaterThanOrEqual(50 / 68);
    expect(wrongCommand).toBe(0);
  }, 600_000);

  it('converts 8 kHz mono and 44.1 kHz stereo input before recognising; never a wrong command from narrowband audio', async () => {
    const tally: Record<string, { right: number; rejected: number; wrong: number }> = {};
    for (const u of conversions) {
      const shape = u.shape!;
      const t = (tally[`${shape.rate}x${shape.channels}`] ??= { right: 0, rejected: 0, wrong: 0 });
      const fmt = parseWav(u.wav!, 'STT_BAD_AUDIO');
      expect([fmt.sampleRate, fmt.channels]).toEqual([shape.rate, shape.channels]);
      const r = await recognizeWav(u.wav!);
      const got = matchIntent(r.text, home, {}, { now: NOW });
      const want = expected(u.text);
      const right = r.understood && got.intent.name === want.intent && JSON.stringify(got.commands) === want.commands;
      // wrong = a device command other than the one meant (a refused reading commands nothing)
      const wrong = !right && r.understood && got.commands.length > 0;
      if (right) t.right++;
      else if (wrong) t.wrong++;
      else t.rejected++;
      console.log(
        `${right ? 'ok  ' : wrong ? 'WRONG' : 'rejected'} ${shape.rate} Hz x${shape.channels} ${u.text} -> ${JSON.stringify(r.text || r.details?.hypothesis || '')} margin=${String(r.details?.margin)} threshold=${String(r.details?.threshold)} high_band=${String(r.details?.high_band)}`,
      );
    }
    console.log('conversion tally', JSON.stringify(tally));
    expect(tally['44100x2']!.right).toBeGreaterThanOrEqual(5);
    expect(tally['44100x2']!.wrong).toBe(0);
    // narrowband audio must clear a stricter margin on top of the garbage path: measured 0 of 6 right,
    // 6 refused; a refusal is the safe side, a wrong command is not
    expect(tally['8000x1']!.wrong).toBe(0);
  }, 120_000);

  it('rejects silence, noise and speech outside the grammar', async () => {
    const cases: Array<[string, Buffer]> = [
      ['silence 2 s', await corpus.synth('silence', 2)],
      ['white noise 2 s vol 0.3', await corpus.synth('whitenoise', 2, 0.3)],
      ['white noise 2 s vol 0.05', await corpus.synth('whitenoise', 2, 0.05)],
      ['pink noise 2 s vol 0.3', await corpus.synth('pinknoise', 2, 0.3)],
    ];
    for (const u of outOfGrammar) cases.push([`${u.voice.voice}/${u.voice.speed} "${u.text}"`, u.wav!]);
    const accepted: string[] = [];
    for (const [label, wav] of cases) {
      const r = await recognizeWav(wav);
      console.log(
        `${r.understood ? 'ACCEPTED' : 'rejected'} ${label.padEnd(52)} reason=${r.reason ?? '-'} hyp=${JSON.stringify(r.details?.hypothesis ?? '')} margin=${String(r.details?.margin)} conf=${r.confidence.toFixed(2)}`,
      );
      if (r.understood) accepted.push(`${label} -> ${r.text}`);
      else expect(r.text).toBe('');
    }
    expect(accepted).toEqual([]);
  }, 120_000);

  // Benchmark, not a CI test: the cost of the previous configuration next to the current one, on the
  // same utterances, alternating which goes first (the machine is shared: compare within one run).
  it.runIf(MEASURE)(
    'measures the previous configuration side by side (STT_MEASURE=1)',
    async () => {
      const previous = new PocketsphinxEngine({
        trimPadMs: null,
        parallel: false,
        grammarArgs: [...GRAMMAR_BEAMS],
        phoneArgs: [...PHONE_LOOP_BEAMS],
      });
      await previous.start();
      try {
        await previous.setGrammar(buildGrammar(home, loadDictionaryWords()).fsg);
        const stats = { previous: { ms: [] as number[], cpu: [] as number[] }, current: { ms: [] as number[], cpu: [] as number[] } };
        let agree = 0;
        const all = [...commands, ...outOfGrammar];
        for (const [i, u] of all.entries()) {
          const pcm = pcmOf(u.wav!);
          const order = i % 2 === 0 ? (['previous', 'current'] as const) : (['current', 'previous'] as const);
          const out: Partial<Record<'previous' | 'current', Timed>> = {};
          for (const which of order) {
            const r = await recognizePcm(which === 'previous' ? previous : engine, pcm);
            stats[which].ms.push(r.ms);
            stats[which].cpu.push(r.cpuMs);
            out[which] = r;
          }
          if (out.previous!.understood === out.current!.understood && out.previous!.text === out.current!.text) agree++;
        }
        const line = (k: 'previous' | 'current') =>
          `${k.padEnd(9)} cpu p50 ${percentile(stats[k].cpu, 0.5).toFixed(0)} ms p95 ${percentile(stats[k].cpu, 0.95).toFixed(0)} ms | ` +
          `wall p50 ${percentile(stats[k].ms, 0.5).toFixed(0)} ms p95 ${percentile(stats[k].ms, 0.95).toFixed(0)} ms`;
        console.log([`side by side on ${all.length} utterances (same outcome on ${agree}):`, line('previous'), line('current')].join('\n'));
      } finally {
        await previous.stop();
      }
    },
    900_000,
  );
});

describe('the command grammar replaced (every device change replaces it)', () => {
  const own = new PocketsphinxEngine();

  afterAll(() => own.stop());

  it('a refused grammar leaves the previous commands and answers working', async () => {
    await own.start();
    await own.setGrammar(buildAnswerGrammar(loadDictionaryWords()), 'answers');
    await own.setGrammar(buildGrammar(home, loadDictionaryWords()).fsg);
    const command = pcmOf(await corpus.speak('turn on the kitchen light'));
    const yes = pcmOf(await corpus.speak('yes'));
    const heard = { understood: true, text: 'turn on the kitchen light' };
    expect(await own.recognize(command)).toMatchObject(heard);
    await expect(own.setGrammar('#JSGF V1.0;\ngrammar g;\npublic <c> = turn on the zorblax;\n')).rejects.toMatchObject({
      code: 'STT_ENGINE_FAILED',
    });
    // (scores move a little from one utterance to the next on one decoder: the words are what must hold)
    expect(await own.recognize(command)).toMatchObject(heard);
    expect(await own.recognize(yes, 'answers')).toMatchObject({ understood: true, text: 'yes' });
  }, 120_000);
});
