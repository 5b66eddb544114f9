import { AliciaError } from '../protocol/errors.js';
import type { ErrorCode } from '../protocol/errors.js';

/**
 * WAV (RIFF/WAVE, 16-bit PCM) parsing, validation, conversion to 16 kHz mono and encoding.
 * Shared by stt, voice-router and tts. Every input comes from outside the process, so every
 * header field is checked against the bytes actually present; the caller picks the error code
 * (STT_BAD_AUDIO, VOICE_BAD_AUDIO, ...) because the same fault means different things per stage.
 *
 * Format reference: Microsoft "Multimedia Programming Interface and Data Specifications 1.0"
 * (RIFF chunks are word aligned: an odd-sized chunk is followed by one pad byte) and
 * WAVE_FORMAT_EXTENSIBLE (mmreg.h / ksmedia.h: sub-format GUID whose first 2 bytes are the tag).
 */

export const WAV_MIN_RATE = 8000;
export const WAV_MAX_RATE = 48000;
export const TARGET_RATE = 16000;

const WAVE_FORMAT_PCM = 0x0001;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
/** Streaming writers (sox/ffmpeg to a pipe) cannot seek back and leave sizes at 0xFFFFFFFF. */
const UNKNOWN_SIZE = 0xffffffff;

export interface PcmAudio {
  sampleRate: number;
  channels: 1 | 2;
  /** interleaved 16-bit samples (a view into the input when possible, never a copy of it) */
  samples: Int16Array;
}

export interface ParseWavOptions {
  /** reject longer audio (default 60 s): bounds CPU time per request */
  maxDurationMs?: number;
}

function bad(code: ErrorCode, message: string): AliciaError {
  return new AliciaError(code, `invalid WAV audio: ${message}`);
}

function fourcc(b: Uint8Array, at: number): string {
  return String.fromCharCode(b[at]!, b[at + 1]!, b[at + 2]!, b[at + 3]!);
}

