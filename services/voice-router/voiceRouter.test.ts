import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseWav } from '../lib/audio/wav.js';
import { SpeechCorpus } from '../stt/testing/speech.js';
import { OperatorClient } from './testing/operatorClient.js';
import { Pipeline, waitUntil } from './testing/pipeline.js';

/**
 * The voice router with the real services (device-manager, stt, ai, tts) through a real broker.
 * Stage budgets are shortened so the failure tests end quickly, yet stay far above what a healthy
 * stage needs (ai ~1 ms, device ~1 ms, stt ~50 ms); tts keeps a wide one because a long sentence
 * took over 5 s on this shared 2-core machine at load 13 (~0.2-0.4 s when idle).
 */
const CONFIG = { timeouts: { stt_ms: 4_000, ai_ms: 1_500, device_ms: 1_500, tts_ms: 10_000 } };

let p: Pipeline;
const speech = new SpeechCorpus();

beforeAll(async () => {
  p = await Pipeline.start({ routerConfig: CONFIG });
});
afterAll(async () => {
  await p?.stop();
  await speech.dispose();
});

type Result = Record<string, unknown> & { ok: boolean; error?: { code: string; message: string }; stage?: string };
const res = (r: { result: Record<string, unknown> }) => r.result as Result;

/** Start from a known state (other tests switch the same lights): the device off, as the router sees it. */
async function turnOff(deviceId: string): Promise<void> {
  const { correlation_id } = await p.op.send('alicia/device/command', { device_id: deviceId, action: 'turn_off' });
  expect((await p.op.reply(correlation_id)).msg.ok).toBe(true);
  await waitUntil(() => p.deviceState(deviceId)?.on === false, 3_000, `${deviceId} to report off`);
}

function wavSeconds(b64: unknown): number {
  expect(typeof b64).toBe('string');
  const wav = parseWav(Buffer.from(b64 as string, 'base64'), 'INTERNAL');
  return wav.samples.length / wav.channels / wav.sampleRate;
}

