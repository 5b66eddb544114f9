import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AliciaError } from '../lib/protocol/errors.js';
import { parseWav } from '../lib/audio/wav.js';
import type { SynthesisOptions, SynthesisOutput, TtsEngine } from './ttsEngine.js';

/**
 * Fallback: the Debian `espeak-ng` program (30-60 ms a sentence on a 2-core laptop), used only when
 * the WASM module cannot load. A desktop user usually does not have it, which is why it is not the
 * default. One process per sentence; the text goes through stdin (never argv, where a leading "-"
 * would be an option), `-m` makes it parse SSML like the WASM build does (the caller escapes the
 * text), and `-w` writes a file because the WAV it streams to stdout has placeholder sizes.
 */
export class EspeakCliEngine implements TtsEngine {
  readonly name = 'espeak-ng-cli';
  private dir: string | null = null;
  private seq = 0;

  constructor(private readonly binary = 'espeak-ng') {}

  async start(): Promise<void> {
    // Fail now, not on the first request, when the program is missing.
    const version = await this.run(['--version'], '', 5_000).catch((e: unknown) => {
      throw new AliciaError('TTS_ENGINE_FAILED', `${this.binary} is not usable: ${(e as Error).message}`);
    });
    if (!/espeak/i.test(version)) throw new AliciaError('TTS_ENGINE_FAILED', `${this.binary} --version did not identify espeak-ng`);
    this.dir = await mkdtemp(join(tmpdir(), 'alicia-tts-'));
  }

  async synthesize(text: string, opts: SynthesisOptions, timeoutMs: number): Promise<SynthesisOutput> {
    if (!this.dir) throw new AliciaError('TTS_ENGINE_FAILED', 'the speech engine is not started');
    const file = join(this.dir, `${process.pid}-${this.seq++}.wav`);
    try {
      await this.run(['-m', '-v', opts.voice, '-s', String(opts.rate), '-w', file, '--stdin'], text, timeoutMs);
      const wav = parseWav(await readFile(file), 'TTS_ENGINE_FAILED');
      return { samples: wav.samples, sampleRate: wav.sampleRate };
    } finally {
      await rm(file, { force: true });
    }
  }

  async stop(): Promise<void> {
    const dir = this.dir;
    this.dir = null;
    if (dir) await rm(dir, { recursive: true, force: true });
  }

  private run(args: string[], stdin: string, timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.binary, args, { stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new AliciaError('TTS_TIMEOUT', `speech synthesis did not finish within ${timeoutMs} ms`));
      }, timeoutMs);
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        if (code === 0 && !/voice does not exist/i.test(err)) resolve(out);
        else if (/voice does not exist|no voice/i.test(err))
          reject(new AliciaError('TTS_VOICE_UNKNOWN', `unknown voice "${args[args.indexOf('-v') + 1] ?? ''}"`));
        else reject(new AliciaError('TTS_ENGINE_FAILED', `${this.binary} exited with ${code}: ${err.trim().slice(0, 200)}`));
      });
      child.stdin.on('error', () => undefined); // the child may exit before reading everything
      child.stdin.end(stdin);
    });
  }
}
