import { PcmChunker, level } from './pcmChunker.js';

/**
 * Microphone capture as a stream of 16 kHz mono 16-bit chunks of CHUNK_MS (what stt decodes as
 * they arrive). Echo cancellation, noise suppression and AGC are off for a faithful copy of the
 * speech. Samples are pulled by an AudioWorklet (a ScriptProcessor where worklets cannot load).
 *
 * Why the AudioContext and its worklet outlive a capture: audio the microphone delivers before the
 * graph is connected is lost, and creating a context and loading a worklet module took 100-400 ms
 * on a loaded machine (measured with Chromium's fake capture device: the first 70 ms of the file
 * missing at load 4, more under heavier load). A command that loses its first word is not just
 * unrecognised but wrongly recognised ("what time is it" without its first 400 ms decodes as
 * "play music"). So the context is made once, ahead of the first click (prepareMic), kept
 * suspended between captures, and a capture only has getUserMedia and one connect() to wait for.
 */
export const TARGET_RATE = 16000;
export const CHUNK_MS = 100;

/** Served from the app's own origin (renderer/public): the window's CSP allows scripts only from 'self'. */
const WORKLET_URL = 'tap-worklet.js';

export interface MicCapture {
  /** stop, release the microphone, and return the last partial chunk (for a final message) */
  close(): Promise<Int16Array>;
}

export interface MicOptions {
  onChunk(pcm: Int16Array): void;
  /** 0..1 level of each chunk, for the meter */
  onLevel(level: number): void;
}

/** Explain why the microphone cannot be used, in words a person can act on. */
export function micErrorText(e: unknown): string {
  const name = (e as { name?: string })?.name;
  if (!window.isSecureContext) return 'The microphone needs a secure page (https or localhost).';
  if (!navigator.mediaDevices?.getUserMedia) return 'This browser gives no access to a microphone.';
  if (name === 'NotAllowedError' || name === 'SecurityError')
    return 'Microphone permission was denied. Allow it in the browser or system settings, or type the command below.';
  if (name === 'NotFoundError' || name === 'OverconstrainedError')
    return 'No microphone was found. Connect one, or type the command below.';
  if (name === 'NotReadableError') return 'The microphone is in use by another application or could not be opened.';
  return `The microphone could not be started: ${(e as Error)?.message ?? String(e)}`;
}

let context: Promise<{ ctx: AudioContext; worklet: boolean }> | null = null;

function ensureContext(): Promise<{ ctx: AudioContext; worklet: boolean }> {
  context ??= (async () => {
    let ctx: AudioContext;
    try {
      // the browser resamples the microphone to 16 kHz for us (Chromium does)
      ctx = new AudioContext({ sampleRate: TARGET_RATE });
    } catch {
      ctx = new AudioContext();
    }
    let worklet = false;
    if (ctx.audioWorklet) {
      try {
        await ctx.audioWorklet.addModule(new URL(WORKLET_URL, document.baseURI).href);
        worklet = true;
      } catch (e) {
        console.warn('AudioWorklet unavailable, using ScriptProcessor', e);
      }
    }
    return { ctx, worklet };
  })();
  return context;
}

/** Make the audio graph ready before the user clicks (see above); safe to call often. */
export function prepareMic(): void {
  ensureContext().catch(() => {
    context = null; // try again at the click, which reports the error
  });
}

/** Linear resampling with state across blocks, for a browser that refuses a 16 kHz context. */
class Resampler {
  private pos = 0;
  private last = 0;
  constructor(private readonly ratio: number) {}
  push(block: Float32Array): Float32Array {
    const out: number[] = [];
    while (this.pos < block.length) {
      const i = Math.floor(this.pos);
      const f = this.pos - i;
      const a = i === 0 ? this.last : (block[i - 1] as number);
      const b = block[i] as number;
      out.push(a + (b - a) * f);
      this.pos += this.ratio;
    }
    this.pos -= block.length;
    this.last = block[block.length - 1] ?? this.last;
    return Float32Array.from(out);
  }
}

export async function openMic(opts: MicOptions): Promise<MicCapture> {
  if (!navigator.mediaDevices?.getUserMedia) throw Object.assign(new Error('no getUserMedia'), { name: 'NotSupportedError' });
  const { ctx, worklet } = await ensureContext();
  // Resumed while the microphone opens, not after it: a suspended context drops what the source
  // delivers meanwhile. Resumed after, at load 20, the fake capture device's "unlock the front door"
  // came back "lock the front door" (the same WAV decoded from the file: "unlock"); resumed here, right.
  const running = ctx.state === 'running' ? Promise.resolve() : ctx.resume().catch(() => undefined);
  let stream: MediaStream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false },
    });
  } catch (e) {
    await ctx.suspend().catch(() => undefined);
    throw e;
  }
  const source = ctx.createMediaStreamSource(stream);
  const chunker = new PcmChunker((TARGET_RATE * CHUNK_MS) / 1000);
  const resampler = ctx.sampleRate === TARGET_RATE ? null : new Resampler(ctx.sampleRate / TARGET_RATE);
  let closed = false;
  const onBlock = (block: Float32Array) => {
    if (closed) return;
    for (const chunk of chunker.push(resampler ? resampler.push(block) : block)) {
      opts.onChunk(chunk);
      opts.onLevel(Math.min(1, level(chunk) * 6));
    }
  };
  let disconnect: () => void;
  if (worklet) {
    const node = new AudioWorkletNode(ctx, 'alicia-tap');
    node.port.onmessage = (ev: MessageEvent<Float32Array>) => onBlock(ev.data);
    source.connect(node);
    // A worklet only runs while connected towards the destination; a zero gain keeps it silent.
    const mute = ctx.createGain();
    mute.gain.value = 0;
    node.connect(mute).connect(ctx.destination);
    disconnect = () => {
      node.port.onmessage = null;
      source.disconnect();
      node.disconnect();
      mute.disconnect();
    };
  } else {
    const proc = ctx.createScriptProcessor(2048, 1, 1);
    proc.onaudioprocess = (ev) => onBlock(ev.inputBuffer.getChannelData(0).slice(0));
    source.connect(proc);
    proc.connect(ctx.destination);
    disconnect = () => {
      proc.onaudioprocess = null;
      source.disconnect();
      proc.disconnect();
    };
  }
  await running;
  return {
    close: async () => {
      if (closed) return new Int16Array(0);
      closed = true;
      disconnect();
      for (const t of stream.getTracks()) t.stop();
      // kept for the next capture, idle meanwhile
      await ctx.suspend().catch(() => undefined);
      return chunker.flush();
    },
  };
}