describe('voice router: commands end to end', () => {
  it('a typed command switches the kitchen light on and answers with spoken audio, one trace id on every hop', async () => {
    await turnOff('kitchen_light');
    expect(p.deviceState('kitchen_light')?.on).toBe(false);
    const r = await p.command({ session_id: 's-text', text: 'turn on the kitchen light' });
    const m = res(r);
    expect(m.ok).toBe(true);
    expect(m.session_id).toBe('s-text');
    expect(m.stage).toBe('done');
    expect(m.transcription).toBe('turn on the kitchen light');
    expect((m.intent as { name: string }).name).toBe('turn_on');
    expect(m.response_text).toMatch(/kitchen light/i);
    expect(wavSeconds(m.audio_data)).toBeGreaterThan(0.5);
    const t = m.timings as { stt_ms: number; ai_ms: number; device_ms: number; tts_ms: number; total_ms: number };
    expect(t.stt_ms).toBe(0); // typed: no speech recognition
    expect(t.ai_ms).toBeGreaterThan(0);
    expect(t.device_ms).toBeGreaterThan(0);
    expect(t.tts_ms).toBeGreaterThan(0);
    expect(t.total_ms).toBeGreaterThanOrEqual(t.ai_ms + t.device_ms + t.tts_ms - 1);
    await waitUntil(() => p.deviceState('kitchen_light')?.on === true, 3_000, 'the kitchen light to report on');

    // the recorder assembles traces by trace id: every hop of this command carries it, and the session id
    const hops = p.trace(r.trace_id);
    const topics = new Set(hops.map((h) => h.topic));
    for (const topic of [
      'alicia/voice/command',
      'alicia/ai/request',
      'alicia/ai/response',
      'alicia/device/command',
      'alicia/device/response',
      'alicia/voice/tts/request',
      'alicia/voice/tts/result',
      'alicia/voice/event',
      'alicia/voice/result',
    ]) {
      expect(topics, topic).toContain(topic);
    }
    for (const h of hops.filter((x) => x.topic.startsWith('alicia/voice/') || x.topic.startsWith('alicia/ai/')))
      expect(h.msg.session_id, h.topic).toBe('s-text');
    // stage progress: started/finished per stage, then done
    const events = hops.filter((h) => h.topic === 'alicia/voice/event').map((h) => `${h.msg.stage as string}:${h.msg.status as string}`);
    expect(events).toEqual([
      'ai:started',
      'ai:finished',
      'device:started',
      'device:finished',
      'tts:started',
      'tts:finished',
      'done:finished',
    ]);
  });

  it('a spoken command (espeak-ng utterance, 22.05 kHz stereo) is heard, acted on and answered', async () => {
    const wav = await speech.speak('turn on the living room light', undefined, { rate: 22050, channels: 2 });
    const r = await p.command({ session_id: 's-audio', audio_data: wav.toString('base64') });
    const m = res(r);
    expect(m.error).toBeUndefined();
    expect(m.ok).toBe(true);
    expect(m.transcription).toBe('turn on the living room light');
    expect((m.intent as { name: string }).name).toBe('turn_on');
    expect((m.timings as Record<string, number>).stt_ms).toBeGreaterThan(0);
    expect(m.stt).toMatchObject({ engine: expect.stringContaining('pocketsphinx') });
    expect(wavSeconds(m.audio_data)).toBeGreaterThan(0.5);
    await waitUntil(() => p.deviceState('living_room_light')?.on === true, 3_000, 'the living room light to report on');
    // stt got 16 kHz mono, whatever the microphone gave
    const sttReq = p.trace(r.trace_id).find((h) => h.topic === 'alicia/voice/stt/request');
    expect(sttReq?.msg.format).toMatchObject({ sample_rate: 16000, channels: 1 });
  });

  it('a follow-up uses the session context: "turn it off" after "turn on the bedroom lamp"', async () => {
    const on = res(await p.command({ session_id: 's-ctx', text: 'turn on the bedroom lamp' }));
    expect(on.ok).toBe(true);
    await waitUntil(() => p.deviceState('bedroom_lamp')?.on === true, 3_000, 'the bedroom lamp on');
    const off = res(await p.command({ session_id: 's-ctx', text: 'turn it off', speak: false }));
    expect(off.error).toBeUndefined();
    expect(off.ok).toBe(true);
    expect((off.intent as { name: string }).name).toBe('turn_off');
    expect(off.audio_data).toBe(''); // speak:false
    await waitUntil(() => p.deviceState('bedroom_lamp')?.on === false, 3_000, 'the bedroom lamp off');
    // another session has no such context
    const other = res(await p.command({ session_id: 's-ctx-other', text: 'turn it on', speak: false }));
    expect(other.ok).toBe(false);
    expect(p.deviceState('bedroom_lamp')?.on).toBe(false);
  });

  it('two concurrent sessions do not mix their results or their contexts', async () => {
    const a1 = p.command({ session_id: 's-A', text: 'turn on the kitchen light', speak: false });
    const b1 = p.command({ session_id: 's-B', text: 'lock the front door', speak: false });
    const [ra1, rb1] = await Promise.all([a1, b1]);
    expect(res(ra1).session_id).toBe('s-A');
    expect(res(rb1).session_id).toBe('s-B');
    expect((res(ra1).intent as { name: string }).name).toBe('turn_on');
    expect((res(rb1).intent as { name: string }).name).toBe('lock');
    // follow-ups sent together, each resolved against its own session
    const [ra2, rb2] = await Promise.all([
      p.command({ session_id: 's-A', text: 'turn it off', speak: false }),
      p.command({ session_id: 's-B', text: 'unlock it', speak: false }),
    ]);
    expect(res(ra2).ok).toBe(true);
    expect(res(rb2).ok).toBe(true);
    expect(res(ra2).session_id).toBe('s-A');
    expect((res(ra2).intent as { name: string }).name).toBe('turn_off');
    // unlocking asks first (its own tests: voiceStreams.test.ts); B's yes goes to B's question
    expect(res(rb2)).toMatchObject({ stage: 'confirm', intent: { name: 'unlock' } });
    expect(res(await p.command({ session_id: 's-B', confirm: true, speak: false }))).toMatchObject({
      ok: true,
      intent: { name: 'unlock' },
    });
    await waitUntil(
      () => p.deviceState('kitchen_light')?.on === false && p.deviceState('front_door')?.locked === false,
      3_000,
      'both follow-ups applied',
    );
    // every device command of A's follow-up went to A's device
    const cmds = p.trace(ra2.trace_id).filter((h) => h.topic === 'alicia/device/command');
    expect(cmds.map((c) => c.msg.device_id)).toEqual(['kitchen_light']);
  });

  it('a question is answered from the device state', async () => {
    const r = res(await p.command({ session_id: 's-q', text: 'is the kitchen light on', speak: false }));
    expect(r.ok).toBe(true);
    expect((r.intent as { name: string }).name).toBe('get_state');
    expect(r.query).toMatchObject({ device_id: 'kitchen_light', field: 'on', value: p.deviceState('kitchen_light')?.on });
    expect(r.response_text).toMatch(p.deviceState('kitchen_light')?.on ? / on/ : / off/);
  });
});

