import { describe, expect, it } from 'vitest';
import { trimSilence } from './trimSilence.js';

const RATE = 16000;

/** `lead` s of silence, `tone` s of a 300 Hz tone at `amp` (0..1 of full scale), `tail` s of silence. */
function burst(lead: number, tone: number, tail: number, amp = 0.3): Int16Array {
  const out = new Int16Array(Math.round((lead + tone + tail) * RATE));
  const a = Math.round(lead * RATE);
  const b = a + Math.round(tone * RATE);
  for (let i = a; i < b; i++) out[i] = Math.round(Math.sin((2 * Math.PI * 300 * i) / RATE) * amp * 32767);
  return out;
}

describe('trimSilence', () => {
  it('keeps the speech plus the pad on each side and drops the rest of the silence', () => {
    const pcm = burst(1, 1, 0.8);
    const t = trimSilence(pcm, RATE, { padMs: 150 });
    expect(t.start).toBe(Math.round(0.85 * RATE));
    expect(t.end).toBe(Math.round(2.15 * RATE));
    expect(t.samples.length).toBe(t.end - t.start);
    // a view, not a copy: the first kept sample is the input's
    expect(t.samples.buffer).toBe(pcm.buffer);
  });

  it('never pads past the ends of the input', () => {
    const t = trimSilence(burst(0.05, 1, 0.05), RATE, { padMs: 150 });
    expect([t.start, t.end]).toEqual([0, Math.round(1.1 * RATE)]);
  });

  it('keeps silence inside the utterance (only the ends are trimmed)', () => {
    const a = burst(0.5, 0.4, 0.6);
    const b = burst(0, 0.4, 0.5);
    const pcm = new Int16Array(a.length + b.length);
    pcm.set(a);
    pcm.set(b, a.length);
    const t = trimSilence(pcm, RATE, { padMs: 100 });
    expect(t.start).toBe(Math.round(0.4 * RATE));
    expect(t.end).toBe(Math.round((1.5 + 0.4 + 0.1) * RATE));
  });

  it('uses the threshold: a tone below it counts as silence', () => {
    const quiet = burst(0.5, 0.5, 0.5, 0.005); // about -49 dBFS RMS
    expect(trimSilence(quiet, RATE, { thresholdDbfs: -40 })).toMatchObject({ start: 0, end: quiet.length });
    const t = trimSilence(quiet, RATE, { thresholdDbfs: -55, padMs: 0 });
    expect([t.start, t.end]).toEqual([0.5 * RATE, RATE]);
  });

  it('keeps padEndMs after the speech, and says when all of it is in', () => {
    const pcm = burst(1, 1, 0.8);
    expect(trimSilence(pcm, RATE, { padMs: 150, padEndMs: 70 })).toMatchObject({ start: 0.85 * RATE, end: 2.07 * RATE, complete: true });
    // the audio so far ends 60 ms after the speech: the 70 ms are not all in yet
    expect(trimSilence(pcm.subarray(0, 2.06 * RATE), RATE, { padMs: 150, padEndMs: 70 })).toMatchObject({
      end: 2.06 * RATE,
      complete: false,
    });
    expect(trimSilence(pcm.subarray(0, 2.07 * RATE), RATE, { padMs: 150, padEndMs: 70 })).toMatchObject({
      end: 2.07 * RATE,
      complete: true,
    });
  });

  it('returns audio without any active frame whole', () => {
    const silent = new Int16Array(RATE);
    expect(trimSilence(silent, RATE)).toMatchObject({ start: 0, end: RATE, complete: false });
    expect(trimSilence(new Int16Array(0), RATE).samples.length).toBe(0);
  });
});
