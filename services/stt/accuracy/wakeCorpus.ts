import { parseWav, toMono16k } from '../../lib/audio/wav.js';
import { concatPcm } from '../../lib/audio/pcm.js';
import type { CorpusSet, CorpusUtterance } from './corpus.js';
import type { Speaker } from './corpusScore.js';

/**
 * Audio for measuring the wake word (wakeWord.ts) on a corpus set's voices and speeds:
 *  - wakeUtterances: "alicia, <command>" in every voice at every speed, three commands each
 *    (rotating through the set's commands), as a user says them hands-free;
 *  - wakeStreamCorpus: at least `minutes` of a listening stream that never says the phrase: the
 *    set's non-commands and commands one after another in rotating voices and speeds, with a
 *    stretch of pink or white noise after every tenth sentence.
 */

export const WAKE_PER_VOICE_SPEED = 3;

export function wakeUtterances(set: CorpusSet, phrase = 'alicia'): CorpusUtterance[] {
  const out: CorpusUtterance[] = [];
  let k = 0;
  for (const voice of set.voices)
    for (const speed of set.speeds)
      for (let i = 0; i < WAKE_PER_VOICE_SPEED; i++)
        out.push({ text: `${phrase}, ${set.commands[k++ % set.commands.length]!}`, voice: { voice, speed }, kind: 'command' });
  return out;
}

export async function wakeStreamCorpus(speech: Speaker, set: CorpusSet, minutes = 10): Promise<Int16Array> {
  const sentences = [...set.rejection.map((r) => r.text), ...set.commands];
  const want = minutes * 60 * 16000;
  const parts: Int16Array[] = [];
  let total = 0;
  for (let i = 0; total < want; i++) {
    const voice = set.voices[i % set.voices.length]!;
    const speed = set.speeds[Math.floor(i / set.voices.length) % set.speeds.length]!;
    const [wav] = await speech.speakAll([{ text: sentences[i % sentences.length]!, voice: { voice, speed } }]);
    const pcm = toMono16k(parseWav(wav!, 'STT_BAD_AUDIO'));
    parts.push(pcm);
    total += pcm.length;
    if (i % 10 === 9) {
      const noise = toMono16k(parseWav(await speech.synth(i % 20 === 9 ? 'pinknoise' : 'whitenoise', 5, 0.05), 'STT_BAD_AUDIO'));
      parts.push(noise);
      total += noise.length;
    }
  }
  return concatPcm(parts);
}
