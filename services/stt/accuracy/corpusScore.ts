import { parseWav, toMono16k } from '../../lib/audio/wav.js';
import type { DeviceRegistry } from '../../lib/language/deviceRegistry.js';
import { matchIntent } from '../../lib/language/matcher.js';
import type { SttEngine, SttRecognition } from '../sttEngine.js';
import type { CorpusUtterance, Voice } from './corpus.js';

/** What makes the audio: services/stt/testing/speech.ts's SpeechCorpus in tests, e2e/bench/espeak.ts in the bench. */
export interface Speaker {
  /** 16 kHz mono WAVs of each sentence, in order */
  speakAll(requests: ReadonlyArray<{ text: string; voice: Voice }>): Promise<Buffer[]>;
  /** a WAV of non-speech */
  synth(kind: 'whitenoise' | 'pinknoise', seconds: number, volume: number): Promise<Buffer>;
}

/**
 * Scores the recogniser on corpus utterances (corpus.ts) the way the voice pipeline would use it:
 *  - a command is right when recognition understood it and the intent matcher reads the same
 *    intent and the same device commands from it as from the typed sentence;
 *  - a non-command is a false accept when recognition understood it at all, and a device action
 *    when the matcher would turn that reading into device commands.
 */

/** A fixed clock: time-dependent intents read the same from the spoken and the typed sentence. */
const NOW = new Date(2026, 10, 27, 12, 0);

export interface CorpusScore {
  commands: number;
  commandsRight: number;
  rejections: number;
  falseAccepts: number;
  deviceActions: number;
  /** the wrong readings, for the report */
  misses: Array<{ text: string; voice: string; speed: number; heard: string; reason?: string }>;
  accepts: Array<{ text: string; voice: string; speed: number; heard: string; actions: number }>;
}

function reading(text: string, home: DeviceRegistry): { intent: string; commands: string; count: number } {
  const r = matchIntent(text, home, {}, { now: NOW });
  return { intent: r.intent.name, commands: JSON.stringify(r.commands), count: r.commands.length };
}

export async function scoreCorpus(
  engine: SttEngine,
  speech: Speaker,
  utterances: readonly CorpusUtterance[],
  home: DeviceRegistry,
  /** sees every recognition and whether it was right (a command read right, a non-command refused) */
  observe?: (u: CorpusUtterance, r: SttRecognition, right: boolean) => void,
): Promise<CorpusScore> {
  const s: CorpusScore = { commands: 0, commandsRight: 0, rejections: 0, falseAccepts: 0, deviceActions: 0, misses: [], accepts: [] };
  // synthesised in batches ahead of the decoding, so espeak-ng and the decoder overlap little but memory stays small
  const BATCH = 64;
  for (let at = 0; at < utterances.length; at += BATCH) {
    const batch = utterances.slice(at, at + BATCH);
    const wavs = await speech.speakAll(batch.map((u) => ({ text: u.text, voice: u.voice })));
    for (const [i, u] of batch.entries()) {
      const r = await engine.recognize(toMono16k(parseWav(wavs[i]!, 'STT_BAD_AUDIO')));
      const heard = r.understood ? r.text : '';
      const where = { text: u.text, voice: u.voice.voice, speed: u.voice.speed };
      if (u.kind === 'command') {
        s.commands++;
        const want = reading(u.text, home);
        const got = r.understood ? reading(r.text, home) : undefined;
        const right = got !== undefined && got.intent === want.intent && got.commands === want.commands;
        observe?.(u, r, right);
        if (right) s.commandsRight++;
        else s.misses.push({ ...where, heard, ...(r.reason ? { reason: r.reason } : {}) });
      } else {
        s.rejections++;
        observe?.(u, r, !r.understood);
        if (!r.understood) continue;
        s.falseAccepts++;
        const actions = reading(r.text, home).count;
        if (actions > 0) s.deviceActions++;
        s.accepts.push({ ...where, heard, actions });
      }
    }
  }
  return s;
}

export const percent = (n: number, of: number): string => (of === 0 ? '-' : `${((100 * n) / of).toFixed(1)} %`);
