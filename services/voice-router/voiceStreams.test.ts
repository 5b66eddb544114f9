import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseWav, rms, toDbfs } from '../lib/audio/wav.js';
import { newId } from '../lib/protocol/envelope.js';
import type { WakeDetector } from '../stt/listenSites.js';
import { SttService } from '../stt/sttService.js';
import { sendAudio } from '../stt/testing/audioChunks.js';
import { SpeechCorpus } from '../stt/testing/speech.js';
import { trimSilence } from '../stt/trimSilence.js';
import { Pipeline, connectionFor, waitUntil } from './testing/pipeline.js';

/**
 * Streamed commands through the whole pipeline (real broker, device-manager, stt with pocketsphinx
 * and the WebRTC VAD, ai, tts, router): the first chunk of a session starts it, the result comes on
 * alicia/voice/result with that chunk's correlation id. Also the questions before risky actions.
 */
const CONFIRM_MS = 2500;
let p: Pipeline;
const speech = new SpeechCorpus();

/**
 * A test double for the wake-word detector (the real one, wakeWord.ts, is tested by its owner):
 * "hears the phrase" where a loud tone burst of >= 260 ms ends. Here it only proves the plumbing
 * from the listen stream to a device action.
 */
class ToneDetector implements WakeDetector {
  private fed = 0;
  private loud = 0;
  start = () => Promise.resolve();
  stop = () => Promise.resolve();
  reset(): void {
    this.fed = 0;
    this.loud = 0;
  }
  process(pcm: Int16Array): Promise<{ woke: boolean; endMs?: number }> {
    for (let at = 0; at + 320 <= pcm.length; at += 320) {
      this.fed += 320;
      if (toDbfs(rms(pcm, at, at + 320)) > -12) this.loud += 20;
      else if (this.loud >= 260) {
        this.loud = 0;
        return Promise.resolve({ woke: true, endMs: (this.fed - 320) / 16 });
      } else this.loud = 0;
    }
    return Promise.resolve({ woke: false });
  }
}

beforeAll(async () => {
  p = await Pipeline.start({
    routerConfig: { confirm_timeout_ms: CONFIRM_MS, timeouts: { stt_ms: 4_000, ai_ms: 1_500, device_ms: 1_500, tts_ms: 10_000 } },
    stt: { config: { voice: { endpoint_silence_ms: 500 } }, wakeDetector: () => new ToneDetector() },
  });
}, 90_000);
afterAll(async () => {
  await p?.stop();
  await speech.dispose();
});

type Result = Record<string, unknown> & { ok: boolean; error?: { code: string }; stage?: string };

async function words(text: string): Promise<Int16Array> {
  return parseWav(await speech.speak(text), 'INTERNAL').samples;
}

/** Stream an utterance as the window does and wait for the session's result. */
async function spoken(session_id: string, audio: Int16Array, extra: Record<string, unknown> = {}, final = true): Promise<Result> {
  const trace_id = newId();
  await sendAudio(p.op, { session_id }, audio, { trace_id, final, realtime: !final, extra });
  const r = await p.op.waitFor(
    (m) => m.topic === 'alicia/voice/result' && m.msg.trace_id === trace_id,
    30_000,
    `the result of ${session_id}`,
  );
  return r.msg as Result;
}

async function typed(session_id: string, body: Record<string, unknown>): Promise<Result> {
  return (await p.command({ session_id, ...body })).result as Result;
}

async function setLocked(locked: boolean): Promise<void> {
  const { correlation_id } = await p.op.send('alicia/device/command', { device_id: 'front_door', action: locked ? 'lock' : 'unlock' });
  await p.op.reply(correlation_id);
  await waitUntil(() => p.deviceState('front_door')?.locked === locked, 3_000, `the front door ${locked ? 'locked' : 'unlocked'}`);
}