/** Parse and validate a 16-bit PCM WAV. Throws AliciaError(code) for anything else. */
export function parseWav(bytes: Uint8Array, code: ErrorCode, opts: ParseWavOptions = {}): PcmAudio {
  const maxMs = opts.maxDurationMs ?? 60_000;
  if (bytes.length < 12) throw bad(code, `only ${bytes.length} bytes, a WAV header needs at least 44`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (fourcc(bytes, 0) !== 'RIFF') {
    throw bad(code, fourcc(bytes, 0) === 'RIFX' ? 'big-endian RIFX is not supported' : 'missing RIFF header (not a WAV file)');
  }
  if (fourcc(bytes, 8) !== 'WAVE') throw bad(code, 'RIFF file is not WAVE');
  const riffSize = view.getUint32(4, true);
  if (riffSize !== UNKNOWN_SIZE && riffSize + 8 > bytes.length) {
    throw bad(code, `RIFF header claims ${riffSize + 8} bytes but only ${bytes.length} are present (truncated)`);
  }
  const end = riffSize === UNKNOWN_SIZE ? bytes.length : riffSize + 8;

  let fmt: { channels: number; rate: number; bits: number; blockAlign: number } | undefined;
  let pos = 12;
  while (pos + 8 <= end) {
    const id = fourcc(bytes, pos);
    const size = view.getUint32(pos + 4, true);
    const body = pos + 8;
    if (id === 'fmt ') {
      if (fmt) throw bad(code, 'two fmt chunks');
      if (size < 16 || body + size > end) throw bad(code, `fmt chunk of ${size} bytes is malformed`);
      let tag = view.getUint16(body, true);
      const channels = view.getUint16(body + 2, true);
      const rate = view.getUint32(body + 4, true);
      const byteRate = view.getUint32(body + 8, true);
      const blockAlign = view.getUint16(body + 12, true);
      const bits = view.getUint16(body + 14, true);
      if (tag === WAVE_FORMAT_EXTENSIBLE) {
        if (size < 40) throw bad(code, 'WAVE_FORMAT_EXTENSIBLE fmt chunk is too short');
        tag = view.getUint16(body + 24, true);
      }
      if (tag !== WAVE_FORMAT_PCM) throw bad(code, `format tag 0x${tag.toString(16)} is not PCM (only 16-bit PCM is accepted)`);
      if (bits !== 16) throw bad(code, `${bits}-bit samples (only 16-bit PCM is accepted)`);
      if (channels < 1 || channels > 2) throw bad(code, `${channels} channels (1 or 2 accepted)`);
      if (rate < WAV_MIN_RATE || rate > WAV_MAX_RATE) throw bad(code, `sample rate ${rate} Hz (8000-48000 accepted)`);
      if (blockAlign !== channels * 2) throw bad(code, `block align ${blockAlign} does not match ${channels} x 16-bit`);
      if (byteRate !== rate * blockAlign) throw bad(code, `byte rate ${byteRate} does not match ${rate} Hz x ${blockAlign} bytes`);
      fmt = { channels, rate, bits, blockAlign };
    } else if (id === 'data') {
      if (!fmt) throw bad(code, 'data chunk before fmt chunk');
      let len = size;
      if (size === UNKNOWN_SIZE) len = end - body;
      else if (body + size > end) throw bad(code, `data chunk claims ${size} bytes but only ${end - body} are present (truncated)`);
      // A streamed file may end mid-frame; a sized one must hold whole frames.
      if (size === UNKNOWN_SIZE) len -= len % fmt.blockAlign;
      else if (len % fmt.blockAlign !== 0) throw bad(code, `data size ${len} is not a whole number of ${fmt.blockAlign}-byte frames`);
      if (len === 0) throw bad(code, 'no audio samples');
      const frames = len / fmt.blockAlign;
      const ms = (frames * 1000) / fmt.rate;
      if (ms > maxMs) throw bad(code, `${Math.round(ms)} ms of audio exceeds the ${maxMs} ms limit`);
      const start = bytes.byteOffset + body;
      // Int16Array needs 2-byte alignment of the underlying offset; copy only when misaligned.
      const samples =
        start % 2 === 0
          ? new Int16Array(bytes.buffer, start, len / 2)
          : new Int16Array(Uint8Array.from(bytes.subarray(body, body + len)).buffer);
      return { sampleRate: fmt.rate, channels: fmt.channels as 1 | 2, samples: littleEndian(samples) };
    }
    if (size === UNKNOWN_SIZE) break;
    pos = body + size + (size & 1); // RIFF pad byte after odd-sized chunks
  }
  throw bad(code, fmt ? 'no data chunk' : 'no fmt chunk');
}

const hostIsLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
function littleEndian(s: Int16Array): Int16Array {
  if (hostIsLittleEndian) return s;
  const out = new Int16Array(s.length);
  const v = new DataView(s.buffer, s.byteOffset, s.byteLength);
  for (let i = 0; i < s.length; i++) out[i] = v.getInt16(i * 2, true);
  return out;
}

const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Strict base64 -> bytes. Node's Buffer.from(x, 'base64') silently skips invalid characters and
 * accepts truncated input, so a corrupted upload would become garbage audio instead of an error.
 */
export function decodeBase64Strict(text: string, code: ErrorCode, maxBytes = 8 * 1024 * 1024): Buffer {
  if (text.length === 0) throw new AliciaError(code, 'audio_data is empty');
  if (text.length % 4 !== 0 || !BASE64_RE.test(text)) throw new AliciaError(code, 'audio_data is not valid base64');
  if ((text.length / 4) * 3 > maxBytes + 2) throw new AliciaError(code, `audio_data exceeds ${maxBytes} bytes`);
  return Buffer.from(text, 'base64');
}

/** Interleaved stereo -> mono by averaging (no clipping: the mean of two int16 fits int16). */
export function downmix(samples: Int16Array, channels: number): Int16Array {
  if (channels === 1) return samples;
  const n = Math.floor(samples.length / channels);
  const out = new Int16Array(n);
  for (let i = 0, j = 0; i < n; i++, j += channels) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += samples[j + c]!;
    out[i] = Math.round(sum / channels);
  }
  return out;
}

