import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Speaker } from '../../services/stt/accuracy/corpusScore.js';
import type { Voice } from '../../services/stt/accuracy/corpus.js';

const exec = promisify(execFile);

/**
 * espeak-ng + sox for the benchmarks: 16 kHz mono WAVs padded with 0.3 s of silence on each side, two
 * pipelines at a time, in a private temporary folder removed by dispose().
 */
export class BenchSpeaker implements Speaker {
  /** one folder however many ask at once */
  private dir: Promise<string> | undefined;
  private seq = 0;

  private folder(): Promise<string> {
    this.dir ??= mkdtemp(join(tmpdir(), 'alicia-bench-speech-'));
    return this.dir;
  }

  private async speak(text: string, v: Voice): Promise<Buffer> {
    const dir = await this.folder();
    const n = this.seq++;
    const raw = join(dir, `${n}.raw.wav`);
    const out = join(dir, `${n}.wav`);
    await exec('espeak-ng', ['-v', v.voice, '-s', String(v.speed), '-w', raw, text]);
    await exec('sox', [raw, '-r', '16000', '-c', '1', '-b', '16', out, 'pad', '0.3', '0.3']);
    const wav = await readFile(out);
    await rm(raw);
    await rm(out);
    return wav;
  }

  async speakAll(requests: ReadonlyArray<{ text: string; voice: Voice }>): Promise<Buffer[]> {
    const out = new Array<Buffer>(requests.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < requests.length) {
        const i = next++;
        out[i] = await this.speak(requests[i]!.text, requests[i]!.voice);
      }
    };
    await Promise.all([worker(), worker()]);
    return out;
  }

  async synth(kind: 'whitenoise' | 'pinknoise', seconds: number, volume: number): Promise<Buffer> {
    const out = join(await this.folder(), `${kind}-${this.seq++}.wav`);
    await exec('sox', ['-n', '-r', '16000', '-c', '1', '-b', '16', out, 'synth', String(seconds), kind, 'vol', String(volume)]);
    return readFile(out);
  }

  async dispose(): Promise<void> {
    if (this.dir) await rm(await this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }
}
