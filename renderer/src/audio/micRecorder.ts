import { resample } from '../model/wav.js';
import { DEFAULT_VAD, Vad, rms } from '../model/vad.js';
import type { VadDecision } from '../model/vad.js';

/**
 * Microphone capture at 16 kHz mono (what the STT engine wants). AudioContext({sampleRate:16000})
 * makes the browser resample for us (Chromium does); if a browser refuses, we
 * capture at its rate and resample linearly. Samples are pulled with an AudioWorklet, falling back
 * to ScriptProcessor where worklets are missing or cannot load.
 * Echo cancellation, noise suppression and AGC are off for a faithful copy of the speech.
 */
export const TARGET_RATE = 16000;

export type EndReason = 'stopped' | VadDecision;

export interface MicSession {
  /** stop now and return the audio */
  stop(): Promise<Float32Array>;
  readonly sampleRate: number;
}

interface MicOptions {
  /** 0..1 level after each block, for the meter */
  onLevel(level: number): void;
  /** end by itself when the VAD says so (click-to-start); false while push-to-talk is held */
  autoEnd(): boolean;
  onAutoEnd(reason: EndReason, audio: Float32Array): void;
}

/** Served from the app's own origin (renderer/public): the window's CSP allows scripts only from 'self'. */
const WORKLET_URL = 'tap-worklet.js';

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

export async function startMic(opts: MicOptions): Promise<MicSession> {
  if (!navigator.mediaDevices?.getUserMedia) throw Object.assign(new Error('no getUserMedia'), { name: 'NotSupportedError' });
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false },
  });
  let ctx: AudioContext;
  try {
    ctx = new AudioContext({ sampleRate: TARGET_RATE });
  } catch {
    ctx = new AudioContext();
  }
  const rate = ctx.sampleRate;
  const source = ctx.createMediaStreamSource(stream);
  const chunks: Float32Array[] = [];
  const vad = new Vad(DEFAULT_VAD);
  let done = false;
  let cleanup: () => void = () => undefined;

  const collect = (): Float32Array => {
    let n = 0;
    for (const c of chunks) n += c.length;
    const all = new Float32Array(n);
    let off = 0;
    for (const c of chunks) {
      all.set(c, off);
      off += c.length;
    }
    return resample(all, rate, TARGET_RATE);
  };
  const finish = async (): Promise<Float32Array> => {
    if (!done) {
      done = true;
      cleanup();
      for (const t of stream.getTracks()) t.stop();
      await ctx.close().catch(() => undefined);
    }
    return collect();
  };

  // Level/VAD per ~50 ms so the meter moves smoothly without a React update per 128-sample block.
  let acc: Float32Array[] = [];
  let accLen = 0;
  const blockLen = Math.round(rate * 0.05);
  const onSamples = (block: Float32Array) => {
    if (done) return;
    chunks.push(block);
    acc.push(block);
    accLen += block.length;
    if (accLen < blockLen) return;
    const joined = new Float32Array(accLen);
    let off = 0;
    for (const a of acc) {
      joined.set(a, off);
      off += a.length;
    }
    acc = [];
    accLen = 0;
    const level = rms(joined);
    opts.onLevel(Math.min(1, level * 6));
    const decision = vad.push(level, (joined.length / rate) * 1000);
    if (opts.autoEnd() && (decision === 'end' || decision === 'no_speech' || decision === 'max')) {
      void finish().then((audio) => opts.onAutoEnd(decision, audio));
    } else if (decision === 'max') {
      void finish().then((audio) => opts.onAutoEnd('max', audio));
    }
  };

  let worklet: AudioWorkletNode | null = null;
  if (ctx.audioWorklet) {
    try {
      await ctx.audioWorklet.addModule(new URL(WORKLET_URL, document.baseURI).href);
      worklet = new AudioWorkletNode(ctx, 'alicia-tap');
    } catch (e) {
      console.warn('AudioWorklet unavailable, using ScriptProcessor', e);
    }
  }
  if (worklet) {
    const node = worklet;
    node.port.onmessage = (ev: MessageEvent<Float32Array>) => onSamples(ev.data);
    source.connect(node);
    // A worklet only runs while connected towards the destination; a zero gain keeps it silent.
    const mute = ctx.createGain();
    mute.gain.value = 0;
    node.connect(mute).connect(ctx.destination);
    cleanup = () => {
      node.port.onmessage = null;
      source.disconnect();
      node.disconnect();
    };
  } else {
    const proc = ctx.createScriptProcessor(2048, 1, 1);
    proc.onaudioprocess = (ev) => onSamples(ev.inputBuffer.getChannelData(0).slice(0));
    source.connect(proc);
    proc.connect(ctx.destination);
    cleanup = () => {
      proc.onaudioprocess = null;
      source.disconnect();
      proc.disconnect();
    };
  }
  if (ctx.state === 'suspended') await ctx.resume().catch(() => undefined);
  return { stop: finish, sampleRate: rate };
}