// --- resampling: windowed-sinc interpolation ---------------------------------------------
// Band-limited interpolation after J. O. Smith, "Digital Audio Resampling Home Page"
// (ccrma.stanford.edu/~jos/resample): y(t) = sum_k x[k] * fc * sinc(fc (t - k)) * w(t - k), with the
// cut-off fc = min(1, out/in) so that downsampling low-passes below the new Nyquist (no aliasing).
// The kernel is tabulated once (Kaiser window, beta 8.6 ~ 80 dB stop band) and linearly interpolated.
const ZERO_CROSSINGS = 16;
const TABLE_RES = 512; // table points per zero crossing
const ROLLOFF = 0.94; // keep the transition band below Nyquist
let kernel: Float32Array | undefined;

function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 50; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
    if (term < 1e-12 * sum) break;
  }
  return sum;
}

function sincTable(): Float32Array {
  if (kernel) return kernel;
  const n = ZERO_CROSSINGS * TABLE_RES + 2;
  const t = new Float32Array(n);
  const beta = 8.6;
  const i0b = besselI0(beta);
  for (let i = 0; i < n; i++) {
    const x = i / TABLE_RES; // in zero crossings
    const r = x / ZERO_CROSSINGS;
    const w = r >= 1 ? 0 : besselI0(beta * Math.sqrt(1 - r * r)) / i0b;
    t[i] = x === 0 ? 1 : (w * Math.sin(Math.PI * x)) / (Math.PI * x);
  }
  kernel = t;
  return t;
}