describe('streamed commands', () => {
  it('a stream with `final` switches the light, answers with the chunk correlation id, and says which devices it touched', async () => {
    const { correlation_id } = await p.op.send('alicia/device/command', { device_id: 'kitchen_light', action: 'turn_off' });
    await p.op.reply(correlation_id);
    await waitUntil(() => p.deviceState('kitchen_light')?.on === false, 3_000, 'the light off');
    const r = await spoken(`s-${newId()}`, trimSilence(await words('turn on the kitchen light'), 16000).samples);
    expect(r).toMatchObject({ ok: true, stage: 'done', intent: { name: 'turn_on' } });
    expect(r.correlation_id).toEqual(expect.any(String));
    expect(r.devices).toEqual([
      { device_id: 'kitchen_light', name: 'kitchen light', action: 'turn_on', params: {}, before: expect.objectContaining({ on: false }) },
    ]);
    expect((r.stt as { endpoint: { reason: string } }).endpoint.reason).toBe('final');
    await waitUntil(() => p.deviceState('kitchen_light')?.on === true, 3_000, 'the light on');
  });

  it('a stream without `final` ends on silence; the result carries the endpoint delay', async () => {
    const r = await spoken(`s-${newId()}`, await words('what time is it'), {}, false);
    expect(r).toMatchObject({ ok: true, intent: { name: 'get_time' } });
    const t = r.timings as { endpoint_ms: number; stt_ms: number };
    expect(t.endpoint_ms).toBeGreaterThanOrEqual(500);
    expect(t.endpoint_ms).toBeLessThan(560);
  });

  it('a clipped start is refused and said in words, never turned into another command', async () => {
    const audio = await words('what time is it');
    const r = await spoken(`s-${newId()}`, audio.subarray(16 * 400));
    expect(r).toMatchObject({ ok: false, stage: 'stt', error: { code: 'STT_CLIPPED' }, intent: null });
    expect(r.response_text).toMatch(/missed the start/);
  });

  it('after a wake word on the listen stream, the speech that follows is carried out as its own session', async () => {
    const { correlation_id } = await p.op.send('alicia/device/command', { device_id: 'bedroom_lamp', action: 'turn_on' });
    await p.op.reply(correlation_id);
    await sendAudio(p.op, { site_id: 'hall' }, await afterWake('what time is it'), { realtime: true });
    const wake = await p.op.waitFor((m) => m.topic === 'alicia/voice/event' && m.msg.type === 'wake' && m.msg.site_id === 'hall', 10_000);
    const sid = wake.msg.session_id as string;
    const r = await p.op.waitFor((m) => m.topic === 'alicia/voice/result' && m.msg.session_id === sid, 20_000);
    expect(r.msg).toMatchObject({ ok: true, intent: { name: 'get_time' } });
  });
});

/** A listen stream as the window sends it: silence, the "wake phrase" (a tone burst), a pause, the command, silence. */
async function afterWake(text: string): Promise<Int16Array> {
  const tone = Int16Array.from({ length: 4800 }, (_, i) => Math.round(12000 * Math.sin(i / 2.5)));
  const command = await words(text);
  const audio = new Int16Array(8000 + tone.length + 3200 + command.length + 24000);
  audio.set(tone, 8000);
  audio.set(command, 8000 + tone.length + 3200);
  return audio;
}

describe('hands-free with two stt instances (one on a service node)', () => {
  it('a wake both instances hear is one session: one stt request, one result, one device command', async () => {
    // every instance hears the listen stream: a second one, as `alicia node` would run it elsewhere
    const second = new SttService({
      connection: connectionFor(p.broker, 'stt'),
      instance: { node: 'node-b', instance: 'stt@node-b', shared: true },
      config: { voice: { endpoint_silence_ms: 500 } },
      wakeDetector: () => new ToneDetector(),
    });
    await second.start();
    try {
      await waitUntil(() => second.registry.size >= 7, 10_000, 'the second stt to learn the devices');
      await second.grammarSettled();
      const { correlation_id } = await p.op.send('alicia/device/command', { device_id: 'bedroom_lamp', action: 'turn_on' });
      await p.op.reply(correlation_id);
      const from = p.op.received.length;
      const since = () => p.op.received.slice(from);
      await sendAudio(p.op, { site_id: 'porch' }, await afterWake('turn off the bedroom lamp'), { realtime: true });
      const wakes = () => since().filter((m) => m.topic === 'alicia/voice/event' && m.msg.type === 'wake' && m.msg.site_id === 'porch');
      await waitUntil(() => wakes().length >= 2, 10_000, 'both instances to announce the wake');
      const sessions = new Set(wakes().map((m) => m.msg.session_id as string));
      expect(sessions.size).toBe(1);
      const [sid] = [...sessions] as [string];
      const r = await p.op.waitFor((m) => m.topic === 'alicia/voice/result' && m.msg.session_id === sid, 20_000, 'the result');
      expect(r.msg).toMatchObject({ ok: true, intent: { name: 'turn_off' } });
      // a typed command through the same router after it: a second run of the session would have asked stt by then
      expect(await typed(`after-${newId()}`, { text: 'what time is it' })).toMatchObject({ ok: true });
      expect(since().filter((m) => m.topic === 'alicia/voice/stt/request' && m.msg.stream === sid)).toHaveLength(1);
      expect(since().filter((m) => m.topic === 'alicia/voice/result' && m.msg.session_id === sid)).toHaveLength(1);
      const commands = since().filter((m) => m.topic === 'alicia/device/command' && m.msg.device_id === 'bedroom_lamp');
      expect(commands.map((m) => m.msg.action)).toEqual(['turn_off']);
      await waitUntil(() => p.deviceState('bedroom_lamp')?.on === false, 3_000, 'the lamp off');
    } finally {
      await second.stop();
    }
  });

  it('a second wake of a site within a second (another instance heard it a chunk later) is dropped; a later one runs', async () => {
    const from = p.op.received.length;
    const asked = (sid: string) =>
      p.op.received.slice(from).filter((m) => m.topic === 'alicia/voice/stt/request' && m.msg.stream === sid).length;
    const [a, b, c] = [`wake-attic-${newId()}`, `wake-attic-${newId()}`, `wake-attic-${newId()}`];
    await p.op.send('alicia/voice/event', { type: 'wake', site_id: 'attic', session_id: a });
    await p.op.send('alicia/voice/event', { type: 'wake', site_id: 'attic', session_id: b });
    await waitUntil(() => asked(a) === 1, 5_000, 'the first wake to start its session');
    // a typed command through the same router: the second wake, published before it, has been judged by then
    expect(await typed(`after-${newId()}`, { text: 'what time is it' })).toMatchObject({ ok: true });
    expect(asked(b)).toBe(0);
    await new Promise((r) => setTimeout(r, 1100));
    await p.op.send('alicia/voice/event', { type: 'wake', site_id: 'attic', session_id: c });
    await waitUntil(() => asked(c) === 1, 5_000, 'a later wake of the site to start its session');
  });
});