describe('voice router: each stage failing ends the session with a coded error', () => {
  it('audio that is not a WAV: VOICE_BAD_AUDIO, stt never asked', async () => {
    const r = await p.command({ session_id: 's-bad', audio_data: Buffer.from('this is not a wav file at all').toString('base64') });
    const m = res(r);
    expect(m.ok).toBe(false);
    expect(m.session_id).toBe('s-bad');
    expect(m.stage).toBe('stt');
    expect(m.error?.code).toBe('VOICE_BAD_AUDIO');
    expect(p.trace(r.trace_id).some((h) => h.topic === 'alicia/voice/stt/request')).toBe(false);
  });

  it('an invalid command: VOICE_BAD_REQUEST with the session id when it can be read', async () => {
    const both = res(await p.command({ session_id: 's-inv', text: 'turn on the kitchen light', audio_data: 'AAAA' }));
    expect(both.ok).toBe(false);
    expect(both.session_id).toBe('s-inv');
    expect(both.stage).toBe('request');
    expect(both.error?.code).toBe('VOICE_BAD_REQUEST');
    const neither = res(await p.command({ session_id: 's-inv2' }));
    expect(neither.error?.code).toBe('VOICE_BAD_REQUEST');
    expect(neither.session_id).toBe('s-inv2');
    // not even JSON: still a voice result; no session id to give, so "unknown" (an empty one would
    // make the result's envelope invalid: session_id is 1..128 characters)
    await p.op.sendRaw('alicia/voice/command', '{not json');
    const junk = await p.op.waitFor(
      (x) =>
        x.topic === 'alicia/voice/result' &&
        (x.msg.error as { code?: string } | undefined)?.code === 'VOICE_BAD_REQUEST' &&
        x.msg.session_id === 'unknown',
      5_000,
      'a result for junk',
    );
    expect(junk.msg.stage).toBe('request');
  });

  it('empty text: AI_EMPTY_TEXT', async () => {
    const m = res(await p.command({ session_id: 's-empty', text: '   ' }));
    expect(m.ok).toBe(false);
    expect(m.stage).toBe('ai');
    expect(m.error?.code).toBe('AI_EMPTY_TEXT');
  });

  it('a sentence the ai does not understand: AI_NOT_UNDERSTOOD, nothing changes, an apology is spoken', async () => {
    const r = await p.command({ session_id: 's-nu', text: 'make me a cup of tea' });
    const m = res(r);
    expect(m.ok).toBe(false);
    expect(m.stage).toBe('ai');
    expect(m.error?.code).toBe('AI_NOT_UNDERSTOOD');
    expect(m.intent).toBeNull();
    expect(m.response_text).toMatch(/sorry/i);
    expect(wavSeconds(m.audio_data)).toBeGreaterThan(0.3);
    expect(p.trace(r.trace_id).some((h) => h.topic === 'alicia/device/command')).toBe(false);
  });

  it('silence: STT_NOT_UNDERSTOOD, no device command', async () => {
    const r = await p.command({ session_id: 's-sil', audio_data: (await speech.synth('silence', 1.5)).toString('base64'), speak: false });
    const m = res(r);
    expect(m.ok).toBe(false);
    expect(m.stage).toBe('stt');
    expect(m.error?.code).toBe('STT_NOT_UNDERSTOOD');
    expect(p.trace(r.trace_id).some((h) => h.topic === 'alicia/ai/request' || h.topic === 'alicia/device/command')).toBe(false);
  });

  it('stt that never answers (a client that takes the request and stays silent): STT_TIMEOUT', async () => {
    await p.stopService('stt');
    const silent = await OperatorClient.connect(p.broker.url, p.broker.credentials.stt, 'silent-stt');
    try {
      await silent.subscribe('alicia/voice/stt/request');
      const wav = await speech.speak('turn on the kitchen light');
      const r = await p.command({ session_id: 's-stt-slow', audio_data: wav.toString('base64'), speak: false });
      const m = res(r);
      expect(m.ok).toBe(false);
      expect(m.stage).toBe('stt');
      expect(m.error?.code).toBe('STT_TIMEOUT');
      expect((m.timings as Record<string, number>).stt_ms).toBeGreaterThanOrEqual(CONFIG.timeouts.stt_ms - 5);
      // the request did reach stt, with the command's trace id
      expect(silent.received.some((x) => x.msg.trace_id === r.trace_id)).toBe(true);
    } finally {
      await silent.close();
      await p.startService('stt');
    }
  });

  it('ai stopped: AI_TIMEOUT; back again: served', async () => {
    await p.stopService('ai');
    try {
      const m = res(await p.command({ session_id: 's-ai-down', text: 'turn on the kitchen light', speak: false }));
      expect(m.ok).toBe(false);
      expect(m.stage).toBe('ai');
      expect(m.error?.code).toBe('AI_TIMEOUT');
    } finally {
      await p.startService('ai');
    }
    const m = res(await p.command({ session_id: 's-ai-down', text: 'turn on the kitchen light', speak: false }));
    expect(m.ok).toBe(true);
  });

  it('device-manager stopped: DEVICE_TIMEOUT', async () => {
    await p.stopService('device-manager');
    try {
      const m = res(await p.command({ session_id: 's-dev-down', text: 'turn off the kitchen light', speak: false }));
      expect(m.ok).toBe(false);
      expect(m.stage).toBe('device');
      expect(m.error?.code).toBe('DEVICE_TIMEOUT');
      expect((m.intent as { name: string }).name).toBe('turn_off');
    } finally {
      await p.startService('device-manager');
    }
  });

  it('tts stopped: TTS_TIMEOUT after the device acted; the reply text is kept', async () => {
    await p.stopService('tts');
    try {
      const m = res(await p.command({ session_id: 's-tts-down', text: 'turn on the bedroom lamp' }));
      expect(m.ok).toBe(false);
      expect(m.stage).toBe('tts');
      expect(m.error?.code).toBe('TTS_TIMEOUT');
      expect(m.response_text).toMatch(/bedroom lamp/i);
      expect(m.audio_data).toBe('');
      await waitUntil(() => p.deviceState('bedroom_lamp')?.on === true, 3_000, 'the bedroom lamp on');
    } finally {
      await p.startService('tts');
    }
  });

  it('after all of that the router still serves', async () => {
    const m = res(await p.command({ session_id: 's-final', text: 'turn off the bedroom lamp' }));
    expect(m.ok).toBe(true);
    expect(wavSeconds(m.audio_data)).toBeGreaterThan(0.3);
    expect(p.router.activeCommands).toBe(0);
  });
});