/** Resample mono 16-bit audio from `from` Hz to `to` Hz (windowed-sinc, anti-aliased when downsampling). */
export function resample(input: Int16Array, from: number, to: number): Int16Array {
  if (from === to) return input;
  if (!(from > 0 && to > 0)) throw new RangeError('sample rates must be positive');
  const table = sincTable();
  const ratio = to / from;
  const fc = Math.min(1, ratio) * ROLLOFF; // cut-off relative to the input Nyquist
  const outLen = Math.floor((input.length * to) / from);
  const out = new Int16Array(outLen);
  const half = Math.ceil(ZERO_CROSSINGS / fc); // input samples on each side
  const step = fc * TABLE_RES; // table index per input sample distance
  const last = input.length - 1;
  for (let i = 0; i < outLen; i++) {
    const t = i / ratio;
    const k0 = Math.floor(t);
    let acc = 0;
    const lo = Math.max(0, k0 - half + 1);
    const hi = Math.min(last, k0 + half);
    for (let k = lo; k <= hi; k++) {
      const pos = Math.abs(t - k) * step;
      const idx = pos | 0;
      if (idx >= ZERO_CROSSINGS * TABLE_RES) continue;
      const frac = pos - idx;
      const h = table[idx]! + frac * (table[idx + 1]! - table[idx]!);
      acc += input[k]! * h;
    }
    const v = Math.round(acc * fc);
    out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
  return out;
}

/** Any parsed PCM -> 16 kHz mono, the format pocketsphinx's en-us model expects. */
export function toMono16k(audio: PcmAudio): Int16Array {
  return resample(downmix(audio.samples, audio.channels), audio.sampleRate, TARGET_RATE);
}

/** Encode 16-bit PCM as a canonical 44-byte-header WAV. */
export function encodeWav(samples: Int16Array, sampleRate: number, channels: 1 | 2 = 1): Buffer {
  const dataLen = samples.length * 2;
  const buf = Buffer.allocUnsafe(44 + dataLen);
  buf.write('RIFF', 0, 'latin1');
  buf.writeUInt32LE(36 + dataLen, 4);
  buf.write('WAVE', 8, 'latin1');
  buf.write('fmt ', 12, 'latin1');
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(WAVE_FORMAT_PCM, 20);
  buf.writeUInt16LE(channels, 22);
  buf.writeUInt32LE(sampleRate, 24);
  buf.writeUInt32LE(sampleRate * channels * 2, 28);
  buf.writeUInt16LE(channels * 2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write('data', 36, 'latin1');
  buf.writeUInt32LE(dataLen, 40);
  for (let i = 0; i < samples.length; i++) buf.writeInt16LE(samples[i]!, 44 + i * 2);
  return buf;
}

export function durationMs(sampleCount: number, sampleRate: number, channels = 1): number {
  return (sampleCount / channels / sampleRate) * 1000;
}

/** RMS level relative to full scale, 0..1. */
export function rms(samples: Int16Array, start = 0, end = samples.length): number {
  if (end <= start) return 0;
  let sum = 0;
  for (let i = start; i < end; i++) {
    const s = samples[i]!;
    sum += s * s;
  }
  return Math.sqrt(sum / (end - start)) / 32768;
}

export function toDbfs(level: number): number {
  return level > 0 ? 20 * Math.log10(level) : -120;
}

export interface ActivityOptions {
  frameMs?: number;
  /** frames louder than this (dBFS) count as active; default -40 dBFS */
  thresholdDbfs?: number;
}

export interface Activity {
  /** total duration of active frames */
  activeMs: number;
  frames: number;
  activeFrames: number;
  rmsDbfs: number;
  peakDbfs: number;
  /**
   * Spectral flatness proxy: zero-crossing rate of active frames (0..1). White noise sits near 0.5,
   * voiced speech far lower; used as a cheap noise gate before the decoder.
   */
  activeZcr: number;
}

/** Frame-energy voice activity: cheap gate that lets silence skip the decoder entirely. */
export function activity(samples: Int16Array, sampleRate: number, opts: ActivityOptions = {}): Activity {
  const frame = Math.max(1, Math.round(((opts.frameMs ?? 20) * sampleRate) / 1000));
  const threshold = opts.thresholdDbfs ?? -40;
  let frames = 0;
  let active = 0;
  let peak = 0;
  let zc = 0;
  let zcN = 0;
  for (let s = 0; s + frame <= samples.length; s += frame) {
    frames++;
    const level = rms(samples, s, s + frame);
    if (toDbfs(level) >= threshold) {
      active++;
      for (let i = s + 1; i < s + frame; i++) if (samples[i]! >= 0 !== samples[i - 1]! >= 0) zc++;
      zcN += frame - 1;
    }
  }
  for (let i = 0; i < samples.length; i++) {
    const a = Math.abs(samples[i]!);
    if (a > peak) peak = a;
  }
  return {
    activeMs: (active * frame * 1000) / sampleRate,
    frames,
    activeFrames: active,
    rmsDbfs: toDbfs(rms(samples)),
    peakDbfs: toDbfs(peak / 32768),
    activeZcr: zcN > 0 ? zc / zcN : 0,
  };
}

/**
 * Fraction of the signal's energy above `cutoffHz` (0..1), by a 63-tap windowed-sinc high-pass
 * (Blackman window). Audio that was recorded or sent at 8 kHz and upsampled has nothing above
 * 4 kHz; a wideband (16 kHz) acoustic model scores it lower, so the recogniser can be stricter.
 */
export function energyAbove(samples: Int16Array, sampleRate: number, cutoffHz: number): number {
  const taps = 63;
  const mid = (taps - 1) / 2;
  const fc = cutoffHz / sampleRate; // cycles per sample
  const h = new Float64Array(taps);
  for (let i = 0; i < taps; i++) {
    const n = i - mid;
    const lp = n === 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * n) / (Math.PI * n);
    const w = 0.42 - 0.5 * Math.cos((2 * Math.PI * i) / (taps - 1)) + 0.08 * Math.cos((4 * Math.PI * i) / (taps - 1));
    h[i] = (n === 0 ? 1 : 0) - lp * w; // spectral inversion: delta - low-pass
  }
  let total = 0;
  let high = 0;
  for (let i = taps - 1; i < samples.length; i++) {
    let acc = 0;
    for (let k = 0; k < taps; k++) acc += h[k]! * samples[i - k]!;
    const x = samples[i - mid]!;
    total += x * x;
    high += acc * acc;
  }
  return total > 0 ? Math.min(1, high / total) : 0;
}
