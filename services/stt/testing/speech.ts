import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Test utterances made at test time with Debian's espeak-ng and sox (both offline, so no recorded
 * audio lives in the repo, and a new command is one string away):
 *   espeak-ng -v en-us -s 140 -w raw.wav "turn on the kitchen light"
 *   sox raw.wav -r 16000 -c 1 -b 16 utt.wav pad 0.3 0.3
 * (16 kHz mono 16-bit is what pocketsphinx's en-us model expects; the padding gives end-of-speech
 * detection silence to find), cached per test run under one temp dir.
 */
export interface Voice {
  voice: string;
  speed: number;
}
export const VOICES: readonly Voice[] = [
  { voice: 'en-us', speed: 140 },
  { voice: 'en-us+f3', speed: 170 },
];

export interface AudioShape {
  rate?: number;
  channels?: 1 | 2;
}

export class SpeechCorpus {
  readonly dir = join(tmpdir(), `alicia-stt-audio-${process.pid}-${Date.now()}`);
  private seq = 0;

  async speak(text: string, v: Voice = VOICES[0]!, shape: AudioShape = {}): Promise<Buffer> {
    const rate = shape.rate ?? 16000;
    const channels = shape.channels ?? 1;
    const key = createHash('sha1')
      .update(JSON.stringify([text, v, rate, channels]))
      .digest('hex')
      .slice(0, 16);
    const out = join(this.dir, `${key}.wav`);
    if (!existsSync(out)) {
      await mkdir(this.dir, { recursive: true });
      // unique temporaries + rename: two concurrent requests for one utterance never read a half-written file
      const tmp = join(this.dir, `${key}.${this.seq++}`);
      await run('espeak-ng', ['-v', v.voice, '-s', String(v.speed), '-w', `${tmp}.raw.wav`, text]);
      await run('sox', [`${tmp}.raw.wav`, '-r', String(rate), '-c', String(channels), '-b', '16', `${tmp}.wav`, 'pad', '0.3', '0.3']);
      await rename(`${tmp}.wav`, out);
    }
    return readFile(out);
  }

  /**
   * Generate many utterances up front, `concurrency` espeak-ng/sox pipelines at a time (each is a
   * single-threaded process: on 2 cores two at once halve the wait), in the order given.
   */
  async speakAll(requests: ReadonlyArray<{ text: string; voice?: Voice; shape?: AudioShape }>, concurrency = 2): Promise<Buffer[]> {
    const out: Buffer[] = new Array<Buffer>(requests.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < requests.length) {
        const i = next++;
        const r = requests[i]!;
        out[i] = await this.speak(r.text, r.voice, r.shape);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
    return out;
  }

  /** sox-synthesised non-speech: silence or white noise. */
  async synth(kind: 'silence' | 'whitenoise' | 'pinknoise', seconds: number, volume = 0.3): Promise<Buffer> {
    await mkdir(this.dir, { recursive: true });
    const out = join(this.dir, `${kind}-${seconds}-${volume}.wav`);
    if (!existsSync(out)) {
      const args = kind === 'silence' ? ['trim', '0', String(seconds)] : ['synth', String(seconds), kind, 'vol', String(volume)];
      await run('sox', ['-n', '-r', '16000', '-c', '1', '-b', '16', out, ...args]);
    }
    return readFile(out);
  }

  async dispose(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** >= 30 commands across every intent and the 7 devices of the default home. */
export const COMMAND_SENTENCES: readonly string[] = [
  'turn on the kitchen light',
  'turn off the kitchen light',
  'switch on the living room light',
  'turn off the living room light',
  'turn on the bedroom lamp',
  'switch off the bedroom lamp',
  'turn on the lights in the living room',
  'turn off all the lights',
  'set the kitchen light to fifty percent',
  'set the living room light to twenty percent',
  'dim the kitchen light to thirty percent',
  'make the kitchen light brighter',
  'set the thermostat to twenty one degrees',
  'set the thermostat to eighteen degrees',
  'set the temperature to twenty two degrees',
  'set the thermostat to cool',
  'turn off the thermostat',
  'lock the front door',
  'unlock the front door',
  'what is the temperature',
  'what is the temperature in the hallway',
  'how warm is it in the hallway',
  'is the kitchen light on',
  'is the bedroom lamp on',
  'is the front door locked',
  'volume up',
  'turn the volume down',
  'set the volume to forty percent',
  'set the kitchen speaker to sixty percent',
  'play music',
  'play music on the kitchen speaker',
  'pause the music',
  'what time is it',
  'cancel',
];

/** Speech the grammar does not contain: must come back not understood. */
export const OUT_OF_GRAMMAR: readonly string[] = [
  'what a lovely day it is',
  'please call my mother',
  'how do I bake a chocolate cake',
  'the weather will be sunny tomorrow',
  'order a pizza with extra cheese',
  'remind me to buy milk',
];