describe('risky actions ask first', () => {
  it('typed "unlock the front door" asks, and only a yes unlocks it', async () => {
    await setLocked(true);
    const s = `c-${newId()}`;
    const q = await typed(s, { text: 'unlock the front door' });
    expect(q).toMatchObject({
      ok: true,
      stage: 'confirm',
      response_text: 'Unlock the front door?',
      confirm: { question: 'Unlock the front door?' },
    });
    expect(p.deviceState('front_door')?.locked).toBe(true);
    const no = await typed(s, { confirm: false });
    expect(no).toMatchObject({ ok: true, intent: { name: 'deny' }, response_text: "Okay, I won't." });
    expect(p.deviceState('front_door')?.locked).toBe(true);
    // a no (or any other command) drops the question: a late yes has nothing to confirm
    expect(await typed(s, { confirm: true })).toMatchObject({ ok: false, error: { code: 'VOICE_NOTHING_TO_CONFIRM' } });
    expect(p.deviceState('front_door')?.locked).toBe(true);
    await typed(s, { text: 'unlock the front door' });
    expect(await typed(s, { confirm: true })).toMatchObject({
      ok: true,
      stage: 'done',
      intent: { name: 'unlock' },
      devices: [{ device_id: 'front_door' }],
    });
    await waitUntil(() => p.deviceState('front_door')?.locked === false, 3_000, 'the door unlocked');
  });

  it('a spoken yes (a stream listened to as an answer) unlocks; no answer in time is a no', async () => {
    await setLocked(true);
    const s = `c-${newId()}`;
    expect(await spoken(s, trimSilence(await words('unlock the front door'), 16000).samples)).toMatchObject({ stage: 'confirm' });
    const yes = await spoken(s, trimSilence(await words('yes'), 16000).samples, { expect: 'answer' });
    expect(yes).toMatchObject({ ok: true, intent: { name: 'unlock' } });
    await waitUntil(() => p.deviceState('front_door')?.locked === false, 3_000, 'the door unlocked');

    await setLocked(true);
    const t = `c-${newId()}`;
    const asked = performance.now();
    await typed(t, { text: 'unlock the front door' });
    const expired = await p.op.waitFor(
      (m) =>
        m.topic === 'alicia/voice/result' &&
        m.msg.session_id === t &&
        (m.msg.error as { code?: string } | undefined)?.code === 'VOICE_NOT_CONFIRMED',
      CONFIRM_MS + 5_000,
    );
    expect(expired.at - asked).toBeGreaterThanOrEqual(CONFIRM_MS - 50);
    expect(p.deviceState('front_door')?.locked).toBe(true);
    expect(await typed(t, { confirm: true })).toMatchObject({ ok: false, error: { code: 'VOICE_NOTHING_TO_CONFIRM' } });
    expect(p.deviceState('front_door')?.locked).toBe(true);
  });

  it('a device the user marked `confirm` asks too', async () => {
    const { correlation_id } = await p.op.send('alicia/device/registry/request', {
      action: 'rename',
      device_id: 'living_room_light',
      confirm: true,
    });
    await p.op.reply(correlation_id);
    await waitUntil(() => p.router.knownDevice('living_room_light')?.confirm === true, 3_000, 'the router to see the mark');
    const q = await typed(`c-${newId()}`, { text: 'turn on the living room light' });
    expect(q).toMatchObject({ stage: 'confirm', response_text: 'Turn on the living room light?' });
    const back = await p.op.send('alicia/device/registry/request', { action: 'rename', device_id: 'living_room_light', confirm: false });
    await p.op.reply(back.correlation_id);
  });
});
