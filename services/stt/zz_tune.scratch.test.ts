// H4b scratch tuning script (deleted after use)
import { writeFileSync, appendFileSync } from 'node:fs';
import { it } from 'vitest';
import { parseWav, toMono16k } from '../audio/wav.js';
import { buildGrammar, loadDictionaryWords } from '../language/grammar.js';
import { matchIntent } from '../language/matcher.js';
import { defaultHomeRegistry } from '../language/testing/defaultHome.js';
import { loadPocketsphinx } from './pocketsphinxLib.js';
import { COMMAND_SENTENCES, OUT_OF_GRAMMAR, SpeechCorpus, VOICES } from './testing/speech.js';

class Fixed extends SpeechCorpus { override readonly dir = '/tmp/h4b/corpus'; }
const corpus = new Fixed();
const home = defaultHomeRegistry();
const NOW = new Date(2026, 10, 27, 12, 0);
const M = '/usr/share/pocketsphinx/model/en-us';

interface Item { id: string; kind: 'in' | 'oog' | 'noise' | 'conv'; sentence?: string; pcm: Int16Array; narrow?: boolean }

function trim(pcm: Int16Array, padMs: number): Int16Array {
  const frame = 320; let first = -1; let last = -1;
  for (let s = 0, f = 0; s + frame <= pcm.length; s += frame, f++) {
    let sum = 0; for (let i = s; i < s + frame; i++) sum += pcm[i]! * pcm[i]!;
    const db = 20 * Math.log10(Math.sqrt(sum / frame) / 32768 || 1e-9);
    if (db >= -40) { if (first < 0) first = f; last = f; }
  }
  if (first < 0) return pcm;
  const pad = Math.round(padMs * 16);
  return pcm.subarray(Math.max(0, first * frame - pad), Math.min(pcm.length, (last + 1) * frame + pad));
}

it('tune', async () => {
  const items: Item[] = [];
  for (const v of VOICES) for (const s of COMMAND_SENTENCES) items.push({ id: `${v.voice}|${s}`, kind: 'in', sentence: s, pcm: toMono16k(parseWav(await corpus.speak(s, v), 'INTERNAL')) });
  for (const v of VOICES) for (const s of OUT_OF_GRAMMAR) items.push({ id: `${v.voice}|${s}`, kind: 'oog', sentence: s, pcm: toMono16k(parseWav(await corpus.speak(s, v), 'INTERNAL')) });
  for (const [k, vol] of [['whitenoise', 0.3], ['whitenoise', 0.05], ['pinknoise', 0.3]] as const) items.push({ id: `${k}${vol}`, kind: 'noise', pcm: toMono16k(parseWav(await corpus.synth(k, 2, vol), 'INTERNAL')) });
  for (const shape of [{ rate: 8000, channels: 1 as const }, { rate: 44100, channels: 2 as const }])
    for (const s of ['turn on the kitchen light', 'lock the front door', 'set the thermostat to twenty one degrees', 'play music', 'what time is it', 'turn off the bedroom lamp'])
      items.push({ id: `${shape.rate}|${s}`, kind: 'conv', sentence: s, pcm: toMono16k(parseWav(await corpus.speak(s, VOICES[0], shape), 'INTERNAL')), narrow: shape.rate === 8000 });

  const lib = loadPocketsphinx();
  const jsgf = buildGrammar(home, loadDictionaryWords()).jsgf;
  const wide = ['-beam', '1e-80', '-pbeam', '1e-80', '-wbeam', '1e-60'];
  const configs = JSON.parse(process.env.TUNE_CONFIGS ?? '[]') as Array<{ name: string; search: 'g' | 'p'; args: string[]; trim: number }>;
  for (const c of configs) {
    const argv = ['-hmm', `${M}/en-us`, '-dict', `${M}/cmudict-en-us.dict`, ...(c.args.includes('-beam') ? [] : wide), '-allphone_ci', 'yes', '-cmn', 'current', '-logfn', '/dev/null', ...c.args];
    const cfg = lib.cmd_ln_parse_r(null, lib.ps_args(), argv.length, argv, 1);
    const ps = lib.ps_init(cfg);
    if (c.search === 'g') lib.ps_set_jsgf_string(ps, 's', jsgf); else lib.ps_set_allphone_file(ps, 's', `${M}/en-us-phone.lm.bin`);
    lib.ps_set_search(ps, 's');
    const out: unknown[] = [];
    for (const it of items) {
      const pcm = c.trim >= 0 ? trim(it.pcm, c.trim) : it.pcm;
      const u0 = process.cpuUsage(); const w0 = performance.now();
      lib.ps_start_utt(ps);
      (lib.ps_process_raw as unknown as (...a: unknown[]) => number)(ps, pcm, pcm.length, 0, 1);
      lib.ps_end_utt(ps);
      const sc = [0]; const hyp = lib.ps_get_hyp(ps, sc);
      const u = process.cpuUsage(u0); const wall = performance.now() - w0;
      const frames = lib.ps_get_n_frames(ps);
      let right: boolean | null = null; let cmds = 0;
      if (c.search === 'g' && it.sentence && hyp) {
        const want = matchIntent(it.sentence, home, {}, { now: NOW });
        const got = matchIntent(hyp, home, {}, { now: NOW });
        right = got.intent.name === want.intent.name && JSON.stringify(got.commands) === JSON.stringify(want.commands);
        cmds = got.commands.length;
      }
      out.push({ id: it.id, kind: it.kind, narrow: !!it.narrow, hyp, score: sc[0], frames, samples: pcm.length, cpu: (u.user + u.system) / 1000, wall, right, cmds });
    }
    lib.ps_free(ps);
    writeFileSync(`/tmp/h4b/res-${c.name}.json`, JSON.stringify(out));
    appendFileSync('/tmp/h4b/log.txt', `${new Date().toISOString()} done ${c.name}\n`);
  }
}, 3_600_000);
