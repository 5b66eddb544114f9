import { loadavg } from 'node:os';
import { parseWav, toMono16k } from '../../services/lib/audio/wav.js';
import { TEST } from '../../services/stt/accuracy/corpus.js';
import { percent } from '../../services/stt/accuracy/corpusScore.js';
import { BenchSpeaker } from './espeak.js';
import { wakeStreamCorpus, wakeUtterances } from '../../services/stt/accuracy/wakeCorpus.js';
import { DEFAULT_VERIFY_PHONE_PROB, DEFAULT_WAKE_PHRASE, DEFAULT_WAKE_THRESHOLD, WakeWordDetector } from '../../services/stt/wakeWord.js';
import type { BenchSection } from './types.js';

/**
 * The wake word (services/stt/wakeWord.ts) on the TEST voices and speeds of services/stt/accuracy/corpus.ts:
 * "alicia, <command>" phrases, and false wakes over at least 10 minutes of speech and noise that
 * never say it, fed in 100 ms chunks as a listening stream delivers them.
 */

const CHUNK_MS = 100;

async function wake(speech: BenchSpeaker): Promise<(string | number)[][]> {
  const detector = new WakeWordDetector({ phrase: DEFAULT_WAKE_PHRASE });
  await detector.start();
  try {
    const feed = async (pcm: Int16Array): Promise<number> => {
      const n = (16000 * CHUNK_MS) / 1000;
      let wakes = 0;
      for (let at = 0; at < pcm.length; at += n) if ((await detector.process(pcm.slice(at, at + n))).woke) wakes++;
      return wakes;
    };
    const phrases = wakeUtterances(TEST);
    const wavs = await speech.speakAll(phrases.map((u) => ({ text: u.text, voice: u.voice })));
    let detected = 0;
    for (const wav of wavs) {
      detector.reset();
      if ((await feed(toMono16k(parseWav(wav, 'STT_BAD_AUDIO')))) > 0) detected++;
    }
    const stream = await wakeStreamCorpus(speech, TEST);
    detector.reset();
    const falseWakes = await feed(stream);
    const minutes = stream.length / 16000 / 60;
    return [
      [`wake "${DEFAULT_WAKE_PHRASE}" + a command: detected`, `${detected} / ${phrases.length}`, percent(detected, phrases.length), '-'],
      [
        `false wakes over ${minutes.toFixed(1)} min of speech and noise without it`,
        falseWakes,
        `${((falseWakes / minutes) * 60).toFixed(1)} per hour`,
        '-',
      ],
    ];
  } finally {
    await detector.stop();
  }
}

export async function run(): Promise<BenchSection> {
  const speech = new BenchSpeaker();
  try {
    const rows = await wake(speech);
    return {
      title: 'Wake word: detections and false wakes',
      columns: ['measure', 'count', 'rate', 'target'],
      rows,
      notes: [
        `TEST voices ${TEST.voices.join(', ')} x speeds ${TEST.speeds.join('/')} wpm (never tuned on); spotter -kws_threshold ${DEFAULT_WAKE_THRESHOLD}, verifier phone price ${DEFAULT_VERIFY_PHONE_PROB}`,
        "the stream: the test set's non-commands and commands in rotating voices and speeds, 5 s of pink or white noise after every tenth sentence",
        `load average at the end: ${loadavg()
          .map((l) => l.toFixed(1))
          .join(' ')}`,
      ],
    };
  } finally {
    await speech.dispose();
  }
}
